"""Every issue-9 measurement on one database, in one sitting; figures as JSON.

    .venv/bin/python -m bench.suite --db sqlite --json /tmp/ours-sqlite.json
    .venv/bin/python -m bench.suite --db postgres --sizes 1,10,100 --json /tmp/ours-pg.json

The database is throwaway: a temporary SQLite file, or ``rmbench`` on 127.0.0.1:5432 (dropped
WITH (FORCE), created, and dropped again at the end). In order:

1. ``migrate``; the whole country (``bench.country.build_world``); the busiest district's chief
   claims half of its review tasks; 50 projects of the largest region are approved and
   implemented, so they wait for its inspector; history up to the first size;
2. lists at the first size (``bench.lists``);
3. transitions through the services with one worker, then the floor of our own writes over
   the same projects (``bench.writes_floor``), the services with two workers, then the peer's
   floor (``bench.transitions``); on PostgreSQL, transitions over HTTP (``bench.http_load``);
4. for each further size: history up to it, and the lists again;
5. ``verify_audit`` over the whole trail; the peak RSS of this process.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import PG_BENCH_URL, ROOT, log, peak_rss_mb, pg_recreate, setup_django

DEFAULTS = {"projects": 300, "projects2": 300, "http_projects": 150, "calls": 50}


def machine() -> dict[str, Any]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip() or os.environ.get("BENCH_COMMIT", "")
    return {
        "date": datetime.datetime.now(tz=datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(memory, 1),
        "python": platform.python_version(),
        "commit": commit,
    }


def database_version() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT sqlite_version()")
            return f"SQLite {cursor.fetchone()[0]}"
        cursor.execute("SHOW server_version")
        return f"PostgreSQL {cursor.fetchone()[0]}"


def run(args: argparse.Namespace) -> dict[str, Any]:
    from django.core.management import call_command

    from bench import lists, transitions
    from bench.country import build_world, grow_history, task_rows, world_json
    from bench.writes_floor import run_writes_floor

    result: dict[str, Any] = {"db": args.db, "machine": machine(), "args": vars(args) | {"json": None}}
    result["database"] = database_version()
    start = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    result["migrate_seconds"] = time.perf_counter() - start
    world = build_world(seed=args.seed, workers=2, districts=args.districts)
    result["world"] = world_json(world)
    result["world"]["claimed"] = lists.claim_half(world)
    result["world"]["waiting_at_monitor"] = lists.wait_at_monitor(world)
    sizes = [int(s) * 10_000 for s in args.sizes.split(",")]
    grow_history(sizes[0], world)
    result["lists"] = []
    log(f"lists at {task_rows()} task rows …")
    result["lists"].append(lists.measure(world, args.calls))

    used: set[int] = set()
    log(f"services, one worker, {args.projects} projects …")
    result["services1"], ids = transitions.run_services(world, args.projects, workers=1, skip=used)
    used.update(ids)
    log(f"  {result['services1']['rate']:.1f}/s, {result['services1']['sql_per_transition']:.1f} SQL")
    log(f"the floor of our own writes, the same {len(ids)} projects …")
    result["writes_floor"] = run_writes_floor(ids)
    log(f"  {result['writes_floor']['rate']:.0f}/s")
    log(f"services, two workers, {args.projects2} projects …")
    result["services2"], ids = transitions.run_services(world, args.projects2, workers=2, skip=used)
    used.update(ids)
    log(f"  {result['services2']['wall_rate']:.1f}/s wall")
    log(f"floor, {args.projects} projects …")
    result["floor"] = transitions.run_floor(args.projects, world.officer[world.busiest_district])
    if args.db == "postgres" and args.http_projects:
        from bench.http_load import run_http

        log(f"HTTP, {args.http_projects} projects, {args.http_clients} clients …")
        result["http"], ids = run_http(
            world,
            args.database_url,
            projects=args.http_projects,
            clients=args.http_clients,
            workers=2,
            skip=used,
        )
        used.update(ids)
        log(f"  {result['http']['rate']:.1f}/s, p95 {result['http']['p95_ms']:.0f} ms")

    for size in sizes[1:]:
        grow_history(size, world)
        log(f"lists at {task_rows()} task rows …")
        result["lists"].append(lists.measure(world, args.calls))
    result["verify"] = lists.verify_audit()
    result["peak_rss_mb"] = peak_rss_mb()
    return result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="The issue-9 benchmarks on one database.")
    p.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    p.add_argument("--projects", type=int, default=DEFAULTS["projects"], help="one worker (300)")
    p.add_argument("--projects2", type=int, default=DEFAULTS["projects2"], help="two workers (300)")
    p.add_argument("--http-projects", type=int, default=DEFAULTS["http_projects"], help="0: no HTTP (150)")
    p.add_argument("--http-clients", type=int, default=8, help="concurrent HTTP clients (8)")
    p.add_argument("--sizes", default="1,10", help="task rows for the lists, × 10,000 (1,10)")
    p.add_argument("--calls", type=int, default=DEFAULTS["calls"], help="timed calls per list (50)")
    p.add_argument("--districts", type=int, help="districts that get projects (all 878)")
    p.add_argument("--seed", type=int, default=2570)
    p.add_argument("--json", type=Path, help="write the figures here")
    p.add_argument("--keep", action="store_true", help="keep the database")
    args = p.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="rm-bench-suite-"))
    if args.db == "postgres":
        pg_recreate("rmbench")
        args.database_url = PG_BENCH_URL
    else:
        args.database_url = f"sqlite:///{tmp / 'bench.sqlite3'}"
    setup_django(args.database_url)
    try:
        result = run(args)
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            if args.db == "postgres":
                pg_recreate("rmbench", drop_only=True)
            shutil.rmtree(tmp, ignore_errors=True)
    text = json.dumps(result, indent=1, default=str)
    if args.json:
        args.json.write_text(text)
    else:
        print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

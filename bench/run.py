"""``make bench``: our suite and the stock-viewflow peer on SQLite and PostgreSQL, one table.

    .venv/bin/python -m bench.run                          # defaults: about 15 minutes
    .venv/bin/python -m bench.run --districts 0 --sizes 1,10,100 --projects 500 --peer-projects 2000
    .venv/bin/python -m bench.run --db postgres --markdown /tmp/issue9.md

For each database it runs the peer, then ``python -m bench.suite`` (ours, in its own process),
then the peer again (the host's speed drifts over minutes: our rate is set against both peer
runs and their mean). The peer is ``../shared/bench-peer`` (``run.py --db … --projects N
--json FILE``, in its own virtualenv, made by its ``setup.sh`` when missing; on PostgreSQL
with ``PEER_PG_DSN`` naming ``peerbench`` on the running server). Without
``../shared/bench-peer`` it says so and prints ours alone. Figures only: nothing here passes or fails on timing.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.common import ROOT, log

PEER_DIR = Path(os.environ.get("BENCH_PEER_DIR", ROOT.parent / "shared" / "bench-peer"))
PEER_VENV = Path(os.environ.get("PEER_VENV", "/tmp/bench-peer-venv"))  # noqa: S108 - the peer's own default
PEER_PG_DSN = "postgresql://postgres@127.0.0.1:5432/peerbench"


def run_ours(db: str, args: argparse.Namespace, out: Path) -> dict[str, Any] | None:
    command = [
        sys.executable,
        "-m",
        "bench.suite",
        "--db",
        db,
        "--projects",
        str(args.projects),
        "--projects2",
        str(args.projects),
        "--sizes",
        args.sizes,
        "--calls",
        str(args.calls),
        "--http-projects",
        str(args.http_projects),
        "--json",
        str(out),
    ]
    if args.districts:
        command += ["--districts", str(args.districts)]
    log("ours: " + " ".join(command[1:]))
    done = subprocess.run(command, cwd=ROOT, check=False)  # noqa: S603
    if done.returncode != 0 or not out.exists():
        log(f"ours on {db} failed (exit {done.returncode})")
        return None
    result: dict[str, Any] = json.loads(out.read_text())
    return result


def run_peer(db: str, args: argparse.Namespace, out: Path) -> dict[str, Any] | None:
    python = PEER_VENV / "bin" / "python"
    if not python.exists():
        log(f"making the peer's virtualenv in {PEER_VENV} (setup.sh) …")
        subprocess.run(["bash", "setup.sh"], cwd=PEER_DIR, check=False)  # noqa: S607
    if not python.exists():
        log("the peer's virtualenv could not be made")
        return None
    extra = max(0, args.peer_extra_tasks)
    command = [str(python), "run.py", "--db", db, "--projects", str(args.peer_projects), "--json", str(out)]
    if extra:
        command += ["--extra-tasks", str(extra)]
    env = {**os.environ, "PEER_PG_DSN": PEER_PG_DSN}
    log("peer: " + " ".join(command[1:]))
    done = subprocess.run(command, cwd=PEER_DIR, env=env, check=False, stdout=subprocess.DEVNULL)  # noqa: S603
    if done.returncode != 0 or not out.exists():
        log(f"the peer on {db} failed (exit {done.returncode})")
        return None
    result: dict[str, Any] = json.loads(out.read_text())
    return result


def merge_peer_runs(runs: list[dict[str, Any] | None]) -> dict[str, Any] | None:
    """The peer's runs before and after ours as one: its transitions and its floor the mean
    of the runs (each run's rate kept in ``peer_runs``), the rest from the last run."""
    done = [r for r in runs if r]
    if not done:
        return None
    merged = dict(done[-1])
    for key in (
        "peer_transitions_per_s",
        "peer_p50_ms",
        "peer_p99_ms",
        "floor_transitions_per_s",
        "floor_p50_ms",
    ):
        merged[key] = sum(r[key] for r in done) / len(done)
    merged["peer_runs"] = [r["peer_transitions_per_s"] for r in done]
    merged["peer_over_floor"] = merged["peer_transitions_per_s"] / merged["floor_transitions_per_s"]
    return merged


def _f(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def _versus(ours: dict[str, Any] | None, peer: dict[str, Any] | None) -> str:
    """Two cells: our rate over the peer's (its mean), and over each of its runs."""
    if not ours or not peer:
        return "– | –"
    rate = ours["services1"]["rate"]
    each = ", ".join(f"{rate / r:.2f}×" for r in peer.get("peer_runs", [peer["peer_transitions_per_s"]]))
    return f"**{rate / peer['peer_transitions_per_s']:.2f}×** ({each}) | –"


def table(results: dict[str, tuple[dict[str, Any] | None, dict[str, Any] | None]], peer_note: str) -> str:
    """One markdown table: a row per figure, ours and the peer's per database side by side."""
    dbs = list(results)
    head = "| figure | " + " | ".join(f"ours {d} | peer {d}" for d in dbs) + " |"
    lines = [head, "|---|" + "---:|---:|" * len(dbs)]

    def row(label: str, ours: Any, peer: Any) -> None:
        cells = []
        for d in dbs:
            o, p = results[d]
            cells.append(ours(o) if o else "–")
            cells.append(peer(p) if p else "–")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")

    row(
        "transitions/s, 1 process (p50 / p99 ms)",
        lambda o: (
            f"{_f(o['services1']['rate'])} ({_f(o['services1']['p50_ms'])} / {_f(o['services1']['p99_ms'])})"
        ),
        lambda p: (
            f"{_f(p['peer_transitions_per_s'])} ({_f(p['peer_p50_ms'])} / {_f(p['peer_p99_ms'])}); "
            + " and ".join(_f(r) for r in p.get("peer_runs", []))
        ),
    )
    lines.append(
        "| ours / the peer, transitions/s (against its run before ours, after) | "
        + " | ".join(_versus(*results[d]) for d in dbs)
        + " |"
    )
    row(
        "transitions/s, 2 processes, wall (p50 / p99 ms)",
        lambda o: (
            f"{_f(o['services2']['wall_rate'])} ({_f(o['services2']['p50_ms'])} / {_f(o['services2']['p99_ms'])})"
        ),
        lambda p: "–",
    )
    row(
        "SQL per transition (approve / implement / monitor / report; max)",
        lambda o: (
            f"{_f(o['services1']['sql_per_transition'])} ("
            + " / ".join(_f(v) for v in o["services1"]["sql_by_step"].values())
            + f"; {o['services1']['sql_max']})"
        ),
        lambda p: _f(p["peer_sql_per_transition"]),
    )
    row(
        "write-ahead log per transition, 1 process (PostgreSQL)",
        lambda o: (
            f"{_f(o['services1']['wal_bytes_per_transition'] / 1024)} KiB"
            if "wal_bytes_per_transition" in o["services1"]
            else "–"
        ),
        lambda p: "–",
    )
    row(
        "floor, the peer's three writes: transitions/s (p50 ms)",
        lambda o: f"{_f(o['floor']['rate'], 0)} ({_f(o['floor']['p50_ms'], 2)})",
        lambda p: f"{_f(p['floor_transitions_per_s'], 0)} ({_f(p['floor_p50_ms'], 2)})",
    )
    row(
        "rate / that floor's rate (time ×)",
        lambda o: (
            f"{o['services1']['rate'] / o['floor']['rate']:.3f} ({o['floor']['rate'] / o['services1']['rate']:.1f}×)"
        ),
        lambda p: f"{p['peer_over_floor']:.3f} ({1 / p['peer_over_floor']:.1f}×)",
    )
    row(
        "floor, our own writes (the same rows, statements per transition): transitions/s (p50 ms)",
        lambda o: (
            f"{_f(o['writes_floor']['rate'], 0)} ({_f(o['writes_floor']['p50_ms'], 2)}; "
            f"{_f(o['writes_floor']['sql_per_transition'])} SQL)"
            if "writes_floor" in o
            else "–"
        ),
        lambda p: "–",
    )
    row(
        "rate / that floor's rate (time ×)",
        lambda o: (
            f"{o['services1']['rate'] / o['writes_floor']['rate']:.3f} "
            f"({o['writes_floor']['rate'] / o['services1']['rate']:.1f}×)"
            if "writes_floor" in o
            else "–"
        ),
        lambda p: "–",
    )
    row(
        "HTTP transitions/s, 2 server processes (p95 ms, errors)",
        lambda o: (
            f"{_f(o['http']['rate'])} ({_f(o['http']['p95_ms'], 0)}, {o['http']['errors']})"
            if "http" in o
            else "–"
        ),
        lambda p: "–",
    )
    sizes = max((len(o["lists"]) for o, _p in results.values() if o), default=0)
    for i in range(sizes):

        def at(o: dict[str, Any], key: str, i: int = i) -> str:
            if i >= len(o["lists"]):
                return "–"
            r = o["lists"][i][key]
            return f"{_f(r['p95_ms'])} ms, {r['queries']} q"

        rows_label = " / ".join(
            f"{o['lists'][i]['task_rows']:,}" for o, _p in results.values() if o and i < len(o["lists"])
        )
        lines.append(f"| **lists at {rows_label} task rows (p95, queries)** |" + " |" * (2 * len(dbs)))
        for key, label in (
            ("inbox/inspector", "inbox[:50], inspector of the largest region"),
            ("inbox/planner", "inbox[:50], central planner"),
            ("inbox/chief", "inbox[:50], chief"),
            ("queue/inspector", "tasks API page 1 (queue), inspector"),
            ("queue/planner", "tasks API page 1 (queue), central planner"),
            ("queue/chief", "tasks API page 1 (queue), chief"),
            ("history/district", "history search, one district"),
            ("history/action", "history search, action=approve"),
        ):
            peer_key = {"inbox/chief": "inbox", "queue/chief": "queue"}.get(key)
            row(
                label,
                lambda o, key=key: at(o, key),
                lambda p, peer_key=peer_key, i=i: (
                    f"{_f(p[f'{peer_key}_p95_ms'])} ms, {p[f'{peer_key}_sql']} q ({p['task_rows']:,} rows)"
                    if peer_key and i == 0
                    else "–"
                ),
            )
    row(
        "verify_audit events/s (events)",
        lambda o: f"{_f(o['verify']['rate'], 0)} ({o['verify']['events']:,})",
        lambda p: "–",
    )
    row("geography import s", lambda o: _f(o["world"]["import_seconds"], 2), lambda p: "–")
    row(
        "project_create/s while building (2 processes)",
        lambda o: _f(o["world"]["projects_created"] / o["world"]["create_seconds"]),
        lambda p: "–",
    )
    row(
        "peak RSS MB: suite / 2 workers / HTTP server processes",
        lambda o: (
            f"{_f(o['peak_rss_mb'], 0)} / "
            + ", ".join(_f(x, 0) for x in o["services2"]["peak_rss_mb"])
            + (" / " + ", ".join(_f(x, 0) for x in o["http"]["server_peak_rss_mb"]) if "http" in o else "")
        ),
        lambda p: "–",
    )
    some = next((o for o, _p in results.values() if o), None)
    notes = []
    if some:
        m = some["machine"]
        notes.append(
            f"Machine: {m['cores']} cores ({m['cpu']}), {m['memory_gib']} GiB; Python {m['python']}; "
            f"{m['date']}; commit {m['commit']}. "
            + "; ".join(f"{d}: {o['database']}" for d, (o, _p) in results.items() if o)
            + "."
        )
    notes.append(peer_note)
    return "\n".join(lines) + "\n\n" + "\n".join(notes) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Ours and the peer, SQLite and PostgreSQL, one table.")
    p.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    p.add_argument("--projects", type=int, default=150, help="ours, per run (150; ×4 transitions)")
    p.add_argument("--http-projects", type=int, default=100, help="ours over HTTP (100)")
    p.add_argument(
        "--districts", type=int, default=200, help="districts that get 3-10 projects each (200; 0: all 878)"
    )
    p.add_argument("--sizes", default="1,10", help="task rows for the lists, × 10,000 (1,10)")
    p.add_argument("--calls", type=int, default=50, help="timed calls per list (50)")
    p.add_argument("--peer-projects", type=int, default=1000, help="the peer's N (1000)")
    p.add_argument("--peer-extra-tasks", type=int, default=0, help="the peer's --extra-tasks (0)")
    p.add_argument("--markdown", type=Path, help="also write the table here")
    args = p.parse_args(argv)
    dbs = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    have_peer = (PEER_DIR / "run.py").exists()
    peer_note = (
        f"Peer: stock django-viewflow 2.4 + django-fsm-2 from {PEER_DIR}, N = {args.peer_projects}, "
        "same sitting (its lists are the chief's viewflow queue/inbox at its own task rows)."
        if have_peer
        else f"The peer is absent ({PEER_DIR} not found): ours alone."
    )
    if not have_peer:
        log(peer_note)
    results: dict[str, tuple[dict[str, Any] | None, dict[str, Any] | None]] = {}
    with tempfile.TemporaryDirectory(prefix="rm-bench-run-") as tmp:
        for db in dbs:
            # The peer before and after ours: the host's speed drifts over minutes, and a
            # ratio taken against one run on one side of ours would carry that drift.
            before = run_peer(db, args, Path(tmp) / f"peer-{db}-before.json") if have_peer else None
            ours = run_ours(db, args, Path(tmp) / f"ours-{db}.json")
            after = run_peer(db, args, Path(tmp) / f"peer-{db}-after.json") if have_peer else None
            peer = merge_peer_runs([before, after])
            results[db] = (ours, peer)
            for name, data in (("ours", ours), ("peer", peer)):
                if data and args.markdown:
                    raw = args.markdown.with_suffix(f".{name}-{db}.json")
                    raw.write_text(json.dumps(data, indent=1, default=str))
    text = table(results, peer_note)
    print(text)
    if args.markdown:
        args.markdown.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

#!/usr/bin/env python
"""Dashboard benchmark: the progress dashboard page and API for the whole country.

Run from the project folder with the project's virtualenv::

    .venv/bin/python bench/dashboard.py --quick        # smoke run: 5 runs per measurement
    .venv/bin/python bench/dashboard.py                # 30 runs per measurement
    .venv/bin/python bench/dashboard.py --database-url postgres://postgres@127.0.0.1:5432/bench_dash
    .venv/bin/python bench/dashboard.py --markdown /tmp/dashboard_bench.md

What it does, all in this process, bounded in count and time (``--timeout``):

1. sets up its own world: a temporary SQLite database (or ``--database-url``, which must
   name an empty, throwaway database), ``migrate``, then the whole country's areas imported
   from ``data/thai-admin/`` (or ``--geography``) with the project's own importer
   (``workflow.importers.geography_import``, as ``manage.py import_geography`` does; the
   data is read in place, never copied);
2. an active edition whose deadline is 35 days away, an inspection region of nine northern
   provinces, a central planner, a regional inspector and a provincial officer;
3. in every programme district (878) 0–4 projects (seeded, about 1,700 in all) with two
   budget lines each, spend lines once implemented, a viewflow process and an open task for
   every project still in the workflow, and, in the districts that finished, a submission
   (one in ten late, half acknowledged). These rows are written in bulk: the benchmark
   measures reading, and the services' own costs are measured by the other tests;
4. measures, with Django's test client (the whole request: middleware, session, template),
   ``--runs`` requests each of ``/dashboard/`` and ``/api/v1/dashboard/`` for the planner
   (the whole country), the inspector (a region) and the provincial officer (one province),
   a drill-down into the largest province, and one chart's CSV and XLSX export; and prints
   p50/p95/max in milliseconds, the number of SQL queries of each request and, for a page, the
   rows drawn in its charts (each per-province or per-district chart draws at most 15).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import math
import os
import random
import secrets
import shutil
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEFAULT_GEOGRAPHY = ROOT / "data" / "thai-admin"
REGION_PROVINCES = ("50", "51", "52", "53", "54", "55", "56", "57", "58")
PROVINCIAL_PROVINCE = "30"  # Nakhon Ratchasima: the province with the most districts
TARGET_MS = 1000.0
# How many projects a district has (0 to 4), and how far a district has come.
PROJECTS_WEIGHTS = (10, 25, 35, 20, 10)
STAGES = (("selecting", 20), ("working", 45), ("reported", 10), ("submitted", 25))


class Timeout(Exception):
    """The whole run took longer than ``--timeout``."""


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


# --------------------------------------------------------------------------------------------
# The world


def build_world(geography: Path, seed: int) -> dict[str, Any]:
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.utils import timezone
    from viewflow.workflow.models import Process, Task
    from viewflow.workflow.status import STATUS

    from reports.models import SubmissionReceipt
    from workflow import flows
    from workflow.importers import geography_import
    from workflow.models import (
        BankEntry,
        BudgetLine,
        District,
        DistrictSubmission,
        Edition,
        InspectionRegion,
        Project,
        ProjectProcess,
        Province,
        Role,
        RoleMembership,
        SpendLine,
        State,
        Subdistrict,
    )
    from workflow.services.system import system_user

    if Province.objects.exists():
        raise SystemExit("the database already holds areas: give an empty, throwaway database")
    rng = random.Random(seed)
    start = time.monotonic()
    counts = geography_import(directory=geography, acting_user=system_user())
    log(f"imported {counts} in {time.monotonic() - start:.1f} s")

    start = time.monotonic()
    user_model = get_user_model()
    today = timezone.localdate()
    with transaction.atomic():
        Edition.objects.update(is_active=False)  # a migration may have made the guideline's edition
        edition = Edition.objects.create(
            code="2570",
            title="ปีงบประมาณ พ.ศ. 2570",
            budget_cap=Decimal("150000.00"),
            deadline=today + datetime.timedelta(days=35),
            is_active=True,
        )
        region = InspectionRegion.objects.create(code="R-BENCH", name="เขตตรวจราชการ (ทดสอบ)")
        region.provinces.set(Province.objects.filter(code__in=REGION_PROVINCES))
        users = {}
        for name in ("planner", "inspector", "provincial", "officer"):
            users[name] = user_model.objects.create(username=f"bench-{name}", password="!unusable")  # noqa: S106
        RoleMembership.objects.create(user=users["planner"], role=Role.CENTRAL_PLANNER)
        RoleMembership.objects.create(user=users["inspector"], role=Role.REGIONAL_INSPECTOR, region=region)
        RoleMembership.objects.create(
            user=users["provincial"], role=Role.PROVINCIAL_OFFICER, province_id=PROVINCIAL_PROVINCE
        )
        districts = list(District.objects.programme().order_by("code").values_list("code", flat=True))
        first_sub = dict(
            Subdistrict.objects.filter(district_id__in=districts)
            .order_by("district_id", "code")
            .values_list("district_id", "code")
            .distinct()
        )
        entries = BankEntry.objects.bulk_create(
            [
                BankEntry(
                    code=f"BENCH-{code}",
                    subdistrict_id=first_sub[code],
                    title="ส่งเสริมอาชีพวิสาหกิจชุมชน",
                    dimension="economy",
                    estimated_budget=Decimal("50000.00"),
                )
                for code in districts
                if code in first_sub
            ],
            batch_size=500,
        )
        entry_of = {e.subdistrict_id[:4]: e for e in entries}
        dimensions = ["economy", "social", "environment", "security", "administration"]
        working = [State.SELECTED, State.RETURNED, State.APPROVED, State.IMPLEMENTED, State.MONITORED]
        projects: list[Project] = []
        stage_of: dict[str, str] = {}
        for code in districts:
            if code not in entry_of:
                continue
            n = rng.choices(range(len(PROJECTS_WEIGHTS)), weights=PROJECTS_WEIGHTS)[0]
            stage = rng.choices([s for s, _ in STAGES], weights=[w for _, w in STAGES])[0]
            stage_of[code] = stage
            for i in range(n):
                if stage == "selecting":
                    state = rng.choice([State.SELECTED, State.SELECTED, State.RETURNED, State.WITHDRAWN])
                elif stage == "working":
                    state = rng.choice([*working, State.REPORTED, State.REJECTED])
                elif stage == "reported":
                    state = State.REPORTED
                else:
                    state = State.SUBMITTED
                projects.append(
                    Project(
                        edition=edition,
                        district_id=code,
                        bank_entry=entry_of[code],
                        title=f"โครงการพัฒนาตำบล {code}-{i + 1}",
                        dimension=rng.choice(dimensions),
                        target_villages=3,
                        target_households=120,
                        start_date=today,
                        end_date=today + datetime.timedelta(days=30),
                        do_fits_district_plan=True,
                        do_feasible=True,
                        do_area_ready=True,
                        do_permitted=True,
                        state=state,
                        created_by=users["officer"],
                    )
                )
        Project.objects.bulk_create(projects, batch_size=500)
        projects = list(Project.objects.filter(edition=edition).order_by("id"))
        lines, spends = [], []
        for project in projects:
            amount = Decimal(rng.randrange(10, 70) * 1000)
            lines.append(
                BudgetLine(
                    project=project, description="วัสดุ", category="activity_materials", amount=amount - 5000
                )
            )
            lines.append(
                BudgetLine(project=project, description="ค่าวิทยากร", category="wages", amount=Decimal(5000))
            )
            if project.state in (State.IMPLEMENTED, State.MONITORED, State.REPORTED, State.SUBMITTED):
                spends.append(
                    SpendLine(
                        project=project,
                        description="วัสดุ",
                        category="activity_materials",
                        amount=amount * Decimal("0.8"),
                    )
                )
        BudgetLine.objects.bulk_create(lines, batch_size=1000)
        SpendLine.objects.bulk_create(spends, batch_size=1000)
        # viewflow: a process per project (multi-table inheritance: one at a time) and the open
        # task of the step the project waits in.
        step_of_state = {state: step for step, state in flows.STEP_STATE.items()}
        tasks = []
        for project in projects:
            process = ProjectProcess.objects.create(flow_class=flows.ProjectFlow, project=project)
            step = step_of_state.get(project.state)
            if step is not None:
                tasks.append(
                    Task(
                        process=process,
                        flow_task=flows.step_node(step),
                        flow_task_type="HUMAN",
                        status=STATUS.NEW,
                    )
                )
        Task.objects.bulk_create(tasks, batch_size=1000)
        by_district: dict[str, list[Project]] = {}
        for project in projects:
            by_district.setdefault(project.district_id, []).append(project)
        submissions = []
        for code, own in by_district.items():
            if stage_of.get(code) == "submitted" and own:
                submissions.append(
                    DistrictSubmission(
                        district_id=code,
                        edition=edition,
                        version=1,
                        submitted_by=users["officer"],
                        submitted_at=timezone.now() - datetime.timedelta(hours=rng.randrange(1, 500)),
                        is_late=rng.random() < 0.1,
                        comment="ส่งรายงานผล",
                    )
                )
        DistrictSubmission.objects.bulk_create(submissions, batch_size=500)
        submissions = list(DistrictSubmission.objects.filter(edition=edition))
        through = DistrictSubmission.projects.through
        through.objects.bulk_create(
            [
                through(districtsubmission_id=s.pk, project_id=p.pk)
                for s in submissions
                for p in by_district[s.district_id]
            ],
            batch_size=1000,
        )
        SubmissionReceipt.objects.bulk_create(
            [
                SubmissionReceipt(
                    submission=s, acknowledged_by=users["planner"], acknowledged_at=timezone.now()
                )
                for s in submissions
                if rng.random() < 0.5
            ]
        )
    world = {
        "users": users,
        "districts": len(districts),
        "projects": len(projects),
        "tasks": len(tasks),
        "submissions": len(submissions),
        "processes": Process.objects.count(),
    }
    log(
        f"built {world['projects']} projects, {world['tasks']} open tasks, {world['submissions']} "
        f"submissions in {world['districts']} districts in {time.monotonic() - start:.1f} s"
    )
    return world


# --------------------------------------------------------------------------------------------
# Measuring


def measure(user: Any, url: str, runs: int) -> dict[str, Any]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(user)
    client.cookies["rolemodel_language"] = "th"

    def get() -> Any:
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"{url}: HTTP {response.status_code}")
        if getattr(response, "streaming", False):
            response.body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
        else:
            response.body = response.content  # type: ignore[attr-defined]
        return response

    get()  # warm-up (templates, translations, the first connection)
    # Each request loads its user from the session, so the grants are computed per request.
    with CaptureQueriesContext(connection) as queries:
        response = get()
    query_count = len(queries.captured_queries)  # now: the next request resets the log
    size = len(response.body)
    # Each bar of an SVG chart is a <g> with its own <title> (the charts draw at most 15 rows each).
    bars = response.body.count(b"<g><title>")
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        get()
        times.append((time.perf_counter() - start) * 1000)
    return {
        "url": url,
        "queries": query_count,
        "bytes": size,
        "bars": bars,
        "p50": percentile(times, 50),
        "p95": percentile(times, 95),
        "max": max(times),
        "mean": statistics.fmean(times),
    }


def run_measurements(world: dict[str, Any], runs: int) -> list[tuple[str, dict[str, Any]]]:
    from django.db.models import Count

    from workflow.models import District

    largest = (
        District.objects.programme()
        .values("province_id")
        .annotate(n=Count("code"))
        .order_by("-n", "province_id")
        .first()
    )
    drill = str(largest["province_id"]) if largest else PROVINCIAL_PROVINCE
    users = world["users"]
    plan = [
        ("planner, page, whole country", users["planner"], "/dashboard/"),
        ("planner, API, whole country", users["planner"], "/api/v1/dashboard/"),
        ("planner, page, drill-down", users["planner"], f"/dashboard/?province={drill}"),
        ("inspector, page, region", users["inspector"], "/dashboard/"),
        ("provincial officer, page", users["provincial"], "/dashboard/"),
        ("planner, states CSV", users["planner"], "/dashboard/states.csv"),
        ("planner, budget XLSX", users["planner"], "/dashboard/budget.xlsx"),
    ]
    results = []
    for label, user, url in plan:
        result = measure(user, url, runs)
        log(f"{label}: p50 {result['p50']:.1f} ms, p95 {result['p95']:.1f} ms, {result['queries']} queries")
        results.append((label, result))
    return results


def report(meta: dict[str, Any], world: dict[str, Any], results: list[tuple[str, dict[str, Any]]]) -> str:
    lines = [
        "## Progress dashboard (`bench/dashboard.py`)",
        "",
        "What the issue asks for: the dashboards load in under a second for the whole country "
        "(878 programme districts).",
        "",
        f"Figures of {meta['date']} ({meta['database']}, {meta['cores']} cores, {meta['runs']} requests "
        "per row after a warm-up, Django's test client in one process: middleware, session, "
        "queries and template included, no network):",
        "",
        "| request | p50 ms | p95 ms | max ms | SQL queries | size | chart rows | under 1 s? |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for label, r in results:
        met = "**yes**" if r["p95"] < TARGET_MS else "no"
        lines.append(
            f"| {label} | {r['p50']:.1f} | {r['p95']:.1f} | {r['max']:.1f} | {r['queries']} | "
            f"{r['bytes'] / 1024:.0f} KB | {r['bars'] or '–'} | {met} |"
        )
    lines += [
        "",
        f"The world: {world['districts']} programme districts (77 provinces imported; Bangkok's khet "
        f"are not programme districts), {world['projects']} projects with two budget lines each, "
        f"{world['tasks']} open viewflow tasks, {world['submissions']} submissions (one in ten late, "
        "about half acknowledged); the inspector's region has nine provinces; the provincial "
        f"officer's province is {PROVINCIAL_PROVINCE} (the largest). Rows are written in bulk; "
        "the figures are for reading them.",
        "",
        "Command: `" + " ".join([".venv/bin/python", "bench/dashboard.py", *meta["argv"]]) + "`",
        "",
    ]
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--runs", type=int, default=30, help="requests per measurement (30)")
    p.add_argument("--quick", action="store_true", help="5 requests per measurement")
    p.add_argument("--database-url", help="an empty, throwaway database (default: a temporary SQLite file)")
    p.add_argument("--geography", type=Path, default=DEFAULT_GEOGRAPHY, help="folder of the DOPA CSV files")
    p.add_argument("--seed", type=int, default=2570, help="random seed of the world (2570)")
    p.add_argument("--markdown", type=Path, help="also write the figures as a markdown section here")
    p.add_argument("--timeout", type=int, default=900, help="give up after this many seconds (900)")
    p.add_argument("--keep", action="store_true", help="keep the temporary folder (the SQLite database)")
    p.add_argument("--settings", default="config.settings", help="DJANGO_SETTINGS_MODULE (config.settings)")
    args = p.parse_args(argv)
    if args.quick:
        args.runs = 5
    if not 1 <= args.runs <= 1000:
        p.error("--runs must be between 1 and 1000")
    if not (args.geography / "districts.csv").exists():
        p.error(f"no districts.csv in {args.geography}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)

    def on_alarm(signum: int, frame: Any) -> None:
        raise Timeout(f"the run took longer than --timeout {args.timeout} s")

    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(args.timeout)
    tmp = Path(tempfile.mkdtemp(prefix="rm-bench-dashboard-"))
    try:
        database_url = args.database_url or f"sqlite:///{tmp / 'bench.sqlite3'}"
        os.environ.update(
            {
                "DJANGO_SETTINGS_MODULE": args.settings,
                "DATABASE_URL": database_url,
                "DEBUG": "0",
                "SECRET_KEY": secrets.token_urlsafe(40),
                "ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
            }
        )
        os.environ.pop("REDIS_URL", None)
        import django

        django.setup()
        from django.core.management import call_command

        log(f"migrating the {database_url.split('://')[0]} database …")
        call_command("migrate", verbosity=0, interactive=False)
        world = build_world(args.geography, args.seed)
        results = run_measurements(world, args.runs)
        meta = {
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "cores": os.cpu_count(),
            "runs": args.runs,
            "database": "temporary SQLite (WAL)" if not args.database_url else database_url.split("://")[0],
            "argv": sys.argv[1:],
        }
        text = report(meta, world, results)
        print(text)
        if args.markdown:
            args.markdown.parent.mkdir(parents=True, exist_ok=True)
            args.markdown.write_text(text + "\n", encoding="utf-8")
        return 0 if all(r["p95"] < TARGET_MS for _, r in results) else 1
    finally:
        signal.alarm(0)
        if args.keep:
            log(f"kept {tmp}")
        else:
            with contextlib.suppress(Exception):
                shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

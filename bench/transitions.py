"""Transitions through the services, with one and two worker processes, and the bare-SQL floor.

Each project is driven approve → implement → monitor → report (every approve first, then every
implement, and so on, as the peer does) by calling ``project_approve``, ``project_implement``,
``project_monitor`` and ``project_report`` from ``workflow.services.projects``. Before each call
the actor is loaded afresh (``User.objects.get``: no cached grants, as in a web request); that
load is neither timed nor counted. Each timed call is the whole service call: its transaction,
the audit chain, the notices and the on-commit side effects (mail to the locmem backend).
Before the timed projects, one project goes through the four steps untimed (a warm-up: the
first use's imports and per-process caches, which a running server already has).

Throughput is transitions divided by the sum of their individual times; with two workers, the
two workers' transitions over the sum of both workers' times, times two (both run at once), and
the wall-clock rate too. SQL statements are counted with a ``connection.execute_wrapper``.

The floor here is the peer's yardstick, written afresh: two tables of its own (``floor_project``,
``floor_task``), N projects and N open tasks inserted untimed, then 4N transitions, each one
transaction of ``UPDATE floor_project``, ``UPDATE floor_task`` and ``INSERT INTO floor_task``.
The floor of this service's own writes (the same rows as its transitions write) is
``bench.writes_floor``.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from bench.common import StatementCounter, percentile
from bench.country import World

STEPS = (("approve", "chief"), ("implement", "officer"), ("monitor", "inspector"), ("report", "officer"))


def pick_projects(world: World, n: int, *, skip: set[int] | None = None) -> list[int]:
    """``n`` projects waiting for approval, spread over districts (round robin by district)."""
    from workflow.models import Project, State

    by_district: dict[str, list[int]] = {}
    rows = (
        Project.objects.filter(state=State.SELECTED, edition__is_active=True)
        .order_by("district_id", "pk")
        .values_list("district_id", "pk")
    )
    for district, pk in rows:
        if not skip or pk not in skip:
            by_district.setdefault(district, []).append(pk)
    picked: list[int] = []
    queues = [by_district[code] for code in sorted(by_district)]
    while len(picked) < n and any(queues):
        for queue in queues:
            if queue and len(picked) < n:
                picked.append(queue.pop(0))
    if len(picked) < n:
        raise SystemExit(f"only {len(picked)} projects wait for approval; asked for {n}")
    return picked


def actors_of(world: World, project_ids: list[int]) -> dict[int, dict[str, int]]:
    """For each project: the pk of its chief, officer and inspector."""
    from workflow.models import Project

    districts = dict(Project.objects.filter(pk__in=project_ids).values_list("pk", "district_id"))
    result = {}
    for pk, code in districts.items():
        region = world.region_of_province[world.province_of_district[code]]
        result[pk] = {
            "chief": world.chief[code],
            "officer": world.officer[code],
            "inspector": world.inspector[region],
        }
    return result


def service_calls() -> dict[str, Callable[[int, Any], Any]]:
    """One call per step, through the services' public names and keyword arguments."""
    from workflow.services import projects as svc

    record = svc.ImplementationInput(
        spend_lines=[
            svc.LineInput("วัสดุฝึกปฏิบัติ", "activity_materials", Decimal("8000.00")),
            svc.LineInput("ค่าวิทยากร", "wages", Decimal("3000.00")),
        ],
        activities_done="อบรมอาชีพ 3 ครั้ง",
        villages_reached=3,
        households_reached=110,
    )
    return {
        "approve": lambda pk, user: svc.project_approve(project=pk, acting_user=user, comment=""),
        "implement": lambda pk, user: svc.project_implement(project=pk, acting_user=user, record=record),
        "monitor": lambda pk, user: svc.project_monitor(
            project=pk, acting_user=user, findings="ดำเนินการครบตามแผน"
        ),
        "report": lambda pk, user: svc.project_report(
            project=pk, acting_user=user, result_narrative="ประชาชนมีรายได้เพิ่มขึ้น"
        ),
    }


def drive(project_ids: list[int], actors: dict[int, dict[str, int]]) -> dict[str, Any]:
    """Drive the projects through the four steps in this process; the figures of the run."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    from workflow.models import Project, State

    users = get_user_model().objects
    calls = service_calls()
    counter = StatementCounter()
    latencies: list[float] = []
    statements: dict[str, list[int]] = {}
    wal_from = _wal_position()
    wall = time.perf_counter()
    with connection.execute_wrapper(counter):
        for step, who in STEPS:
            per_call = statements.setdefault(step, [])
            for pk in project_ids:
                user = users.get(pk=actors[pk][who])  # a fresh object: grants not yet loaded
                before = counter.n
                start = time.perf_counter()
                calls[step](pk, user)
                latencies.append(time.perf_counter() - start)
                per_call.append(counter.n - before)
    wall = time.perf_counter() - wall
    wal = _wal_bytes_since(wal_from)
    done = Project.objects.filter(pk__in=project_ids, state=State.REPORTED).count()
    if done != len(project_ids):
        raise RuntimeError(f"{len(project_ids) - done} projects did not reach reported")
    return {"latencies": latencies, "statements": statements, "wall": wall, "wal_bytes": wal}


def _wal_position() -> str | None:
    """PostgreSQL's write-ahead log position (``None`` elsewhere): read untimed, uncounted."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()::text")
        return str(cursor.fetchone()[0])


def _wal_bytes_since(position: str | None) -> int | None:
    """The bytes of write-ahead log the whole server wrote since ``position``: with one worker and
    nothing else running, what the transitions wrote (rows, index entries, locks, full pages).
    Unlike a rate it does not move with the host's speed."""
    from django.db import connection

    if position is None:
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), %s::pg_lsn)", [position])
        return int(cursor.fetchone()[0])


def _worker(args: tuple[list[int], dict[int, dict[str, int]]]) -> dict[str, Any]:
    from django.db import connections

    from bench.common import peak_rss_mb

    connections.close_all()  # the forked child opens its own connection
    try:
        result = drive(*args)
    finally:
        connections.close_all()
    result["peak_rss_mb"] = peak_rss_mb()
    return result


def summarise(latencies: list[float], statements: dict[str, list[int]] | None = None) -> dict[str, Any]:
    total = sum(latencies)
    out: dict[str, Any] = {
        "transitions": len(latencies),
        "rate": len(latencies) / total if total else 0.0,
        "p50_ms": percentile(latencies, 50) * 1000,
        "p95_ms": percentile(latencies, 95) * 1000,
        "p99_ms": percentile(latencies, 99) * 1000,
    }
    if statements:
        every = [n for values in statements.values() for n in values]
        out["sql_per_transition"] = sum(every) / len(every)
        out["sql_max"] = max(every)
        out["sql_by_step"] = {step: sum(v) / len(v) for step, v in statements.items()}
    return out


def run_services(world: World, n: int, *, workers: int, skip: set[int]) -> tuple[dict[str, Any], list[int]]:
    """``n`` projects through the services with ``workers`` processes; figures and the projects used."""
    from django.db import connections

    from bench.common import peak_rss_mb

    # One project through the four steps first, untimed and not counted: the imports and
    # per-process caches a running server already has (the first push imports the serializers,
    # about 0.2 s; each language's texts are translated once). Forked workers inherit them.
    warm = pick_projects(world, 1, skip=skip)
    drive(warm, actors_of(world, warm))
    project_ids = pick_projects(world, n, skip=skip | set(warm))
    actors = actors_of(world, project_ids)
    if workers == 1:
        results = [drive(project_ids, actors)]
        results[0]["peak_rss_mb"] = peak_rss_mb()
    else:
        # Each worker gets whole districts, so the two do not queue for the same district's lock.
        districts = sorted({actors[pk]["chief"] for pk in project_ids})
        share = {chief: i % workers for i, chief in enumerate(districts)}
        parts = [[pk for pk in project_ids if share[actors[pk]["chief"]] == k] for k in range(workers)]
        connections.close_all()
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            results = pool.map(_worker, [(part, actors) for part in parts])
    latencies = [x for r in results for x in r["latencies"]]
    statements: dict[str, list[int]] = {}
    for r in results:
        for step, values in r["statements"].items():
            statements.setdefault(step, []).extend(values)
    out = summarise(latencies, statements)
    out["workers"] = workers
    out["rate"] = out["rate"] * workers  # the workers ran at the same time
    out["wall_rate"] = len(latencies) / max(r["wall"] for r in results)
    out["peak_rss_mb"] = [round(r["peak_rss_mb"], 1) for r in results]
    if workers == 1 and results[0]["wal_bytes"] is not None:
        out["wal_bytes_per_transition"] = results[0]["wal_bytes"] / len(latencies)
    return out, [*warm, *project_ids]


# --- The floor ---------------------------------------------------------------------------------

FLOOR_DDL = {
    "sqlite": [
        "CREATE TABLE floor_project (id INTEGER PRIMARY KEY, state VARCHAR(20) NOT NULL, "
        "district VARCHAR(100) NOT NULL, budget DECIMAL(12, 2) NOT NULL)",
        "CREATE TABLE floor_task (id INTEGER PRIMARY KEY, "
        "project_id INTEGER NOT NULL REFERENCES floor_project (id), step VARCHAR(20) NOT NULL, "
        "status VARCHAR(20) NOT NULL, owner_id INTEGER NULL, created TIMESTAMP NOT NULL, "
        "finished TIMESTAMP NULL)",
    ],
    "postgresql": [
        "CREATE TABLE floor_project (id INTEGER PRIMARY KEY, state VARCHAR(20) NOT NULL, "
        "district VARCHAR(100) NOT NULL, budget DECIMAL(12, 2) NOT NULL)",
        "CREATE TABLE floor_task (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, "
        "project_id INTEGER NOT NULL REFERENCES floor_project (id), step VARCHAR(20) NOT NULL, "
        "status VARCHAR(20) NOT NULL, owner_id INTEGER NULL, created TIMESTAMPTZ NOT NULL, "
        "finished TIMESTAMPTZ NULL)",
    ],
}
FLOOR_INDEXES = [
    "CREATE INDEX floor_task_project ON floor_task (project_id)",
    "CREATE INDEX floor_task_status ON floor_task (status)",
]
FLOOR_STATES = ("selected", "approved", "implemented", "monitored", "reported")


def run_floor(n: int, user_id: int) -> dict[str, Any]:
    """The same 4N transitions as bare SQL on the floor's own two tables (dropped afterwards)."""
    from django.db import connection, transaction

    counter = StatementCounter()
    latencies: list[float] = []
    with connection.cursor() as cursor:
        with transaction.atomic():
            for ddl in FLOOR_DDL[connection.vendor] + FLOOR_INDEXES:
                cursor.execute(ddl)
            cursor.executemany(
                "INSERT INTO floor_project (id, state, district, budget) VALUES (%s, 'selected', %s, %s)",
                [(i + 1, f"{1001 + i % 878}", Decimal(50_000 + i % 100 * 1000)) for i in range(n)],
            )
            cursor.execute(
                "INSERT INTO floor_task (project_id, step, status, created) "
                "SELECT id, 'approve', 'NEW', CURRENT_TIMESTAMP FROM floor_project ORDER BY id"
            )
            cursor.execute("SELECT id FROM floor_task ORDER BY project_id")
            task_ids = [row[0] for row in cursor.fetchall()]
        with connection.execute_wrapper(counter):
            for k, (step, _who) in enumerate(STEPS):
                old, new = FLOOR_STATES[k], FLOOR_STATES[k + 1]
                following = STEPS[k + 1][0] if k + 1 < len(STEPS) else "submit"
                for i in range(n):
                    start = time.perf_counter()
                    with transaction.atomic():
                        cursor.execute(
                            "UPDATE floor_project SET state = %s WHERE id = %s AND state = %s",
                            [new, i + 1, old],
                        )
                        if cursor.rowcount != 1:
                            raise RuntimeError(f"floor: project {i + 1} is not {old} ({step})")
                        cursor.execute(
                            "UPDATE floor_task SET status = 'DONE', owner_id = %s, "
                            "finished = CURRENT_TIMESTAMP WHERE id = %s AND status = 'NEW'",
                            [user_id, task_ids[i]],
                        )
                        if cursor.rowcount != 1:
                            raise RuntimeError(f"floor: task {task_ids[i]} is not open")
                        cursor.execute(
                            "INSERT INTO floor_task (project_id, step, status, created) "
                            "VALUES (%s, %s, 'NEW', CURRENT_TIMESTAMP) RETURNING id",
                            [i + 1, following],
                        )
                        task_ids[i] = cursor.fetchone()[0]
                    latencies.append(time.perf_counter() - start)
        cursor.execute("SELECT COUNT(*) FROM floor_project WHERE state = 'reported'")
        if cursor.fetchone()[0] != n:
            raise RuntimeError("floor: not every project reached reported")
        with transaction.atomic():
            cursor.execute("DROP TABLE floor_task")
            cursor.execute("DROP TABLE floor_project")
    out = summarise(latencies)
    out["sql_per_transition"] = counter.n / len(latencies)
    return out

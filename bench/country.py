"""A whole-country world for the benchmarks, built with the project's own importer and services.

Run on a throwaway database (it refuses one that already holds areas)::

    .venv/bin/python -m bench.country                       # temporary SQLite file, scale 1
    .venv/bin/python -m bench.country --db postgres --scale 10

What :func:`build_world` makes:

- the geography from ``data/thai-admin/`` with ``manage.py import_geography`` (timed): 77
  provinces, 928 districts, 7,436 subdistricts; the 878 outside Bangkok are programme districts;
- 18 synthetic inspection regions (provinces in code order, in 18 groups) through
  ``manage.py import_regions``;
- an active edition (cap 150,000 THB per district), and a past, closed one for the history; every
  programme district designated a Role Model district of both (through the planner's service);
- users: an officer and a chief per programme district, a provincial officer per province, an
  inspector per region, one central planner, auditor and admin (grants as ``tests/factories``
  makes them: membership rows);
- 10 Tambon Project Bank entries per subdistrict (bulk insert);
- 3–10 projects per programme district through ``workflow.services.projects.project_create``
  by the district's officer (so each has its process, its open review task and its audit events).

:func:`grow_history` then adds finished work until the task table holds a target number of
rows: projects of the past edition, each ``submitted``, with a finished process and the seven
finished task rows its run leaves (start, review, implement, monitor, report, submit, end),
bulk-inserted and older than everything else. ``--scale N`` asks for N × 10,000 task rows.
"""

from __future__ import annotations

import argparse
import datetime
import io
import json
import multiprocessing
import random
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from bench.common import GEOGRAPHY, PG_BENCH_URL, log, peak_rss_mb, pg_recreate, setup_django

REGIONS = 18
PROJECTS_PER_DISTRICT = (3, 10)
BANK_PER_SUBDISTRICT = 10
PROJECT_BUDGET = Decimal("12000.00")  # 10 projects stay under the 150,000 cap
TASKS_PER_DONE_PROJECT = 7
BATCH = 5000


@dataclass
class World:
    """What the benchmarks need to know about the world (primary keys, not objects)."""

    import_seconds: float = 0.0
    create_seconds: float = 0.0
    projects_created: int = 0
    officer: dict[str, int] = field(default_factory=dict)  # district code -> user pk
    chief: dict[str, int] = field(default_factory=dict)
    inspector: dict[str, int] = field(default_factory=dict)  # region code -> user pk
    region_of_province: dict[str, str] = field(default_factory=dict)
    province_of_district: dict[str, str] = field(default_factory=dict)
    largest_region: str = ""
    busiest_district: str = ""
    planner: int = 0
    auditor: int = 0
    admin: int = 0


def project_input(subdistrict: str, title: str, amount: Decimal = PROJECT_BUDGET) -> Any:
    """A project the guideline welcomes (as ``tests.factories.good_input``), of ``amount`` baht."""
    from workflow.services.projects import LineInput, ProjectInput

    today = datetime.date.today()
    return ProjectInput(
        title=title,
        dimension="economy",
        subdistricts=[subdistrict],
        target_villages=3,
        target_households=120,
        start_date=today,
        end_date=today + datetime.timedelta(days=60),
        primary_objective="development",
        budget_lines=[
            LineInput("วัสดุฝึกปฏิบัติ", "activity_materials", amount - Decimal("3000.00")),
            LineInput("ค่าวิทยากร", "wages", Decimal("3000.00")),
        ],
        do_checklist={"fits_district_plan": True, "feasible": True, "area_ready": True, "permitted": True},
        # Part 3's plan: approval needs every part.
        rationale="ประชาชนในตำบลต้องการอาชีพเสริม สอดคล้องกับแผนพัฒนาอำเภอ",
        objectives="เพื่อส่งเสริมอาชีพและเพิ่มรายได้ให้ครัวเรือนเป้าหมาย",
        method="ประชุมชี้แจง อบรมอาชีพ และติดตามผล",
        indicators="ครัวเรือนเป้าหมาย 120 ครัวเรือนมีรายได้เพิ่มขึ้น",
        expected_results="ครัวเรือนมีอาชีพเสริมและรายได้เพิ่มขึ้น",
    )


def _import_areas(world: World, tmp: Path) -> None:
    from django.core.management import call_command

    from workflow.models import District, Province

    start = time.perf_counter()
    call_command("import_geography", str(GEOGRAPHY), verbosity=0, stdout=io.StringIO())
    world.import_seconds = time.perf_counter() - start
    log(f"geography imported in {world.import_seconds:.2f} s")
    provinces = list(Province.objects.order_by("code").values_list("code", flat=True))
    lines = ["region_code,region_name,province_code"]
    for i, code in enumerate(provinces):
        region = f"B{i * REGIONS // len(provinces) + 1:02d}"
        world.region_of_province[code] = region
        lines.append(f"{region},เขตตรวจราชการ (ทดสอบ) {region},{code}")
    path = tmp / "regions.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    call_command("import_regions", str(path), verbosity=0, stdout=io.StringIO())
    world.province_of_district = dict(District.objects.programme().values_list("code", "province_id"))


def _editions() -> None:
    from workflow.models import Edition

    today = datetime.date.today()
    Edition.objects.update(is_active=False)
    Edition.objects.update_or_create(
        code="2569",
        defaults={
            "title": "ปีงบประมาณ พ.ศ. 2569",
            "budget_cap": Decimal("150000.00"),
            "deadline": today - datetime.timedelta(days=300),
            "is_active": False,
        },
    )
    Edition.objects.update_or_create(
        code="2570",
        defaults={
            "title": "ปีงบประมาณ พ.ศ. 2570",
            "budget_cap": Decimal("150000.00"),
            "deadline": today + datetime.timedelta(days=120),
            "is_active": True,
        },
    )


def _users(world: World) -> None:
    from django.contrib.auth import get_user_model

    from workflow.models import Role, RoleMembership

    user_model = get_user_model()
    wanted: list[tuple[str, str, dict[str, str]]] = []  # username, role, area columns
    for code in sorted(world.province_of_district):
        wanted.append((f"officer-{code}", Role.DISTRICT_OFFICER, {"district_id": code}))
        wanted.append((f"chief-{code}", Role.DISTRICT_CHIEF, {"district_id": code}))
    for code in sorted(world.region_of_province):
        wanted.append((f"provincial-{code}", Role.PROVINCIAL_OFFICER, {"province_id": code}))
    for region in sorted(set(world.region_of_province.values())):
        wanted.append((f"inspector-{region}", Role.REGIONAL_INSPECTOR, {"region_id": region}))
    for name, country_role in (
        ("planner", Role.CENTRAL_PLANNER),
        ("auditor", Role.AUDITOR),
        ("admin", Role.ADMIN),
    ):
        wanted.append((f"bench-{name}", country_role, {}))
    user_model.objects.bulk_create(
        [
            user_model(username=username, email=f"{username}@example.org", password="!unusable")  # noqa: S106
            for username, _role, _area in wanted
        ],
        batch_size=1000,
    )
    pk_of = dict(user_model.objects.values_list("username", "pk"))
    RoleMembership.objects.bulk_create(
        [RoleMembership(user_id=pk_of[username], role=role, **area) for username, role, area in wanted],
        batch_size=1000,
    )
    for username, role, area in wanted:
        pk = pk_of[username]
        if role == Role.DISTRICT_OFFICER:
            world.officer[area["district_id"]] = pk
        elif role == Role.DISTRICT_CHIEF:
            world.chief[area["district_id"]] = pk
        elif role == Role.REGIONAL_INSPECTOR:
            world.inspector[area["region_id"]] = pk
    world.planner, world.auditor, world.admin = (
        pk_of["bench-planner"],
        pk_of["bench-auditor"],
        pk_of["bench-admin"],
    )


def _designate(world: World) -> None:
    """Every programme district is a Role Model district of both editions (the planner's act)."""
    from django.contrib.auth import get_user_model

    from workflow.models import District, Edition
    from workflow.services.programme import edition_districts_replace

    planner = get_user_model().objects.get(pk=world.planner)
    codes = list(District.objects.programme().values_list("code", flat=True))
    for edition in Edition.objects.all():
        edition_districts_replace(acting_user=planner, edition=edition, district_codes=codes)


def _bank() -> int:
    from workflow.models import BankEntry, Subdistrict

    dimensions = ["economy", "social", "environment", "security", "administration"]
    rows = [
        BankEntry(
            code=f"BK-{code}-{k:02d}",
            subdistrict_id=code,
            title=f"ส่งเสริมอาชีพวิสาหกิจชุมชน {code}-{k}",
            dimension=dimensions[k % len(dimensions)],
            estimated_budget=PROJECT_BUDGET,
        )
        for code in Subdistrict.objects.order_by("code").values_list("code", flat=True)
        for k in range(BANK_PER_SUBDISTRICT)
    ]
    BankEntry.objects.bulk_create(rows, batch_size=BATCH)
    return len(rows)


def _create_projects(plan: list[tuple[str, int, int]]) -> int:
    """Create, through ``project_create``, ``n`` projects in each district of the plan."""
    from django.db import connections

    from bench.common import fresh_user
    from workflow.models import BankEntry
    from workflow.services.projects import project_create

    connections.close_all()  # a forked worker opens its own connection
    made = 0
    for code, officer_pk, n in plan:
        officer = fresh_user(officer_pk)
        entries = list(
            BankEntry.objects.filter(subdistrict__district_id=code)
            .order_by("code")
            .values_list("pk", "subdistrict_id")[:n]
        )
        for i, (entry, subdistrict) in enumerate(entries):
            project_create(
                acting_user=officer,
                bank_entry=entry,
                data=project_input(subdistrict, f"โครงการพัฒนาตำบล {code}-{i + 1}"),
            )
            made += 1
    connections.close_all()
    return made


def _projects(world: World, seed: int, workers: int, districts: int | None) -> None:
    rng = random.Random(seed)
    codes = sorted(world.officer)
    if districts is not None and districts < len(codes):
        codes = sorted(rng.sample(codes, districts))
    plan = [(code, world.officer[code], rng.randint(*PROJECTS_PER_DISTRICT)) for code in codes]
    start = time.perf_counter()
    if workers <= 1:
        world.projects_created = _create_projects(plan)
    else:
        from django.db import connections

        connections.close_all()
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            world.projects_created = sum(
                pool.map(_create_projects, [plan[i::workers] for i in range(workers)])
            )
    world.create_seconds = time.perf_counter() - start
    busiest = max(plan, key=lambda item: (item[2], item[0]))
    world.busiest_district = busiest[0]
    log(
        f"{world.projects_created} projects created through project_create in {world.create_seconds:.1f} s "
        f"({world.projects_created / world.create_seconds:.1f}/s, {workers} worker(s))"
    )


def build_world(*, seed: int = 2570, workers: int = 1, districts: int | None = None) -> World:
    """Build the country on the current (migrated, empty) database.

    ``districts`` limits the districts that get projects through the services (all 878 by
    default; a sample of that many otherwise, to keep a quick run quick).
    """
    from django.db.models import Count

    from workflow.models import District, Province

    if Province.objects.exists():
        raise SystemExit("the database already holds areas: give an empty, throwaway database")
    world = World()
    with tempfile.TemporaryDirectory(prefix="rm-bench-country-") as tmp:
        _import_areas(world, Path(tmp))
    _editions()
    _users(world)
    log(f"{len(world.officer) * 2 + len(world.inspector)} area users and their grants")
    _designate(world)
    log(f"{_bank()} bank entries")
    _projects(world, seed, workers, districts)
    per_region: dict[str, int] = {}
    counts = District.objects.programme().values("province_id").annotate(n=Count("code"))
    for row in counts:
        region = world.region_of_province[row["province_id"]]
        per_region[region] = per_region.get(region, 0) + row["n"]
    world.largest_region = max(per_region, key=lambda r: (per_region[r], r))
    analyze()
    return world


def analyze() -> None:
    """After a bulk load, what PostgreSQL's autovacuum does in a running service within a minute
    or so: the planner's statistics and the dead rows' space (``VACUUM ANALYZE``). Without the
    statistics a fresh database is planned blind (the step's read of the people to tell hashed
    every user, 1,855 rows, instead of looking three up: twice as slow a statement); without
    the vacuum, autovacuum would do it while the transitions are timed; and whether it had come
    round yet decided each run's figures. The peer's ``run.py`` runs ``ANALYZE`` after its load
    too. Then a ``CHECKPOINT``: a load this size fills ``max_wal_size`` many times over, and the
    checkpoint it asks for would otherwise write out while the transitions are timed (the floor
    of their own writes went from 1.4 to 3.0 ms in such a run). SQLite keeps no statistics
    unless asked, and the service never asks it."""
    from django.db import connection

    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
            cursor.execute("CHECKPOINT")


def task_rows() -> int:
    from viewflow.workflow.models import Task

    return Task.objects.count()


def grow_history(target: int, world: World) -> int:
    """Add finished past-edition projects (seven finished task rows each) until ``target`` task rows.

    Returns the number of task rows added. Everything is bulk-inserted and dated before the
    oldest row already there, so the open work stays the newest.
    """
    from django.db import connection, transaction
    from viewflow.workflow.models import Process, Task
    from viewflow.workflow.status import PROCESS, STATUS

    from workflow import flows
    from workflow.models import BankEntry, Edition, Project, ProjectProcess, State

    missing = target - task_rows()
    if missing <= 0:
        return 0
    start = time.perf_counter()
    n_projects = -(-missing // TASKS_PER_DONE_PROJECT)
    oldest = Task.objects.order_by("created").values_list("created", flat=True).first()
    oldest = oldest or datetime.datetime.now(tz=datetime.UTC)
    districts = sorted(world.officer)
    # A bank entry is taken once per edition while its project is live: the k-th past project
    # of a district takes the district's next entry, and past editions (2569, 2568, …) are
    # added as the entries run out.
    entries_of: dict[str, list[int]] = {}
    for district, entry in BankEntry.objects.order_by("code").values_list("subdistrict__district_id", "pk"):
        entries_of.setdefault(district, []).append(entry)
    editions: dict[int, Edition] = {}

    def past_edition(n: int) -> Edition:
        if n not in editions:
            year = 2569 - n
            editions[n] = Edition.objects.get_or_create(
                code=str(year),
                defaults={
                    "title": f"ปีงบประมาณ พ.ศ. {year}",
                    "budget_cap": Decimal("150000.00"),
                    "deadline": datetime.date(year - 543, 9, 30),
                    "is_active": False,
                },
            )[0]
        return editions[n]

    def placed(g: int) -> tuple[str, int, Edition]:
        """The district, bank entry and edition of the ``g``-th past project ever made."""
        district = districts[g % len(districts)]
        k, entries = g // len(districts), entries_of[district]
        return district, entries[k % len(entries)], past_edition(k // len(entries))

    done_before = Project.objects.filter(edition__is_active=False, title="โครงการปีก่อน").count()
    nodes = [
        ("start", "START", None),
        ("review", "HUMAN", "chief"),
        ("implement", "HUMAN", "officer"),
        ("monitor", "HUMAN", "inspector"),
        ("report", "HUMAN", "officer"),
        ("submit", "HUMAN", "chief"),
        ("submitted", "END", None),
    ]
    flow_nodes = [(flows.step_node(name), kind, who) for name, kind, who in nodes]
    owner_table = {
        code: {
            "chief": world.chief[code],
            "officer": world.officer[code],
            "inspector": world.inspector[world.region_of_province[world.province_of_district[code]]],
        }
        for code in districts
    }
    added = 0
    chunk = 10_000
    for first in range(0, n_projects, chunk):
        count = min(chunk, n_projects - first)
        with transaction.atomic():
            places = [placed(done_before + first + i) for i in range(count)]
            projects = Project.objects.bulk_create(
                [
                    Project(
                        edition=edition,
                        district_id=district,
                        bank_entry_id=entry,
                        title="โครงการปีก่อน",
                        dimension="economy",
                        target_villages=3,
                        target_households=120,
                        state=State.SUBMITTED,
                        created_by_id=world.officer[district],
                    )
                    for district, entry, edition in places
                ],
                batch_size=BATCH,
            )
            when = [
                oldest - datetime.timedelta(minutes=(n_projects - first - i) * TASKS_PER_DONE_PROJECT)
                for i in range(count)
            ]
            processes = Process.objects.bulk_create(
                [
                    Process(flow_class=flows.ProjectFlow, status=PROCESS.DONE, created=w, finished=w)
                    for w in when
                ],
                batch_size=BATCH,
            )
            with connection.cursor() as cursor:
                cursor.executemany(
                    f"INSERT INTO {ProjectProcess._meta.db_table} (process_ptr_id, project_id) VALUES (%s, %s)",  # noqa: S608
                    [(p.pk, project.pk) for p, project in zip(processes, projects, strict=True)],
                )
            tasks = []
            for process, project, w in zip(processes, projects, when, strict=True):
                owners = owner_table[project.district_id]
                for k, (node, kind, who) in enumerate(flow_nodes):
                    at = w + datetime.timedelta(minutes=k)
                    tasks.append(
                        Task(
                            process_id=process.pk,
                            flow_task=node,
                            flow_task_type=kind,
                            status=STATUS.DONE,
                            owner_id=owners[who] if who else None,
                            created=at,
                            started=at,
                            finished=at,
                        )
                    )
            Task.objects.bulk_create(tasks, batch_size=BATCH)
            added += len(tasks)
    analyze()
    log(
        f"history: {added} finished task rows ({n_projects} past projects) in {time.perf_counter() - start:.1f} s"
    )
    return added


def world_json(world: World) -> dict[str, Any]:
    return {
        "import_seconds": world.import_seconds,
        "create_seconds": world.create_seconds,
        "projects_created": world.projects_created,
        "largest_region": world.largest_region,
        "busiest_district": world.busiest_district,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the whole-country benchmark world.")
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--scale", type=int, default=1, help="N × 10,000 task rows (1)")
    parser.add_argument("--workers", type=int, default=2, help="processes creating projects (2)")
    parser.add_argument("--districts", type=int, help="districts that get projects (all 878)")
    parser.add_argument("--seed", type=int, default=2570)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="rm-bench-"))
    if args.db == "postgres":
        pg_recreate("rmbench")
        url = PG_BENCH_URL
    else:
        url = f"sqlite:///{tmp / 'country.sqlite3'}"
    setup_django(url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    world = build_world(seed=args.seed, workers=args.workers, districts=args.districts)
    grow_history(args.scale * 10_000, world)
    print(json.dumps({**world_json(world), "task_rows": task_rows(), "peak_rss_mb": peak_rss_mb()}))
    if not args.keep:
        from django.db import connections

        connections.close_all()
        if args.db == "postgres":
            pg_recreate("rmbench", drop_only=True)
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Micro-benchmark of ``workflow.audit.verify``: events verified per second.

Run against a scratch database (it writes events when asked to)::

    DATABASE_URL=sqlite:////tmp/v.db .venv/bin/python manage.py migrate
    DATABASE_URL=sqlite:////tmp/v.db .venv/bin/python -m bench.verify --generate 200000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/rmverify .venv/bin/python -m bench.verify

``--generate N`` appends N events spread over about N/22 district chains plus the national chain
(non-ASCII comments, officials acting for others, nested JSON payloads), through ``audit.record``.

Then, ``--repeat`` times, it verifies the whole trail as ``manage.py verify_audit`` does
(``audit.check`` with ``--workers`` processes, by default the CPUs this process may use) and in
this process alone (``--workers 1``), back to back, and one district's chain. Each line gives the
wall time, the events per second, the CPU time of this process and its workers, and the CPU time
the whole machine spent meanwhile (from /proc/stat, where there is one): when the machine's is
well above ours, something else was running (on PostgreSQL its server's work is in it too).
Prints figures only; it asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import django


def generate(count: int, per_chain: int = 22) -> None:
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from workflow import audit
    from workflow.models import District, Province

    districts_needed = min(9000, max(1, count // per_chain))  # four-digit codes 1000-9999
    with transaction.atomic():
        provinces = {
            p: Province.objects.get_or_create(code=f"{p:02d}", defaults={"name_th": f"จังหวัด {p}"})[0]
            for p in range(10, 100)
        }
        existing = {d.code: d for d in District.objects.all()}
        missing = []
        for n in range(1000, 1000 + districts_needed):
            code = f"{n:04d}"
            if code not in existing:
                missing.append(District(code=code, province=provinces[n // 100], name_th=f"อำเภอ {code}"))
        District.objects.bulk_create(missing)
        districts = list(District.objects.order_by("code"))[:districts_needed]
        user_model = get_user_model()
        users = [
            user_model.objects.get_or_create(username=name)[0] for name in ("เจ้าหน้าที่", "chief", "acting")
        ]
    start = time.perf_counter()
    with transaction.atomic():
        for i in range(count):
            district = None if i % 97 == 0 else districts[i % len(districts)]
            acting = users[2] if i % 5 == 0 else None
            audit.record(
                actor=audit.Actor(
                    user=users[i % 2], role="district_chief", area_code="5001", acting_for=acting
                ),
                action="approve" if i % 3 else "comment",
                object_type="project",
                object_id=i,
                district=district,
                from_state="selected",
                to_state="approved",
                comment=f"อนุมัติ “ตามแผน” #{i} ✓" if i % 2 else "",
                is_late=i % 7 == 0,
                rule_results=[{"code": "budget_cap", "passed": True, "detail": {"limit": Decimal("1.50")}}],
                budget={"cap": Decimal("150000.00"), "committed": Decimal(i) / 100, "remaining": "1"},
                payload={"z": [1, 2.5, None, {"ข": "ค", "a": True}], "title": f"โครงการ {i}", "n": i},
            )
    print(f"generated {count} events in {time.perf_counter() - start:.1f} s")


def machine_cpu() -> float | None:
    """CPU seconds the whole machine has been busy (all CPUs), or None without /proc/stat."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    except OSError:
        return None
    ticks = [int(value) for value in fields]
    idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)  # idle, iowait
    return (sum(ticks[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def own_cpu() -> float:
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def measure(label: str, events: int, run: Callable[[], Any]) -> None:
    machine, own, start = machine_cpu(), own_cpu(), time.perf_counter()
    result = run()
    seconds = time.perf_counter() - start
    own = own_cpu() - own
    after = machine_cpu()
    busy = f", machine {after - machine:.2f} CPU-s" if after is not None and machine is not None else ""
    print(
        f"{label}: {seconds:.2f} s, {events / seconds:,.0f} events/s, "
        f"{len(result.breaks)} break(s); CPU: ours {own:.2f} s{busy}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--generate", type=int, default=0, help="append this many events first")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--workers", type=int, default=0, help="processes (default: the CPUs this process may use)"
    )
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from django.db import connection

    from workflow import audit
    from workflow.models import AuditChain, AuditEvent

    if args.generate:
        generate(args.generate)
    workers = args.workers or audit.default_workers()
    events = AuditEvent.objects.count()
    chains = AuditChain.objects.count()
    print(
        f"{connection.vendor}: {events} events in {chains} chains; {os.cpu_count()} CPUs, workers: {workers}"
    )
    connection.close()  # as the command starts: nothing open for the workers to inherit
    for _ in range(args.repeat):
        measure(f"check(workers={workers})", events, lambda: audit.check(workers=workers))
        measure("check(workers=1)", events, lambda: audit.check(workers=1))
    key = (
        AuditChain.objects.exclude(key=audit.NATIONAL_CHAIN)
        .order_by("key")
        .values_list("key", flat=True)
        .first()
    )
    if key:
        start = time.perf_counter()
        for _ in range(100):
            audit.verify(district_code=key)
        print(f"verify(district_code={key!r}): {(time.perf_counter() - start) * 10:.2f} ms per call")


if __name__ == "__main__":
    main()

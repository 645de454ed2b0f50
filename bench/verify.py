"""Micro-benchmark of ``workflow.audit.verify``: events verified per second.

Run against a scratch database (it writes events when asked to)::

    DATABASE_URL=sqlite:////tmp/v.db .venv/bin/python manage.py migrate
    DATABASE_URL=sqlite:////tmp/v.db .venv/bin/python -m bench.verify --generate 200000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/rmverify .venv/bin/python -m bench.verify

``--generate N`` appends N events spread over about N/12 district chains plus the national chain
(non-ASCII comments, officials acting for others, nested JSON payloads), through ``audit.record``.
Prints figures only; it asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import time
from decimal import Decimal

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--generate", type=int, default=0, help="append this many events first")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from django.db import connection

    from workflow import audit
    from workflow.models import AuditChain, AuditEvent

    if args.generate:
        generate(args.generate)
    events = AuditEvent.objects.count()
    chains = AuditChain.objects.count()
    print(f"{connection.vendor}: {events} events in {chains} chains")
    for _ in range(args.repeat):
        start = time.perf_counter()
        breaks = audit.verify()
        seconds = time.perf_counter() - start
        print(f"verify(): {seconds:.2f} s, {events / seconds:,.0f} events/s, {len(breaks)} break(s)")
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

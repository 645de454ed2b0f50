"""Lists at a given number of task rows: the inbox, the tasks API's first page, history search.

Every call loads its user afresh first (untimed, uncounted), so the grants are computed inside
the call, as in a request. Calls made:

- **inbox**: ``approvals.selectors.task_inbox(user)``, its first 50 rows (what ``/inbox/``
  pages), evaluated with the queryset's prefetches;
- **queue**: the claimable queue as the tasks API serves it (``GET /api/v1/tasks/``):
  ``task_list_for(user)`` (held by me or claimable by my roles and areas), then what the API's
  page-number pagination does for page 1 of 50 (a ``COUNT`` and the slice), then
  ``TaskSerializer`` over the 50 rows;
- **history**: ``workflow.selectors.history_filter(history_visible(planner), district=…)``, first
  50 (the audit page's search), for the busiest district; and ``action="approve"`` over the
  whole country.

The heaviest users: the inspector of the region with the most districts, the central planner,
the chief of the district with the most projects (who has claimed half of its review tasks).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from bench.common import StatementCounter, analyze, fresh_user, percentile
from bench.country import World


def claim_half(world: World) -> int:
    """The busiest district's chief claims half of its open review tasks (via the service)."""
    from viewflow.workflow.models import Task
    from viewflow.workflow.status import STATUS

    from approvals.services import task_claim

    chief = fresh_user(world.chief[world.busiest_district])
    open_ids = list(
        Task.objects.filter(
            status=STATUS.NEW,
            flow_task_type="HUMAN",
            process__projectprocess__project__district_id=world.busiest_district,
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for pk in open_ids[: len(open_ids) // 2]:
        task_claim(task=pk, acting_user=chief)
    return len(open_ids) // 2


def wait_at_monitor(world: World, n: int = 50) -> int:
    """Up to ``n`` projects of the largest region approved and implemented through the services,
    so that they wait in its inspector's inbox (the world's own projects all wait at review)."""
    from bench.transitions import actors_of, service_calls
    from workflow.models import Project, State

    codes = [
        c
        for c, p in world.province_of_district.items()
        if world.region_of_province[p] == world.largest_region
    ]
    ids = list(
        Project.objects.filter(district_id__in=codes, state=State.SELECTED, edition__is_active=True)
        .order_by("district_id", "pk")
        .values_list("pk", flat=True)[:n]
    )
    actors = actors_of(world, ids)
    calls = service_calls()
    for step, who in (("approve", "chief"), ("implement", "officer")):
        for pk in ids:
            calls[step](pk, fresh_user(actors[pk][who]))
    return len(ids)


def _inbox(user: Any) -> int:
    from approvals.selectors import task_inbox

    return len(list(task_inbox(user)[:50]))


def _queue(user: Any) -> int:
    from django.core.paginator import Paginator

    from approvals.selectors import task_list_for
    from approvals.serializers import TaskSerializer

    page = Paginator(task_list_for(user), 50).page(1)  # COUNT, then the slice: as DRF paginates
    return len(TaskSerializer(list(page.object_list), many=True).data)


def _history(**filters: Any) -> Callable[[Any], int]:
    def call(user: Any) -> int:
        from workflow.selectors import history_filter, history_visible

        return len(list(history_filter(history_visible(user), **filters)[:50]))

    return call


def time_calls(user_pk: int, call: Callable[[Any], int], calls: int, warmup: int = 5) -> dict[str, Any]:
    """p50/p95 ms and the distinct statement counts of ``calls`` timed calls after ``warmup``."""
    from django.db import connection

    counter = StatementCounter()
    latencies: list[float] = []
    counts: set[int] = set()
    rows = 0
    with connection.execute_wrapper(counter):
        for i in range(warmup + calls):
            user = fresh_user(user_pk)
            before = counter.n
            start = time.perf_counter()
            rows = call(user)
            if i >= warmup:
                latencies.append(time.perf_counter() - start)
                counts.add(counter.n - before)
    return {
        "p50_ms": percentile(latencies, 50) * 1000,
        "p95_ms": percentile(latencies, 95) * 1000,
        "queries": "/".join(str(n) for n in sorted(counts)),
        "rows": rows,
    }


def measure(world: World, calls: int) -> dict[str, Any]:
    """Every list for every heavy user, at the current size (after ``ANALYZE``)."""
    from viewflow.workflow.models import Task

    analyze()
    users = {
        "inspector": world.inspector[world.largest_region],
        "planner": world.planner,
        "chief": world.chief[world.busiest_district],
    }
    out: dict[str, Any] = {"task_rows": Task.objects.count()}
    for who, pk in users.items():
        out[f"inbox/{who}"] = time_calls(pk, _inbox, calls)
        out[f"queue/{who}"] = time_calls(pk, _queue, calls)
    out["history/district"] = time_calls(world.planner, _history(district=world.busiest_district), calls)
    out["history/action"] = time_calls(world.planner, _history(action="approve"), calls)
    return out


def verify_audit() -> dict[str, Any]:
    """``workflow.audit.verify`` over every chain: events per second."""
    from workflow.audit import verify
    from workflow.models import AuditEvent

    events = AuditEvent.objects.count()
    start = time.perf_counter()
    breaks = verify()
    seconds = time.perf_counter() - start
    return {"events": events, "seconds": seconds, "rate": events / seconds, "breaks": len(breaks)}

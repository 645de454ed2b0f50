"""The inbox, the claimable queue and the audit search cost the same number of queries however
long the history behind them is: finished tasks and past events never add a query.

Each measurement uses a fresh user object (the grants are re-read, as in a request) after one
unmeasured warm-up request that fills process-wide caches. No timing is asserted here.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from viewflow.workflow.models import Task

from approvals import selectors
from tests import factories as f
from workflow import flows
from workflow.models import AuditEvent, Project
from workflow.services import projects as svc
from workflow.services.projects import LineInput

User = get_user_model()


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def project(officer: Any, entry: Any, title: str) -> Project:
    lines = [
        LineInput("วัสดุ", "activity_materials", Decimal("600.00")),
        LineInput("ค่าวิทยากร", "wages", Decimal("400.00")),
    ]
    return f.make_project(officer, entry, title=title, budget_lines=lines)


def fetch(user: Any, url: str, params: dict[str, str] | None = None) -> tuple[int, Any]:
    client = Client()
    client.force_login(User.objects.get(pk=user.pk))
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params or {}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200, (url, response.status_code)
    return len(queries.captured_queries), response


def inbox_titles(response: Any) -> list[str]:
    return re.findall(
        r'<tr id="task-\d+"[^>]*>.*?<a href="/projects/\d+/">([^<]+)</a>', response.content.decode(), re.S
    )


def shown_events(response: Any) -> int:
    match = re.search(r'<h2 id="results-heading">\s*([\d,]+) events?', response.content.decode())
    assert match, "no result count on the audit page"
    return int(match.group(1).replace(",", ""))


def grow_history(world: Any, n: int) -> list[Project]:
    """``n`` projects reviewed and approved by the chief: finished review tasks and events, and
    open implement tasks that belong to the officers, not to the chief."""
    done = []
    for i in range(n):
        p = project(world.officer, world.entry if i % 2 else world.entry2, f"Finished {i}")
        svc.project_comment(project=p, acting_user=world.chief, comment=f"ดูแล้ว {i}")
        done.append(svc.project_approve(project=p, acting_user=world.chief, comment="อนุมัติ"))
    other = project(world.other_officer, world.other_entry, "Elsewhere")
    svc.project_approve(project=other, acting_user=world.other_chief, comment="อนุมัติ")
    return done


LISTS = [
    ("/inbox/", {}),
    ("/inbox/", {"show": "district"}),
    ("/inbox/", {"step": "review", "sort": "-created"}),
    ("/api/v1/tasks/", {}),
]


@pytest.mark.parametrize(("url", "params"), LISTS)
def test_chief_lists_cost_the_same_with_a_long_history(world, url, params):
    waiting = [project(world.officer, world.entry, f"Waiting {i}") for i in range(2)]
    fetch(world.chief, url, params)  # warm-up
    few, before = fetch(world.chief, url, params)
    grow_history(world, 8)
    waiting.append(project(world.officer2, world.entry2, "Waiting late"))
    many, after = fetch(world.chief, url, params)

    assert Task.objects.filter(status="DONE", flow_task_type="HUMAN").count() >= 9
    assert many == few, f"{url} {params}: {few} queries before the history grew, {many} after"
    if url.startswith("/api/"):
        assert before.json()["count"] == 2
        assert sorted(t["project"]["title"] for t in after.json()["results"]) == sorted(
            p.title for p in waiting
        )
    else:
        assert len(inbox_titles(before)) == 2
        shown = inbox_titles(after)
        if params.get("show") == "district":
            # every open task of the district: the waiting reviews and the officers' implement tasks
            assert {p.title for p in waiting} <= set(shown) and len(shown) == 3 + 8
        else:
            assert sorted(shown) == sorted(p.title for p in waiting)


def test_open_lists_hold_exactly_the_open_tasks(world):
    waiting = project(world.officer, world.entry, "Waiting")
    claimed = project(world.officer, world.entry2, "Claimed")
    task = flows.open_step_task(claimed)
    assert task is not None
    from approvals import services as task_svc

    task_svc.task_claim(task=task.pk, acting_user=world.chief)
    approved = grow_history(world, 2)

    listed = {t.process.projectprocess.project.title for t in selectors.task_list_for(world.chief)}
    assert listed == {waiting.title, claimed.title}
    queue = selectors.task_list_for(world.chief).filter(status="NEW")
    assert [t.process.projectprocess.project.title for t in queue] == [waiting.title]
    whole = selectors.task_inbox(world.chief, selectors.InboxFilters(whole_district=True))
    assert {t.process.projectprocess.project.pk for t in whole} == {
        waiting.pk,
        claimed.pk,
        *(p.pk for p in approved),
    }
    counts = selectors.inbox_counts(world.chief, selectors.task_inbox(world.chief))
    assert (counts["total"], counts["mine"], counts["claimable"]) == (2, 1, 1)


SEARCHES = [
    {},
    {"district": "5001"},
    {"action": "approve"},
    {"since": "01/01/2020", "until": "31/12/2099"},
]


@pytest.mark.parametrize("params", SEARCHES)
def test_history_search_costs_the_same_with_a_long_history(world, params):
    first = project(world.officer, world.entry, "First")
    svc.project_approve(project=first, acting_user=world.chief, comment="อนุมัติ")
    fetch(world.auditor, "/audit/", params)  # warm-up
    few, before = fetch(world.auditor, "/audit/", params)
    grow_history(world, 30)  # past one page of 50 events
    many, after = fetch(world.auditor, "/audit/", params)

    expected = AuditEvent.objects.all()
    if "district" in params:
        expected = expected.filter(district_id=params["district"])
    if "action" in params:
        expected = expected.filter(action=params["action"])
    assert expected.count() >= 30
    assert shown_events(after) == expected.count() > shown_events(before)
    assert many == few, f"/audit/ {params}: {few} queries before the history grew, {many} after"

"""Real threads against a real database: simultaneous approvals and selections racing the cap.

Each thread has its own database connection (closed at the end) and its own API client; a
barrier releases every request at the same moment. On PostgreSQL the services' row locks
(``select_for_update`` of the project, of the district) serialise the writers; on SQLite the
``IMMEDIATE`` transactions do.

The test database is a file on SQLite too (see config/settings.py), so writers queue on the
lock as they do in production; the shared conftest removes audit rows before the flush.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from rest_framework.test import APIClient
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from tests import factories as f
from workflow import audit, selectors
from workflow.models import AuditEvent, Project, Role, State

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

User = get_user_model()
JOIN_TIMEOUT = 120


def client_for(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def run_together(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run every call in its own thread, released together by a barrier; return their results."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)
    errors: list[BaseException] = []

    def worker(index: int, call: Callable[[], Any]) -> None:
        try:
            # Each thread has its own connection, to the file database on SQLite (see above).
            assert not (connection.vendor == "sqlite" and connection.is_in_memory_db())
            barrier.wait(timeout=30)
            results[index] = call()
        except BaseException as exc:  # reported to the main thread below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_TIMEOUT)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    if errors:
        raise errors[0]
    return results


def plain_user(username: str, role: str, area: Any) -> Any:
    """A user with a role, without the cost of hashing a password."""
    user = User.objects.create(username=username)
    f.grant(user, role, area)
    return user


def post_json(client: APIClient, url: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    response = client.post(url, body, format="json")
    return response.status_code, response.json()


def test_twenty_simultaneous_approvals_exactly_one_wins(world):
    project = f.make_project(world.officer, world.entry)
    chiefs = [plain_user(f"chief_{i:02d}", Role.DISTRICT_CHIEF, world.d1) for i in range(20)]
    url = f"/api/v1/projects/{project.pk}/transitions/approve/"
    clients = [client_for(chief) for chief in chiefs]

    results = run_together(
        [lambda c=c, i=i: post_json(c, url, {"comment": f"อนุมัติ {i}"}) for i, c in enumerate(clients)]
    )

    statuses = sorted(status for status, _ in results)
    assert statuses == [200] + [409] * 19, results
    winner_index = next(i for i, (status, _) in enumerate(results) if status == 200)
    assert results[winner_index][1]["state"] == State.APPROVED
    for status, body in results:
        if status == 409:
            assert body["code"] in {"illegal_transition", "concurrent_transition"}, body

    project.refresh_from_db()
    assert project.state == State.APPROVED
    approvals = list(AuditEvent.objects.filter(project=project, action="approve"))
    assert len(approvals) == 1
    assert approvals[0].actor_id == chiefs[winner_index].pk
    assert approvals[0].comment == f"อนุมัติ {winner_index}"
    assert approvals[0].from_state == State.SELECTED and approvals[0].to_state == State.APPROVED
    assert AuditEvent.objects.filter(project=project).count() == 2  # create + approve

    tasks = list(Task.objects.filter(process__projectprocess__project=project).order_by("id"))
    open_tasks = [t for t in tasks if t.status == STATUS.NEW]
    assert [(t.flow_task.name, t.owner_id) for t in open_tasks] == [("implement", None)]
    review = [t for t in tasks if t.flow_task.name == "review"]
    assert len(review) == 1 and review[0].status == STATUS.DONE
    assert review[0].owner_id == chiefs[winner_index].pk
    # Nothing half-done: every other task of the process is finished.
    assert {t.status for t in tasks if t not in open_tasks} == {STATUS.DONE}, [
        (t.flow_task.name, t.status) for t in tasks
    ]

    assert audit.verify() == []


def test_simultaneous_selections_never_exceed_the_cap(world):
    cap = world.edition.budget_cap
    assert cap == Decimal("150000.00")
    officers = [plain_user(f"officer_{i}", Role.DISTRICT_OFFICER, world.d1) for i in range(8)]
    # Each officer selects an entry of their own (an entry is taken once per edition).
    entries = [f.bank_entry(world.subs["500101"], f"C-{i}") for i in range(8)]
    body = {
        "bank_entry": world.entry.pk,
        "title": "โครงการส่งเสริมอาชีพ",
        "dimension": "economy",
        "subdistricts": ["500101"],
        "target_villages": 1,
        "target_households": 40,
        "start_date": world.edition.deadline.isoformat(),
        "end_date": world.edition.deadline.isoformat(),
        "primary_objective": "development",
        "budget_lines": [
            {"description": "วัสดุฝึกปฏิบัติ", "category": "activity_materials", "amount": "30000.00"},
            {"description": "ค่าวิทยากร", "category": "wages", "amount": "10000.00"},
        ],
        "do_checklist": {"fits_district_plan": True, "feasible": True, "area_ready": True, "permitted": True},
    }
    clients = [client_for(officer) for officer in officers]

    results = run_together(
        [
            lambda c=c, e=e: post_json(c, "/api/v1/projects/", {**body, "bank_entry": e.pk})
            for c, e in zip(clients, entries, strict=True)
        ]
    )

    created = [b for status, b in results if status == 201]
    refused = [b for status, b in results if status != 201]
    assert len(created) == 3, results
    assert len(refused) == 5
    for problem in refused:
        assert problem["code"] == "rule_violation", problem
        assert [e["code"] for e in problem["errors"]] == ["budget_cap_exceeded"], problem

    projects = Project.objects.filter(district=world.d1, edition=world.edition)
    assert projects.count() == 3
    budget = selectors.budget_of(district_code="5001", edition=world.edition)
    assert budget.committed == Decimal("120000.00")
    assert budget.committed <= cap
    creates = AuditEvent.objects.filter(chain="5001", action="create")
    assert creates.count() == 3
    # Each winner saw the committed budget including itself and never above the cap.
    committed_seen = sorted(Decimal(e.budget["committed"]) for e in creates)
    assert committed_seen == [Decimal("40000.00"), Decimal("80000.00"), Decimal("120000.00")]
    assert sorted(e.chain_seq for e in AuditEvent.objects.filter(chain="5001")) == [1, 2, 3]
    assert audit.verify() == []


def test_simultaneous_selections_in_two_districts_do_not_block_each_other(world):
    """Two districts, four officers each: each district's cap is enforced on its own."""
    subs = {"5001": world.subs["500101"], "5002": world.subs["500201"]}
    officers = [
        (plain_user(f"officer_{code}_{i}", Role.DISTRICT_OFFICER, district), code, i)
        for code, district in (("5001", world.d1), ("5002", world.d2))
        for i in range(4)
    ]
    # Each officer selects an entry of their own (an entry is taken once per edition).
    entries = {(code, i): f.bank_entry(subs[code], f"C-{code}-{i}") for _, code, i in officers}
    deadline = world.edition.deadline.isoformat()

    def body(code: str, i: int) -> dict[str, Any]:
        entry = entries[(code, i)]
        return {
            "bank_entry": entry.pk,
            "subdistricts": [entry.subdistrict_id],
            "target_villages": 1,
            "target_households": 10,
            "start_date": deadline,
            "end_date": deadline,
            "primary_objective": "development",
            "budget_lines": [{"description": "วัสดุ", "category": "activity_materials", "amount": "60000.00"}],
            "do_checklist": {
                "fits_district_plan": True,
                "feasible": True,
                "area_ready": True,
                "permitted": True,
            },
        }

    clients = [(client_for(user), code, i) for user, code, i in officers]
    results = run_together(
        [
            lambda c=c, code=code, i=i: (code, *post_json(c, "/api/v1/projects/", body(code, i)))
            for c, code, i in clients
        ]
    )

    for code in ("5001", "5002"):
        statuses = sorted(status for c, status, _ in results if c == code)
        assert statuses == [201, 201, 422, 422], results
        assert selectors.budget_of(district_code=code, edition=world.edition).committed == Decimal(
            "120000.00"
        )
        assert sorted(AuditEvent.objects.filter(chain=code).values_list("chain_seq", flat=True)) == [1, 2]
    assert audit.verify() == []

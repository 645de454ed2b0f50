"""List endpoints issue the same number of queries for 2 rows as for 12: no query per row.

Each measurement uses a fresh user object (the grants are cached on the user object) and a
fresh client, after one unmeasured warm-up request that fills process-wide caches.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from tests import factories as f
from workflow.services import projects as svc
from workflow.services.projects import LineInput

User = get_user_model()
MAX_QUERIES = 15


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """The ``world`` fixture creates a dozen users; hashing their passwords slowly adds nothing here."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def small_project(officer: Any, entry: Any) -> Any:
    """A valid project of 1,000.00 THB in two lines (far below the cap, however many)."""
    lines = [
        LineInput("วัสดุ", "activity_materials", Decimal("600.00")),
        LineInput("ค่าวิทยากร", "wages", Decimal("400.00")),
    ]
    return f.make_project(officer, entry, budget_lines=lines)


def measure(user: Any, url: str) -> tuple[int, dict[str, Any]]:
    client = APIClient()
    client.force_authenticate(User.objects.get(pk=user.pk))
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(queries.captured_queries), response.json()


def assert_constant(user: Any, url: str, grow: Any, few: int, many: int) -> None:
    measure(user, url)  # warm-up
    queries_few, body_few = measure(user, url)
    grow()
    queries_many, body_many = measure(user, url)
    assert (body_few["count"], body_many["count"]) == (few, many)
    assert len(body_many["results"]) == many
    assert queries_many == queries_few, (
        f"{url}: {queries_few} queries for {few} rows, {queries_many} for {many}"
    )
    assert queries_many <= MAX_QUERIES, f"{url}: {queries_many} queries"


# --- Projects ------------------------------------------------------------------------------


def test_project_list_as_chief(world):
    for entry in (world.entry, world.entry2):
        small_project(world.officer, entry)
    small_project(world.other_officer, world.other_entry)  # not the chief's

    def grow() -> None:
        for i in range(10):
            small_project(world.officer if i % 2 else world.officer2, world.entry if i % 3 else world.entry2)

    assert_constant(world.chief, "/api/v1/projects/", grow, few=2, many=12)


def test_project_list_as_auditor_across_districts(world):
    small_project(world.officer, world.entry)
    small_project(world.other_officer, world.other_entry)

    def grow() -> None:
        for i in range(5):
            small_project(world.officer, world.entry2)
            project = small_project(world.other_officer, world.other_entry)
            if i % 2:
                svc.project_approve(project=project, acting_user=world.other_chief)

    assert_constant(world.auditor, "/api/v1/projects/", grow, few=2, many=12)


def test_project_list_rows_carry_rules_and_transitions(world):
    """The constant count is not bought by leaving fields out."""
    small_project(world.officer, world.entry)
    _, body = measure(world.chief, "/api/v1/projects/")
    [row] = body["results"]
    assert row["budget"] == "1000.00"
    assert row["available_transitions"] == ["approve", "return", "reject"]
    assert len(row["rule_results"]) > 1 and all(r["passed"] for r in row["rule_results"])
    assert row["subdistricts"] == ["500101"] and len(row["budget_lines"]) == 2


# --- Tasks ---------------------------------------------------------------------------------


def test_task_list_as_chief(world):
    small_project(world.officer, world.entry)
    small_project(world.officer2, world.entry2)
    small_project(world.other_officer, world.other_entry)  # another district's chief reviews it

    def grow() -> None:
        for i in range(10):
            small_project(world.officer, world.entry if i % 2 else world.entry2)

    assert_constant(world.chief, "/api/v1/tasks/", grow, few=2, many=12)
    _, body = measure(world.chief, "/api/v1/tasks/")
    assert {t["step"] for t in body["results"]} == {"review"}
    assert {t["project"]["budget"] for t in body["results"]} == {"1000.00"}


# --- History -------------------------------------------------------------------------------


def test_whole_history_as_auditor(world):
    first = small_project(world.officer, world.entry)
    small_project(world.other_officer, world.other_entry)

    def grow() -> None:
        svc.project_approve(project=first, acting_user=world.chief, comment="อนุมัติ")
        for i in range(3):
            small_project(world.officer2, world.entry2)
            svc.project_comment(project=first, acting_user=world.provincial, comment=f"ติดตาม {i}")
        project = small_project(world.other_officer, world.other_entry)
        svc.project_return(project=project, acting_user=world.other_chief, comment="แก้ไข")
        svc.project_comment(project=project, acting_user=world.inspector, comment="ดู")

    assert_constant(world.auditor, "/api/v1/history/", grow, few=2, many=12)


def test_project_history(world):
    project = small_project(world.officer, world.entry)
    svc.project_comment(project=project, acting_user=world.officer2, comment="เริ่ม")
    small_project(world.officer, world.entry2)  # another project's events are not listed

    def grow() -> None:
        users = [world.chief, world.provincial, world.inspector, world.planner, world.officer]
        for i in range(9):
            svc.project_comment(project=project, acting_user=users[i % len(users)], comment=f"ความเห็น {i}")
        svc.project_approve(project=project, acting_user=world.chief, comment="อนุมัติ")

    url = f"/api/v1/projects/{project.pk}/history/"
    assert_constant(world.chief, url, grow, few=2, many=12)
    assert_constant(world.auditor, url, lambda: None, few=12, many=12)

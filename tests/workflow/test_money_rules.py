"""Money (issue 10): what a district spends is checked against the edition's cap, and spending
above a project's approved budget needs a comment and shows a warning."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from rest_framework.test import APIClient

from tests import factories as f
from workflow import selectors, sql
from workflow.errors import InvalidInput, RuleViolation
from workflow.models import AuditEvent, Project, SpendLine, State
from workflow.models.projects import RELEASED_STATES
from workflow.rules import RULES
from workflow.services import projects as svc
from workflow.services.projects import ImplementationInput, LineInput


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def api(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def record(*amounts: str) -> ImplementationInput:
    return ImplementationInput(
        spend_lines=[
            LineInput(f"ค่าวัสดุ {i + 1}", "activity_materials", Decimal(a)) for i, a in enumerate(amounts)
        ],
        activities_done="จัดกิจกรรมครบตามแผน",
        villages_reached=3,
        households_reached=120,
    )


def approved(world: Any, entry: Any, amount: str) -> Project:
    project = f.make_project(world.officer, entry, amount=amount)
    svc.project_approve(project=project, acting_user=world.chief)
    return project


def body(amounts: list[str], comment: str = "") -> dict[str, Any]:
    return {
        "comment": comment,
        "spend_lines": [
            {"description": f"ค่าวัสดุ {i + 1}", "category": "activity_materials", "amount": a}
            for i, a in enumerate(amounts)
        ],
        "activities_done": "จัดกิจกรรมครบตามแผน",
        "villages_reached": 3,
        "households_reached": 120,
    }


def implement_url(project: Project) -> str:
    return f"/api/v1/projects/{project.pk}/transitions/implement/"


def test_the_districts_spending_may_not_pass_the_cap(world):
    first = approved(world, world.entry, "50000.00")
    second = approved(world, world.entry2, "50000.00")
    # The first spends 100,000 on 50,000 approved (with the reason), leaving 50,000 of the cap.
    svc.project_implement(
        project=first, acting_user=world.officer, record=record("60000.00", "40000.00"), comment="ค่าวัสดุขึ้นราคา"
    )

    # One satang more than what is left of the cap is refused, citing the guideline, nothing kept.
    response = api(world.officer).post(implement_url(second), body(["50000.01"]), format="json")
    assert response.status_code == 422
    assert response["Content-Type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["code"] == "rule_violation"
    [error] = problem["errors"]
    assert error["code"] == "spend_cap_exceeded"
    assert error["field"] == "spend_lines"
    assert error["clause"] == str(RULES["spend_cap_exceeded"].clause)
    for text in (error["message_en"], error["message_th"]):
        assert "100,000.00" in text and "50,000.01" in text and "150,000.01" in text and "150,000.00" in text
    assert "งบประมาณ" in error["clause"]  # the guideline's own clause, in Thai
    second.refresh_from_db()
    assert second.state == State.APPROVED
    assert not SpendLine.objects.filter(project=second).exists()

    # Exactly the cap is allowed.
    response = api(world.officer).post(implement_url(second), body(["50000.00"]), format="json")
    assert response.status_code == 200, response.json()
    budget = api(world.chief).get("/api/v1/districts/5001/budget/").json()
    assert budget["spent"] == "150000.00"
    assert budget["committed"] == "100000.00"
    assert budget["disbursed"] == "0.00"


def test_correcting_the_spending_counts_the_project_once(world):
    first = approved(world, world.entry, "50000.00")
    svc.project_implement(project=first, acting_user=world.officer, record=record("50000.00"))
    svc.project_return(project=first, acting_user=world.inspector, comment="ขาดใบเสร็จ")
    # Its earlier 50,000 is replaced, not added: 150,000 in all is within the cap.
    svc.project_implement(
        project=first, acting_user=world.officer, record=record("150000.00"), comment="เพิ่มกิจกรรม"
    )
    first.refresh_from_db()
    assert first.state == State.IMPLEMENTED
    assert selectors.budget_of(district_code="5001", edition=world.edition).spent == Decimal("150000.00")


def test_another_districts_spending_does_not_count(world):
    other = f.make_project(world.other_officer, world.other_entry, amount="50000.00")
    svc.project_approve(project=other, acting_user=world.other_chief)
    svc.project_implement(
        project=other, acting_user=world.other_officer, record=record("140000.00"), comment="ขยายพื้นที่"
    )
    mine = approved(world, world.entry, "50000.00")
    svc.project_implement(
        project=mine, acting_user=world.officer, record=record("100000.00"), comment="ขยายพื้นที่"
    )
    mine.refresh_from_db()
    assert mine.state == State.IMPLEMENTED


def test_spending_above_the_approved_budget_needs_a_comment(world):
    project = approved(world, world.entry, "12000.00")
    response = api(world.officer).post(implement_url(project), body(["25000.00"]), format="json")
    assert response.status_code == 422
    problem = response.json()
    assert [e["field"] for e in problem["errors"]] == ["comment"]
    assert problem["errors"][0]["code"] == "spend_over_approved"
    assert "12,000.00" in problem["errors"][0]["message"]
    project.refresh_from_db()
    assert project.state == State.APPROVED

    with pytest.raises(InvalidInput):
        svc.project_implement(
            project=project, acting_user=world.officer, record=record("25000.00"), comment="  "
        )

    svc.project_implement(
        project=project, acting_user=world.officer, record=record("25000.00"), comment="ค่าขนส่งสูงกว่าที่ประมาณ"
    )
    project.refresh_from_db()
    assert project.state == State.IMPLEMENTED
    event = AuditEvent.objects.filter(project=project, action="implement").latest("id")
    assert event.payload["warnings"] == ["spend_over_approved"]
    assert event.payload["spent"] == "25000.00"
    assert event.payload["approved_budget"] == "12000.00"
    assert event.comment == "ค่าขนส่งสูงกว่าที่ประมาณ"
    spend_rule = next(r for r in event.rule_results if r["code"] == "spend_cap_exceeded")
    assert spend_rule["passed"] is True


def test_spending_within_the_approved_budget_needs_no_comment(world):
    project = approved(world, world.entry, "12000.00")
    svc.project_implement(project=project, acting_user=world.officer, record=record("12000.00"))
    event = AuditEvent.objects.filter(project=project, action="implement").latest("id")
    assert event.payload["warnings"] == []


def test_the_spend_rule_refuses_before_asking_for_a_comment(world):
    """Over the cap and over the approved budget: the cap is what the officer must fix."""
    project = approved(world, world.entry, "50000.00")
    with pytest.raises(RuleViolation) as excinfo:
        svc.project_implement(project=project, acting_user=world.officer, record=record("150000.01"))
    assert [e["code"] for e in excinfo.value.errors] == ["spend_cap_exceeded"]


def test_one_statement_reads_budget_lines_and_the_districts_spending(world):
    first = approved(world, world.entry, "50000.00")
    svc.project_implement(project=first, acting_user=world.officer, record=record("30000.00"))
    second = approved(world, world.entry2, "20000.00")
    svc.project_implement(project=second, acting_user=world.officer, record=record("7000.50"))
    rejected = f.make_project(world.officer2, f.bank_entry(world.subs["500103"], "B-9"), amount="40000.00")
    svc.project_reject(project=rejected, acting_user=world.chief, comment="ซ้ำซ้อน")

    totals = sql.line_totals(Project.objects.get(pk=second.pk), RELEASED_STATES)
    assert sorted(totals.categories) == ["activity_materials", "wages"]
    assert totals.own == Decimal("20000.00")
    assert totals.other == Decimal("50000.00")  # the rejected project's budget is released
    assert totals.spent_own == Decimal("7000.50")
    assert totals.spent_other == Decimal("30000.00")

    # A project without budget lines still gets the district's spending.
    empty = f.make_project(world.officer, f.bank_entry(world.subs["500101"], "B-10"), amount="10000.00")
    empty.budget_lines.all().delete()
    totals = sql.line_totals(empty, RELEASED_STATES)
    assert (totals.categories, totals.own) == ([], Decimal("0"))
    assert totals.spent_other == Decimal("37000.50")


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_simultaneous_implementations_never_spend_past_the_cap(world):
    """Implement takes the district's lock: of three projects each spending 60,000 at the same
    moment (180,000 against 150,000), two are recorded and the third is refused."""
    from tests.workflow.test_concurrency import post_json, run_together

    entries = [world.entry, world.entry2, f.bank_entry(world.subs["500103"], "B-9")]
    projects = [approved(world, entry, "50000.00") for entry in entries]
    clients = [api(world.officer) for _ in projects]
    calls = [
        (lambda c=c, p=p: post_json(c, implement_url(p), body(["60000.00"], comment="ค่าวัสดุขึ้นราคา")))
        for c, p in zip(clients, projects, strict=True)
    ]
    results = run_together(calls)
    statuses = sorted(status for status, _body in results)
    assert statuses == [200, 200, 422], results
    refused = next(b for status, b in results if status == 422)
    assert [e["code"] for e in refused["errors"]] == ["spend_cap_exceeded"]
    assert selectors.budget_of(district_code="5001", edition=world.edition).spent == Decimal("120000.00")
    assert Project.objects.filter(state=State.IMPLEMENTED).count() == 2

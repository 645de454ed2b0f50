"""The province pays (issue 10): the provincial officer records the disbursement of a district's
allocation, in one or more tranches never passing the cap; the district submits its book only
once something is disbursed; the first approval tells the province; the budget shows it."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from notifications.models import Kind, Notification
from tests import factories as f
from workflow import selectors
from workflow.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound
from workflow.models import AuditEvent, Disbursement, Role, RoleModelDistrict, State
from workflow.services import money as money_svc
from workflow.services import projects as svc

TODAY = timezone.localdate


def api(user: Any) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


def record(user: Any, district: Any = "5001", amount: str = "50000.00", **extra: Any) -> Any:
    return money_svc.district_disbursement_record(
        acting_user=user,
        district=district,
        amount=amount,
        paid_on=extra.pop("paid_on", TODAY()),
        reference=extra.pop("reference", "ปค ๐๐๑๘.๒/๑๒๓"),
        **extra,
    )


def post(user: Any, code: str = "5001", **body: Any) -> Any:
    payload = {"amount": "50000.00", "paid_on": TODAY().isoformat(), "reference": "ปค 0018.2/123", **body}
    return api(user).post(f"/api/v1/districts/{code}/disbursements/", payload, format="json")


# --- Who may record --------------------------------------------------------------------------


def test_the_provincial_officer_of_the_province_records_a_tranche_audited(world):
    row = record(world.provincial, amount="75000.50", note="งวดที่ 1")
    assert (row.amount, row.district_id, row.edition_id) == (Decimal("75000.50"), "5001", world.edition.pk)
    event = AuditEvent.objects.get(action="disbursement_record")
    assert event.district_id == "5001" and event.province_id == "50"
    assert event.actor_username == "provincial" and event.role == Role.PROVINCIAL_OFFICER
    assert event.object_type == "disbursement" and event.object_id == str(row.pk)
    assert event.payload["amount"] == "75000.50" and event.payload["disbursed_total"] == "75000.50"
    assert event.payload["reference"] == "ปค ๐๐๑๘.๒/๑๒๓" and event.comment == "งวดที่ 1"


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("other_provincial", 404),  # another province: the district is not visible
        ("officer", 403),
        ("chief", 403),
        ("inspector", 403),
        ("planner", 403),
        ("auditor", 403),
        ("other_officer", 404),
        ("nobody", 404),
    ],
)
def test_nobody_else_records_a_disbursement(world, who, status):
    response = post(getattr(world, who))
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == {403: "forbidden", 404: "not_found"}[status]
    assert not Disbursement.objects.exists()
    assert not AuditEvent.objects.filter(action="disbursement_record").exists()


def test_the_service_says_the_same(world):
    with pytest.raises(Forbidden):
        record(world.chief)
    with pytest.raises(NotFound):
        record(world.other_provincial)


# --- The cap, tranches, the date, designation --------------------------------------------------


def test_tranches_add_up_to_the_cap_and_never_past_it(world):
    assert post(world.provincial, amount="100000.00").status_code == 201
    assert post(world.provincial, amount="50000.00").status_code == 201
    over = post(world.provincial, amount="0.01")
    assert over.status_code == 422
    body = over.json()
    assert body["code"] == "disbursement_over_cap"
    assert body["errors"][0]["field"] == "amount"
    assert selectors.disbursed_total(district_code="5001", edition_id=world.edition.pk) == Decimal(
        "150000.00"
    )


def test_one_tranche_above_the_cap_is_refused(world):
    response = post(world.provincial, amount="150000.01")
    assert response.status_code == 422 and response.json()["code"] == "disbursement_over_cap"
    assert "150,000.00" in response.json()["title"]


def test_every_field_error_at_once(world):
    tomorrow = TODAY() + datetime.timedelta(days=1)
    response = post(world.provincial, amount="12.345", paid_on=tomorrow.isoformat(), reference="")
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid_input"
    codes = {e["field"]: e["code"] for e in body["errors"]}
    assert codes == {"amount": "invalid", "paid_on": "date_in_future", "reference": "required"}


@pytest.mark.parametrize("amount", ["0", "-5", "abc", ""])
def test_the_amount_is_above_zero(world, amount):
    with pytest.raises(InvalidInput) as caught:
        record(world.provincial, amount=amount)
    assert caught.value.errors[0]["field"] == "amount"


def test_a_date_in_the_future_names_the_field(world):
    with pytest.raises(InvalidInput) as caught:
        record(world.provincial, paid_on=TODAY() + datetime.timedelta(days=1))
    assert caught.value.errors == [
        {"field": "paid_on", "code": "date_in_future", "message": caught.value.errors[0]["message"]}
    ]
    assert record(world.provincial, paid_on=TODAY()).paid_on == TODAY()


def test_only_the_editions_role_model_districts_receive(world):
    RoleModelDistrict.objects.filter(edition=world.edition, district_id="5001").delete()
    response = post(world.provincial)
    assert response.status_code == 422 and response.json()["code"] == "not_participating"


# --- Reading ---------------------------------------------------------------------------------


def test_the_list_and_the_budget_show_the_total_to_whoever_sees_the_district(world):
    record(world.provincial, amount="60000.00", reference="ปค 1/2570")
    record(world.provincial, amount="15000.25", reference="ปค 2/2570")
    for who in ("officer", "chief", "inspector", "planner", "auditor", "provincial"):
        listing = api(getattr(world, who)).get("/api/v1/districts/5001/disbursements/")
        assert listing.status_code == 200, who
        body = listing.json()
        assert (body["cap"], body["disbursed"], body["remaining"]) == ("150000.00", "75000.25", "74999.75")
        assert [r["reference"] for r in body["results"]] == ["ปค 1/2570", "ปค 2/2570"]
        assert body["results"][0]["recorded_by"] == "provincial"
    assert api(world.other_officer).get("/api/v1/districts/5001/disbursements/").status_code == 404
    f.make_project(world.officer, world.entry, amount="40000.00")
    budget = api(world.officer).get("/api/v1/districts/5001/budget/").json()
    assert (budget["committed"], budget["disbursed"], budget["spent"]) == ("40000.00", "75000.25", "0.00")


# --- Submission needs the money ------------------------------------------------------------------


def reported(world: Any) -> Any:
    p = f.make_project(world.officer, world.entry)
    svc.project_approve(project=p, acting_user=world.chief)
    svc.project_implement(
        project=p,
        acting_user=world.officer,
        record=svc.ImplementationInput(
            spend_lines=[svc.LineInput("วัสดุ", "activity_materials", Decimal("40000.00"))],
            activities_done="อบรม",
            villages_reached=3,
            households_reached=100,
        ),
    )
    svc.project_monitor(project=p, acting_user=world.inspector, findings="ครบ")
    svc.project_report(project=p, acting_user=world.officer, result_narrative="สำเร็จ")
    return p


def test_a_district_submits_only_once_its_disbursement_is_recorded(world):
    p = reported(world)
    with pytest.raises(Conflict) as caught:
        svc.district_submit(district="5001", acting_user=world.chief)
    assert caught.value.code == "not_disbursed" and caught.value.status == 409
    response = api(world.chief).post("/api/v1/districts/5001/submission/", {"comment": ""}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "not_disbursed"
    record(world.provincial, amount="50000.00")
    svc.district_submit(district="5001", acting_user=world.chief)
    p.refresh_from_db()
    assert p.state == State.SUBMITTED


# --- The province's task and notices --------------------------------------------------------------


def test_the_first_approval_tells_the_province_and_the_task_appears_until_recorded(world):
    assert selectors.disbursements_due(world.provincial) == []
    first = f.make_project(world.officer, world.entry, amount="30000.00")
    assert selectors.disbursements_due(world.provincial) == []  # selected is not approved
    svc.project_approve(project=first, acting_user=world.chief)
    due = selectors.disbursements_due(world.provincial)
    assert [(d.district.code, d.approved_projects, d.approved_budget) for d in due] == [
        ("5001", 1, Decimal("30000.00"))
    ]
    assert selectors.disbursements_due(world.other_provincial) == []
    assert selectors.disbursements_due(world.chief) == []
    notices = Notification.objects.filter(kind=Kind.DISBURSEMENT)
    assert [(n.recipient.username, "เมืองเชียงใหม่" in n.text_th) for n in notices] == [("provincial", True)]
    assert "Mueang Chiang Mai" in notices[0].text_en

    second = f.make_project(world.officer, world.entry2, amount="20000.00")
    svc.project_approve(project=second, acting_user=world.chief)
    assert Notification.objects.filter(kind=Kind.DISBURSEMENT).count() == 1  # only the first approval
    assert selectors.disbursements_due(world.provincial)[0].approved_projects == 2

    record(world.provincial, amount="50000.00")
    assert selectors.disbursements_due(world.provincial) == []
    told = set(
        Notification.objects.filter(kind=Kind.DISBURSEMENT).values_list("recipient__username", flat=True)
    )
    assert told == {"provincial", "officer", "officer2", "chief"}
    chief_notice = Notification.objects.get(kind=Kind.DISBURSEMENT, recipient=world.chief)
    assert "50,000.00" in chief_notice.text_th and "ปค ๐๐๑๘.๒/๑๒๓" in chief_notice.text_th


def test_no_notice_when_the_province_already_paid(world):
    record(world.provincial, amount="10000.00")
    p = f.make_project(world.officer, world.entry)
    svc.project_approve(project=p, acting_user=world.chief)
    assert not Notification.objects.filter(kind=Kind.DISBURSEMENT, recipient=world.provincial).exists()


def test_the_budget_meter_figures(world):
    record(world.provincial, amount="20000.00")
    budget = selectors.budget_of(district_code="5001", edition=world.edition)
    assert budget.disbursed == Decimal("20000.00")


def test_an_error_is_a_domain_error_with_a_stable_code(world):
    record(world.provincial, amount="150000.00")
    with pytest.raises(DomainError) as caught:
        record(world.provincial, amount="1.00")
    assert caught.value.code == "disbursement_over_cap" and caught.value.status == 422


# --- Simultaneous tranches --------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_simultaneous_tranches_never_pass_the_cap_together(world):
    """Six provincial officers post 40,000 each at the same moment: three fit in the cap of
    150,000, the others are refused with ``disbursement_over_cap`` (the district's lock)."""
    from tests.workflow.test_concurrency import client_for, plain_user, post_json, run_together
    from workflow import audit

    officers = [plain_user(f"treasurer_{i}", Role.PROVINCIAL_OFFICER, world.p50) for i in range(6)]
    clients = [client_for(officer) for officer in officers]
    body = {"amount": "40000.00", "paid_on": TODAY().isoformat(), "reference": "ปค 0018.2/1"}
    results = run_together(
        [lambda c=c: post_json(c, "/api/v1/districts/5001/disbursements/", body) for c in clients]
    )
    created = [b for status, b in results if status == 201]
    refused = [b for status, b in results if status != 201]
    assert len(created) == 3, results
    assert [b["code"] for b in refused] == ["disbursement_over_cap"] * 3
    assert selectors.disbursed_total(district_code="5001", edition_id=world.edition.pk) == Decimal(
        "120000.00"
    )
    totals = sorted(
        Decimal(e.payload["disbursed_total"]) for e in AuditEvent.objects.filter(action="disbursement_record")
    )
    assert totals == [Decimal("40000.00"), Decimal("80000.00"), Decimal("120000.00")]
    assert audit.verify() == []


def test_the_provinces_notice_costs_the_approval_no_statement(world):
    """The first approval tells the province with the statements the approval already runs: the
    district's other approved projects and its disbursements come with the budget's read, the
    provincial officers with the approval's recipients."""
    from tests.workflow.test_transition_statements import assert_within_budget, statements

    first = f.make_project(world.officer, world.entry, amount="30000.00")
    second = f.make_project(world.officer, world.entry2, amount="20000.00")
    with_notice = statements(svc.project_approve, world.chief, project=first.pk)
    assert Notification.objects.filter(kind=Kind.DISBURSEMENT, recipient=world.provincial).count() == 1
    without = statements(svc.project_approve, world.chief, project=second.pk)
    assert Notification.objects.filter(kind=Kind.DISBURSEMENT).count() == 1
    assert len(with_notice) == len(without)
    assert_within_budget("first approval", with_notice)

"""Part 3 of the book in the project: the plan at selection (needed to approve), the results at report."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone, translation
from rest_framework.test import APIClient

from tests import factories as f
from workflow import part3
from workflow.errors import Forbidden, IllegalTransition, InvalidInput, RuleViolation
from workflow.models import AuditEvent, Edition, Project, State
from workflow.services import projects as svc

pytestmark = pytest.mark.django_db


def as_user(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def draft(world: Any, **blank: Any) -> Project:
    """A project the guideline welcomes whose plan has the parts in ``blank`` left as given."""
    return f.make_project(world.officer, world.entry, **blank)


def refused(call: Any) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        call()
    return caught.value


def test_approval_is_refused_naming_each_blank_part_and_changes_nothing(world):
    project = draft(world, rationale="", indicators="   \n ", expected_results="")
    events_before = AuditEvent.objects.count()

    with translation.override("en"):
        error = refused(lambda: svc.project_approve(project=project, acting_user=world.chief))

    assert error.status == 422
    assert [(e["field"], e["code"]) for e in error.errors] == [
        ("rationale", "required_for_approval"),
        ("indicators", "required_for_approval"),
        ("expected_results", "required_for_approval"),
    ]
    messages = [e["message"] for e in error.errors]
    assert "Rationale" in messages[0] and "part 3" in messages[0]
    assert "Indicators" in messages[1] and "Expected results" in messages[2]
    project.refresh_from_db()
    assert project.state == State.SELECTED
    assert AuditEvent.objects.count() == events_before
    # the chief's review task is still open: the officer fills the plan in and the chief approves
    svc.project_update(
        acting_user=world.officer,
        project=project,
        data=svc.ProjectInput(
            rationale="น้ำไม่พอใช้ในฤดูแล้ง",
            indicators="ฝาย ๓ แห่ง",
            expected_results="มีน้ำใช้ตลอดปี",
            given={"rationale", "indicators", "expected_results"},
        ),
    )
    approved = svc.project_approve(project=project.pk, acting_user=world.chief, comment="เห็นชอบ")
    assert approved.state == State.APPROVED
    update = AuditEvent.objects.filter(project=project, action="update").get()
    assert update.payload["changed"] == ["expected_results", "indicators", "rationale"]


def test_the_role_and_state_are_checked_before_the_plan_and_the_plan_before_the_rules(world):
    project = draft(world, objectives="")
    # a wrong role is 403, not the plan's 422
    with pytest.raises(Forbidden):
        svc.project_approve(project=project, acting_user=world.officer)
    # the rules fail too (the edition's deadline moved before the project's end): the plan speaks first
    Edition.objects.filter(pk=world.edition.pk).update(deadline=timezone.localdate())
    error = refused(lambda: svc.project_approve(project=project, acting_user=world.chief))
    assert [e["code"] for e in error.errors] == ["required_for_approval"]
    Project.objects.filter(pk=project.pk).update(objectives="เพิ่มรายได้")  # (an update rechecks the rules)
    with pytest.raises(RuleViolation) as rules:
        svc.project_approve(project=project, acting_user=world.chief)
    assert "deadline_exceeded" in [e["code"] for e in rules.value.errors]
    # a project no longer awaiting approval is 409, whatever its plan
    Edition.objects.filter(pk=world.edition.pk).update(
        deadline=timezone.localdate() + datetime.timedelta(days=200)
    )
    rejected = draft(world, method="")
    svc.project_reject(project=rejected, acting_user=world.chief, comment="ไม่เหมาะสม")
    with pytest.raises(IllegalTransition):
        svc.project_approve(project=rejected, acting_user=world.chief)


def test_a_draft_may_leave_the_plan_blank_but_not_overlong(world):
    blank = draft(world, **dict.fromkeys(part3.PLAN_FIELDS, ""))
    assert part3.missing_for_approval(blank) == list(part3.PLAN_FIELDS)

    longest = "ก" * part3.MAX_LENGTH
    error = refused(
        lambda: svc.project_update(
            acting_user=world.officer,
            project=blank,
            data=svc.ProjectInput(
                objectives=longest + "ข", method=longest, title="", given={"objectives", "method", "title"}
            ),
        )
    )
    # every error of the round: the title and the overlong objectives (the method fits exactly)
    assert sorted((e["field"], e["code"]) for e in error.errors) == [
        ("objectives", "too_long"),
        ("title", "required"),
    ]
    blank.refresh_from_db()
    assert (blank.objectives, blank.method) == ("", "")
    svc.project_update(
        acting_user=world.officer,
        project=blank,
        data=svc.ProjectInput(method=longest, given={"method"}),
    )
    blank.refresh_from_db()
    assert blank.method == longest


def test_the_report_stores_results_problems_and_suggestions_with_their_event(world):
    from tests.reports.helpers import advance_world

    project = advance_world(f.make_project(world.officer, world.entry), State.MONITORED, world)
    error = refused(
        lambda: svc.project_report(
            project=project,
            acting_user=world.officer,
            result_narrative=" ",
            suggestions="ข" * (part3.MAX_LENGTH + 1),
        )
    )
    assert sorted((e["field"], e["code"]) for e in error.errors) == [
        ("result_narrative", "required"),
        ("suggestions", "too_long"),
    ]
    svc.project_report(
        project=project,
        acting_user=world.officer,
        result_narrative="รายได้เพิ่มขึ้นร้อยละ ๑๕",
        problems="ฝนตกหนักช่วงก่อสร้าง",
        suggestions="ขยายผลไปตำบลข้างเคียง",
    )
    project.refresh_from_db()
    assert (project.state, project.result_narrative, project.problems, project.suggestions) == (
        State.REPORTED,
        "รายได้เพิ่มขึ้นร้อยละ ๑๕",
        "ฝนตกหนักช่วงก่อสร้าง",
        "ขยายผลไปตำบลข้างเคียง",
    )
    event = AuditEvent.objects.filter(project=project, action="report").get()
    assert event.payload == {
        "result_narrative": "รายได้เพิ่มขึ้นร้อยละ ๑๕",
        "problems": "ฝนตกหนักช่วงก่อสร้าง",
        "suggestions": "ขยายผลไปตำบลข้างเคียง",
    }


# --- Over the API -----------------------------------------------------------------------------


def body(world: Any, **overrides: Any) -> dict[str, Any]:
    today = timezone.localdate()
    data = {
        "bank_entry": world.entry.pk,
        "dimension": "economy",
        "subdistricts": ["500101"],
        "target_villages": 2,
        "target_households": 80,
        "start_date": today.isoformat(),
        "end_date": (today + datetime.timedelta(days=30)).isoformat(),
        "budget_lines": [{"description": "วัสดุ", "category": "activity_materials", "amount": "20000.00"}],
        "do_checklist": {"fits_district_plan": True, "feasible": True, "area_ready": True, "permitted": True},
    }
    data.update(overrides)
    return data


def test_api_create_patch_detail_and_approve_round_trip(world):
    officer, chief = as_user(world.officer), as_user(world.chief)
    created = officer.post(
        "/api/v1/projects/", body(world, rationale="ขาดน้ำ", objectives="มีน้ำใช้"), format="json"
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    detail = officer.get(f"/api/v1/projects/{pk}/").json()
    assert {name: detail[name] for name in part3.FIELDS} == {
        "rationale": "ขาดน้ำ",
        "objectives": "มีน้ำใช้",
        "method": "",
        "indicators": "",
        "expected_results": "",
        "result_narrative": "",
        "problems": "",
        "suggestions": "",
    }

    refused_approval = chief.post(f"/api/v1/projects/{pk}/transitions/approve/", {}, format="json")
    assert refused_approval.status_code == 422
    problem = refused_approval.json()
    assert [(e["field"], e["code"]) for e in problem["errors"]] == [
        ("method", "required_for_approval"),
        ("indicators", "required_for_approval"),
        ("expected_results", "required_for_approval"),
    ]
    assert Project.objects.get(pk=pk).state == State.SELECTED

    too_long = officer.patch(
        f"/api/v1/projects/{pk}/", {"method": "ก" * (part3.MAX_LENGTH + 1)}, format="json"
    )
    assert too_long.status_code == 422
    assert [(e["field"], e["code"]) for e in too_long.json()["errors"]] == [("method", "too_long")]

    patched = officer.patch(
        f"/api/v1/projects/{pk}/",
        {
            "method": "สร้างฝาย",
            "indicators": "ฝาย ๒ แห่ง",
            "expected_results": "มีน้ำใช้ตลอดปี",
            "objectives": None,
        },
        format="json",
    )
    assert patched.status_code == 200, patched.content
    assert (patched.json()["method"], patched.json()["objectives"]) == ("สร้างฝาย", "")  # null clears
    assert chief.post(f"/api/v1/projects/{pk}/transitions/approve/", {}, format="json").status_code == 422
    officer.patch(f"/api/v1/projects/{pk}/", {"objectives": "มีน้ำใช้"}, format="json")
    approved = chief.post(f"/api/v1/projects/{pk}/transitions/approve/", {}, format="json")
    assert approved.status_code == 200, approved.content
    assert approved.json()["state"] == "approved"


def test_api_report_takes_problems_and_suggestions(world):
    from tests.reports.helpers import advance_world

    project = advance_world(f.make_project(world.officer, world.entry), State.MONITORED, world)
    response = as_user(world.officer).post(
        f"/api/v1/projects/{project.pk}/transitions/report/",
        {"result_narrative": "สำเร็จ", "problems": "งบล่าช้า", "suggestions": "เบิกจ่ายให้เร็วขึ้น"},
        format="json",
    )
    assert response.status_code == 200, response.content
    detail = response.json()
    assert (detail["state"], detail["problems"], detail["suggestions"]) == (
        "reported",
        "งบล่าช้า",
        "เบิกจ่ายให้เร็วขึ้น",
    )
    assert detail["rationale"] == f.PLAN["rationale"]


def test_the_schema_describes_the_part3_fields(world):
    schema = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    components = schema["components"]["schemas"]
    write = components["ProjectWriteRequest"]["properties"] if "ProjectWriteRequest" in components else {}
    write = write or components["PatchedProjectWriteRequest"]["properties"]
    detail = components["ProjectDetail"]["properties"]
    transition = next(v for k, v in components.items() if k.startswith("TransitionRequest"))["properties"]
    for name in part3.PLAN_FIELDS:
        assert name in write and "before approval" in write[name]["description"], name
    for name in part3.FIELDS:
        assert name in detail and "Part 3" in detail[name]["description"], name
    for name in part3.RESULT_FIELDS:
        assert name in transition, name

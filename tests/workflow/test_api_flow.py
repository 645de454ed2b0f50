"""The REST API end to end: a project from selected to submitted, and its problem+json errors."""

from __future__ import annotations

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from tests import factories as f


def client_for(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def good_body(world, **overrides):
    body = {
        "bank_entry": world.entry.pk,
        "title": "โครงการจัดทำฝายชะลอน้ำ",
        "dimension": "environment",
        "subdistricts": ["500101", "500102"],
        "target_villages": 2,
        "target_households": 80,
        "start_date": "2026-12-01",
        "end_date": "2027-02-28",
        "primary_objective": "development",
        "budget_lines": [
            {"description": "วัสดุก่อสร้างฝาย", "category": "activity_materials", "amount": "60000.00"},
            {"description": "ค่าแรงอาสาสมัคร", "category": "wages", "amount": "20000.00"},
        ],
        "do_checklist": {"fits_district_plan": True, "feasible": True, "area_ready": True, "permitted": True},
        **f.PLAN,
    }
    body.update(overrides)
    return body


def test_token_auth_and_full_life_over_http(world):
    anonymous = APIClient()
    response = anonymous.post(
        "/api/v1/auth/token/", {"username": "officer", "password": f.PASSWORD}, format="json"
    )
    assert response.status_code == 200
    officer = APIClient()
    officer.credentials(HTTP_AUTHORIZATION="Token " + response.json()["token"])

    created = officer.post("/api/v1/projects/", good_body(world), format="json")
    assert created.status_code == 201, created.content
    project = created.json()
    assert project["state"] == "selected"
    assert project["budget"] == "80000.00"
    assert project["district"] == "5001"
    assert all(r["passed"] for r in project["rule_results"])
    assert project["available_transitions"] == ["withdraw"]
    pk = project["id"]

    chief = client_for(world.chief)
    tasks = chief.get("/api/v1/tasks/").json()["results"]
    assert [(t["step"], t["project"]["id"]) for t in tasks] == [("review", pk)]
    detail = chief.get(f"/api/v1/projects/{pk}/").json()
    assert detail["available_transitions"] == ["approve", "return", "reject"]

    assert (
        chief.post(
            f"/api/v1/projects/{pk}/transitions/approve/", {"comment": "อนุมัติ"}, format="json"
        ).status_code
        == 200
    )
    assert client_for(world.chief).get("/api/v1/tasks/").json()["results"] == []
    officer_tasks = client_for(world.officer).get("/api/v1/tasks/").json()["results"]
    assert [t["step"] for t in officer_tasks] == ["implement"]

    impl = {
        "spend_lines": [{"description": "วัสดุ", "category": "activity_materials", "amount": "78000.00"}],
        "activities_done": "สร้างฝาย 2 จุด",
        "villages_reached": 2,
        "households_reached": 85,
    }
    r = officer.post(f"/api/v1/projects/{pk}/transitions/implement/", impl, format="json")
    assert r.status_code == 200, r.content
    inspector = client_for(world.inspector)
    r = inspector.post(f"/api/v1/projects/{pk}/transitions/monitor/", {"findings": "ดี"}, format="json")
    assert r.status_code == 200, r.content
    r = officer.post(
        f"/api/v1/projects/{pk}/transitions/report/", {"result_narrative": "สำเร็จ"}, format="json"
    )
    assert r.json()["state"] == "reported"
    r = chief.post("/api/v1/districts/5001/submission/", {"comment": "ส่งเล่ม"}, format="json")
    assert r.status_code == 409 and r.json()["code"] == "not_disbursed"
    r = client_for(world.provincial).post(
        "/api/v1/districts/5001/disbursements/",
        {"amount": "150000.00", "paid_on": str(timezone.localdate()), "reference": "ปค 0018.2/123"},
        format="json",
    )
    assert r.status_code == 201, r.content
    r = chief.post("/api/v1/districts/5001/submission/", {"comment": "ส่งเล่ม"}, format="json")
    assert r.status_code == 201, r.content
    assert r.json()["projects"] == [pk]
    assert chief.get(f"/api/v1/projects/{pk}/").json()["state"] == "submitted"

    history = chief.get(f"/api/v1/projects/{pk}/history/").json()["results"]
    assert [h["action"] for h in history] == ["create", "approve", "implement", "monitor", "report", "submit"]
    assert (
        history[1]["actor"] == "chief"
        and history[1]["role"] == "district_chief"
        and history[1]["comment"] == "อนุมัติ"
    )


def test_rule_failures_are_422_problems_listing_every_failure(world):
    body = good_body(
        world,
        target_villages=0,
        end_date="2099-01-01",
        budget_lines=[
            {"description": "แจกถุงยังชีพ", "category": "handouts", "amount": "1000.00"},
            {"description": "ปรับปรุงอาคาร", "category": "building_works", "amount": "1000.00"},
        ],
    )
    response = client_for(world.officer).post("/api/v1/projects/", body, format="json")
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == "rule_violation"
    codes = sorted(e["code"] for e in problem["errors"])
    assert codes == ["deadline_exceeded", "dont_buildings", "dont_handouts", "targets_required"]
    assert all(e["message_th"] and e["message_en"] for e in problem["errors"])
    assert client_for(world.officer).get("/api/v1/projects/").json()["count"] == 0


@pytest.mark.parametrize(
    ("user_attr", "expected"),
    [(None, 401), ("nobody", 404), ("other_chief", 404), ("officer2", 403), ("chief", 200)],
)
def test_approve_status_codes(world, user_attr, expected):
    project = f.make_project(world.officer, world.entry)
    client = client_for(getattr(world, user_attr) if user_attr else None)
    response = client.post(f"/api/v1/projects/{project.pk}/transitions/approve/", {}, format="json")
    assert response.status_code == expected
    if expected != 200:
        assert response["Content-Type"] == "application/problem+json"
        assert response.json()["code"]


def test_second_approve_is_409_illegal_transition(world):
    project = f.make_project(world.officer, world.entry)
    chief = client_for(world.chief)
    assert (
        chief.post(f"/api/v1/projects/{project.pk}/transitions/approve/", {}, format="json").status_code
        == 200
    )
    again = chief.post(f"/api/v1/projects/{project.pk}/transitions/approve/", {}, format="json")
    assert again.status_code == 409
    assert again.json()["code"] == "illegal_transition"


def test_claim_and_unclaim(world):
    project = f.make_project(world.officer, world.entry)
    chief = client_for(world.chief)
    task = chief.get("/api/v1/tasks/").json()["results"][0]
    claimed = chief.post(f"/api/v1/tasks/{task['id']}/claim/")
    assert claimed.status_code == 200
    assert claimed.json()["owner"] == "chief"
    second_chief = f.user_with("chief_b", "district_chief", world.d1)
    blocked = client_for(second_chief).post(
        f"/api/v1/projects/{project.pk}/transitions/approve/", {}, format="json"
    )
    assert blocked.status_code == 409 and blocked.json()["code"] == "task_claimed"
    assert chief.post(f"/api/v1/tasks/{task['id']}/unclaim/").json()["owner"] is None
    assert client_for(world.other_chief).post(f"/api/v1/tasks/{task['id']}/claim/").status_code == 404

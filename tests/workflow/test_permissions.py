"""Who may do what, through the HTTP API: the permission matrix and read access.

The matrix places the project in the acting user's own district (5001), in another district of
the same province (5002) or in another province (5101), and asks each role's standard user of
the ``world`` fixture (officer/chief of 5001, provincial officer of province 50, inspector of
region R15, planner, auditor, admin, a user with no role) to take the transition.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from tests import factories as f
from workflow.models import AuditEvent, Project, Role, RoleMembership, State
from workflow.services import projects as svc


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    """The world fixture creates 13 users; the default hasher would make each test take seconds."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def rows(body: Any) -> list[Any]:
    """The items of a list response, paginated or not."""
    return body["results"] if isinstance(body, dict) else body


def client_for(user: Any = None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


# --- Driving a project to the state a transition needs ---------------------------------------

OWN, OTHER_DISTRICT, OTHER_PROVINCE = "own_district", "other_district_same_province", "other_province"


def district_people(world: SimpleNamespace, place: str) -> SimpleNamespace:
    """The officer, chief and inspector who run a project in the district of ``place``."""
    if place == OWN:
        return SimpleNamespace(
            code="5001",
            officer=world.officer,
            chief=world.chief,
            inspector=world.inspector,
            entry=world.entry,
        )
    if place == OTHER_DISTRICT:
        return SimpleNamespace(
            code="5002",
            officer=world.other_officer,
            chief=world.other_chief,
            inspector=world.inspector,
            entry=world.other_entry,
        )
    return SimpleNamespace(
        code="5101",
        officer=f.user_with("officer_5101", Role.DISTRICT_OFFICER, world.d3),
        chief=f.user_with("chief_5101", Role.DISTRICT_CHIEF, world.d3),
        inspector=world.other_inspector,
        entry=f.bank_entry(world.subs["510101"], "B-5101"),
    )


def implementation() -> svc.ImplementationInput:
    return svc.ImplementationInput(
        spend_lines=[svc.LineInput("วัสดุ", "activity_materials", Decimal("39000.00"))],
        activities_done="อบรมอาชีพ 3 ครั้ง",
        villages_reached=3,
        households_reached=118,
    )


def project_in(people: SimpleNamespace, state: str) -> Project:
    """A project of the district, moved to ``state`` by the users whose turn each step is."""
    project = f.make_project(people.officer, people.entry)
    if state == State.RETURNED:
        svc.project_return(project=project, acting_user=people.chief, comment="แก้ไขขอบเขต")
    if state == State.REJECTED:
        svc.project_reject(project=project, acting_user=people.chief, comment="ไม่สอดคล้องแนวทาง")
    if state == State.WITHDRAWN:
        svc.project_withdraw(project=project, acting_user=people.officer)
    later = [State.APPROVED, State.IMPLEMENTED, State.MONITORED, State.REPORTED, State.SUBMITTED]
    if state in later:
        svc.project_approve(project=project, acting_user=people.chief)
    if state in later[1:]:
        svc.project_implement(project=project, acting_user=people.officer, record=implementation())
    if state in later[2:]:
        svc.project_monitor(project=project, acting_user=people.inspector, findings="เรียบร้อย")
    if state in later[3:]:
        svc.project_report(project=project, acting_user=people.officer, result_narrative="สำเร็จ")
        f.disburse(people.code)  # the province paid: the district may submit (issue 10)
    if state == State.SUBMITTED:
        svc.district_submit(district=people.code, acting_user=people.chief)
    project.refresh_from_db()
    assert project.state == state
    return project


# --- The matrix --------------------------------------------------------------------------

BODIES: dict[str, dict[str, Any]] = {
    "approve": {"comment": "อนุมัติ"},
    "return": {"comment": "ขอให้แก้ไข"},
    "reject": {"comment": "ไม่อนุมัติ"},
    "withdraw": {"comment": "ถอนโครงการ"},
    "resubmit": {"comment": "แก้ไขแล้ว"},
    "implement": {
        "spend_lines": [{"description": "วัสดุ", "category": "activity_materials", "amount": "39000.00"}],
        "activities_done": "อบรมอาชีพ 3 ครั้ง",
        "villages_reached": 3,
        "households_reached": 118,
    },
    "monitor": {"findings": "ดำเนินการครบถ้วน", "recommendations": "ขยายผล"},
    "report": {"result_narrative": "ผลสำเร็จตามเป้าหมาย"},
    "submit": {"comment": "ส่งเล่มรายงาน"},
}

# (transition, state it is taken from, the one role that may take it, the state it leads to)
TRANSITIONS = [
    ("approve", State.SELECTED, Role.DISTRICT_CHIEF, State.APPROVED),
    ("return", State.SELECTED, Role.DISTRICT_CHIEF, State.RETURNED),
    ("return", State.IMPLEMENTED, Role.REGIONAL_INSPECTOR, State.APPROVED),
    ("reject", State.SELECTED, Role.DISTRICT_CHIEF, State.REJECTED),
    ("withdraw", State.SELECTED, Role.DISTRICT_OFFICER, State.WITHDRAWN),
    ("withdraw", State.RETURNED, Role.DISTRICT_OFFICER, State.WITHDRAWN),
    ("resubmit", State.RETURNED, Role.DISTRICT_OFFICER, State.SELECTED),
    ("implement", State.APPROVED, Role.DISTRICT_OFFICER, State.IMPLEMENTED),
    ("monitor", State.IMPLEMENTED, Role.REGIONAL_INSPECTOR, State.MONITORED),
    ("report", State.MONITORED, Role.DISTRICT_OFFICER, State.REPORTED),
    ("submit", State.REPORTED, Role.DISTRICT_CHIEF, State.SUBMITTED),
]

NO_ROLE = "no_role"
# The world's user of each role; all of them sit in (or above) district 5001.
ROLE_USER = {
    Role.DISTRICT_OFFICER: "officer",
    Role.DISTRICT_CHIEF: "chief",
    Role.PROVINCIAL_OFFICER: "provincial",
    Role.REGIONAL_INSPECTOR: "inspector",
    Role.CENTRAL_PLANNER: "planner",
    Role.AUDITOR: "auditor",
    Role.ADMIN: "admin",
    NO_ROLE: "nobody",
}
# Which of those users see a project of each place.
SEES = {
    OWN: set(ROLE_USER) - {NO_ROLE},
    OTHER_DISTRICT: {
        Role.PROVINCIAL_OFFICER,
        Role.REGIONAL_INSPECTOR,
        Role.CENTRAL_PLANNER,
        Role.AUDITOR,
        Role.ADMIN,
    },
    OTHER_PROVINCE: {Role.CENTRAL_PLANNER, Role.AUDITOR, Role.ADMIN},
}


def expected_status(role: str, place: str, allowed_role: str, name: str) -> int:
    if role not in SEES[place]:
        return 404
    if role == allowed_role:
        return 201 if name == "submit" else 200
    return 403


def matrix_cases() -> list[Any]:
    cases = []
    for name, from_state, allowed_role, to_state in TRANSITIONS:
        for place in (OWN, OTHER_DISTRICT, OTHER_PROVINCE):
            for role in ROLE_USER:
                status = expected_status(role, place, allowed_role, name)
                cases.append(
                    pytest.param(
                        name,
                        from_state,
                        to_state,
                        role,
                        place,
                        status,
                        id=f"{name}@{from_state}-{role}-{place}-{status}",
                    )
                )
    return cases


def post_transition(client: APIClient, name: str, project: Project, district_code: str) -> Any:
    if name == "submit":
        return client.post(f"/api/v1/districts/{district_code}/submission/", BODIES[name], format="json")
    return client.post(f"/api/v1/projects/{project.pk}/transitions/{name}/", BODIES[name], format="json")


@pytest.mark.parametrize(("name", "from_state", "to_state", "role", "place", "status"), matrix_cases())
def test_transition_matrix(world, name, from_state, to_state, role, place, status):
    people = district_people(world, place)
    project = project_in(people, from_state)
    events_before = AuditEvent.objects.count()

    response = post_transition(client_for(getattr(world, ROLE_USER[role])), name, project, people.code)

    assert response.status_code == status, response.content
    project.refresh_from_db()
    if status in (200, 201):
        assert project.state == to_state
        assert AuditEvent.objects.count() > events_before
    else:
        assert response["Content-Type"] == "application/problem+json"
        expected_code = {403: "forbidden", 404: "not_found"}[status]
        assert response.json()["code"] == expected_code
        assert project.state == from_state
        assert AuditEvent.objects.count() == events_before


@pytest.mark.parametrize(
    ("name", "from_state"), [pytest.param(n, s, id=f"{n}@{s}") for n, s, _r, _t in TRANSITIONS]
)
def test_anonymous_gets_401(world, name, from_state):
    project = project_in(district_people(world, OWN), from_state)
    response = post_transition(APIClient(), name, project, "5001")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    project.refresh_from_db()
    assert project.state == from_state


# Right role, wrong state: 409 (the district's submission: 409 submission_not_ready).
WRONG_STATE = [
    ("approve", State.APPROVED, "chief"),
    ("approve", State.RETURNED, "chief"),
    ("return", State.APPROVED, "chief"),
    ("return", State.MONITORED, "inspector"),
    ("reject", State.RETURNED, "chief"),
    ("reject", State.APPROVED, "chief"),
    ("withdraw", State.APPROVED, "officer"),
    ("withdraw", State.REJECTED, "officer"),
    ("resubmit", State.SELECTED, "officer"),
    ("implement", State.SELECTED, "officer"),
    ("implement", State.IMPLEMENTED, "officer"),
    ("monitor", State.APPROVED, "inspector"),
    ("monitor", State.MONITORED, "inspector"),
    ("report", State.IMPLEMENTED, "officer"),
    ("report", State.REPORTED, "officer"),
    ("submit", State.APPROVED, "chief"),
]
# Submitting again once every project is submitted is a correction: a new version of the book
# (tests/reports/test_submission.py), not a wrong state.


@pytest.mark.parametrize(
    ("name", "state", "user_attr"), [pytest.param(n, s, u, id=f"{n}@{s}-{u}") for n, s, u in WRONG_STATE]
)
def test_right_role_wrong_state_is_409(world, name, state, user_attr):
    project = project_in(district_people(world, OWN), state)
    events_before = AuditEvent.objects.count()

    response = post_transition(client_for(getattr(world, user_attr)), name, project, "5001")

    assert response.status_code == 409, response.content
    assert response["Content-Type"] == "application/problem+json"
    expected = "submission_not_ready" if name == "submit" else "illegal_transition"
    assert response.json()["code"] == expected
    project.refresh_from_db()
    assert project.state == state
    assert AuditEvent.objects.count() == events_before


def test_unknown_transition_name_is_404(world):
    project = project_in(district_people(world, OWN), State.SELECTED)
    response = client_for(world.chief).post(f"/api/v1/projects/{project.pk}/transitions/explode/", {})
    assert response.status_code == 404
    assert response.json()["code"] == "unknown_transition"


def test_submit_is_not_a_project_transition(world):
    """Reported projects are submitted only through the district's submission."""
    project = project_in(district_people(world, OWN), State.REPORTED)
    response = client_for(world.chief).post(
        f"/api/v1/projects/{project.pk}/transitions/submit/", BODIES["submit"], format="json"
    )
    assert response.status_code == 404
    project.refresh_from_db()
    assert project.state == State.REPORTED


def test_transition_on_a_missing_project_is_404(world):
    response = client_for(world.chief).post("/api/v1/projects/999999/transitions/approve/", {}, format="json")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize(
    ("valid_from", "valid_until"), [(None, -1), (1, None)], ids=["expired_yesterday", "starts_tomorrow"]
)
def test_a_chief_role_not_valid_today_grants_nothing(world, valid_from, valid_until):
    today = timezone.localdate()
    chief = f.user_with("chief_not_today")
    RoleMembership.objects.create(
        user=chief,
        role=Role.DISTRICT_CHIEF,
        district=world.d1,
        valid_from=today + datetime.timedelta(days=valid_from) if valid_from is not None else None,
        valid_until=today + datetime.timedelta(days=valid_until) if valid_until is not None else None,
    )
    project = f.make_project(world.officer, world.entry)
    client = client_for(chief)
    assert client.get(f"/api/v1/projects/{project.pk}/").status_code == 404
    assert (
        client.post(f"/api/v1/projects/{project.pk}/transitions/approve/", {}, format="json").status_code
        == 404
    )
    assert task_steps(chief) == []


# A user who may see the project but whose role may not take the transition is told 403 and
# a user with the right role in the wrong state 409, whatever the body; today an incomplete
# body is judged first and answered 422.
PRECEDENCE = [
    pytest.param("auditor", "return", {}, 403, id="auditor-return-without-comment-403"),
    pytest.param("provincial", "reject", {"comment": ""}, 403, id="provincial-reject-without-comment-403"),
    pytest.param("auditor", "monitor", {}, 403, id="auditor-monitor-without-findings-403"),
    pytest.param("officer", "implement", {}, 409, id="officer-implement-selected-without-record-409"),
]


@pytest.mark.parametrize(("user_attr", "name", "payload", "status"), PRECEDENCE)
def test_wrong_role_or_state_is_reported_before_an_incomplete_body(world, user_attr, name, payload, status):
    project = f.make_project(world.officer, world.entry)
    response = client_for(getattr(world, user_attr)).post(
        f"/api/v1/projects/{project.pk}/transitions/{name}/", payload, format="json"
    )
    assert response.status_code == status


@pytest.mark.parametrize("name", ["return", "monitor", "implement"])
def test_invisible_project_is_404_whatever_the_body(world, name):
    project = f.make_project(world.officer, world.entry)
    response = client_for(world.other_chief).post(
        f"/api/v1/projects/{project.pk}/transitions/{name}/", {}, format="json"
    )
    assert response.status_code == 404


# --- Creators may not decide on their own project ----------------------------------------


def test_creator_who_is_also_chief_may_not_approve_own_project(world):
    both = f.user_with("officer_chief", Role.DISTRICT_OFFICER, world.d1)
    f.grant(both, Role.DISTRICT_CHIEF, world.d1)
    project = f.make_project(both, world.entry)
    client = client_for(both)

    detail = client.get(f"/api/v1/projects/{project.pk}/").json()
    assert "approve" not in detail["available_transitions"]
    assert {"withdraw", "return", "reject"} <= set(detail["available_transitions"])

    response = client.post(f"/api/v1/projects/{project.pk}/transitions/approve/", {}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "own_project"
    project.refresh_from_db()
    assert project.state == State.SELECTED

    other_chief_of_district = client_for(world.chief)
    ok = other_chief_of_district.post(
        f"/api/v1/projects/{project.pk}/transitions/approve/", {}, format="json"
    )
    assert ok.status_code == 200
    assert ok.json()["state"] == State.APPROVED


def test_a_chief_may_approve_a_project_another_officer_created(world):
    """The own-project rule is about the creator, not about holding the officer role too."""
    both = f.user_with("officer_chief", Role.DISTRICT_OFFICER, world.d1)
    f.grant(both, Role.DISTRICT_CHIEF, world.d1)
    project = f.make_project(world.officer, world.entry)
    response = client_for(both).post(f"/api/v1/projects/{project.pk}/transitions/approve/", {}, format="json")
    assert response.status_code == 200


def test_creator_who_is_also_inspector_may_not_monitor_own_project(world):
    both = f.user_with("officer_inspector", Role.DISTRICT_OFFICER, world.d1)
    f.grant(both, Role.REGIONAL_INSPECTOR, world.region)
    project = f.make_project(both, world.entry)
    svc.project_approve(project=project, acting_user=world.chief)
    svc.project_implement(project=project, acting_user=both, record=implementation())

    response = client_for(both).post(
        f"/api/v1/projects/{project.pk}/transitions/monitor/", BODIES["monitor"], format="json"
    )
    assert response.status_code == 403
    assert response.json()["code"] == "own_project"
    project.refresh_from_db()
    assert project.state == State.IMPLEMENTED

    ok = client_for(world.inspector).post(
        f"/api/v1/projects/{project.pk}/transitions/monitor/", BODIES["monitor"], format="json"
    )
    assert ok.status_code == 200


# --- Reading ----------------------------------------------------------------------------

READERS = [
    ("officer", 200),
    ("officer2", 200),
    ("chief", 200),
    ("other_officer", 404),
    ("other_chief", 404),
    ("provincial", 200),
    ("other_provincial", 404),
    ("inspector", 200),
    ("other_inspector", 404),
    ("planner", 200),
    ("auditor", 200),
    ("admin", 200),
    ("nobody", 404),
    (None, 401),
]


@pytest.mark.parametrize(("user_attr", "status"), READERS)
def test_read_project_detail(world, user_attr, status):
    project = f.make_project(world.officer, world.entry)
    client = client_for(getattr(world, user_attr) if user_attr else None)
    response = client.get(f"/api/v1/projects/{project.pk}/")
    assert response.status_code == status
    if status == 200:
        assert response.json()["id"] == project.pk
    else:
        assert response["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize(("user_attr", "status"), READERS)
def test_project_history_follows_project_visibility(world, user_attr, status):
    project = f.make_project(world.officer, world.entry)
    client = client_for(getattr(world, user_attr) if user_attr else None)
    response = client.get(f"/api/v1/projects/{project.pk}/history/")
    assert response.status_code == status
    if status == 200:
        assert [e["action"] for e in response.json()["results"]] == ["create"]


@pytest.mark.parametrize(
    ("user_attr", "districts"),
    [
        ("officer", {"5001"}),
        ("chief", {"5001"}),
        ("other_officer", {"5002"}),
        ("provincial", {"5001", "5002"}),
        ("other_provincial", {"5101"}),
        ("inspector", {"5001", "5002"}),
        ("other_inspector", {"5101"}),
        ("planner", {"5001", "5002", "5101"}),
        ("auditor", {"5001", "5002", "5101"}),
        ("admin", {"5001", "5002", "5101"}),
        ("nobody", set()),
    ],
)
def test_project_list_lists_only_visible_projects(world, user_attr, districts):
    for place in (OWN, OTHER_DISTRICT, OTHER_PROVINCE):
        project_in(district_people(world, place), State.SELECTED)

    response = client_for(getattr(world, user_attr)).get("/api/v1/projects/")

    assert response.status_code == 200
    body = response.json()
    assert {p["district"] for p in body["results"]} == districts
    assert body["count"] == len(districts)


def test_project_list_needs_authentication(world):
    assert APIClient().get("/api/v1/projects/").status_code == 401


@pytest.mark.parametrize(
    ("user_attr", "status"),
    [
        ("auditor", 200),
        ("planner", 200),
        ("admin", 200),
        ("officer", 403),
        ("chief", 403),
        ("provincial", 403),
        ("inspector", 403),
        ("nobody", 403),
        (None, 401),
    ],
)
def test_whole_history_only_for_auditor_planner_admin(world, user_attr, status):
    f.make_project(world.officer, world.entry)
    f.make_project(world.other_officer, world.other_entry)
    client = client_for(getattr(world, user_attr) if user_attr else None)
    response = client.get("/api/v1/history/")
    assert response.status_code == status
    if status == 200:
        assert {e["district"] for e in response.json()["results"]} == {"5001", "5002"}
    else:
        assert response["Content-Type"] == "application/problem+json"


# --- Comments ----------------------------------------------------------------------------

ALL_STATES = [
    State.SELECTED,
    State.RETURNED,
    State.APPROVED,
    State.IMPLEMENTED,
    State.MONITORED,
    State.REPORTED,
    State.SUBMITTED,
    State.REJECTED,
    State.WITHDRAWN,
]


@pytest.mark.parametrize("state", ALL_STATES)
def test_district_chief_may_comment_in_any_state(world, state):
    project = project_in(district_people(world, OWN), state)
    client = client_for(world.chief)

    response = client.post(
        f"/api/v1/projects/{project.pk}/comments/", {"comment": "ติดตามใกล้ชิด"}, format="json"
    )

    assert response.status_code == 201, response.content
    assert response.json()["action"] == "comment"
    assert response.json()["comment"] == "ติดตามใกล้ชิด"
    listed = rows(client.get(f"/api/v1/projects/{project.pk}/comments/").json())
    assert [c["comment"] for c in listed] == ["ติดตามใกล้ชิด"]
    project.refresh_from_db()
    assert project.state == state


@pytest.mark.parametrize(
    ("user_attr", "status"),
    [
        ("officer", 201),
        ("provincial", 201),
        ("inspector", 201),
        ("planner", 201),
        ("auditor", 403),
        ("other_chief", 404),
        ("other_officer", 404),
        ("other_provincial", 404),
        ("nobody", 404),
        (None, 401),
    ],
)
def test_who_may_comment(world, user_attr, status):
    project = f.make_project(world.officer, world.entry)
    events_before = AuditEvent.objects.count()
    client = client_for(getattr(world, user_attr) if user_attr else None)
    response = client.post(f"/api/v1/projects/{project.pk}/comments/", {"comment": "ข้อสังเกต"}, format="json")
    assert response.status_code == status
    assert AuditEvent.objects.count() == events_before + (1 if status == 201 else 0)


def test_empty_comment_is_invalid_input(world):
    project = f.make_project(world.officer, world.entry)
    response = client_for(world.chief).post(f"/api/v1/projects/{project.pk}/comments/", {"comment": " "})
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_input"


# --- Changing a project (PATCH) ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "status"),
    [
        (State.SELECTED, 200),
        (State.RETURNED, 200),
        (State.APPROVED, 409),
        (State.IMPLEMENTED, 409),
        (State.MONITORED, 409),
        (State.REPORTED, 409),
        (State.SUBMITTED, 409),
        (State.REJECTED, 409),
        (State.WITHDRAWN, 409),
    ],
)
def test_patch_only_while_selected_or_returned(world, state, status):
    project = project_in(district_people(world, OWN), state)
    events_before = AuditEvent.objects.count()

    response = client_for(world.officer).patch(
        f"/api/v1/projects/{project.pk}/", {"title": "ชื่อใหม่"}, format="json"
    )

    assert response.status_code == status, response.content
    project.refresh_from_db()
    if status == 200:
        assert project.title == "ชื่อใหม่"
        assert AuditEvent.objects.filter(project=project, action="update").count() == 1
    else:
        assert response.json()["code"] == "illegal_transition"
        assert project.title != "ชื่อใหม่"
        assert AuditEvent.objects.count() == events_before
    assert project.state == state


@pytest.mark.parametrize(
    ("user_attr", "state", "status"),
    [
        ("officer", State.SELECTED, 200),
        ("officer2", State.SELECTED, 200),
        ("chief", State.SELECTED, 403),
        ("provincial", State.SELECTED, 403),
        ("inspector", State.SELECTED, 403),
        ("planner", State.SELECTED, 403),
        ("auditor", State.SELECTED, 403),
        ("admin", State.SELECTED, 403),
        ("other_officer", State.SELECTED, 404),
        ("other_provincial", State.SELECTED, 404),
        ("nobody", State.SELECTED, 404),
        (None, State.SELECTED, 401),
        ("chief", State.RETURNED, 403),
        ("chief", State.APPROVED, 403),
    ],
)
def test_patch_only_by_the_districts_officer(world, user_attr, state, status):
    project = project_in(district_people(world, OWN), state)
    client = client_for(getattr(world, user_attr) if user_attr else None)

    response = client.patch(f"/api/v1/projects/{project.pk}/", {"title": "ชื่อใหม่"}, format="json")

    assert response.status_code == status, response.content
    project.refresh_from_db()
    assert (project.title == "ชื่อใหม่") == (status == 200)


# --- The district's budget -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("user_attr", "code", "status"),
    [
        ("officer", "5001", 200),
        ("officer", "5002", 404),
        ("officer", "5101", 404),
        ("chief", "5001", 200),
        ("other_chief", "5001", 404),
        ("other_chief", "5002", 200),
        ("provincial", "5001", 200),
        ("provincial", "5002", 200),
        ("provincial", "5101", 404),
        ("other_provincial", "5101", 200),
        ("other_provincial", "5001", 404),
        ("inspector", "5002", 200),
        ("inspector", "5101", 404),
        ("other_inspector", "5101", 200),
        ("other_inspector", "5001", 404),
        ("planner", "5101", 200),
        ("auditor", "5001", 200),
        ("admin", "5002", 200),
        ("nobody", "5001", 404),
        (None, "5001", 401),
    ],
)
def test_district_budget_visibility(world, user_attr, code, status):
    f.make_project(world.officer, world.entry, amount="60000.00")
    client = client_for(getattr(world, user_attr) if user_attr else None)

    response = client.get(f"/api/v1/districts/{code}/budget/")

    assert response.status_code == status
    if status == 200:
        committed = "60000.00" if code == "5001" else "0.00"
        remaining = "90000.00" if code == "5001" else "150000.00"
        assert response.json() == {
            "district": code,
            "edition": world.edition.code,
            "cap": "150000.00",
            "committed": committed,
            "remaining": remaining,
            "spent": "0.00",
            "disbursed": "0.00",
        }


# --- Task inboxes -----------------------------------------------------------------------------


def task_steps(user: Any) -> list[tuple[str, int]]:
    response = client_for(user).get("/api/v1/tasks/")
    assert response.status_code == 200
    return [(t["step"], t["project"]["id"]) for t in response.json()["results"]]


def test_review_task_only_for_the_districts_chiefs(world):
    second_chief = f.user_with("chief_b", Role.DISTRICT_CHIEF, world.d1)
    project = f.make_project(world.officer, world.entry)

    assert task_steps(world.chief) == [("review", project.pk)]
    assert task_steps(second_chief) == [("review", project.pk)]
    for user in (
        world.other_chief,
        world.officer,
        world.officer2,
        world.provincial,
        world.inspector,
        world.nobody,
    ):
        assert task_steps(user) == [], user.username


def test_implement_task_after_approval_only_for_the_districts_officers(world):
    project = f.make_project(world.officer, world.entry)
    svc.project_approve(project=project, acting_user=world.chief)

    assert task_steps(world.officer) == [("implement", project.pk)]
    assert task_steps(world.officer2) == [("implement", project.pk)]
    for user in (world.chief, world.other_officer, world.other_chief, world.inspector, world.provincial):
        assert task_steps(user) == [], user.username


def test_monitor_task_only_for_the_inspectors_of_the_region(world):
    project = f.make_project(world.officer, world.entry)
    svc.project_approve(project=project, acting_user=world.chief)
    svc.project_implement(project=project, acting_user=world.officer, record=implementation())

    assert task_steps(world.inspector) == [("monitor", project.pk)]
    for user in (world.other_inspector, world.officer, world.chief, world.provincial):
        assert task_steps(user) == [], user.username


def test_tasks_need_authentication(world):
    assert APIClient().get("/api/v1/tasks/").status_code == 401

"""Progress while the work runs (issue 10): ``workflow.services.progress`` and
``/api/v1/projects/{id}/progress/``.

The officer posts progress updates, the chief and the inspector add supervision notes, only
while the project is approved; each entry is audited with the project's state unchanged, the
flow's task untouched, and nothing at all is stored when it is refused.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from notifications.models import Notification
from tests import factories as f
from workflow import flows, selectors
from workflow.errors import Conflict, Forbidden, NotFound
from workflow.models import AuditEvent, EvidenceFile, ProgressUpdate, Project, State
from workflow.services import progress as progress_svc
from workflow.services import projects as svc
from workflow.services.delegation import delegation_create

URL = "/api/v1/projects/{}/progress/"
PROGRESS_ACTIONS = ("progress_add", "supervision_add")


def api(user: Any) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


def image(name: str = "site.png", fmt: str = "PNG", colour: tuple[int, int, int] = (30, 120, 60)) -> Any:
    return f.image_upload(name, fmt, colour)


@pytest.fixture
def running(world: SimpleNamespace) -> SimpleNamespace:
    """An approved project of district 5001 (the officer selected it, the chief approved it)."""
    project = f.make_project(world.officer, world.entry)
    svc.project_approve(project=project, acting_user=world.chief, comment="เห็นชอบ")
    world.project = Project.objects.get(pk=project.pk)
    world.task = flows.open_step_task(world.project)
    return world


def _today() -> datetime.date:
    return timezone.localdate()


def progress_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "as_of": _today().isoformat(),
        "percent_done": 40,
        "text": "จัดซื้อวัสดุแล้ว เริ่มฝึกอบรมกลุ่มแรก",
    }
    body.update(overrides)
    return body


def _stored() -> tuple[int, int, int, int]:
    """Everything a refused post must leave alone."""
    return (
        ProgressUpdate.objects.count(),
        EvidenceFile.objects.count(),
        AuditEvent.objects.filter(action__in=PROGRESS_ACTIONS).count(),
        Notification.objects.count(),
    )


# --- Posting ------------------------------------------------------------------------------------


def test_officer_posts_progress_audited_without_changing_state_or_task(running):
    before_state = running.project.state_changed_at
    response = api(running.officer).post(URL.format(running.project.pk), progress_body(), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["kind"], body["percent_done"], body["author"], body["author_role"]) == (
        "progress",
        40,
        "officer",
        "district_officer",
    )
    update = ProgressUpdate.objects.get()
    assert (update.as_of, update.text) == (_today(), "จัดซื้อวัสดุแล้ว เริ่มฝึกอบรมกลุ่มแรก")
    event = AuditEvent.objects.get(action="progress_add")
    assert (event.from_state, event.to_state, event.project_id) == (
        "approved",
        "approved",
        running.project.pk,
    )
    assert (event.actor_username, event.role, event.object_type) == (
        "officer",
        "district_officer",
        "progress_update",
    )
    assert event.payload["percent_done"] == 40 and event.payload["as_of"] == _today().isoformat()
    assert event.payload["text"] == update.text and event.payload["photos"] == []
    project = Project.objects.get(pk=running.project.pk)
    assert project.state == State.APPROVED and project.state_changed_at == before_state
    task = flows.open_step_task(project)
    assert task is not None and task.pk == running.task.pk and task.status == running.task.status


def test_photos_in_a_multipart_post_are_stored_with_the_update(running):
    body = progress_body(photos=[image("a.png"), image("b.jpg", "JPEG"), image("c.webp", "WEBP")])
    response = api(running.officer).post(URL.format(running.project.pk), body, format="multipart")
    assert response.status_code == 201, response.content
    update = ProgressUpdate.objects.get()
    photos = list(update.photos.order_by("id"))
    assert [p.kind for p in photos] == ["progress_photo"] * 3
    assert all(p.project_id == running.project.pk and len(p.sha256) == 64 for p in photos)
    assert [p["id"] for p in response.json()["photos"]] == [p.pk for p in photos]
    event = AuditEvent.objects.get(action="progress_add")
    assert [p["sha256"] for p in event.payload["photos"]] == [p.sha256 for p in photos]


def test_chief_and_inspector_add_supervision_notes_and_the_officers_are_told(running):
    chief = api(running.chief).post(
        URL.format(running.project.pk),
        {"kind": "supervision", "text": "ติดตามแล้ว ดำเนินการตามแผน", "recommendations": "เร่งรัดการจัดซื้อ"},
        format="json",
    )
    assert chief.status_code == 201, chief.content
    assert chief.json()["as_of"] == _today().isoformat() and chief.json()["percent_done"] is None
    inspector = api(running.inspector).post(
        URL.format(running.project.pk), {"kind": "supervision", "text": "ลงพื้นที่ตรวจติดตาม"}, format="json"
    )
    assert inspector.status_code == 201, inspector.content
    events = list(AuditEvent.objects.filter(action="supervision_add").order_by("id"))
    assert [(e.actor_username, e.role) for e in events] == [
        ("chief", "district_chief"),
        ("inspector", "regional_inspector"),
    ]
    assert events[0].payload["recommendations"] == "เร่งรัดการจัดซื้อ"
    assert all(e.from_state == e.to_state == "approved" for e in events)
    notices = Notification.objects.filter(kind="progress", event=events[0])
    # The project's creator and every officer of the district; not the chief, not other districts.
    assert sorted(n.recipient.username for n in notices) == ["officer", "officer2"]
    notice = notices.get(recipient=running.officer)
    assert notice.project_id == running.project.pk
    assert "ติดตามแล้ว ดำเนินการตามแผน" in notice.text_th and "เร่งรัดการจัดซื้อ" in notice.text_th
    assert "supervision note" in notice.text_en


def test_a_progress_update_tells_the_district_chief(running):
    api(running.officer).post(URL.format(running.project.pk), progress_body(percent_done=55), format="json")
    notices = Notification.objects.filter(kind="progress")
    assert [n.recipient.username for n in notices] == ["chief"]
    assert "55%" in notices.get().text_en


def test_an_acting_chief_supervises_for_the_chief(running):
    today = _today()
    delegation_create(
        acting_user=running.chief,
        district="5001",
        delegate=running.officer2,
        starts_on=today,
        ends_on=today + datetime.timedelta(days=3),
    )
    response = api(running.officer2).post(
        URL.format(running.project.pk), {"kind": "supervision", "text": "กำกับแทนนายอำเภอ"}, format="json"
    )
    assert response.status_code == 201, response.content
    event = AuditEvent.objects.get(action="supervision_add")
    assert (event.actor_username, event.acting_for_username, event.role) == (
        "officer2",
        "chief",
        "district_chief",
    )


# --- Who may ------------------------------------------------------------------------------------

MATRIX = [
    ("officer", "progress", 201),
    ("officer2", "progress", 201),
    ("chief", "supervision", 201),
    ("inspector", "supervision", 201),
    ("chief", "progress", 403),
    ("inspector", "progress", 403),
    ("officer", "supervision", 403),
    ("provincial", "progress", 403),
    ("provincial", "supervision", 403),
    ("planner", "progress", 403),
    ("planner", "supervision", 403),
    ("auditor", "progress", 403),
    ("auditor", "supervision", 403),
    ("admin", "supervision", 403),
    ("other_officer", "progress", 404),
    ("other_chief", "supervision", 404),
    ("other_inspector", "supervision", 404),
    ("other_provincial", "progress", 404),
]


@pytest.mark.parametrize(("who", "kind", "expected"), MATRIX)
def test_who_may_post_which_kind(running, who, kind, expected):
    body = progress_body(kind=kind) if kind == "progress" else {"kind": kind, "text": "บันทึกการกำกับติดตาม"}
    before = _stored()
    response = api(getattr(running, who)).post(URL.format(running.project.pk), body, format="json")
    assert response.status_code == expected, response.content
    if expected == 201:
        assert ProgressUpdate.objects.get().author == getattr(running, who)
        return
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == {403: "forbidden", 404: "not_found"}[expected]
    assert _stored() == before


def test_anonymous_is_401_and_reading_follows_visibility(running):
    assert APIClient().post(URL.format(running.project.pk), progress_body(), format="json").status_code == 401
    assert APIClient().get(URL.format(running.project.pk)).status_code == 401
    for user in (running.officer, running.chief, running.inspector, running.provincial, running.auditor):
        assert api(user).get(URL.format(running.project.pk)).status_code == 200, user
    for user in (running.other_officer, running.other_inspector, running.nobody):
        assert api(user).get(URL.format(running.project.pk)).status_code == 404, user


# --- When ---------------------------------------------------------------------------------------


def test_only_while_approved_else_409_not_running(running):
    selected = f.make_project(running.officer, running.entry2)
    implemented = running.project
    svc.project_implement(
        project=implemented,
        acting_user=running.officer,
        record=svc.ImplementationInput(
            spend_lines=[svc.LineInput("วัสดุ", "activity_materials", Decimal("1000.00"))],
            activities_done="ดำเนินการแล้ว",
            villages_reached=3,
            households_reached=100,
        ),
    )
    before = _stored()
    for project in (selected, implemented):
        for user, body in (
            (running.officer, progress_body()),
            (running.chief, {"kind": "supervision", "text": "ติดตาม"}),
            (running.inspector, {"kind": "supervision", "text": "ติดตาม"}),
        ):
            response = api(user).post(URL.format(project.pk), body, format="json")
            assert response.status_code == 409, (project.state, user)
            assert response.json()["code"] == "not_running"
    # The state rule comes after the role rule, and before what is wrong with the input.
    wrong_role = api(running.auditor).post(URL.format(selected.pk), progress_body(), format="json")
    assert wrong_role.status_code == 403
    bad_input = api(running.officer).post(
        URL.format(selected.pk), progress_body(percent_done=101), format="json"
    )
    assert bad_input.status_code == 409
    assert _stored() == before


def test_the_services_say_the_same(running):
    with pytest.raises(Forbidden):
        progress_svc.project_supervision_add(project=running.project, acting_user=running.officer, text="x")
    with pytest.raises(NotFound):
        progress_svc.project_progress_add(
            project=running.project.pk,
            acting_user=running.other_officer,
            as_of=_today(),
            percent_done=1,
            text="x",
        )
    selected = f.make_project(running.officer, running.entry2)
    with pytest.raises(Conflict) as refused:
        progress_svc.project_progress_add(
            project=selected, acting_user=running.officer, as_of=_today(), percent_done=1, text="x"
        )
    assert refused.value.code == "not_running" and refused.value.status == 409
    update = progress_svc.project_supervision_add(
        project=running.project, acting_user=running.inspector, text=" ลงพื้นที่ ", as_of=_today()
    )
    assert (update.kind, update.text, update.author_role) == ("supervision", "ลงพื้นที่", "regional_inspector")


# --- What ---------------------------------------------------------------------------------------

TOMORROW = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()

INVALID = [
    ("percent_done", {"percent_done": 101}, "out_of_range"),
    ("percent_done", {"percent_done": -1}, "out_of_range"),
    ("percent_done", {"percent_done": None}, "required"),
    ("as_of", {"as_of": TOMORROW}, "future_date"),
    ("as_of", {"as_of": None}, "required"),
    ("as_of", {"as_of": "31/08/2570"}, "invalid"),
    ("text", {"text": "   "}, "required"),
    ("text", {"text": "ก" * 5001}, "too_long"),
]


@pytest.mark.parametrize(("field", "override", "code"), INVALID)
def test_invalid_progress_is_422_naming_the_field_and_stores_nothing(running, field, override, code):
    before = _stored()
    response = api(running.officer).post(
        URL.format(running.project.pk), progress_body(**override), format="json"
    )
    assert response.status_code == 422, response.content
    problem = response.json()
    assert problem["code"] == "invalid_input"
    assert [(e["field"], e["code"]) for e in problem["errors"]] == [(field, code)]
    assert _stored() == before


def _not_an_image() -> Any:
    return SimpleUploadedFile("photo.png", b"%PDF-1.4 this is not a picture at all", content_type="image/png")


def _header_only() -> Any:
    """A PNG signature followed by garbage: the first bytes alone do not make a photo."""
    return SimpleUploadedFile(
        "fake.png", b"\x89PNG\r\n\x1a\n" + b"\x00garbage" * 20, content_type="image/png"
    )


@pytest.mark.parametrize(
    ("photos", "code"),
    [
        ([_not_an_image], "file_type"),
        ([_header_only], "file_type"),
        ([image] * 6, "too_many_files"),
    ],
)
def test_bad_photos_are_422_on_photos_and_nothing_is_stored(running, photos, code):
    before = _stored()
    body = progress_body(photos=[make() for make in photos])
    response = api(running.officer).post(URL.format(running.project.pk), body, format="multipart")
    assert response.status_code == 422, response.content
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [("photos", code)]
    assert _stored() == before


def test_every_error_comes_in_one_round(running):
    body = {"as_of": "not a date", "percent_done": 101, "text": ""}
    response = api(running.officer).post(URL.format(running.project.pk), body, format="json")
    assert response.status_code == 422
    assert sorted(e["field"] for e in response.json()["errors"]) == ["as_of", "percent_done", "text"]
    note = api(running.chief).post(
        URL.format(running.project.pk),
        {"kind": "supervision", "text": "", "percent_done": 20, "recommendations": "ข" * 5001},
        format="json",
    )
    assert note.status_code == 422
    assert sorted(e["field"] for e in note.json()["errors"]) == ["percent_done", "recommendations", "text"]
    unknown = api(running.officer).post(URL.format(running.project.pk), {"kind": "gossip"}, format="json")
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "kind"
    a_list = api(running.officer).post(URL.format(running.project.pk), [1, 2], format="json")
    assert a_list.status_code == 422 and a_list.json()["code"] == "invalid_input"
    hidden = api(running.other_officer).post(
        URL.format(running.project.pk), {"kind": "gossip"}, format="json"
    )
    assert hidden.status_code == 404
    assert not ProgressUpdate.objects.exists()


# --- The timeline ---------------------------------------------------------------------------------


def test_the_timeline_lists_in_order_with_photos(running, django_assert_num_queries):
    today = _today()
    officer = api(running.officer)
    for days_ago, percent in ((3, 30), (10, 10)):
        as_of = (today - datetime.timedelta(days=days_ago)).isoformat()
        body = progress_body(as_of=as_of, percent_done=percent, photos=[image()])
        assert officer.post(URL.format(running.project.pk), body, format="multipart").status_code == 201
    api(running.chief).post(
        URL.format(running.project.pk),
        {"kind": "supervision", "text": "ติดตาม", "as_of": (today - datetime.timedelta(days=5)).isoformat()},
        format="json",
    )
    rows = api(running.auditor).get(URL.format(running.project.pk)).json()
    assert rows["count"] == 3
    assert [(r["kind"], r["percent_done"]) for r in rows["results"]] == [
        ("progress", 10),
        ("supervision", None),
        ("progress", 30),
    ]
    assert [r["as_of"] for r in rows["results"]] == sorted(r["as_of"] for r in rows["results"])
    assert len(rows["results"][0]["photos"]) == 1 and rows["results"][1]["photos"] == []
    assert rows["results"][1]["author_role"] == "district_chief"
    project = Project.objects.get(pk=running.project.pk)
    with django_assert_num_queries(2):
        entries = selectors.progress_updates_of(project)
        assert [len(e.photos.all()) for e in entries] == [1, 0, 1]
        assert [e.author.username for e in entries] == ["officer", "chief", "officer"]

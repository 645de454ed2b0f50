"""The catalogue of audit actions (``workflow.audit_actions``): every action the trail holds is
in it, and the audit page, its exports, the project pages and the history API show its label,
never the raw code."""

from __future__ import annotations

import ast
import csv
import datetime
import io
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook
from rest_framework.test import APIClient

from approvals import services as task_services
from approvals.selectors import task_list_for
from notifications.timers import open_tasks, timers_run
from tests import factories as f
from workflow import schedule
from workflow.audit_actions import AuditAction, action_label
from workflow.models import AuditEvent, DistrictSubmission, Edition, Holiday, Project, Role
from workflow.web import audit as audit_pages
from workflow.web.audit_filters import ACTION_LABELS
from workflow.web.audit_filters import action_label as filters_action_label

THAI = {
    AuditAction.REMINDER: "แจ้งเตือนงานใกล้ครบกำหนด",
    AuditAction.ESCALATION: "แจ้งเตือนงานเกินกำหนดต่อผู้บังคับบัญชา",
}
APPS = ("workflow", "approvals", "notifications", "reports")


# --- The catalogue ------------------------------------------------------------------------------


def test_codes_are_the_stored_ones_and_every_label_is_translated():
    # The codes stored before the catalogue existed (rows and clients depend on them).
    assert {
        "create",
        "update",
        "approve",
        "return",
        "reject",
        "withdraw",
        "resubmit",
        "implement",
        "monitor",
        "report",
        "submit",
        "district_submit",
        "comment",
        "evidence_add",
        "task_claim",
        "task_unclaim",
        "task_assign",
        "reminder",
        "escalation",
    } <= set(AuditAction.values)
    assert AuditAction.DISTRICT_SUBMIT == "district_submit" and AuditAction.RETURN == "return"
    for member in AuditAction:
        assert member.name == member.value.upper()
    with translation.override("th"):
        thai = {member: str(member.label) for member in AuditAction}
    with translation.override("en"):
        english = {member: str(member.label) for member in AuditAction}
    for member in AuditAction:
        assert any("\u0e00" <= ch <= "\u0e7f" for ch in thai[member]), (member, thai[member])
        assert english[member] != member.value and english[member] != thai[member]
    assert len(set(thai.values())) == len(thai), "two actions read the same in Thai"
    assert len(set(english.values())) == len(english), "two actions read the same in English"
    assert {thai[m] for m in THAI} == set(THAI.values()) and all(thai[m] == THAI[m] for m in THAI)


def test_an_unknown_code_shows_itself_and_the_old_names_still_answer():
    with translation.override("th"):
        assert action_label("no_such_action") == "no_such_action"
        assert action_label("reminder") == THAI[AuditAction.REMINDER]
        assert filters_action_label("escalation") == THAI[AuditAction.ESCALATION]
        assert str(ACTION_LABELS["approve"]) == action_label("approve")
    assert set(ACTION_LABELS) == set(AuditAction.values)


def _literal_action_codes() -> list[tuple[str, int, str]]:
    """Every ``action="..."`` / ``action__in=(...)`` string written in the apps' code."""
    found: list[tuple[str, int, str]] = []
    base = Path(settings.BASE_DIR)
    for app in APPS:
        for path in (base / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call):
                    continue
                func = node.func
                if isinstance(func, ast.Attribute) and func.attr == "add_argument":
                    continue  # argparse's action="store_true"
                for keyword in node.keywords:
                    if keyword.arg not in ("action", "action__in"):
                        continue
                    values = (
                        keyword.value.elts
                        if isinstance(keyword.value, ast.Tuple | ast.List)
                        else [keyword.value]
                    )
                    for value in values:
                        if isinstance(value, ast.Constant) and isinstance(value.value, str):
                            found.append((str(path.relative_to(base)), value.lineno, value.value))
    return found


def test_every_action_code_written_in_the_code_is_in_the_catalogue():
    unknown = [
        f"{path}:{line} {code!r}"
        for path, line, code in _literal_action_codes()
        if code not in AuditAction.values
    ]
    assert not unknown, "not in workflow.audit_actions.AuditAction: " + ", ".join(unknown)


# --- Every action the services write is in the catalogue ---------------------------------------------


def _png() -> SimpleUploadedFile:
    return f.image_upload("activity.png", colour=(200, 30, 30))


@pytest.mark.django_db
def test_every_action_written_across_the_demo_and_the_other_services_is_in_the_catalogue(tmp_path):
    """The demo seed (imports, roles, an edition, a project in every state, a submitted district
    with its report book), then every other audited service; the rows written are scanned."""
    from reports.services import submission_acknowledge
    from workflow.demo.seed import demo_seed
    from workflow.services import projects as svc
    from workflow.services.admin_changes import admin_object_delete, admin_object_save
    from workflow.services.delegation import delegation_create, delegation_revoke
    from workflow.services.money import district_disbursement_record as disbursement_record
    from workflow.services.programme import edition_update
    from workflow.services.progress import project_progress_add as progress_add
    from workflow.services.progress import project_supervision_add as supervision_add
    from workflow.services.roles import role_revoke

    with override_settings(THAI_ADMIN_DATA_DIR=tmp_path / "absent"):
        demo_seed()
    users = {u.username: u for u in get_user_model().objects.all()}
    officer, chief, admin = users["officer"], users["chief"], users["admin"]
    in_5001 = {p.state: p for p in Project.objects.filter(district_id="5001")}
    selected, returned, approved = in_5001["selected"], in_5001["returned"], in_5001["approved"]

    svc.project_update(
        acting_user=officer,
        project=returned,
        data=f.good_input(
            list(returned.subdistricts.values_list("code", flat=True)), "10000.00", title=returned.title
        ),
    )
    svc.project_resubmit(project=returned, acting_user=officer, comment="แก้ไขแล้ว")
    svc.project_comment(project=selected, acting_user=chief, comment="ขอข้อมูลเพิ่มเติม")
    svc.evidence_add(project=approved, acting_user=officer, uploaded=_png(), caption="ภาพกิจกรรม")
    progress_add(
        project=approved, acting_user=officer, as_of=timezone.localdate(), percent_done=50, text="คืบหน้า"
    )
    supervision_add(project=approved, acting_user=users["inspector"], text="ติดตามแล้ว")

    review = next(t for t in task_list_for(chief) if t.process.projectprocess.project_id == selected.pk)
    task_services.task_claim(task=review, acting_user=chief)
    task_services.task_unclaim(task=review, acting_user=chief)
    implement = next(t for t in task_list_for(officer) if t.process.projectprocess.project_id == approved.pk)
    task_services.task_assign(task=implement, acting_user=chief, assignee=officer)

    dues = [t.due_date for t in open_tasks()]
    early = timers_run(today=min(dues))
    late = timers_run(today=max(dues) + datetime.timedelta(days=60))
    assert early.reminders >= 1 and late.escalations >= 1
    assert early.progress_reminders + late.progress_reminders >= 1

    deputy = f.user_with("deputy", "district_officer", selected.district)
    today = timezone.localdate()
    delegation = delegation_create(
        acting_user=chief,
        district="5001",
        delegate=deputy,
        starts_on=today,
        ends_on=today + datetime.timedelta(days=7),
    )
    delegation_revoke(acting_user=chief, delegation=delegation)
    edition = Edition.objects.get(is_active=True)
    edition_update(acting_user=admin, edition=edition, values={"title": edition.title + " (แก้ไข)"})
    submission_acknowledge(
        submission=DistrictSubmission.objects.get(district_id="5002"), acting_user=users["planner"]
    )
    # The province's second tranche to 5001 (the demo recorded the first): disbursement_record.
    disbursement_record(
        acting_user=users["provincial"],
        district="5001",
        amount="25000.00",
        paid_on=today,
        reference="ปค ๐๐๑๘.๒/๑๒๕",
    )
    holiday = Holiday(date=datetime.date(2099, 12, 5), name="วันพ่อแห่งชาติ")
    admin_object_save(acting_user=admin, obj=holiday, changed_fields=["date", "name"], is_new=True)
    admin_object_delete(acting_user=admin, obj=holiday)
    role_revoke(acting_user=admin, user=users["planner"], role=Role.CENTRAL_PLANNER, area_code="TH")

    written = set(AuditEvent.objects.values_list("action", flat=True))
    assert written - set(AuditAction.values) == set(), "actions written but not in the catalogue"
    # The scenario reaches every action of the catalogue: none is dead, none was left undriven.
    assert set(AuditAction.values) - written == set()


# --- The labels are shown, never the codes ---------------------------------------------------------


@pytest.fixture
def timed(world: SimpleNamespace) -> SimpleNamespace:
    """A reminder and an escalation written by the timers for one review task in 5001."""
    world.project = f.make_project(world.officer, world.entry)
    due = schedule.step_due_date(Edition.objects.get(pk=world.edition.pk), "review")
    assert timers_run(today=due).reminders == 1
    assert timers_run(today=schedule.add_working_days(due, 1, frozenset())).escalations == 1
    world.reminder = AuditEvent.objects.get(action="reminder")
    world.escalation = AuditEvent.objects.get(action="escalation")
    return world


def _client(user: Any, language: str = "th") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def _cells(page: str) -> list[str]:
    """The text of the audit page's table cells."""
    return re.findall(r'<td data-label="[^"]*">([^<]*)</td>', page)


def test_the_audit_page_shows_the_thai_labels(timed):
    page = _client(timed.auditor).get(reverse("audit")).content.decode()
    cells = [cell.strip() for cell in _cells(page)]
    for action, thai in THAI.items():
        assert thai in cells, thai
        assert action.value not in cells
        assert f'<option value="{action.value}">{thai}</option>' in page
    filtered = _client(timed.auditor).get(reverse("audit"), {"action": "escalation"}).content.decode()
    assert THAI[AuditAction.ESCALATION] in filtered and THAI[AuditAction.REMINDER] not in _cells(filtered)


def test_the_timelines_show_the_thai_labels(timed):
    for url, user in (
        (reverse("audit-project", args=[timed.project.pk]), timed.auditor),
        (f"/projects/{timed.project.pk}/", timed.chief),
    ):
        response = _client(user).get(url)
        assert response.status_code == 200, url
        page = response.content.decode()
        for action, thai in THAI.items():
            assert thai in page, (url, thai)
            assert f">{action.value}<" not in page.replace(" ", "").replace("\n", "")


def _body(response: Any) -> bytes:
    return b"".join(response.streaming_content)


def _csv(response: Any) -> list[dict[str, str]]:
    """The rows by column key (the header row is in the reader's language)."""
    _, *rows = list(csv.reader(io.StringIO(_body(response).decode("utf-8-sig"))))
    return [dict(zip(audit_pages.EXPORT_COLUMNS, row, strict=True)) for row in rows]


def _xlsx(response: Any) -> list[dict[str, Any]]:
    sheet: Any = load_workbook(io.BytesIO(_body(response)), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(audit_pages.EXPORT_COLUMNS, row, strict=True)) for row in rows[1:]]


def test_the_exports_carry_the_label_next_to_the_code(timed):
    client = _client(timed.auditor)
    rows = _csv(client.get(reverse("audit-export-csv")))
    header = list(rows[0])
    assert header[header.index("action") + 1] == "action_label"
    by_action = {row["action"]: row["action_label"] for row in rows}
    for action, thai in THAI.items():
        assert by_action[action.value] == thai
    assert all(row["action_label"] != row["action"] for row in rows)

    xlsx = _xlsx(client.get(reverse("audit-export-xlsx")))
    assert {row["action"]: row["action_label"] for row in xlsx} == by_action

    english = _client(timed.auditor, "en")
    labels = {row["action"]: row["action_label"] for row in _csv(english.get(reverse("audit-export-csv")))}
    assert labels["reminder"] == "Reminder of a task falling due"
    assert labels["escalation"] == "Overdue task escalated to the superiors"


def test_the_history_api_adds_the_label(timed):
    def history(user: Any, url: str, language: str = "th") -> list[dict[str, Any]]:
        client = APIClient(HTTP_ACCEPT_LANGUAGE=language)
        client.force_authenticate(user)
        response = client.get(url)
        assert response.status_code == 200, response.content
        results: list[dict[str, Any]] = response.json()["results"]
        return results

    for user, url in (
        (timed.auditor, "/api/v1/history/"),
        (timed.chief, f"/api/v1/projects/{timed.project.pk}/history/"),
    ):
        events = history(user, url)
        labels = {e["action"]: e["action_label"] for e in events}
        for action, thai in THAI.items():
            assert labels[action.value] == thai, url
        assert all(e["action_label"] != e["action"] for e in events)
        # The fields the clients read are still there, with the same names.
        assert {"sequence", "action", "actor", "from_state", "to_state", "hash"} <= set(events[0])
    english = {e["action"]: e["action_label"] for e in history(timed.auditor, "/api/v1/history/", "en")}
    assert english["escalation"] == "Overdue task escalated to the superiors"
    assert english["create"] == "Selected (created)"

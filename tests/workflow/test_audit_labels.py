"""The audit trail speaks people's language (issue 13): the audit page, a project's timeline, the
CSV/XLSX exports and the history API name actions, objects, states, roles, payload keys and
files by their labels from one catalogue (``workflow.audit_actions``), never by their codes,
keys or storage paths; the exports carry headers in the user's language, a label next to each
code, BE dates in Thai and the ISO UTC time in a column of its own."""

from __future__ import annotations

import ast
import csv
import datetime
import io
import re
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook
from rest_framework.test import APIClient

from reports import parts
from reports.models import ReportBook
from tests import factories as f
from workflow.audit_actions import (
    OBJECT_TYPES,
    PAYLOAD_KEYS,
    AuditAction,
    action_label,
    field_label,
    key_label,
    object_type_label,
    role_label,
    state_label,
)
from workflow.dates import format_date
from workflow.models import AuditEvent, DistrictSubmission, EvidenceFile, Project, Role, State
from workflow.services import projects as svc
from workflow.services.delegation import delegation_create
from workflow.web import audit as audit_pages

APPS = ("workflow", "approvals", "notifications", "reports")
THAI = re.compile(r"[\u0E00-\u0E7F]")
BE_DATETIME = re.compile(r"^\d{1,2} \S+ 25\d\d \d\d:\d\d$")
CE_DATETIME = re.compile(r"^\d{1,2} [A-Z][a-z]{2} 20\d\d \d\d:\d\d$")


# --- Helpers ----------------------------------------------------------------------------------------


class _Visible(HTMLParser):
    """The text a person reads on a page: no tags, attributes, scripts, styles or <code>."""

    HIDDEN = {"script", "style", "code", "title"}

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in self.HIDDEN:
            self._hidden += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def visible(html: str) -> str:
    parser = _Visible()
    parser.feed(html)
    return re.sub(r"\s+", " ", " ".join(parser.parts))


def client_for(user: Any, language: str = "th") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def api_for(user: Any, language: str = "th") -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE=language)
    client.force_authenticate(user)
    return client


def in_language(language: str, function: Any, *args: Any) -> str:
    with translation.override(language):
        return str(function(*args))


def payload_keys(value: Any) -> set[str]:
    """Every key of a JSON value, at any depth."""
    if isinstance(value, dict):
        return set(value) | set().union(*(payload_keys(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(payload_keys(v) for v in value)) if value else set()
    return set()


# --- A project from approval to report, a district's submission, a delegation, a profile -------------


@pytest.fixture
def journey(world: SimpleNamespace) -> SimpleNamespace:
    w = world
    project = f.make_project(w.officer, w.entry, "40000.00")
    svc.project_approve(project=project, acting_user=w.chief, comment="เห็นชอบ")
    evidence = svc.evidence_add(
        project=project, acting_user=w.officer, uploaded=f.image_upload("receipt.png"), caption="ใบเสร็จค่าวัสดุ"
    )
    svc.project_implement(
        project=project,
        acting_user=w.officer,
        record=svc.ImplementationInput(
            spend_lines=[svc.LineInput("ค่าวัสดุจัดตลาด", "activity_materials", Decimal("39500.00"))],
            activities_done="เปิดตลาดชุมชนทุกวันเสาร์",
            villages_reached=4,
            households_reached=171,
            evidence_ids=[evidence.pk],
        ),
    )
    photo = svc.evidence_add(
        project=project,
        acting_user=w.inspector,
        uploaded=f.image_upload("ตรวจตลาด.png", colour=(10, 10, 200)),
        kind=EvidenceFile.Kind.MONITORING_PHOTO,
    )
    svc.project_monitor(
        project=project,
        acting_user=w.inspector,
        findings="ตลาดเปิดจริง มีผู้ค้า 40 ราย",
        recommendations="ขยายเวลา",
    )
    svc.project_report(project=project, acting_user=w.officer, result_narrative="รายได้ครัวเรือนเพิ่มขึ้น")
    f.disburse(w.d1, by=w.provincial)
    parts.district_profile_update(
        district=w.d1,
        acting_user=w.officer,
        data=parts.ProfileInput(population=53000, households=17500, general="ตั้งอยู่ริมแม่น้ำปิง"),
    )
    submission = svc.district_submit(district=w.d1, acting_user=w.chief, comment="ส่งรายงานผล")
    today = timezone.localdate()
    delegation = delegation_create(
        acting_user=w.chief,
        district=w.d1,
        delegate=w.officer2,
        starts_on=today,
        ends_on=today + datetime.timedelta(days=7),
    )
    project.refresh_from_db()
    assert project.state == State.SUBMITTED
    return SimpleNamespace(
        **vars(w),
        project=project,
        evidence=evidence,
        photo=photo,
        submission=submission,
        delegation=delegation,
        paths=[evidence.file.name, photo.file.name, ReportBook.objects.get(submission=submission).pdf.name],
    )


def raw_words(events: list[AuditEvent]) -> set[str]:
    """What must not be read on a page in Thai: the payloads' keys, the codes of the actions,
    states, roles, object types and kinds of files the events hold."""
    words: set[str] = set()
    for event in events:
        words |= {f"{key}:" for key in payload_keys(event.payload)}
        words |= {event.action, event.object_type, event.role, event.from_state, event.to_state}
    words |= {kind.value for kind in EvidenceFile.Kind}
    words.discard("")
    return words


def assert_no_raw(text: str, words: set[str], paths: list[str]) -> None:
    for word in sorted(words):
        pattern = re.escape(word) if word.endswith(":") else rf"(?<![\w/.-]){re.escape(word)}(?![\w/.-])"
        assert not re.search(pattern, text), f"raw {word!r} shown: …{_around(text, word)}…"
    for path in paths:
        assert path not in text and Path(path).name not in text, path
    assert not re.search(r"\b20\d\d\b", text), f"a CE year in Thai: …{_around(text, '20')}…"


def _around(text: str, word: str) -> str:
    at = text.find(word.rstrip(":"))
    return text[max(0, at - 60) : at + 60]


# --- The timeline and the search page in Thai -----------------------------------------------------------


def test_the_project_timeline_shows_labels_files_and_be_dates_in_thai(journey):
    response = client_for(journey.auditor).get(reverse("audit-project", args=[journey.project.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    text = visible(html)
    events = list(AuditEvent.objects.filter(project=journey.project))
    assert {e.action for e in events} >= {
        "create",
        "approve",
        "implement",
        "evidence_add",
        "monitor",
        "report",
    }
    assert_no_raw(text, raw_words(events), journey.paths)

    # The keys by their Thai labels, the values formatted (baht, the kind of file, counts).
    with translation.override("th"):
        for key in ("spent", "findings", "recommendations", "result_narrative", "kind", "evidence"):
            assert f"{key_label(key)}:" in text, key
        assert f"{key_label('spent')}: 39,500.00 บาท" in text
        assert f"{key_label('kind')}: ภาพถ่ายการตรวจสอบติดตาม" in text
        assert "ตลาดเปิดจริง มีผู้ค้า 40 ราย" in text
        assert state_label("implemented") in text and state_label("monitored") in text
    # Files by their caption or original name, with a link to download them; never their paths.
    evidence_url = reverse("evidence-download", args=[journey.project.pk, journey.evidence.pk])
    photo_url = reverse("evidence-download", args=[journey.project.pk, journey.photo.pk])
    assert f'<a href="{evidence_url}">ใบเสร็จค่าวัสดุ</a>' in html
    assert f'<a href="{photo_url}">ตรวจตลาด.png</a>' in html
    for path in journey.paths:
        assert path not in html
    assert client_for(journey.auditor).get(evidence_url).status_code == 200
    # Each event says what it concerns: the project by its title, a file by its caption.
    assert f"โครงการ “{journey.project.title}”" in text
    assert "ไฟล์ “ใบเสร็จค่าวัสดุ”" in text


def test_the_project_timeline_in_english_shows_english_labels_and_ce_dates(journey):
    text = visible(
        client_for(journey.auditor, "en")
        .get(reverse("audit-project", args=[journey.project.pk]))
        .content.decode()
    )
    assert "Spent: 39,500.00 baht" in text and "Kind: Monitoring photo" in text
    assert "Findings: ตลาดเปิดจริง" in text
    assert str(timezone.localdate().year) in text and str(timezone.localdate().year + 543) not in text


def test_the_search_page_names_each_object_in_thai(journey):
    html = client_for(journey.auditor).get(reverse("audit")).content.decode()
    text = visible(html)
    edition = journey.edition.code
    assert "หนังสือรายงานผลการขับเคลื่อน ฉบับที่ 1" in text
    assert f"ผู้รักษาราชการแทน {journey.officer2.username}" in text
    assert f"ข้อมูลพื้นฐานของอำเภอ (ส่วนที่ 1) รอบ {edition}" in text
    paid_on = format_date(timezone.localdate(), "th")
    assert f"การเบิกจ่าย 150,000.00 บาท วันที่ {paid_on}" in text
    for raw in ("submission", "delegation", "profile", "disbursement", "district_submit", "profile_update"):
        assert not re.search(rf"\b{raw}\b", text), raw
    assert not re.search(r"\b20\d\d\b", text)
    english = visible(client_for(journey.auditor, "en").get(reverse("audit")).content.decode())
    assert "District report book, version 1" in english
    assert f"District profile (part 1), edition {edition}" in english
    assert f"Acting official {journey.officer2.username}" in english


# --- The exports -------------------------------------------------------------------------------------------


def _body(response: Any) -> bytes:
    return b"".join(response.streaming_content)


def csv_table(response: Any) -> list[list[str]]:
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(_body(response).decode("utf-8-sig"))))


def xlsx_table(response: Any) -> list[list[Any]]:
    assert response.status_code == 200
    sheet: Any = load_workbook(io.BytesIO(_body(response)), read_only=True).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def expected_headers(language: str) -> list[str]:
    with translation.override(language):
        return [str(h) for h in audit_pages.EXPORT_HEADERS.values()]


def journey_paths(events: dict[int, AuditEvent]) -> list[str]:
    return [e.file.name for e in EvidenceFile.objects.all()] + [b.pdf.name for b in ReportBook.objects.all()]


def check_export(table: list[list[Any]], language: str) -> None:
    header, rows = [str(h) for h in table[0]], table[1:]
    assert header == expected_headers(language)
    column = {key: i for i, key in enumerate(audit_pages.EXPORT_HEADERS)}
    # Next to each code column, its label.
    for code, label in (
        ("action", "action_label"),
        ("role", "role_label"),
        ("object_type", "object_type_label"),
        ("from", "from_label"),
        ("to", "to_label"),
    ):
        assert column[label] == column[code] + 1, code
    events = {e.pk: e for e in AuditEvent.objects.all()}
    assert sorted(int(row[column["sequence"]]) for row in rows) == sorted(events)
    by_action: dict[str, list[Any]] = {}
    for row in rows:
        event = events[int(row[column["sequence"]])]
        by_action.setdefault(event.action, row)
        assert row[column["action_label"]] == in_language(language, action_label, event.action)
        assert row[column["object_type_label"]] == in_language(language, object_type_label, event.object_type)
        assert (row[column["role_label"]] or "") == in_language(language, role_label, event.role)
        for code, label in (("from_state", "from_label"), ("to_state", "to_label")):
            assert (row[column[label]] or "") == in_language(language, state_label, getattr(event, code))
        # The time as people read it (BE in Thai), and ISO 8601 UTC for machines.
        shown = str(row[column["time"]])
        assert (BE_DATETIME if language == "th" else CE_DATETIME).match(shown), shown
        local = timezone.localtime(event.created_at)
        year = local.year + (543 if language == "th" else 0)
        assert shown.endswith(f"{year} {local:%H:%M}") and shown.startswith(f"{local.day} ")
        moment = datetime.datetime.fromisoformat(str(row[column["time_utc"]]))
        assert moment == event.created_at and moment.utcoffset() == datetime.timedelta(0)
    approve = by_action["approve"]
    if language == "th":
        assert THAI.search(approve[column["action_label"]])
        assert approve[column["role_label"]] == in_language("th", role_label, Role.DISTRICT_CHIEF)
        assert approve[column["from_label"]] == in_language("th", state_label, "selected")
        submit = by_action["district_submit"]
        assert submit[column["object_label"]] == "หนังสือรายงานผลการขับเคลื่อน ฉบับที่ 1"
        details = str(by_action["evidence_add"][column["details"]])
        assert "ใบเสร็จค่าวัสดุ" in details or "ตรวจตลาด.png" in details
        # The evidence an implementation lists, by its caption (the files read once per batch).
        implemented = str(by_action["implement"][column["details"]])
        assert "ไฟล์หลักฐาน: ใบเสร็จค่าวัสดุ" in implemented and "ใช้จ่ายจริง: 39,500.00 บาท" in implemented
        for row in rows:
            assert not any(path in str(row[column["details"]]) for path in journey_paths(events))
    else:
        assert approve[column["action_label"]] == "Approved"
        assert (
            approve[column["from_label"]] == "Selected" and approve[column["role_label"]] == "District chief"
        )
        assert by_action["district_submit"][column["object_label"]] == "District report book, version 1"


def test_the_csv_export_in_thai_and_in_english(journey):
    check_export(csv_table(client_for(journey.auditor).get(reverse("audit-export-csv"))), "th")
    check_export(csv_table(client_for(journey.auditor, "en").get(reverse("audit-export-csv"))), "en")


def test_the_xlsx_export_in_thai_and_in_english(journey):
    check_export(xlsx_table(client_for(journey.auditor).get(reverse("audit-export-xlsx"))), "th")
    check_export(xlsx_table(client_for(journey.auditor, "en").get(reverse("audit-export-xlsx"))), "en")


# --- The history API -------------------------------------------------------------------------------------------

OLD_FIELDS = {
    "sequence",
    "chain",
    "chain_seq",
    "created_at",
    "actor",
    "acting_for",
    "role",
    "area_code",
    "action",
    "action_label",
    "object_type",
    "object_id",
    "district",
    "province",
    "project",
    "from_state",
    "to_state",
    "comment",
    "is_late",
    "rule_results",
    "budget",
    "payload",
    "prev_hash",
    "hash",
}
LABEL_FIELDS = {
    "role_label",
    "object_type_label",
    "object_label",
    "from_state_label",
    "to_state_label",
    "payload_details",
}


def test_the_history_api_adds_labels_and_keeps_its_fields(journey):
    for user, url in (
        (journey.auditor, "/api/v1/history/?page_size=100"),
        (journey.chief, f"/api/v1/projects/{journey.project.pk}/history/"),
    ):
        response = api_for(user).get(url)
        assert response.status_code == 200, response.content
        events = response.json()["results"]
        for event in events:
            assert OLD_FIELDS | LABEL_FIELDS <= set(event), url
            stored = AuditEvent.objects.get(pk=event["sequence"])
            assert (event["action"], event["object_type"], event["payload"]) == (
                stored.action,
                stored.object_type,
                stored.payload,
            )
            assert event["to_state_label"] == in_language("th", state_label, stored.to_state)
            assert event["object_type_label"] == in_language("th", object_type_label, stored.object_type)
            for detail in event["payload_details"]:
                assert detail["label"] == in_language("th", key_label, detail["key"])
                assert not any(path in detail["text"] for path in journey.paths)
        by_action = {e["action"]: e for e in events}
        implement = by_action["implement"]
        assert implement["from_state_label"] == in_language("th", state_label, "approved")
        assert THAI.search(implement["from_state_label"])
        assert implement["object_label"] == f"โครงการ “{journey.project.title}”"
        spent = next(d for d in implement["payload_details"] if d["key"] == "spent")
        assert spent["text"] == "39,500.00 บาท"
        files = next(d for d in by_action["evidence_add"]["payload_details"] if d["key"] == "name")["files"]
        assert files and all(not ref["label"].startswith("evidence/") for ref in files)
    history = api_for(journey.auditor).get("/api/v1/history/?page_size=100").json()["results"]
    submitted = next(e for e in history if e["action"] == "district_submit")
    assert submitted["object_label"] == "หนังสือรายงานผลการขับเคลื่อน ฉบับที่ 1"
    book = next(d for d in submitted["payload_details"] if d["key"] == "book")
    assert book["files"] == [
        {
            "label": "หนังสือรายงานผลที่ส่งแล้ว (PDF)",
            "url": reverse("submission-book", args=[journey.submission.pk]),
        }
    ]
    english = api_for(journey.auditor, "en").get("/api/v1/history/?page_size=100").json()["results"]
    delegation = next(e for e in english if e["action"] == "delegation_create")
    assert delegation["object_type_label"] == "Appointment of an acting official"
    assert delegation["role_label"] == "District chief"
    starts = next(d for d in delegation["payload_details"] if d["key"] == "starts_on")
    assert starts["label"] == "Starts on" and str(timezone.localdate().year) in starts["text"]


# --- Every action, object type and payload key has a label --------------------------------------------------


def _thai_and_english(function: Any, code: str) -> tuple[str, str]:
    return in_language("th", function, code), in_language("en", function, code)


def test_every_action_has_a_thai_and_an_english_label():
    for member in AuditAction:
        thai, english = _thai_and_english(action_label, member.value)
        assert THAI.search(thai) and english != member.value and not THAI.search(english), member


def _written_object_types() -> set[str]:
    """Every ``object_type="..."`` written in the apps' code, and the importers' (``_audit``)."""
    found: set[str] = set()
    base = Path(settings.BASE_DIR)
    for app in APPS:
        for path in (base / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.Call):
                    continue
                for keyword in node.keywords:
                    if keyword.arg == "object_type" and isinstance(keyword.value, ast.Constant):
                        found.add(str(keyword.value.value))
                name = getattr(node.func, "id", getattr(node.func, "attr", ""))
                if name == "_audit" and len(node.args) >= 3 and isinstance(node.args[2], ast.Constant):
                    found.add(str(node.args[2].value))
    return found


def _written_payload_keys() -> set[str]:
    """The keys of every dictionary literal the apps' code hands to an audit event: ``payload=``,
    ``payload = {...}``, ``def payload(): return {...}``, the services' own ``_publish``/``_record`` and the documents' records."""
    found: set[str] = set()
    base = Path(settings.BASE_DIR)

    def keys(node: ast.AST) -> None:
        for inner in ast.walk(node):
            if isinstance(inner, ast.Dict):
                found.update(str(k.value) for k in inner.keys if isinstance(k, ast.Constant))

    for app in APPS:
        for path in (base / app).rglob("*.py"):
            if "migrations" in path.parts or "tests" in path.parts:
                continue
            source = path.read_text(encoding="utf-8")
            if "payload" not in source and "register_submission_document" not in source:
                continue
            for node in ast.walk(ast.parse(source)):
                if isinstance(node, ast.Call):
                    for keyword in node.keywords:
                        if keyword.arg == "payload":
                            keys(keyword.value)
                    name = getattr(node.func, "id", getattr(node.func, "attr", ""))
                    if name in ("_publish", "_record"):
                        for arg in node.args:
                            keys(arg)
                elif isinstance(node, ast.Assign) and any(
                    isinstance(t, ast.Name) and t.id == "payload" for t in node.targets
                ):
                    keys(node.value)
                elif isinstance(node, ast.FunctionDef) and node.name == "payload":
                    keys(node)  # a payload asked for once the step's rows are written
                elif isinstance(node, ast.FunctionDef) and node.name in (
                    "submission_document",
                    "letter_document",
                ):
                    keys(node)
    return found


def test_every_object_type_and_payload_key_written_in_the_code_has_a_label():
    types = _written_object_types()
    assert {"project", "submission", "delegation", "profile", "drive_report", "task"} <= types
    missing = sorted(t for t in types if t not in OBJECT_TYPES)
    assert not missing, f"object types without a label in workflow.audit_actions.OBJECT_TYPES: {missing}"
    keys = _written_payload_keys()
    assert {"spent", "findings", "kind", "name", "delegate", "changed", "book"} <= keys
    missing = sorted(k for k in keys if k not in PAYLOAD_KEYS)
    assert not missing, f"payload keys without a label in workflow.audit_actions.PAYLOAD_KEYS: {missing}"
    for code in types:
        thai, english = _thai_and_english(object_type_label, code)
        assert THAI.search(thai) and english != code, code
    for key in keys:
        thai, english = _thai_and_english(key_label, key)
        assert THAI.search(thai) and english != key, key


NESTED_FIELDS = ("changed", "after", "values")


@pytest.mark.django_db
def test_every_object_type_and_payload_key_the_services_write_has_a_label(tmp_path):
    """The demo seed (imports, roles, an edition, a project in every state, a submitted district
    with its book), then the other audited services; every row written is read back."""
    from approvals import services as task_services
    from approvals.selectors import task_list_for
    from notifications.timers import open_tasks, timers_run
    from reports.services import book_settings_update, submission_acknowledge
    from workflow.demo.seed import demo_seed
    from workflow.services.admin_changes import admin_object_delete, admin_object_save
    from workflow.services.delegation import delegation_revoke
    from workflow.services.programme import edition_update
    from workflow.services.progress import project_progress_add, project_supervision_add
    from workflow.services.roles import role_revoke

    with override_settings(THAI_ADMIN_DATA_DIR=tmp_path / "absent"):
        demo_seed()
    users = {u.username: u for u in get_user_model().objects.all()}
    officer, chief, admin = users["officer"], users["chief"], users["admin"]
    in_5001 = {p.state: p for p in Project.objects.filter(district_id="5001")}
    approved, returned = in_5001["approved"], in_5001["returned"]
    svc.project_update(
        acting_user=officer,
        project=returned,
        data=f.good_input(
            list(returned.subdistricts.values_list("code", flat=True)), "10000.00", title=returned.title
        ),
    )
    svc.project_resubmit(project=returned, acting_user=officer, comment="แก้ไขแล้ว")
    selected = in_5001["selected"]
    svc.project_comment(project=selected, acting_user=chief, comment="ขอข้อมูลเพิ่มเติม")
    svc.evidence_add(project=approved, acting_user=officer, uploaded=f.image_upload("a.png"), caption="ภาพ")
    review = next(t for t in task_list_for(chief) if t.process.projectprocess.project_id == selected.pk)
    task_services.task_claim(task=review, acting_user=chief)
    task_services.task_unclaim(task=review, acting_user=chief)
    implement = next(t for t in task_list_for(officer) if t.process.projectprocess.project_id == approved.pk)
    task_services.task_assign(task=implement, acting_user=chief, assignee=officer)
    project_progress_add(
        project=approved,
        acting_user=officer,
        as_of=timezone.localdate(),
        percent_done=50,
        text="คืบหน้า",
        photos=[f.image_upload("progress.png")],
    )
    project_supervision_add(project=approved, acting_user=users["inspector"], text="ติดตามแล้ว")
    dues = [t.due_date for t in open_tasks()]
    timers_run(today=min(dues))
    timers_run(today=max(dues) + datetime.timedelta(days=60))
    today = timezone.localdate()
    deputy = f.user_with("deputy", Role.DISTRICT_OFFICER, approved.district)
    delegation = delegation_create(
        acting_user=chief, district="5001", delegate=deputy, starts_on=today, ends_on=today
    )
    delegation_revoke(acting_user=chief, delegation=delegation)
    edition = approved.edition
    edition_update(acting_user=admin, edition=edition, values={"title": edition.title + " (แก้ไข)"})
    submission_acknowledge(
        submission=DistrictSubmission.objects.get(district_id="5002"), acting_user=users["planner"]
    )
    book_settings_update(acting_user=admin, emblem=f.image_upload("emblem.png"))
    from workflow.models import Holiday

    holiday = Holiday(date=datetime.date(2099, 12, 5), name="วันพ่อแห่งชาติ")
    admin_object_save(acting_user=admin, obj=holiday, changed_fields=["date", "name"], is_new=True)
    admin_object_delete(acting_user=admin, obj=holiday)
    role_revoke(acting_user=admin, user=users["planner"], role=Role.CENTRAL_PLANNER, area_code="TH")

    unlabelled: set[str] = set()
    events = list(AuditEvent.objects.all())
    assert set(AuditAction.values) <= {e.action for e in events}
    for event in events:
        for code in (event.object_type,):
            thai, english = _thai_and_english(object_type_label, code)
            if not THAI.search(thai) or english == code:
                unlabelled.add(f"object type {code!r}")
        for key in _keys(event.payload) | payload_keys(event.budget) | payload_keys(event.rule_results):
            thai, english = _thai_and_english(key_label, key)
            if not THAI.search(thai) or english == key:
                unlabelled.add(f"{event.action}: key {key!r}")
        for name in NESTED_FIELDS:
            for field_name in _nested(event.payload, name):
                with translation.override("th"):
                    thai = field_label(event.object_type, field_name)
                with translation.override("en"):
                    english = field_label(event.object_type, field_name)
                if not THAI.search(thai) or english == field_name:
                    unlabelled.add(f"{event.action} ({event.object_type}): field {field_name!r}")
    assert not unlabelled, "written without a label: " + ", ".join(sorted(unlabelled))


def _keys(payload: dict[str, Any]) -> set[str]:
    """A payload's keys at any depth, except the field names (and values) of the objects'
    models its ``changed``, ``after`` and ``values`` hold (``field_label`` names those)."""
    found: set[str] = set()
    for key, value in (payload or {}).items():
        found.add(key)
        if key not in NESTED_FIELDS:
            found |= payload_keys(value)
        elif isinstance(value, dict):
            found |= {
                k for v in value.values() if isinstance(v, dict) and set(v) == {"from", "to"} for k in v
            }
    return found


def _nested(payload: dict[str, Any], name: str) -> list[str]:
    """The field names a payload's ``changed``/``after``/``values`` holds (a list or a dict's keys)."""
    value = (payload or {}).get(name)
    if isinstance(value, dict):
        return [str(k) for k in value]
    if isinstance(value, list):
        return [str(k) for k in value if isinstance(k, str)]
    return []


def test_an_unknown_code_or_key_shows_as_itself():
    with translation.override("th"):
        assert object_type_label("no_such_type") == "no_such_type"
        assert key_label("no_such_key") == "no_such_key"
        assert state_label("no_such_state") == "no_such_state"
        assert field_label("project", "no_such_field") == "no_such_field"

"""The project pages: list, detail (rules, budget meter, timeline, comments, evidence), one page
per transition, and the district's submission."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests import factories as f
from workflow.models import AuditEvent, DistrictSubmission, EvidenceFile, MonitoringRecord, Project, State
from workflow.services import projects as svc
from workflow.services.delegation import delegation_create
from workflow.services.projects import ImplementationInput, LineInput

User = get_user_model()
TODAY = timezone.localdate()
PNG = f.image_bytes()
# The covering letter's number and date the submission page asks for (English page: CE dates).
LETTER = {"letter_number": "มท 0318.1/123", "letter_date": TODAY.strftime("%d/%m/%Y")}


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path


def browser(user: Any, language: str = "th") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def page(client: Client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, response.content.decode()[:2000]
    return response.content.decode()


def visible_text(html: str) -> str:
    """The page without its machine-readable ``datetime="…"`` attributes (ISO, always CE)."""
    return re.sub(r'datetime="[^"]*"', "", html)


def section(html: str, element_id: str) -> str:
    """The HTML of the <section id=...> (up to the next section)."""
    start = html.index(f'id="{element_id}"')
    end = html.find("<section", start)
    return html[start : end if end != -1 else len(html)]


def timeline_items(html: str) -> list[str]:
    """The entries of the project's history, oldest first as shown."""
    return re.findall(r"<li>.*?</li>", section(html, "history"), re.S)


def detail_url(project: Project) -> str:
    return f"/projects/{project.pk}/"


def action_url(project: Project, name: str) -> str:
    return f"/projects/{project.pk}/actions/{name}/"


def small_lines(count: int, amount: str = "100.00") -> list[LineInput]:
    return [LineInput(f"รายการ {i}", "activity_materials", Decimal(amount)) for i in range(count)]


def approved(w: Any, entry: Any = None, **overrides: Any) -> Project:
    project = f.make_project(w.officer, entry or w.entry, **overrides)
    svc.project_approve(project=project, acting_user=w.chief)
    project.refresh_from_db()
    return project


def implemented(w: Any, entry: Any = None) -> Project:
    project = approved(w, entry)
    record = ImplementationInput(
        spend_lines=[LineInput("วัสดุ", "activity_materials", Decimal("1000.00"))],
        activities_done="ฝึกอาชีพ",
        villages_reached=2,
        households_reached=40,
    )
    svc.project_implement(project=project, acting_user=w.officer, record=record)
    project.refresh_from_db()
    return project


def monitored(w: Any, entry: Any = None) -> Project:
    project = implemented(w, entry)
    svc.project_monitor(project=project, acting_user=w.inspector, findings="เรียบร้อย")
    project.refresh_from_db()
    return project


def reported(w: Any, entry: Any = None) -> Project:
    project = monitored(w, entry)
    svc.project_report(project=project, acting_user=w.officer, result_narrative="ผลสำเร็จ")
    project.refresh_from_db()
    return project


def add_evidence(project: Project, user: Any, caption: str = "ภาพกิจกรรม") -> EvidenceFile:
    upload = SimpleUploadedFile("activity.png", PNG, content_type="image/png")
    evidence: EvidenceFile = svc.evidence_add(
        project=project, acting_user=user, uploaded=upload, caption=caption
    )
    return evidence


# --- Who sees what ---------------------------------------------------------------------------


def test_anonymous_users_are_sent_to_the_login_page(world):
    project = f.make_project(world.officer, world.entry)
    for url in (
        "/projects/",
        detail_url(project),
        action_url(project, "approve"),
        "/districts/5001/submission/",
    ):
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_another_districts_user_gets_404_on_detail_actions_and_evidence(world):
    project = approved(world)
    evidence = add_evidence(project, world.officer)
    outsider = browser(world.other_officer)
    assert outsider.get(detail_url(project)).status_code == 404
    for name in ("approve", "implement", "withdraw", "monitor"):
        assert outsider.get(action_url(project, name)).status_code == 404
        assert outsider.post(action_url(project, name), {"comment": "x"}).status_code == 404
    assert outsider.get(f"/projects/{project.pk}/evidence/{evidence.pk}/").status_code == 404
    assert outsider.post(f"/projects/{project.pk}/comment/", {"comment": "x"}).status_code == 404
    assert browser(world.other_chief).get(detail_url(project)).status_code == 404
    assert browser(world.other_inspector).get(detail_url(project)).status_code == 404
    assert project.title not in page(outsider, "/projects/")
    # The project's own district sees it, and may download the file.
    owner = browser(world.officer)
    response = owner.get(f"/projects/{project.pk}/evidence/{evidence.pk}/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG
    # An evidence id of another project is not found under this project.
    other = approved(world, world.entry2, amount="20000.00")
    assert owner.get(f"/projects/{other.pk}/evidence/{evidence.pk}/").status_code == 404


def test_unknown_action_and_unknown_project_are_404(world):
    project = f.make_project(world.officer, world.entry)
    chief = browser(world.chief)
    assert chief.get(action_url(project, "submit")).status_code == 404
    assert chief.get(action_url(project, "explode")).status_code == 404
    assert chief.get("/projects/999999/").status_code == 404


# --- The project page ---------------------------------------------------------------------------


def test_detail_shows_rule_panel_budget_meter_and_timeline_in_order(world):
    project = f.make_project(world.officer, world.entry)  # 50,000.00
    f.make_project(world.officer, world.entry2, amount="30000.00")
    svc.project_comment(project=project, acting_user=world.provincial, comment="ตรวจงบประมาณแล้ว")
    svc.project_approve(project=project, acting_user=world.chief, comment="อนุมัติตามเสนอ")
    html = page(browser(world.chief, "en"), detail_url(project))

    # The rule panel: every rule with its badge, message and clause.
    assert "Guideline rules" in html
    assert html.count('class="badge passed">Passed<') == 14
    assert "Guideline 1, scope (5): budget" in html
    assert "Projects to avoid (Don&#x27;t) 1" in html
    assert (
        "Committed by the district&#x27;s other projects 30,000.00 THB + this project 50,000.00 THB "
        "= 80,000.00 THB, within the cap of 150,000.00 THB" in html
    )

    # The district's budget meter: cap, committed (both live projects), remaining.
    meter = html[html.index('id="meter-title"') :]
    meter = meter[: meter.index("</section>")]
    assert "150,000.00" in meter
    assert "80,000.00" in meter
    assert "70,000.00" in meter
    assert 'class="meter"' in meter
    assert 'style="width: 53.3%"' in meter

    # The timeline: oldest first, with actor, role, states and comments.
    history = section(html, "history")
    created = history.index("Selected from the project bank")
    commented = history.index("ตรวจงบประมาณแล้ว")
    approved_at = history.index("Approved")
    assert created < commented < approved_at
    assert "Selected → Approved" in history
    assert "District chief" in history
    assert "Provincial officer" in history
    assert "อนุมัติตามเสนอ" in history

    # Every field of the project.
    assert "B-1 ส่งเสริมอาชีพวิสาหกิจชุมชน" in html
    assert "Tambon 500101" in html
    assert "Economy" in html
    assert "120" in html  # target households
    assert "40,000.00" in html and "10,000.00" in html  # budget lines
    assert "Fits the district development plan" in html
    # The comment is listed in the comments section too.
    assert "ตรวจงบประมาณแล้ว" in section(html, "comments")


def test_failed_rules_are_marked_failed_and_the_meter_shows_over_the_cap(world):
    project = f.make_project(world.officer, world.entry)  # 50,000.00
    world.edition.budget_cap = Decimal("40000.00")  # the cap is lowered after the selection
    world.edition.save()
    html = page(browser(world.chief, "en"), detail_url(project))
    assert html.count('class="badge passed">Passed<') == 13
    assert html.count('class="badge failed">Failed<') == 1
    failed = html[html.index('<li class="failed"') :]
    assert "would be more than the cap of 40,000.00 THB" in failed[: failed.index("</li>")]
    assert "1 rule is not met." in html
    assert 'class="meter over"' in html
    assert "-10,000.00" in html
    assert 'style="width: 100.0%"' in html


def test_only_the_actions_the_viewer_may_take_are_shown(world):
    project = f.make_project(world.officer, world.entry)
    hrefs = {
        name: f'href="{action_url(project, name)}"'
        for name in ("approve", "return", "reject", "withdraw", "resubmit", "implement", "monitor", "report")
    }
    comment_form = f'action="/projects/{project.pk}/comment/"'

    chief = page(browser(world.chief), detail_url(project))
    assert [n for n, h in hrefs.items() if h in chief] == ["approve", "return", "reject"]
    assert comment_form in chief

    officer = page(browser(world.officer), detail_url(project))
    assert [n for n, h in hrefs.items() if h in officer] == ["withdraw"]

    auditor = page(browser(world.auditor), detail_url(project))
    assert [n for n, h in hrefs.items() if h in auditor] == []
    assert comment_form not in auditor
    assert "/actions/" not in auditor

    provincial = page(browser(world.provincial), detail_url(project))
    assert "/actions/" not in provincial
    assert comment_form in provincial


def test_comment_from_the_page_and_an_auditor_may_not(world):
    project = f.make_project(world.officer, world.entry)
    client = browser(world.planner)
    response = client.post(f"/projects/{project.pk}/comment/", {"comment": "ขอเอกสารเพิ่ม"})
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="comment")
    assert (event.actor, event.comment, event.project_id) == (world.planner, "ขอเอกสารเพิ่ม", project.pk)
    assert "ขอเอกสารเพิ่ม" in section(page(client, detail_url(project)), "comments")

    empty = client.post(f"/projects/{project.pk}/comment/", {"comment": "  "})
    assert empty.status_code == 422
    assert 'id="id_comment_error"' in empty.content.decode()

    denied = browser(world.auditor).post(f"/projects/{project.pk}/comment/", {"comment": "ไม่ควรได้"})
    assert denied.status_code == 403
    assert AuditEvent.objects.filter(action="comment").count() == 1


def test_evidence_upload_from_the_page_only_while_the_step_is_open(world):
    project = approved(world)
    client = browser(world.officer, "en")
    html = page(client, detail_url(project))
    assert f'action="/projects/{project.pk}/evidence/"' in html
    upload = SimpleUploadedFile("receipt.pdf", b"%PDF-1.4 receipt", content_type="application/pdf")
    response = client.post(f"/projects/{project.pk}/evidence/", {"file": upload, "caption": "ใบเสร็จ"})
    assert response.status_code == 302
    evidence = EvidenceFile.objects.get()
    assert (evidence.kind, evidence.caption, evidence.uploaded_by) == ("evidence", "ใบเสร็จ", world.officer)
    listing = section(page(client, detail_url(project)), "evidence")
    assert "ใบเสร็จ" in listing and f"/projects/{project.pk}/evidence/{evidence.pk}/" in listing
    assert AuditEvent.objects.filter(action="evidence_add", project=project).exists()

    # No file: the error is beside the field, the caption is kept.
    missing = client.post(f"/projects/{project.pk}/evidence/", {"caption": "ลืมแนบ"})
    assert missing.status_code == 422
    assert 'id="id_file_error"' in missing.content.decode()
    assert 'value="ลืมแนบ"' in missing.content.decode()

    # The chief has no upload box, and a post is refused.
    assert f'action="/projects/{project.pk}/evidence/"' not in page(browser(world.chief), detail_url(project))
    upload = SimpleUploadedFile("x.png", PNG, content_type="image/png")
    refused = browser(world.chief).post(f"/projects/{project.pk}/evidence/", {"file": upload})
    assert refused.status_code == 403
    assert EvidenceFile.objects.count() == 1


# --- The transition pages --------------------------------------------------------------------------


def test_return_without_a_comment_shows_the_error_beside_the_field(world):
    project = f.make_project(world.officer, world.entry)
    client = browser(world.chief, "en")
    form = page(client, action_url(project, "return"))
    assert "Return for revision" in form
    assert "(required)" in form
    response = client.post(action_url(project, "return"), {"comment": ""})
    assert response.status_code == 422
    html = response.content.decode()
    field = html[html.index('<div class="field invalid">') :]
    field = field[: field.index("</div>")]
    assert 'name="comment"' in field
    assert 'aria-describedby="id_comment_helptext id_comment_error"' in field
    assert 'id="id_comment_error" role="alert">A comment is required.' in field
    project.refresh_from_db()
    assert project.state == State.SELECTED
    assert not AuditEvent.objects.filter(action="return").exists()

    # With a comment the project goes back to the officer.
    done = client.post(action_url(project, "return"), {"comment": "แก้ไขกลุ่มเป้าหมาย"})
    assert done.status_code == 302
    project.refresh_from_db()
    assert project.state == State.RETURNED


def test_reject_keeps_what_was_typed_when_the_state_changed_meanwhile(world):
    project = f.make_project(world.officer, world.entry)
    client = browser(world.chief, "en")
    assert "Reject" in page(client, action_url(project, "reject"))
    svc.project_withdraw(project=project, acting_user=world.officer)
    response = client.post(action_url(project, "reject"), {"comment": "ไม่ผ่าน"})
    assert response.status_code == 409
    assert "not possible in the project&#x27;s current state" in response.content.decode()


def test_approve_via_the_page_changes_the_state_and_writes_an_audit_event(world):
    project = f.make_project(world.officer, world.entry)
    client = browser(world.chief, "en")
    form = page(client, action_url(project, "approve"))
    assert "Guideline rules" in form
    assert 'name="comment"' in form
    response = client.post(action_url(project, "approve"), {"comment": "เห็นชอบ"})
    assert response.status_code == 302
    assert response["Location"] == detail_url(project)
    project.refresh_from_db()
    assert project.state == State.APPROVED
    event = AuditEvent.objects.get(action="approve", project=project)
    assert (event.actor, event.from_state, event.to_state, event.comment) == (
        world.chief,
        "selected",
        "approved",
        "เห็นชอบ",
    )
    html = page(client, detail_url(project))
    assert "The project is approved." in html
    assert "/actions/approve/" not in html


def test_wrong_role_is_403_and_wrong_state_is_a_friendly_409(world):
    project = f.make_project(world.officer, world.entry)
    officer = browser(world.officer, "en")
    denied = officer.get(action_url(project, "approve"))
    assert denied.status_code == 403
    assert "Not allowed" in denied.content.decode()
    assert officer.post(action_url(project, "approve"), {}).status_code == 403
    assert browser(world.auditor).get(action_url(project, "approve")).status_code == 403

    wrong_state = officer.get(action_url(project, "implement"))
    assert wrong_state.status_code == 409
    html = wrong_state.content.decode()
    assert "This action is not possible in the project&#x27;s current state." in html
    assert "The project is now: Selected." in html
    assert f'href="{detail_url(project)}"' in html
    assert browser(world.inspector).get(action_url(project, "monitor")).status_code == 409


def test_rule_violation_on_approve_is_listed_with_its_clause(world):
    project = f.make_project(world.officer, world.entry)
    # The edition's deadline moves before the project's end: approving breaks the duration rule.
    world.edition.deadline = TODAY
    world.edition.save()
    client = browser(world.chief, "en")
    response = client.post(action_url(project, "approve"), {"comment": "ตกลง"})
    assert response.status_code == 422
    html = response.content.decode()
    assert "The project breaks the programme guideline." in html
    assert "the end date is later" in html
    assert "Guideline 1, scope (4): duration" in html
    assert "ตกลง" in html  # the comment is kept
    project.refresh_from_db()
    assert project.state == State.SELECTED


def implement_post(**extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "lines-TOTAL_FORMS": "3",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "200",
        "lines-0-description": "ค่าวัสดุฝึกอาชีพ",
        "lines-0-category": "activity_materials",
        "lines-0-amount": "30000.50",
        "lines-1-description": "ค่าวิทยากร",
        "lines-1-category": "wages",
        "lines-1-amount": "9000",
        "lines-2-description": "",
        "lines-2-category": "",
        "lines-2-amount": "",
        "activities_done": "อบรมและฝึกปฏิบัติ 3 ครั้ง",
        "villages_reached": "3",
        "households_reached": "118",
        "comment": "",
    }
    data.update(extra)
    return data


def test_implement_with_spend_lines_and_an_uploaded_file(world):
    project = approved(world)
    earlier = add_evidence(project, world.officer, caption="ภาพก่อนเริ่ม")
    client = browser(world.officer, "en")
    form = page(client, action_url(project, "implement"))
    assert 'name="lines-TOTAL_FORMS" value="5"' in form
    assert 'name="lines-4-amount"' in form
    assert 'type="file" name="new_files"' in form
    assert "ภาพก่อนเริ่ม" in form
    assert f'value="{earlier.pk}"' in form and "checked" in form
    assert "rolemodel/project.js" in form

    upload = SimpleUploadedFile("receipt.png", PNG, content_type="image/png")
    response = client.post(
        action_url(project, "implement"),
        implement_post(evidence=[str(earlier.pk)], new_files=upload, new_caption="ใบเสร็จ"),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    project.refresh_from_db()
    assert project.state == State.IMPLEMENTED
    assert [(s.description, s.category, s.amount) for s in project.spend_lines.all()] == [
        ("ค่าวัสดุฝึกอาชีพ", "activity_materials", Decimal("30000.50")),
        ("ค่าวิทยากร", "wages", Decimal("9000.00")),
    ]
    assert (project.villages_reached, project.households_reached) == (3, 118)
    new = EvidenceFile.objects.get(caption="ใบเสร็จ")
    assert new.kind == "evidence"
    event = AuditEvent.objects.get(action="implement", project=project)
    assert sorted(e["id"] for e in event.payload["evidence"]) == [earlier.pk, new.pk]
    assert event.payload["spent"] == "39000.50"
    html = page(client, detail_url(project))
    assert "39,000.50" in html and "ค่าวิทยากร" in html and "ใบเสร็จ" in html


def test_implement_errors_are_shown_beside_the_row_and_everything_typed_is_kept(world):
    project = approved(world)
    client = browser(world.officer, "en")
    data = implement_post(**{"lines-1-amount": "", "households_reached": "-1"})
    response = client.post(action_url(project, "implement"), data)
    assert response.status_code == 422
    html = response.content.decode()
    assert 'id="id_lines-1-amount_error" role="alert">Enter an amount in baht.' in html
    assert 'id="id_households_reached_error"' in html
    assert 'value="ค่าวิทยากร"' in html  # the row's description is kept
    assert "อบรมและฝึกปฏิบัติ 3 ครั้ง" in html
    assert 'value="30000.50"' in html
    project.refresh_from_db()
    assert project.state == State.APPROVED
    assert not project.spend_lines.exists()


def test_monitor_by_the_inspector_with_photos(world):
    project = implemented(world)
    assert browser(world.officer).get(action_url(project, "monitor")).status_code == 403
    client = browser(world.inspector, "en")
    form = page(client, action_url(project, "monitor"))
    assert 'name="findings"' in form and 'name="photos"' in form

    missing = client.post(action_url(project, "monitor"), {"findings": "", "recommendations": "ควรขยายผล"})
    assert missing.status_code == 422
    assert 'id="id_findings_error"' in missing.content.decode()
    assert "ควรขยายผล" in missing.content.decode()

    photos = [
        SimpleUploadedFile("a.png", PNG, content_type="image/png"),
        SimpleUploadedFile("b.jpg", PNG, content_type="image/jpeg"),
    ]
    response = client.post(
        action_url(project, "monitor"),
        {
            "findings": "ดำเนินการครบ",
            "recommendations": "ควรขยายผล",
            "photos": photos,
            "photo_caption": "ลงพื้นที่",
        },
    )
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.state == State.MONITORED
    record = MonitoringRecord.objects.get(project=project)
    assert (record.inspector, record.findings, record.recommendations) == (
        world.inspector,
        "ดำเนินการครบ",
        "ควรขยายผล",
    )
    assert EvidenceFile.objects.filter(project=project, kind="monitoring_photo").count() == 2
    html = page(client, detail_url(project))
    assert "ดำเนินการครบ" in html and "ควรขยายผล" in html and "By inspector" in html


def test_report_requires_the_narrative(world):
    project = monitored(world)
    client = browser(world.officer, "en")
    assert "เรียบร้อย" in page(client, action_url(project, "report"))  # the findings are shown
    missing = client.post(action_url(project, "report"), {"result_narrative": " "})
    assert missing.status_code == 422
    assert 'id="id_result_narrative_error"' in missing.content.decode()
    response = client.post(action_url(project, "report"), {"result_narrative": "ประชาชนมีรายได้เพิ่ม"})
    assert response.status_code == 302
    project.refresh_from_db()
    assert (project.state, project.result_narrative) == (State.REPORTED, "ประชาชนมีรายได้เพิ่ม")
    html = page(client, detail_url(project))
    assert "ประชาชนมีรายได้เพิ่ม" in html
    assert 'href="/districts/5001/submission/"' in html


# --- The district's submission ---------------------------------------------------------------------


def test_district_submission_when_every_project_is_reported(world):
    first = reported(world)
    second = reported(world, world.entry2)
    f.disburse(world.d1)
    client = browser(world.chief, "en")
    html = page(client, "/districts/5001/submission/")
    assert "Every live project is reported." in html
    assert first.title in html
    assert 'name="comment"' in html
    response = client.post("/districts/5001/submission/", {"comment": "ส่งรายงาน", **LETTER})
    assert response.status_code == 302
    submission = DistrictSubmission.objects.get()
    assert (submission.version, submission.submitted_by, submission.comment) == (1, world.chief, "ส่งรายงาน")
    assert set(submission.projects.all()) == {first, second}
    assert set(Project.objects.values_list("state", flat=True)) == {State.SUBMITTED}
    after = page(client, "/districts/5001/submission/")
    past = section(after, "past-title")
    assert "ส่งรายงาน" in past and ">1<" in past
    assert "Version 1 of the district&#x27;s report is submitted." in after


def test_district_submission_not_ready_lists_the_projects_not_reported(world):
    done = reported(world)
    pending = f.make_project(world.officer, world.entry2, amount="20000.00")
    client = browser(world.chief, "en")
    html = page(client, "/districts/5001/submission/")
    assert "Not reported yet" in html
    warning = html[html.index('id="not-ready"') :]
    assert pending.title in warning[: warning.index("</div>")]
    response = client.post("/districts/5001/submission/", {"comment": "ลองส่ง", **LETTER})
    assert response.status_code == 409
    body = response.content.decode()
    assert "Every live project of the district must be reported before submission." in body
    assert "ลองส่ง" in body  # the comment is kept
    assert not DistrictSubmission.objects.exists()
    done.refresh_from_db()
    assert done.state == State.REPORTED


def test_district_submission_is_read_only_for_others_and_404_outside(world):
    reported(world)
    provincial = page(browser(world.provincial), "/districts/5001/submission/")
    assert 'name="comment"' not in provincial
    assert browser(world.provincial).post("/districts/5001/submission/", {}).status_code == 403
    assert browser(world.officer).post("/districts/5001/submission/", {}).status_code == 403
    assert browser(world.other_chief).get("/districts/5001/submission/").status_code == 404
    assert not DistrictSubmission.objects.exists()
    # The chief reaches the page from the district's name on a project page.
    project = f.make_project(world.officer, world.entry2, amount="20000.00")
    assert 'href="/districts/5001/submission/"' in page(browser(world.chief), detail_url(project))
    assert 'href="/districts/5001/submission/"' not in page(browser(world.officer), detail_url(project))


# --- Dates and languages --------------------------------------------------------------------------


def test_thai_pages_show_buddhist_era_and_english_pages_ce(world):
    project = f.make_project(world.officer, world.entry)
    be_year = str(TODAY.year + 543)
    deadline_be = str(world.edition.deadline.year + 543)
    thai = visible_text(page(browser(world.officer, "th"), detail_url(project)))
    english = visible_text(page(browser(world.officer, "en"), detail_url(project)))
    history_th = section(thai, "history")
    assert be_year in history_th
    assert deadline_be in thai
    assert str(TODAY.year) not in history_th
    history_en = section(english, "history")
    assert str(TODAY.year) in history_en
    assert be_year not in english
    listing = page(browser(world.officer, "th"), "/projects/")
    assert be_year in listing
    assert be_year not in page(browser(world.officer, "en"), "/projects/")


# --- The list ----------------------------------------------------------------------------------------


def test_project_list_filters_and_pages(world):
    lines = small_lines(1, "1000.00")
    for i in range(27):
        f.make_project(
            world.officer, world.entry if i % 2 else world.entry2, budget_lines=lines, title=f"P{i:02d}"
        )
    other = f.make_project(world.other_officer, world.other_entry, title="อื่น")
    target = Project.objects.get(title="P05")
    svc.project_approve(project=target, acting_user=world.chief)

    client = browser(world.chief, "en")
    first = page(client, "/projects/")
    assert "27 projects" in first
    assert first.count('<tr>\n        <td data-label="Title">') == 25
    assert "Page 1 of 2" in first
    assert other.title not in first
    assert "1,000.00" in first and "Economy" in first
    second = page(client, "/projects/?page=2")
    assert second.count('<td data-label="Title">') == 2

    approved_only = page(client, "/projects/?state=approved")
    assert "1 project" in approved_only and "P05" in approved_only
    assert 'class="badge approved">Approved<' in approved_only
    assert "P04" not in approved_only

    search = page(client, "/projects/?q=P1")
    assert re.findall(r">P1\d<", search) and "P05" not in search
    assert page(client, "/projects/?district=5001&page=2").count('<td data-label="Title">') == 2
    assert "No project matches these filters." in page(client, "/projects/?dimension=security")
    # Paging links keep the filters.
    assert "?district=5001&amp;page=2" in page(client, "/projects/?district=5001")

    # The auditor sees every district; a district filter narrows it.
    auditor = browser(world.auditor, "en")
    assert "28 projects" in page(auditor, "/projects/")
    only_other = page(auditor, "/projects/?district=5002")
    assert "1 project" in only_other and "อื่น" in only_other


# --- Query counts ---------------------------------------------------------------------------------


def measure(user: Any, url: str) -> int:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(User.objects.get(pk=user.pk))
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries.captured_queries)


def test_detail_page_queries_do_not_grow_with_history_and_budget_lines(world):
    few = f.make_project(world.officer, world.entry, budget_lines=small_lines(2))
    svc.project_comment(project=few, acting_user=world.chief, comment="หนึ่ง")
    many = f.make_project(world.officer, world.entry2, budget_lines=small_lines(12))
    for i in range(11):
        svc.project_comment(
            project=many, acting_user=world.chief if i % 2 else world.provincial, comment=f"c{i}"
        )
    assert AuditEvent.objects.filter(project=few).count() == 2
    assert AuditEvent.objects.filter(project=many).count() == 12
    measure(world.chief, detail_url(few))  # warm-up
    queries_few = measure(world.chief, detail_url(few))
    queries_many = measure(world.chief, detail_url(many))
    assert queries_few == queries_many, (queries_few, queries_many)
    assert queries_many <= 25


def test_list_page_queries_do_not_grow_with_rows(world):
    for _ in range(2):
        f.make_project(world.officer, world.entry, budget_lines=small_lines(2))
    measure(world.chief, "/projects/")
    queries_few = measure(world.chief, "/projects/")
    for _ in range(10):
        f.make_project(world.officer, world.entry2, budget_lines=small_lines(3))
    queries_many = measure(world.chief, "/projects/")
    assert queries_few == queries_many
    assert queries_many <= 15


def test_timeline_names_the_official_acted_for_and_marks_late_events(world):
    deputy = f.user_with("deputy", "district_officer", world.d1)
    delegation_create(
        acting_user=world.chief,
        district="5001",
        delegate=deputy,
        starts_on=TODAY,
        ends_on=TODAY + datetime.timedelta(days=7),
    )
    project = f.make_project(world.officer, world.entry)
    acting = browser(deputy, "en")
    assert f'href="{action_url(project, "approve")}"' in page(acting, detail_url(project))
    assert acting.post(action_url(project, "approve"), {"comment": "แทนนายอำเภอ"}).status_code == 302
    world.edition.deadline = TODAY - datetime.timedelta(days=1)
    world.edition.save()
    svc.project_comment(project=project, acting_user=world.planner, comment="เลยกำหนดแล้ว")
    html = page(browser(world.auditor, "en"), detail_url(project))
    items = timeline_items(html)
    assert [i.count("<strong>") for i in items] == [1, 1, 1]
    created, approval, comment = items
    assert "Selected from the project bank" in created
    assert "Approved" in approval and "deputy (acting for chief)" in approval
    assert "District chief" in approval
    assert "badge late" not in approval
    assert "เลยกำหนดแล้ว" in comment and 'class="badge late">Late<' in comment
    assert 'class="badge overdue">Overdue<' in html

"""Part 3 on the pages: the plan on the project form, what is missing before approval (the
officer's project page and the chief's approve screen), the results on the report form."""

from __future__ import annotations

import datetime
import re
from types import SimpleNamespace
from typing import Any

import pytest
from django.test import Client

from tests import factories as f
from tests.approvals.test_selection_pages import error_text, valid_post
from tests.reports.helpers import advance_world
from workflow import part3
from workflow.models import AuditEvent, Project, State

pytestmark = pytest.mark.django_db

THAI_PLAN = ("หลักการและเหตุผล", "วัตถุประสงค์", "วิธีดำเนินการ/กิจกรรม", "ตัวชี้วัด", "ผลที่คาดว่าจะได้รับ")
THAI_RESULTS = ("ผลการดำเนินงาน/ผลสัมฤทธิ์", "ปัญหาและอุปสรรค", "ข้อเสนอแนะ")


@pytest.fixture
def w(world: SimpleNamespace) -> SimpleNamespace:
    """The world with a deadline after the dates the form posts (BE 2569/2570)."""
    world.edition = f.active_edition(deadline=datetime.date(2027, 8, 31))
    return world


def browser(user: Any, language: str = "th") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def get(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.content.decode()[:1000]
    return response.content.decode()


def label_of(body: str, name: str) -> str:
    match = re.search(rf'<label for="id_{name}">(.*?)</label>', body, re.S)
    assert match, f"no label for {name}"
    return re.sub(r"<[^>]+>", "", match.group(1)).replace("*", "").strip()


def block(body: str, element_id: str, end: str = "</div>") -> str:
    """From the element with ``id`` up to the first ``end`` after it."""
    start = body.index(f'id="{element_id}"')
    return body[start : body.index(end, start)]


def test_the_form_asks_for_the_plan_in_thai_with_the_guidelines_help(w):
    body = get(browser(w.officer), f"/select/{w.entry.pk}/")
    assert [label_of(body, name) for name in part3.PLAN_FIELDS] == list(THAI_PLAN)
    for name in part3.PLAN_FIELDS:
        assert re.search(rf'<textarea name="{name}"[^>]*maxlength="5000"', body), name
    assert "สอดคล้องกับแผนพัฒนาอำเภอ" in body  # the rationale's help, in the guideline's words
    english = get(browser(w.officer, "en"), f"/select/{w.entry.pk}/")
    assert label_of(english, "method") == "Method and activities"


def test_a_draft_without_the_plan_is_saved_and_its_page_says_what_to_fill(w):
    client = browser(w.officer)
    response = client.post(f"/select/{w.entry.pk}/", valid_post(rationale="หมู่บ้านขาดน้ำ"))
    assert response.status_code == 302, response.content.decode()[:2000]
    project = Project.objects.get()
    assert project.rationale == "หมู่บ้านขาดน้ำ"
    body = get(client, f"/projects/{project.pk}/")
    missing = block(body, "plan-missing")
    assert [m for m in THAI_PLAN if m in missing] == list(THAI_PLAN[1:])
    assert f"/projects/{project.pk}/edit/" in missing
    assert "หมู่บ้านขาดน้ำ" in block(body, "part3", "</section>")  # what is filled is shown


def test_the_plan_is_saved_shown_and_edited(w):
    client = browser(w.officer)
    response = client.post(f"/select/{w.entry.pk}/", valid_post(**f.PLAN))
    assert response.status_code == 302
    project = Project.objects.get()
    assert {name: getattr(project, name) for name in part3.PLAN_FIELDS} == f.PLAN
    body = get(client, f"/projects/{project.pk}/")
    assert 'id="plan-missing"' not in body
    for text in f.PLAN.values():
        assert text in body
    edit = get(client, f"/projects/{project.pk}/edit/")
    assert re.search(r'<textarea name="method"[^>]*>\s*' + re.escape(f.PLAN["method"]), edit)
    changed = client.post(
        f"/projects/{project.pk}/edit/", valid_post(**{**f.PLAN, "indicators": "ฝาย ๓ แห่ง"})
    )
    assert changed.status_code == 302
    project.refresh_from_db()
    assert project.indicators == "ฝาย ๓ แห่ง"


def test_an_overlong_part_and_a_bad_date_come_back_in_one_round(w):
    client = browser(w.officer)
    overlong = "ก" * (part3.MAX_LENGTH + 1)
    response = client.post(
        f"/select/{w.entry.pk}/",
        valid_post(rationale="เหตุผลที่พิมพ์ไว้", objectives=overlong, end_date="31/08/2021"),
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert Project.objects.count() == 0
    assert error_text(body, "id_objectives_error")
    assert error_text(body, "id_end_date_error")
    assert re.search(r'<textarea name="rationale"[^>]*>\s*เหตุผลที่พิมพ์ไว้', body)  # nothing typed is lost
    assert "วัตถุประสงค์" in block(body, "summary-title")  # listed in the summary too


def test_the_approve_screen_names_the_blank_parts_and_refuses(w):
    project = f.make_project(w.officer, w.entry, method="", indicators="")
    chief = browser(w.chief)
    url = f"/projects/{project.pk}/actions/approve/"
    screen = get(chief, url)
    missing = block(screen, "plan-missing")
    assert [m for m in THAI_PLAN if m in missing] == ["วิธีดำเนินการ/กิจกรรม", "ตัวชี้วัด"]
    assert f.PLAN["rationale"] in screen  # the filled parts, to read before deciding

    response = chief.post(url, {"comment": "เห็นชอบ"})
    assert response.status_code == 422
    body = response.content.decode()
    assert "ต้องกรอก “วิธีดำเนินการ/กิจกรรม”" in body and "ต้องกรอก “ตัวชี้วัด”" in body
    project.refresh_from_db()
    assert project.state == State.SELECTED
    assert not AuditEvent.objects.filter(project=project, action="approve").exists()


def test_the_approve_screen_of_a_complete_plan_approves(w):
    project = f.make_project(w.officer, w.entry)
    chief = browser(w.chief)
    screen = get(chief, f"/projects/{project.pk}/actions/approve/")
    assert 'id="plan-missing"' not in screen
    assert f.PLAN["expected_results"] in screen
    assert chief.post(f"/projects/{project.pk}/actions/approve/", {"comment": ""}).status_code == 302
    project.refresh_from_db()
    assert project.state == State.APPROVED


def test_the_report_form_takes_results_problems_and_suggestions(w):
    project = advance_world(f.make_project(w.officer, w.entry), State.MONITORED, w)
    officer = browser(w.officer)
    url = f"/projects/{project.pk}/actions/report/"
    form = get(officer, url)
    assert [label_of(form, name) for name in part3.RESULT_FIELDS] == [
        f"{THAI_RESULTS[0]} (จำเป็นต้องระบุ)",
        THAI_RESULTS[1],
        THAI_RESULTS[2],
    ]

    refused = officer.post(url, {"result_narrative": " ", "suggestions": "ข" * (part3.MAX_LENGTH + 1)})
    assert refused.status_code == 422
    body = refused.content.decode()
    assert "กรุณากรอกผลการดำเนินงาน/ผลสัมฤทธิ์" in error_text(body, "id_result_narrative_error")
    assert error_text(body, "id_suggestions_error")
    project.refresh_from_db()
    assert project.state == State.MONITORED

    done = officer.post(
        url, {"result_narrative": "รายได้เพิ่มขึ้นร้อยละ ๒๐", "problems": "ฝนตกหนัก", "suggestions": "ขยายผล"}
    )
    assert done.status_code == 302
    project.refresh_from_db()
    assert (project.state, project.problems, project.suggestions) == (State.REPORTED, "ฝนตกหนัก", "ขยายผล")
    page = get(officer, f"/projects/{project.pk}/")
    results = page[page.index("ผลการดำเนินโครงการ") :]
    for heading, text in zip(THAI_RESULTS, ("รายได้เพิ่มขึ้นร้อยละ ๒๐", "ฝนตกหนัก", "ขยายผล"), strict=True):
        assert heading in results and text in results

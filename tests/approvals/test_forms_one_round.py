"""Every form of the pages reports all its errors in one round: one bad date hides nothing else."""

from __future__ import annotations

import datetime
import re
from types import SimpleNamespace
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone, translation

from tests import factories as f
from workflow.dates import date_format_message
from workflow.models import Delegation, Project
from workflow.rules import RuleResult

pytestmark = pytest.mark.django_db

DEADLINE = datetime.date(2027, 8, 31)


@pytest.fixture
def w(world: SimpleNamespace) -> SimpleNamespace:
    world.edition = f.active_edition(deadline=DEADLINE)
    return world


def browser(user: Any, language: str = "th") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def errors_on(body: str) -> dict[str, str]:
    """Every error element of the page, by its id."""
    found = re.findall(r'<(?:p|div) class="error" id="([^"]+)" role="alert">(.*?)</(?:p|div)>', body, re.S)
    return {element: re.sub(r"<[^>]+>", " ", text).strip() for element, text in found}


def rule_failure(code: str, **params: str) -> str:
    with translation.override("th"):
        return RuleResult(code, False, params).message()


def test_a_bad_date_no_longer_hides_the_other_fields_errors(w: SimpleNamespace) -> None:
    client = browser(w.officer)
    everything_wrong = f.project_form(
        title="",
        start_date="2027-01-15",  # ISO in the Thai UI
        end_date="30/09/2570",  # after the deadline of 31 Aug 2570
        target_villages="0",
        subdistricts=[],
        do_permitted="",
        **{"line-1-description": "ค่าป้าย", "line-1-category": "services", "line-1-amount": ""},
    )
    response = client.post(f"/select/{w.entry.pk}/", everything_wrong)
    assert response.status_code == 422
    assert Project.objects.count() == 0
    errors = errors_on(response.content.decode())
    with translation.override("th"):
        assert date_format_message("th") in errors["id_start_date_error"]
    assert rule_failure("deadline_exceeded", deadline="2027-08-31") in errors["id_end_date_error"]
    assert "id_title_error" in errors
    assert rule_failure("targets_required") in errors["id_target_villages_error"]
    assert rule_failure("area_required") in errors["id_subdistricts_error"]
    assert rule_failure("do_checklist_incomplete") in errors["do-checklist-error"]
    assert "id_line-1-amount_error" in errors
    # Nothing about the unreadable start date but its format ("both dates must be given").
    assert rule_failure("dates_invalid") not in response.content.decode()

    # Everything corrected in the second round: saved.
    fixed = client.post(f"/select/{w.entry.pk}/", f.project_form())
    assert fixed.status_code == 302 and Project.objects.count() == 1


def test_the_edit_page_reports_every_error_in_one_round_too(w: SimpleNamespace) -> None:
    project = f.make_project(w.officer, w.entry)
    response = browser(w.officer).post(
        f"/projects/{project.pk}/edit/",
        f.project_form(end_date="31/12/2027", dimension="", target_households="0"),
    )
    assert response.status_code == 422
    errors = errors_on(response.content.decode())
    assert "id_end_date_error" in errors  # a CE year in the Thai UI
    assert rule_failure("dimension_required") in errors["id_dimension_error"]
    assert rule_failure("targets_required") in errors["id_target_villages_error"]


def test_a_valid_form_with_rule_failures_is_still_answered_by_the_service(w: SimpleNamespace) -> None:
    response = browser(w.officer).post(f"/select/{w.entry.pk}/", f.project_form(end_date="30/09/2570"))
    assert response.status_code == 422
    errors = errors_on(response.content.decode())
    assert rule_failure("deadline_exceeded", deadline="2027-08-31") in errors["id_end_date_error"]


def test_the_delegation_form_reports_the_official_and_both_dates_at_once(w: SimpleNamespace) -> None:
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    response = browser(w.chief).post(
        "/delegation/",
        {
            "district": "5001",
            "delegate": w.other_officer.username,  # an officer of Chom Thong
            "starts_on": "2027-01-15",
            "ends_on": f"{yesterday.day:02d}/{yesterday.month:02d}/{yesterday.year + 543}",
        },
    )
    assert response.status_code == 422
    errors = errors_on(response.content.decode())
    assert {"id_delegate_error", "id_starts_on_error", "id_ends_on_error"} <= set(errors)
    assert not Delegation.objects.exists()


def test_a_meeting_row_with_a_bad_date_also_says_its_topic_is_missing(w: SimpleNamespace) -> None:
    data = {
        "narrative": "ขับเคลื่อนผ่านทีมตำบล",
        "team_narrative": "",
        "updated_at": "",
        "team-TOTAL_FORMS": "0",
        "team-INITIAL_FORMS": "0",
        "meetings-TOTAL_FORMS": "1",
        "meetings-INITIAL_FORMS": "0",
        "meetings-0-date": "2027-03-02",
        "meetings-0-topic": "",
        "meetings-0-resolution": "",
        "activities-TOTAL_FORMS": "1",
        "activities-INITIAL_FORMS": "0",
        "activities-0-title": "",
        "activities-0-participants": "-2",
    }
    response = browser(w.officer).post("/districts/5001/book/drive/", data)
    assert response.status_code == 422
    body = response.content.decode()
    for element in ("meetings-0-date", "meetings-0-topic", "activities-0-participants", "activities-0-title"):
        assert f'id="id_{element}_error"' in body, element


# --- The submission page says what the system does and what the chief still does ------------------


def test_the_submission_page_no_longer_contradicts_itself(w: SimpleNamespace) -> None:
    w.edition.central_email = "plan@dopa.example"
    w.edition.save()
    thai = browser(w.chief).get("/districts/5001/submission/").content.decode()
    what = re.search(r'<div id="what-happens">(.*?)</div>', thai, re.S)
    assert what, "the page explains what happens on submit"
    text = what.group(1)
    assert "plan@dopa.example" in text and "ส่งทางไปรษณีย์อิเล็กทรอนิกส์" in text  # the system e-mails it
    assert "ท่านไม่ต้องส่งอีเมลเอง" in text  # … so the chief does not
    paper = re.search(r'<p id="paper-copy">(.*?)</p>', text, re.S)
    assert paper and "ทางเอกสาร" in paper.group(1) and "ลงนาม" in paper.group(1)
    assert "31 ส.ค. 2570" in paper.group(1)  # by the deadline, in the Buddhist Era

    english = browser(w.chief, "en").get("/districts/5001/submission/").content.decode()
    assert "e-mails it to the Division at plan@dopa.example: you do not e-mail it yourself" in english
    assert "send the signed copy" in english and "31 Aug 2027" in english
    assert "also send the report book to" not in english


def test_the_implement_form_reports_its_fields_and_its_spend_lines_together(w: SimpleNamespace) -> None:
    from workflow.services import projects as svc

    project = f.make_project(w.officer, w.entry)
    svc.project_approve(project=project, acting_user=w.chief, comment="เห็นชอบ")
    response = browser(w.officer).post(
        f"/projects/{project.pk}/actions/implement/",
        {
            "activities_done": "",  # required
            "villages_reached": "3",
            "households_reached": "x",  # not a number
            "lines-TOTAL_FORMS": "1",
            "lines-INITIAL_FORMS": "0",
            "lines-MIN_NUM_FORMS": "0",
            "lines-MAX_NUM_FORMS": "200",
            "lines-0-description": "ค่าวัสดุ",
            "lines-0-category": "",  # missing
            "lines-0-amount": "1000",
        },
    )
    assert response.status_code == 422
    body = response.content.decode()
    for element in ("id_activities_done_error", "id_households_reached_error", "id_lines-0-category_error"):
        assert f'id="{element}"' in body, element

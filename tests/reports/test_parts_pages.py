"""The pages of parts 1 and 2 of the report book: forms, rows, errors, read-only views."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from reports import parts
from reports.models import DistrictProfile, DriveMeeting, DriveReport, ProfileFact
from workflow.models import AuditEvent, Edition

pytestmark = pytest.mark.django_db

PROFILE = "/districts/5001/book/profile/"
DRIVE = "/districts/5001/book/drive/"
BOOK = "/districts/5001/book/"


def client_for(user: Any, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    if user is not None:
        client.force_login(user)
    return client


def text(response: Any) -> str:
    return response.content.decode()


def management(prefix: str, total: int, initial: int = 0) -> dict[str, str]:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "200",
    }


def input_value(html: str, name: str) -> str | None:
    tag = re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*>', html)
    if tag is None:
        return None
    value = re.search(r'value="([^"]*)"', tag.group(0))
    return value.group(1) if value else ""


def profile_post(**overrides: str) -> dict[str, str]:
    data = {
        "population": "53000",
        "households": "17500",
        "villages": "85",
        "area_sq_km": "712.50",
        "general": "ตั้งอยู่ริมแม่น้ำปิง",
        "economy": "ปลูกข้าวและลำไย",
        "problems_needs": "ขาดแคลนน้ำ",
        "potential": "วิสาหกิจชุมชน",
        "notes": "",
        "digits": "arabic",
        "updated_at": "",
        **management("facts", 3),
        "facts-0-table": "ประชากร",
        "facts-0-label": "ชาย",
        "facts-0-value": "25,500",
        "facts-0-unit": "คน",
        "facts-1-table": "ประชากร",
        "facts-1-label": "หญิง",
        "facts-1-value": "27,500",
        "facts-1-unit": "คน",
    }
    data.update(overrides)
    return data


@pytest.fixture
def w(world: SimpleNamespace) -> SimpleNamespace:
    """District 5001 with its profile of edition 2569 (the copy the 2570 form starts from)."""
    world.old_edition = Edition.objects.create(
        code="2569", title="2569", budget_cap=Decimal("150000"), deadline=datetime.date(2026, 8, 31)
    )
    world.old = DistrictProfile.objects.create(
        district=world.d1,
        edition=world.old_edition,
        population=52000,
        villages=84,
        economy="ปลูกข้าวและลำไย",
        digits="arabic",
    )
    ProfileFact.objects.create(
        profile=world.old, position=0, table="ประชากร", label="ชาย", value="25,100", unit="คน"
    )
    return world


# --- Who sees what ------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [PROFILE, DRIVE])
def test_anonymous_users_are_sent_to_log_in(world, url):
    response = Client().get(url)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    response = Client().post(url, profile_post())
    assert response.status_code == 302 and not DistrictProfile.objects.exists()


@pytest.mark.parametrize("url", [PROFILE, DRIVE])
@pytest.mark.parametrize(
    "name", ["other_officer", "other_chief", "other_inspector", "other_provincial", "nobody"]
)
def test_a_district_outside_the_users_area_is_not_found(world, url, name):
    client = client_for(getattr(world, name))
    assert client.get(url).status_code == 404
    assert client.post(url, profile_post()).status_code == 404
    assert not DistrictProfile.objects.exists() and not DriveReport.objects.exists()


@pytest.mark.parametrize("name", ["officer", "chief"])
def test_the_districts_officer_and_chief_get_the_forms(world, name):
    client = client_for(getattr(world, name))
    for url in (PROFILE, DRIVE):
        html = text(client.get(url))
        assert "data-book-form" in html and 'name="updated_at"' in html


@pytest.mark.parametrize("name", ["planner", "inspector", "provincial", "auditor"])
def test_those_who_watch_read_the_parts_without_a_form(w, name):
    parts.district_profile_update(
        district="5001", acting_user=w.officer, data=parts.ProfileInput(population=61234, economy="ทอผ้า")
    )
    parts.drive_report_update(
        district="5001",
        acting_user=w.officer,
        data=parts.DriveReportInput(
            narrative="ประชุมทีมตำบลทุกเดือน",
            meetings=[parts.MeetingInput(date=datetime.date(2027, 3, 2), topic="คัดเลือกโครงการ")],
        ),
    )
    client = client_for(getattr(w, name), "th")
    profile = text(client.get(PROFILE))
    assert "data-book-form" not in profile and "<textarea" not in profile
    assert "61234" in profile and "ทอผ้า" in profile
    drive = text(client.get(DRIVE))
    assert "data-book-form" not in drive
    assert "ประชุมทีมตำบลทุกเดือน" in drive and "2 มี.ค. 2570" in drive and "คัดเลือกโครงการ" in drive

    response = client.post(PROFILE, profile_post(population="1"))
    assert response.status_code == 403
    assert client.post(DRIVE, {"narrative": "x"}).status_code == 403
    assert DistrictProfile.objects.get(edition=w.edition).population == 61234
    assert DriveReport.objects.get().narrative == "ประชุมทีมตำบลทุกเดือน"


# --- Part 1 -------------------------------------------------------------------------------------


def test_the_profile_form_starts_from_the_previous_editions_copy(w):
    html = text(client_for(w.officer).get(PROFILE))
    assert input_value(html, "population") == "52000"
    assert input_value(html, "villages") == "84"
    assert "ปลูกข้าวและลำไย" in html
    assert input_value(html, "facts-0-label") == "ชาย" and input_value(html, "facts-0-value") == "25,100"
    assert input_value(html, "facts-TOTAL_FORMS") == "4", "the copied row and three empty ones"
    assert input_value(html, "updated_at") == ""
    assert 'id="copy-note"' in html and "2569" in html
    assert re.search(r'name="digits" value="arabic"[^>]*checked', html)
    assert not DistrictProfile.objects.filter(edition=w.edition).exists()


def test_the_profile_lists_the_districts_subdistricts_read_only(world):
    html = text(client_for(world.officer).get(PROFILE))
    assert "Subdistricts (3)" in html
    for code in ("500101", "500102", "500103"):
        assert code in html
    assert "500201" not in html
    assert 'name="subdistricts"' not in html


def test_saving_the_profile_with_an_added_row_and_a_removed_one(w):
    client = client_for(w.officer)
    data = profile_post(
        **management("facts", 4, 1),
        **{
            "facts-2-table": "อาชีพ",
            "facts-2-label": "เกษตรกร",
            "facts-2-value": "60",
            "facts-2-unit": "ร้อยละ",
            "facts-3-label": "ลบทิ้ง",
            "facts-3-value": "1",
            "facts-3-DELETE": "on",
        },
    )
    response = client.post(PROFILE, data)

    assert response.status_code == 302 and response["Location"] == reverse(
        "district-book", kwargs={"code": "5001"}
    )
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Part 1 of the report book of Mueang Chiang Mai was saved."
    ]
    profile = DistrictProfile.objects.get(edition=w.edition)
    assert (profile.population, profile.area_sq_km, profile.digits) == (53000, Decimal("712.50"), "arabic")
    assert profile.copied_from == w.old and profile.updated_by == w.officer
    assert [(f.table, f.label, f.value, f.unit) for f in profile.facts.all()] == [
        ("ประชากร", "ชาย", "25,500", "คน"),
        ("ประชากร", "หญิง", "27,500", "คน"),
        ("อาชีพ", "เกษตรกร", "60", "ร้อยละ"),
    ]
    assert AuditEvent.objects.filter(action="profile_update").count() == 1

    again = text(client.get(PROFILE))
    assert input_value(again, "updated_at") == profile.updated_at.isoformat()
    assert input_value(again, "facts-2-label") == "เกษตรกร"
    assert 'id="copy-note"' not in again


def test_the_add_rows_button_without_javascript_keeps_what_was_typed_and_saves_nothing(w):
    data = profile_post(**{"add_rows": "facts", "facts-2-label": "ตำบล", "facts-2-value": "6"})
    response = client_for(w.officer).post(PROFILE, data)

    assert response.status_code == 200
    html = text(response)
    assert input_value(html, "facts-TOTAL_FORMS") == "6", "three typed rows and three empty ones"
    assert input_value(html, "facts-2-label") == "ตำบล" and input_value(html, "facts-5-label") == ""
    assert input_value(html, "population") == "53000"
    assert not DistrictProfile.objects.filter(edition=w.edition).exists()
    assert not AuditEvent.objects.filter(action="profile_update").exists()


def test_errors_name_their_field_and_row_and_nothing_is_saved(w):
    data = profile_post(population="-3", area_sq_km="1.234", **{"facts-1-value": ""})
    response = client_for(w.officer).post(PROFILE, data)

    assert response.status_code == 422
    html = text(response)
    assert 'id="id_population_error"' in html and 'aria-describedby="id_population_error"' in html
    assert 'id="id_area_sq_km_error"' in html
    assert 'id="id_facts-1-value_error"' in html
    assert "Small tables, Row 2, Value: Enter the value." in html
    assert 'href="#id_facts-1-value"' in html
    assert input_value(html, "facts-0-label") == "ชาย", "what was typed stays"
    assert not DistrictProfile.objects.filter(edition=w.edition).exists()
    assert not AuditEvent.objects.filter(action="profile_update").exists()


def test_a_stale_form_is_refused_and_the_other_save_is_kept(w):
    first = parts.district_profile_update(
        district="5001", acting_user=w.chief, data=parts.ProfileInput(villages=90)
    )
    loaded = first.updated_at.isoformat()
    parts.district_profile_update(
        district="5001",
        acting_user=w.chief,
        data=parts.ProfileInput(villages=91, updated_at=first.updated_at),
    )
    response = client_for(w.officer).post(PROFILE, profile_post(updated_at=loaded))

    assert response.status_code == 409
    html = text(response)
    assert "someone else saved this part" in html
    assert f'href="{PROFILE}"' in html
    assert input_value(html, "population") == "53000", "what was typed stays on the page"
    assert DistrictProfile.objects.get(edition=w.edition).villages == 91


def test_the_thai_page_uses_the_guidelines_words(world):
    html = text(client_for(world.officer, "th").get(PROFILE))
    h1 = re.search(r"<h1>(.*?)</h1>", html, re.S)
    assert h1 and "ส่วนที่" in h1.group(1)
    assert "ข้อมูลพื้นฐานของอำเภอ และข้อมูลสำคัญเพื่อการพัฒนาพื้นที่" in h1.group(1)
    html = text(client_for(world.officer, "th").get(DRIVE))
    h1 = re.search(r"<h1>(.*?)</h1>", html, re.S)
    assert h1 and "การขับเคลื่อนการดำเนินงานตามโครงการพัฒนาตำบลแบบบูรณาการ" in h1.group(1)


def test_without_an_open_edition_the_pages_say_so(world):
    Edition.objects.update(is_active=False)
    client = client_for(world.officer)
    for url in (PROFILE, DRIVE):
        response = client.get(url)
        assert response.status_code == 409 and "No programme edition is open." in text(response)


# --- Part 2 -------------------------------------------------------------------------------------


def drive_post(**overrides: str) -> dict[str, str]:
    data = {
        "narrative": "ขับเคลื่อนผ่านทีมตำบล",
        "team_narrative": "ปลัดอำเภอเป็นหัวหน้าทีม",
        "updated_at": "",
        **management("team", 2),
        "team-0-name": "นายสมชาย ใจดี",
        "team-0-office": "ปลัดอำเภอ",
        "team-0-team_role": "หัวหน้าทีม",
        **management("meetings", 2),
        "meetings-0-date": "02/03/2570",
        "meetings-0-topic": "คัดเลือกโครงการ",
        "meetings-0-resolution": "เลือกฝายชะลอน้ำ",
        **management("activities", 1),
        "activities-0-date": "",
        "activities-0-title": "ลงพื้นที่สำรวจ",
        "activities-0-participants": "45",
        "activities-0-result": "",
    }
    data.update(overrides)
    return data


def test_part_2_is_saved_with_dates_in_the_buddhist_era(world):
    client = client_for(world.officer, "th")
    response = client.post(
        DRIVE, drive_post(**{"meetings-1-date": "15/04/2570", "meetings-1-topic": "ติดตามผล"})
    )

    assert response.status_code == 302 and response["Location"] == BOOK
    report = DriveReport.objects.get()
    assert report.narrative == "ขับเคลื่อนผ่านทีมตำบล" and report.updated_by == world.officer
    assert [(m.date, m.topic) for m in report.meetings.all()] == [
        (datetime.date(2027, 3, 2), "คัดเลือกโครงการ"),
        (datetime.date(2027, 4, 15), "ติดตามผล"),
    ]
    assert [(a.title, a.participants, a.date) for a in report.activities.all()] == [("ลงพื้นที่สำรวจ", 45, None)]
    assert [t.name for t in report.team.all()] == ["นายสมชาย ใจดี"]
    assert AuditEvent.objects.filter(action="drive_report_update").count() == 1

    html = text(client.get(DRIVE))
    assert input_value(html, "meetings-0-date") == "02/03/2570"
    assert input_value(html, "updated_at") == report.updated_at.isoformat()


def test_a_meeting_needs_its_date_and_a_ce_year_is_refused_in_thai(world):
    client = client_for(world.officer, "th")
    data = drive_post(
        **{
            "meetings-0-date": "",
            "meetings-1-date": "15/04/2027",
            "meetings-1-topic": "ติดตามผล",
            "activities-0-participants": "-2",
        }
    )
    response = client.post(DRIVE, data)

    assert response.status_code == 422
    html = text(response)
    assert 'id="id_meetings-0-date_error"' in html
    assert 'id="id_meetings-1-date_error"' in html
    assert 'id="id_activities-0-participants_error"' in html
    assert not DriveReport.objects.exists() and not DriveMeeting.objects.exists()


def test_part_2_rows_can_be_added_and_removed(world):
    client = client_for(world.officer)
    parts.drive_report_update(
        district="5001",
        acting_user=world.officer,
        data=parts.DriveReportInput(team=[parts.TeamMemberInput(name="ก"), parts.TeamMemberInput(name="ข")]),
    )
    report = DriveReport.objects.get()
    html = text(client.get(DRIVE))
    assert input_value(html, "team-TOTAL_FORMS") == "5" and input_value(html, "team-INITIAL_FORMS") == "2"
    data = {
        "narrative": "",
        "team_narrative": "",
        "updated_at": report.updated_at.isoformat(),
        **management("team", 3, 2),
        "team-0-name": "ก",
        "team-1-name": "ข",
        "team-1-DELETE": "on",
        "team-2-name": "ค",
        **management("meetings", 0),
        **management("activities", 0),
    }
    response = client.post(DRIVE, data)
    assert response.status_code == 302
    assert [t.name for t in DriveReport.objects.get().team.all()] == ["ก", "ค"]


def test_the_pages_load_the_row_script_only_with_a_form(world):
    html = text(client_for(world.officer).get(DRIVE))
    assert "rolemodel/book-forms.js" in html and "rolemodel/book-forms.css" in html
    assert "data-add-row" in html and "<template data-row-template>" in html
    assert "team-__prefix__-name" in html
    assert " on" + "click=" not in html.lower()
    html = text(client_for(world.planner).get(DRIVE))
    assert "rolemodel/book-forms.js" not in html


def test_service_errors_go_beside_the_row_that_sent_them(world):
    from reports.web import parts_forms as pf

    data = {
        **management("facts", 3),
        "facts-0-label": "ก",
        "facts-0-value": "1",
        "facts-2-label": "ข",
        "facts-2-value": "2",
    }
    form = pf.ProfileForm({"digits": "thai"})
    formset = pf.row_formset(pf.FACTS, data=data)
    assert form.is_valid() and formset.is_valid()
    assert [row.label for row in formset.rows()] == ["ก", "ข"], "the empty middle row is left out"
    rest = pf.bind_errors(
        [
            {"field": "facts[1].value", "message": "ค่าไม่ถูกต้อง"},
            {"field": "economy", "message": "ยาวเกินไป"},
            {"field": "facts", "message": "แถวมากเกินไป"},
        ],
        form,
        [formset],
    )
    assert formset.forms[2].errors["value"] == ["ค่าไม่ถูกต้อง"]
    assert form.errors["economy"] == ["ยาวเกินไป"]
    assert rest == ["แถวมากเกินไป"]

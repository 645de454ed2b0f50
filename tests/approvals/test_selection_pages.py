"""The selection pages: the officer's bank, the project form (create) and the edit page."""

from __future__ import annotations

import datetime
import json
import re
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from tests import factories as f
from workflow.dates import date_format_message
from workflow.models import AuditEvent, BankEntry, Project, State, Subdistrict
from workflow.rules import RULES
from workflow.services.projects import project_approve

pytestmark = pytest.mark.django_db

DEADLINE = datetime.date(2027, 8, 31)


@pytest.fixture
def w(world: SimpleNamespace) -> SimpleNamespace:
    """The world with a deadline after the dates the officer types (BE 2569/2570)."""
    world.edition = f.active_edition(deadline=DEADLINE)
    return world


def page(client: Client, user: Any, url: str, **extra: Any) -> Any:
    client.force_login(user)
    return client.get(url, **extra)


def valid_post(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title": "ส่งเสริมอาชีพทอผ้า ตำบล 500101",
        "dimension": "economy",
        "dimension_other": "",
        "subdistricts": ["500101", "500102"],
        "target_villages": "4",
        "target_households": "150",
        "start_date": "01/12/2569",
        "end_date": "28/02/2570",
        "primary_objective": "development",
        "training_kind": "",
        "line-0-description": "วัสดุฝึกปฏิบัติ",
        "line-0-category": "activity_materials",
        "line-0-amount": "30,000.00",
        "line-1-description": "ค่าวิทยากร",
        "line-1-category": "wages",
        "line-1-amount": "12000",
        "line-2-description": "",
        "line-2-category": "",
        "line-2-amount": "",
        "do_fits_district_plan": "on",
        "do_feasible": "on",
        "do_area_ready": "on",
        "do_permitted": "on",
    }
    data.update(overrides)
    return data


def html(response: Any) -> str:
    return response.content.decode()


def input_value(body: str, name: str) -> str | None:
    match = re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*>', body)
    if not match:
        return None
    value = re.search(r'value="([^"]*)"', match.group(0))
    return value.group(1) if value else ""


def error_text(body: str, error_id: str) -> str:
    match = re.search(
        rf'<[a-z]+ class="error" id="{re.escape(error_id)}" role="alert">(.*?)</(p|div)>', body, re.S
    )
    assert match, f"no error element #{error_id}"
    return match.group(1)


# --- The bank ------------------------------------------------------------------------------


def test_bank_lists_only_my_districts_entries_with_the_budget(client: Client, w: SimpleNamespace) -> None:
    f.make_project(w.officer, w.entry, amount="40000.00")
    response = page(client, w.officer, "/select/")
    body = html(response)
    assert response.status_code == 200
    assert "B-1" in body and "B-2" in body
    assert "B-3" not in body  # the entry of district 5002
    assert f'href="/select/{w.entry2.pk}/"' in body
    assert f'href="/select/{w.other_entry.pk}/"' not in body
    # The entry already selected is marked so, and offers no second selection.
    assert f'href="/select/{w.entry.pk}/"' not in body
    assert f'<span class="badge" id="taken-{w.entry.pk}">คัดเลือกแล้ว</span>' in body
    # The district's budget: cap, committed, remaining.
    assert "150,000.00" in body and "40,000.00" in body and "110,000.00" in body
    assert "50,000.00" in body  # an entry's estimated budget


def test_bank_filters_and_pages(client: Client, w: SimpleNamespace) -> None:
    sub = w.subs["500103"]
    for n in range(30):
        BankEntry.objects.create(
            code=f"P-{n:02d}",
            subdistrict=sub,
            title=f"แนวกันไฟ {n}",
            dimension="environment",
            estimated_budget=Decimal("1000"),
        )
    client.force_login(w.officer)
    first = html(client.get("/select/", {"subdistrict": "500103"}))
    assert "P-00" in first and "P-24" in first and "P-25" not in first and "B-1" not in first
    second = html(client.get("/select/", {"subdistrict": "500103", "page": "2"}))
    assert "P-25" in second and "P-29" in second and "P-00" not in second
    by_dimension = html(client.get("/select/", {"dimension": "economy"}))
    assert "B-1" in by_dimension and "B-2" in by_dimension and "P-00" not in by_dimension
    by_text = html(client.get("/select/", {"q": "B-2"}))
    assert "B-2" in by_text and "B-1" not in by_text
    # Another district's subdistrict is not a filter choice and shows nothing of that district.
    foreign = html(client.get("/select/", {"subdistrict": "500201"}))
    assert "B-3" not in foreign


def test_bank_refuses_a_chief_and_asks_anonymous_to_log_in(client: Client, w: SimpleNamespace) -> None:
    assert client.get("/select/").status_code == 302
    assert client.get("/select/")["Location"].startswith("/accounts/login/")
    response = page(client, w.chief, "/select/")
    assert response.status_code == 403
    assert 'id="forbidden-title"' in html(response)  # the 403 page, not a bare status
    assert "B-1" not in html(response)


# --- Selecting an entry: the form -----------------------------------------------------------


def test_form_is_prefilled_from_the_entry(client: Client, w: SimpleNamespace) -> None:
    response = page(client, w.officer, f"/select/{w.entry.pk}/")
    body = html(response)
    assert response.status_code == 200
    assert input_value(body, "title") == w.entry.title
    assert re.search(r'<option value="economy" selected>', body)
    assert re.search(r'<input type="checkbox" name="subdistricts" value="500101"[^>]*checked', body)
    assert re.search(r'<input type="checkbox" name="subdistricts" value="500102"(?![^>]*checked)', body)
    assert 'value="500201"' not in body  # only the entry's district
    assert body.count('name="line-') >= 15  # five blank lines of three inputs without JavaScript
    # Every visible input has a label.
    for match in re.finditer(r'<(?:input|select)[^>]*\bid="([^"]+)"', body):
        tag = match.group(0)
        if 'type="hidden"' in tag or match.group(1) == "subdistricts-all":
            continue
        assert f'for="{match.group(1)}"' in body, f"no label for #{match.group(1)}"


def test_officer_selects_an_entry_and_saves_a_valid_project(client: Client, w: SimpleNamespace) -> None:
    client.force_login(w.officer)
    response = client.post(f"/select/{w.entry.pk}/", valid_post())
    assert response.status_code == 302, html(response)[:3000]
    project = Project.objects.get()
    assert response["Location"] == f"/projects/{project.pk}/"
    assert project.start_date == datetime.date(2026, 12, 1)
    assert project.end_date == datetime.date(2027, 2, 28)
    assert project.bank_entry == w.entry and project.district_id == "5001"
    assert project.state == State.SELECTED
    assert sorted(s.code for s in project.subdistricts.all()) == ["500101", "500102"]
    lines = list(project.budget_lines.all())
    assert [(b.description, b.category, b.amount) for b in lines] == [
        ("วัสดุฝึกปฏิบัติ", "activity_materials", Decimal("30000.00")),
        ("ค่าวิทยากร", "wages", Decimal("12000.00")),
    ]
    assert (project.target_villages, project.target_households) == (4, 150)
    assert all(project.do_checklist.values())
    event = AuditEvent.objects.get(project=project)
    assert event.action == "create" and event.actor == w.officer


def test_a_dont_line_is_refused_beside_the_lines_and_everything_typed_is_kept(
    client: Client, w: SimpleNamespace
) -> None:
    client.force_login(w.officer)
    data = valid_post(
        **{
            "line-1-description": "ชุดอุปกรณ์แจกประชาชน",
            "line-1-category": "handouts",
            "line-1-amount": "12,000",
        }
    )
    response = client.post(f"/select/{w.entry.pk}/", data)
    body = html(response)
    assert response.status_code == 422
    assert Project.objects.count() == 0 and AuditEvent.objects.count() == 0
    with translation.override("th"):
        message = str(RULES["dont_handouts"].message)
    assert message in error_text(body, "budget-lines-error")
    assert 'aria-describedby="budget-lines-error"' in body
    # The summary at the top links to the lines.
    assert "data-focus-error" in body and 'href="#budget-lines"' in body
    # Everything typed is still there, the dates as typed (BE).
    assert input_value(body, "title") == data["title"]
    assert input_value(body, "line-0-description") == "วัสดุฝึกปฏิบัติ"
    assert input_value(body, "line-0-amount") == "30,000.00"
    assert input_value(body, "line-1-description") == "ชุดอุปกรณ์แจกประชาชน"
    assert input_value(body, "line-1-amount") == "12,000"
    assert re.search(r'name="line-1-category".*?<option value="handouts" selected>', body, re.S)
    assert input_value(body, "start_date") == "01/12/2569"
    assert input_value(body, "end_date") == "28/02/2570"
    assert input_value(body, "target_households") == "150"
    assert re.search(r'name="subdistricts" value="500102"[^>]*checked', body)
    # The line itself carries the Don't warning (shown without JavaScript too).
    warning = re.search(r'id="id_line-1-warning" data-line-warning>(.*?)</p>', body, re.S)
    assert warning and message in warning.group(1)
    assert "42,000.00" in body  # the total computed on submit


def test_a_ce_year_in_the_thai_ui_is_refused_not_stored(client: Client, w: SimpleNamespace) -> None:
    client.force_login(w.officer)
    response = client.post(f"/select/{w.entry.pk}/", valid_post(end_date="31/08/2021"))
    body = html(response)
    assert response.status_code == 422
    assert Project.objects.count() == 0
    assert date_format_message("th") in error_text(body, "id_end_date_error")
    assert re.search(
        r'name="end_date"[^>]*aria-describedby="id_end_date_error id_end_date_hint"', body
    ) or re.search(r'aria-describedby="id_end_date_error id_end_date_hint"[^>]*name="end_date"', body)
    assert input_value(body, "end_date") == "31/08/2021"


def test_over_the_cap_is_refused(client: Client, w: SimpleNamespace) -> None:
    f.make_project(w.officer, w.entry2, amount="120000.00")
    client.force_login(w.officer)
    response = client.post(f"/select/{w.entry.pk}/", valid_post())
    body = html(response)
    assert response.status_code == 422
    assert Project.objects.count() == 1
    assert "120,000.00" in error_text(body, "budget-lines-error")
    assert "150,000.00" in error_text(body, "budget-lines-error")
    # Before saving, the page already shows what would remain: 30,000 - 42,000.
    assert "-12,000.00" in body


def test_unreadable_line_and_training_errors_sit_beside_their_fields(
    client: Client, w: SimpleNamespace
) -> None:
    client.force_login(w.officer)
    response = client.post(
        f"/select/{w.entry.pk}/",
        valid_post(**{"line-1-amount": "twelve", "line-0-description": ""}),
    )
    body = html(response)
    assert response.status_code == 422
    assert error_text(body, "id_line-1-amount_error")
    assert error_text(body, "id_line-0-description_error")
    assert input_value(body, "line-1-amount") == "twelve"
    assert 'href="#id_line-1-amount"' in body

    response = client.post(
        f"/select/{w.entry.pk}/",
        valid_post(primary_objective="training", training_kind="other"),
    )
    body = html(response)
    assert response.status_code == 422
    with translation.override("th"):
        message = str(RULES["dont_training"].message)
    assert message in error_text(body, "id_primary_objective_error")
    assert re.search(r'name="primary_objective" value="training"[^>]*checked', body)
    assert Project.objects.count() == 0


def test_another_districts_officer_gets_404_and_a_chief_403(client: Client, w: SimpleNamespace) -> None:
    url = f"/select/{w.entry.pk}/"
    client.force_login(w.other_officer)
    assert client.get(url).status_code == 404
    assert client.post(url, valid_post()).status_code == 404
    assert client.get(f"/select/{w.other_entry.pk}/").status_code == 200
    client.force_login(w.chief)
    assert client.get(url).status_code == 403
    assert client.post(url, valid_post()).status_code == 403
    assert Project.objects.count() == 0


def test_the_page_hands_the_dont_rules_to_the_script(client: Client, w: SimpleNamespace) -> None:
    body = html(page(client, w.officer, f"/select/{w.entry.pk}/", HTTP_ACCEPT_LANGUAGE="en"))
    match = re.search(r'<script id="project-rules" type="application/json">(.*?)</script>', body, re.S)
    assert match
    rules = json.loads(match.group(1))
    with translation.override("en"):
        assert str(RULES["dont_handouts"].message) in rules["categories"]["handouts"]["text"]
        assert (
            str(RULES["dont_routine_equipment"].message) in rules["categories"]["routine_equipment"]["text"]
        )
        assert str(RULES["dont_buildings"].message) in rules["categories"]["building_works"]["text"]
        assert str(RULES["dont_training"].message) in rules["training"]["text"]
    assert set(rules["categories"]) == {"handouts", "routine_equipment", "building_works"}
    assert 'src="/static/rolemodel/project-form.js"' in body


def test_english_page_shows_english_labels_and_reads_ce_dates(client: Client, w: SimpleNamespace) -> None:
    client.force_login(w.officer)
    body = html(client.get(f"/select/{w.entry.pk}/", HTTP_ACCEPT_LANGUAGE="en"))
    assert "Target villages" in body and "Budget lines" in body and "Save project" in body
    assert "DD/MM/YYYY (e.g. 31/08/2021)" in body
    assert "Tambon 500101" in body  # English names of the subdistricts
    response = client.post(
        f"/select/{w.entry.pk}/",
        valid_post(start_date="01/12/2026", end_date="28/02/2027"),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 302
    assert Project.objects.get().end_date == datetime.date(2027, 2, 28)
    bank = html(client.get("/select/", HTTP_ACCEPT_LANGUAGE="en"))
    assert "Estimated budget (THB)" in bank and "Remaining" in bank


# --- Editing -------------------------------------------------------------------------------


def test_edit_page_updates_a_selected_project(client: Client, w: SimpleNamespace) -> None:
    project = f.make_project(w.officer, w.entry, amount="50000.00")
    client.force_login(w.officer)
    body = html(client.get(f"/projects/{project.pk}/edit/"))
    assert input_value(body, "title") == project.title
    assert input_value(body, "line-0-amount") == "40000.00"
    assert input_value(body, "line-1-description") == "ค่าวิทยากร"
    start = project.start_date
    assert input_value(body, "start_date") == f"{start.day:02d}/{start.month:02d}/{start.year + 543}"
    # Budget available to this project: the cap minus the other projects (this one excluded).
    assert "150,000.00" in body and "100,000.00" in body

    response = client.post(f"/projects/{project.pk}/edit/", valid_post(title="ชื่อใหม่"))
    assert response.status_code == 302
    assert response["Location"] == f"/projects/{project.pk}/"
    project.refresh_from_db()
    assert project.title == "ชื่อใหม่"
    assert project.end_date == datetime.date(2027, 2, 28)
    assert sum(b.amount for b in project.budget_lines.all()) == Decimal("42000.00")
    assert AuditEvent.objects.filter(project=project, action="update").count() == 1


def test_edit_errors_keep_the_input_and_change_nothing(client: Client, w: SimpleNamespace) -> None:
    project = f.make_project(w.officer, w.entry)
    client.force_login(w.officer)
    response = client.post(
        f"/projects/{project.pk}/edit/",
        valid_post(title="ใหม่", **{"line-0-category": "building_works"}),
    )
    assert response.status_code == 422
    assert input_value(html(response), "title") == "ใหม่"
    project.refresh_from_db()
    assert project.title != "ใหม่"
    assert not AuditEvent.objects.filter(project=project, action="update").exists()


def test_edit_refuses_an_approved_project_and_strangers(client: Client, w: SimpleNamespace) -> None:
    project = f.make_project(w.officer2, w.entry)
    project_approve(project=project, acting_user=w.chief)
    url = f"/projects/{project.pk}/edit/"
    client.force_login(w.officer)
    response = client.get(url, follow=False)
    assert response.status_code == 302 and response["Location"] == f"/projects/{project.pk}/"
    response = client.post(url, valid_post(title="ชื่อใหม่"))
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.title != "ชื่อใหม่"
    stored = [str(m) for m in response.wsgi_request._messages]  # type: ignore[attr-defined]
    assert stored and project.get_state_display() in stored[-1]  # type: ignore[attr-defined]

    selected = f.make_project(w.officer, w.entry2)
    client.force_login(w.chief)
    assert client.get(f"/projects/{selected.pk}/edit/").status_code == 403
    client.force_login(w.other_officer)
    assert client.get(f"/projects/{selected.pk}/edit/").status_code == 404
    assert client.post(f"/projects/{selected.pk}/edit/", valid_post()).status_code == 404


# --- Query counts --------------------------------------------------------------------------


def _count(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_query_counts_stay_constant(client: Client, w: SimpleNamespace) -> None:
    client.force_login(w.officer)
    project = f.make_project(w.officer, w.entry, amount="20000.00")
    url_form, url_edit, url_bank = f"/select/{w.entry.pk}/", f"/projects/{project.pk}/edit/", "/select/"
    _count(client, url_bank)  # warm the session
    small = (_count(client, url_form), _count(client, url_edit), _count(client, url_bank))

    for n in range(4, 14):  # ten more subdistricts, bank entries and budget lines
        code = f"5001{n:02d}"
        sub = Subdistrict.objects.create(code=code, district=w.d1, name_th=f"ตำบล {code}")
        BankEntry.objects.create(
            code=f"X-{n}", subdistrict=sub, title="x", dimension="social", estimated_budget=Decimal("10")
        )
        project.budget_lines.create(
            position=n, description=f"line {n}", category="wages", amount=Decimal("1")
        )
    large = (_count(client, url_form), _count(client, url_edit), _count(client, url_bank))
    assert small == large
    assert max(large) <= 15, large

"""The issue's browser journeys, in Debian's Chromium against a live server."""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import timezone

from tests import factories as f
from tests.browser.conftest import login
from workflow.models import AuditEvent, Project, State
from workflow.services import projects as svc
from workflow.web import audit as audit_pages

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TODAY = timezone.localdate()


def be(day: datetime.date) -> str:
    return f"{day.day:02d}/{day.month:02d}/{day.year + 543}"


def test_officer_selects_a_bank_entry_fixes_a_dont_rule_and_saves(page, world):
    login(page, "officer", f.PASSWORD)
    page.goto("/select/")
    page.locator(f"#select-{world.entry.pk}").click()
    page.locator("#id_target_villages").fill("3")
    page.locator("#id_target_households").fill("120")
    page.locator("#id_start_date").fill(be(TODAY + datetime.timedelta(days=7)))
    page.locator("#id_end_date").fill(be(TODAY + datetime.timedelta(days=60)))
    for item in ("fits_district_plan", "feasible", "area_ready", "permitted"):
        page.locator(f"#id_do_{item}").check()
    page.locator("#id_line-0-description").fill("ถุงยังชีพแจกประชาชน")
    page.locator("#id_line-0-category").select_option("handouts")
    page.locator("#id_line-0-amount").fill("12,500")
    # The Don't warning appears as the officer types, before anything is sent.
    warning = page.locator("#id_line-0-warning")
    assert warning.is_visible()
    page.locator("form[data-project-form] button[type=submit]").click()
    # The server refuses: the error stands beside the budget lines and nothing typed is lost.
    error = page.locator("#budget-lines-error")
    error.wait_for()
    assert error.is_visible()
    assert page.locator("#id_line-0-description").input_value() == "ถุงยังชีพแจกประชาชน"
    assert page.locator("#id_line-0-amount").input_value() == "12,500"
    assert Project.objects.count() == 0
    page.locator("#id_line-0-description").fill("วัสดุฝึกอาชีพ")
    page.locator("#id_line-0-category").select_option("activity_materials")
    assert not warning.is_visible()
    page.locator("form[data-project-form] button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/projects/\d+/$"))
    project = Project.objects.get()
    assert (project.state, str(project.budget_lines.get().amount)) == (State.SELECTED, "12500.00")
    assert project.start_date == TODAY + datetime.timedelta(days=7)


def test_chief_approves_from_the_inbox_and_the_officers_next_task_appears(page, new_page, world):
    project = f.make_project(world.officer, world.entry)
    login(page, "chief", f.PASSWORD)
    row = page.locator("tr", has_text=project.title).first
    assert row.is_visible()
    row.locator(f"a[href='/projects/{project.pk}/']").first.click()
    page.locator(f"a[href='/projects/{project.pk}/actions/approve/']").click()
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_url(re.compile(rf".*/projects/{project.pk}/$"))
    project.refresh_from_db()
    assert project.state == State.APPROVED

    officer = new_page()
    login(officer, "officer", f.PASSWORD)
    assert officer.locator(f"a[href='/projects/{project.pk}/']").first.is_visible()
    assert officer.locator("tr", has_text=project.title).first.is_visible()


def test_inspector_returns_with_a_comment_and_the_officer_sees_it(page, new_page, world):
    project = f.make_project(world.officer, world.entry)
    svc.project_approve(project=project, acting_user=world.chief)
    svc.project_implement(
        project=project,
        acting_user=world.officer,
        record=svc.ImplementationInput(
            spend_lines=[svc.LineInput("วัสดุ", "activity_materials", project.budget_lines.first().amount)],
            activities_done="อบรม 2 ครั้ง",
            villages_reached=3,
            households_reached=100,
        ),
    )
    login(page, "inspector", f.PASSWORD)
    page.goto(f"/projects/{project.pk}/actions/return/")
    page.locator("#id_comment").fill("ขอภาพถ่ายกิจกรรมเพิ่มเติม")
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_url(re.compile(rf".*/projects/{project.pk}/$"))
    project.refresh_from_db()
    assert project.state == State.APPROVED

    officer = new_page()
    login(officer, "officer", f.PASSWORD)
    officer.goto(f"/projects/{project.pk}/")
    assert officer.get_by_text("ขอภาพถ่ายกิจกรรมเพิ่มเติม").first.is_visible()


def test_another_districts_user_gets_404_on_the_project(page, world):
    project = f.make_project(world.officer, world.entry)
    login(page, "other_chief", f.PASSWORD)
    response = page.goto(f"/projects/{project.pk}/")
    assert response is not None and response.status == 404
    assert project.title not in page.content()


def test_english_switch_and_buddhist_era_dates(page, world):
    project = f.make_project(world.officer, world.entry)
    login(page, "chief", f.PASSWORD)
    page.goto(f"/projects/{project.pk}/")
    thai_year = str(TODAY.year + 543)
    assert thai_year in page.locator("main").inner_text()
    page.goto("/inbox/")
    page.locator("form.lang button[value=en]").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    headers = [h.strip() for h in page.locator("main table thead th").all_inner_texts()]
    assert "Project" in " ".join(headers) and "District" in headers and "Step" in headers
    thai_script = re.compile(r"[\u0E00-\u0E7F]")
    labels = page.locator(
        "main label, main th, main button, main h1, main h2, header nav a"
    ).all_inner_texts()
    # The project's own title is data, not a label: leave it out.
    labels = [label.replace(project.title, "") for label in labels]
    assert not [label for label in labels if thai_script.search(label)]
    page.goto(f"/projects/{project.pk}/")
    assert str(TODAY.year) in page.locator("main").inner_text()
    assert AuditEvent.objects.filter(action="create").count() == 1


def test_inbox_fits_a_phone(phone, world):
    f.make_project(world.officer, world.entry)
    login(phone, "chief", f.PASSWORD)
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 360


def test_auditor_filters_history_and_downloads_the_matching_csv(page, world):
    import csv
    import io

    first = f.make_project(world.officer, world.entry)
    second = f.make_project(world.officer, world.entry2)
    f.make_project(world.other_officer, world.other_entry)
    svc.project_approve(project=first, acting_user=world.chief, comment="อนุมัติ")
    svc.project_return(project=second, acting_user=world.chief, comment="แก้ไขเป้าหมาย")
    login(page, "auditor", f.PASSWORD)
    page.goto("/audit/")
    page.locator("#id_district").fill("5001")
    page.locator("#id_actor").fill("chief")
    page.locator("#id_since").fill(be(TODAY))
    page.locator("#id_until").fill(be(TODAY))
    page.locator("main form[method=get] button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/audit/\?.*district=5001.*"))
    shown = page.locator("main table tbody tr")
    assert shown.count() == 2
    with page.expect_download() as download_info:
        page.locator("a[href^='/audit/export.csv']").click()
    content = download_info.value.path().read_bytes().decode("utf-8-sig")
    _, *cells = list(csv.reader(io.StringIO(content)))  # the header row is in Thai
    rows = [dict(zip(audit_pages.EXPORT_COLUMNS, row, strict=True)) for row in cells]
    expected = AuditEvent.objects.filter(district_id="5001", actor_username="chief")
    assert sorted(int(r["sequence"]) for r in rows) == sorted(expected.values_list("id", flat=True))
    assert {r["action"] for r in rows} == {"approve", "return"}
    assert all(r["district"] == "5001" and r["actor"] == "chief" for r in rows)

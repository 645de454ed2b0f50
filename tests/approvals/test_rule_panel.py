"""Decision screens people can trust (issue 10): each rule says what holds or what fails with the
meter's own figures, the approve screen leads with what fails, and Don't-like texts and
spending above the approved budget are warned of (never blocked)."""

from __future__ import annotations

import html as html_lib
import re
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from tests import factories as f
from workflow.models import Project, State
from workflow.services import projects as svc
from workflow.services.projects import ImplementationInput, LineInput


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def browser(user: Any, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def text_of(client: Client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status
    return html_lib.unescape(re.sub(r"\s+", " ", response.content.decode()))


def part(page: str, marker: str, end: str = "</ul>") -> str:
    start = page.index(marker)
    return page[start : page.index(end, start)]


def the_issue_district(world: Any) -> Project:
    """Other projects commit 111,000; this one asks 12,000 (the meter: 123,000)."""
    f.make_project(world.officer, world.entry2, amount="61000.00")
    f.make_project(world.officer, f.bank_entry(world.subs["500103"], "B-7"), amount="50000.00")
    return f.make_project(world.officer, world.entry, amount="12000.00")


def test_a_rule_that_holds_says_so_with_the_meters_figures(world):
    project = the_issue_district(world)
    page = text_of(browser(world.chief), f"/projects/{project.pk}/")
    passed = part(page, "data-rules-passed")
    assert (
        "Committed by the district's other projects 111,000.00 THB + this project 12,000.00 THB "
        "= 123,000.00 THB, within the cap of 150,000.00 THB per district." in passed
    )
    assert "would be more than" not in passed
    assert "the end date is later" not in passed
    assert "No activity ends after the deadline of" in passed
    meter = part(page, "data-budget-meter", "</dl>")
    for figure in ("111,000.00", "12,000.00", "123,000.00", "150,000.00", "27,000.00"):
        assert figure in meter
    assert "Every rule is met." in page


def test_the_thai_panel_uses_thai_sentences_for_what_holds(world):
    project = the_issue_district(world)
    page = text_of(browser(world.chief, "th"), f"/projects/{project.pk}/")
    passed = part(page, "data-rules-passed")
    assert "111,000.00" in passed and "123,000.00" in passed and "150,000.00" in passed
    assert "ไม่เกินวงเงิน" in passed
    assert "เกินกำหนดดังกล่าว" not in passed


def test_the_approve_screen_leads_with_what_fails(world):
    project = the_issue_district(world)
    world.edition.budget_cap = Decimal("120000.00")  # lowered after the selection
    world.edition.save()
    page = text_of(browser(world.chief), f"/projects/{project.pk}/actions/approve/")
    failed = part(page, "data-rules-failed")
    assert "1 rule is not met." in page
    assert (
        "Committed by the district's other projects 111,000.00 THB + this project 12,000.00 THB "
        "would be more than the cap of 120,000.00 THB per district." in failed
    )
    assert (
        page.index("data-rules-failed")
        < page.index("data-rules-passed")
        < page.index('<form method="post" class="card"')
    )
    assert "-3,000.00" in part(page, "data-budget-meter", "</dl>")


def handout_project(world: Any, **overrides: Any) -> Project:
    entry = f.bank_entry(world.subs["500101"], "B-8")
    entry.title = "แจกพันธุ์ไม้"
    entry.description = "จัดซื้อพันธุ์ไม้แจกประชาชน"
    entry.save()
    return f.make_project(world.officer, entry, amount="20000.00", title="แจกพันธุ์ไม้", **overrides)


def test_texts_that_read_like_a_dont_are_warned_of_but_not_blocked(world):
    project = handout_project(world)
    chief = browser(world.chief)
    page = text_of(chief, f"/projects/{project.pk}/")
    warnings = part(page, "data-rule-warnings")
    assert warnings.count('data-code="dont_handouts"') == 2  # the title and the bank's description
    assert "The title says “แจก”" in warnings
    assert "The project bank's description says “แจก”" in warnings
    assert "No procurement of materials or equipment to hand out to people directly." in warnings
    assert "Every rule is met." in page  # a warning, not a failed rule

    approve_page = text_of(chief, f"/projects/{project.pk}/actions/approve/")
    assert 'data-code="dont_handouts"' in approve_page
    response = chief.post(f"/projects/{project.pk}/actions/approve/", {"comment": "ตรวจแล้ว ปลูกในที่สาธารณะ"})
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.state == State.APPROVED


def test_training_words_are_warned_of_unless_the_occupation_or_security_exception_applies(world):
    lines = [LineInput("ค่าวิทยากรอบรมอาชีพ", "wages", Decimal("10000.00"))]
    plain = f.make_project(world.officer, world.entry, amount="10000.00", budget_lines=lines)
    page = text_of(browser(world.chief), f"/projects/{plain.pk}/")
    assert "Budget line 1 says “อบรม”" in part(page, "data-rule-warnings")

    allowed = f.make_project(
        world.officer,
        world.entry2,
        amount="10000.00",
        budget_lines=lines,
        primary_objective="training",
        training_kind="occupation",
        training_target_local=True,
    )
    page = text_of(browser(world.chief), f"/projects/{allowed.pk}/")
    assert "data-rule-warnings" not in page


def test_the_project_form_lists_the_four_donts_from_the_start(world):
    page = text_of(browser(world.officer), f"/select/{world.entry.pk}/")
    donts = part(page, "data-donts", "</ol>")
    assert [code for code in re.findall(r'data-code="(\w+)"', donts)] == [
        "dont_handouts",
        "dont_routine_equipment",
        "dont_buildings",
        "dont_training",
    ]
    assert "No repair, construction or renovation of buildings" in donts
    assert 'id="dont-words"' in page  # the words the page warns of while the officer types

    thai = text_of(browser(world.officer, "th"), f"/select/{world.entry.pk}/")
    assert "โครงการที่ควรหลีกเลี่ยงดำเนินการ (Don't)" in thai


def test_spending_above_the_approved_budget_is_shown_to_the_chief_and_the_inspector(world):
    project = f.make_project(world.officer, world.entry, amount="12000.00")
    svc.project_approve(project=project, acting_user=world.chief)
    record = ImplementationInput(
        spend_lines=[LineInput("ค่าวัสดุ", "activity_materials", Decimal("25000.00"))],
        activities_done="จัดตลาดชุมชน",
        villages_reached=2,
        households_reached=80,
    )
    svc.project_implement(project=project, acting_user=world.officer, record=record, comment="ค่าขนส่งสูง")

    expected = "Spent 25,000.00 THB, 13,000.00 THB more than the approved budget of 12,000.00 THB"
    chief_page = text_of(browser(world.chief), f"/projects/{project.pk}/")
    assert expected in part(chief_page, "data-rule-warnings")
    assert "25,000.00" in part(chief_page, "data-budget-meter", "</dl>")  # spent by the district

    monitor_page = text_of(browser(world.inspector), f"/projects/{project.pk}/actions/monitor/")
    assert expected in part(monitor_page, "data-rule-warnings")
    assert "Approved budget" in monitor_page

    thai = text_of(browser(world.inspector, "th"), f"/projects/{project.pk}/actions/monitor/")
    assert "25,000.00" in part(thai, "data-rule-warnings") and "เกินงบประมาณที่อนุมัติ" in thai

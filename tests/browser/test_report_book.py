"""The report book's journey: a chief previews and submits, a central planner sees it received."""

from __future__ import annotations

import re

import pytest

from reports.models import ReportBook
from tests import factories as f
from tests.browser.conftest import login
from tests.reports.conftest import fill_parts, reported_project
from workflow.models import DistrictSubmission, State

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_chief_previews_and_submits_and_the_planner_sees_the_book_received(page, new_page, world):
    fill_parts(world)
    project = reported_project(world, 1, photos=2)

    login(page, "chief", f.PASSWORD)
    page.locator("header nav a[href='/districts/5001/book/']").click()
    page.wait_for_url(re.compile(r".*/districts/5001/book/$"))
    assert page.locator("h1").inner_text().startswith("รายงานผลการขับเคลื่อน")
    preview = page.locator("#preview-pdf")
    response = page.request.get(preview.get_attribute("href"))
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF")

    page.locator("main a[href='/districts/5001/submission/']").first.click()
    page.locator("#id_letter_number").fill("มท ๐๓๑๘.๑/๑๒๓")  # the covering letter's number
    page.locator("#id_comment").fill("ส่งรายงานผลการขับเคลื่อนอำเภอต้นแบบ")
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_url(re.compile(r".*/districts/5001/submission/$"))
    assert page.locator("[role=status], .messages, .message").first.is_visible()
    submission = DistrictSubmission.objects.get()
    book = ReportBook.objects.get(submission=submission)
    project.refresh_from_db()
    assert project.state == State.SUBMITTED

    planner = new_page()
    login(planner, "planner", f.PASSWORD)
    planner.locator("header nav a[href='/dashboard/']").click()
    received = planner.locator("#books-received")
    received.wait_for()
    assert "เมืองเชียงใหม่" in received.inner_text()

    planner.goto("/districts/5001/book/")
    row = planner.locator("#submitted-books tbody tr").first
    assert book.sha256[:16] in row.inner_text()
    row.locator("button[type=submit]").click()
    planner.wait_for_url(re.compile(r".*/districts/5001/book/$"))
    assert "ได้รับแล้ว" in planner.locator("#submitted-books tbody tr").first.inner_text()

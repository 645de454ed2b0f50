"""Issue 10's journey for one district, in Debian's Chromium against a live server, in Thai:
designation → selection → approval → disbursement → progress → implement → monitor → report →
submission. Each person works in their own browser, through the pages only."""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import timezone

from tests import factories as f
from tests.browser.conftest import login
from workflow.models import (
    AuditEvent,
    Disbursement,
    DistrictSubmission,
    ProgressUpdate,
    Project,
    RoleModelDistrict,
    State,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TODAY = timezone.localdate()


def be(day: datetime.date) -> str:
    return f"{day.day:02d}/{day.month:02d}/{day.year + 543}"


def submit(page, selector: str = "main form button[type=submit]") -> None:
    page.locator(selector).last.click()
    page.wait_for_load_state()


def test_one_district_from_designation_to_submission(new_page, world):
    # The edition starts without Mueang Chiang Mai among its Role Model districts.
    RoleModelDistrict.objects.filter(edition=world.edition, district=world.d1).delete()

    # 1. The central planner designates it.
    planner = new_page()
    login(planner, "planner", f.PASSWORD)
    planner.goto(f"/editions/{world.edition.pk}/districts/")
    planner.locator("#id_codes").fill("5001\n5002\n5101")
    submit(planner)
    assert planner.locator("#designated-count").inner_text().strip() == "3"
    assert RoleModelDistrict.objects.filter(edition=world.edition, district=world.d1).exists()

    # 2. The district officer selects a bank entry and writes the plan (part 3).
    officer = new_page()
    login(officer, "officer", f.PASSWORD)
    officer.goto("/select/")
    officer.locator(f"#select-{world.entry.pk}").click()
    officer.locator("#id_target_villages").fill("3")
    officer.locator("#id_target_households").fill("120")
    officer.locator("#id_start_date").fill(be(TODAY + datetime.timedelta(days=1)))
    officer.locator("#id_end_date").fill(be(TODAY + datetime.timedelta(days=60)))
    for item in ("fits_district_plan", "feasible", "area_ready", "permitted"):
        officer.locator(f"#id_do_{item}").check()
    for name, text in f.PLAN.items():
        officer.locator(f"#id_{name}").fill(text)
    officer.locator("#id_line-0-description").fill("วัสดุฝึกอาชีพ")
    officer.locator("#id_line-0-category").select_option("activity_materials")
    officer.locator("#id_line-0-amount").fill("120,000")
    officer.locator("form[data-project-form] button[type=submit]").click()
    officer.wait_for_url(re.compile(r".*/projects/\d+/$"))
    project = Project.objects.get()
    assert project.rationale == f.PLAN["rationale"]

    # 3. The district chief approves it.
    chief = new_page()
    login(chief, "chief", f.PASSWORD)
    chief.goto(f"/projects/{project.pk}/actions/approve/")
    submit(chief)
    chief.wait_for_url(re.compile(rf".*/projects/{project.pk}/$"))
    project.refresh_from_db()
    assert project.state == State.APPROVED

    # 4. The provincial officer finds the disbursement in the inbox and records it.
    provincial = new_page()
    login(provincial, "provincial", f.PASSWORD)
    provincial.locator("a[href='/districts/5001/disbursements/']").first.click()
    provincial.locator("#id_amount").fill("150000")
    provincial.locator("#id_paid_on").fill(be(TODAY))
    provincial.locator("#id_reference").fill("ปค ๐๐๑๘.๒/๑๒๓")
    submit(provincial)
    assert Disbursement.objects.get().amount == 150000
    provincial.goto("/inbox/")
    assert provincial.locator("a[href='/districts/5001/disbursements/']").count() == 0

    # 5. While the work runs: the officer posts progress with a photo, the chief a supervision note.
    officer.goto(f"/projects/{project.pk}/")
    officer.locator("#id_progress-as_of").fill(be(TODAY))
    officer.locator("#id_progress-percent_done").fill("40")
    officer.locator("#id_progress-text").fill("จัดอบรมอาชีพครั้งที่ ๑ แล้ว")
    officer.locator("#id_progress-photos").set_input_files(
        files=[{"name": "อบรม.png", "mimeType": "image/png", "buffer": f.image_bytes()}]
    )
    officer.get_by_role("button", name="รายงานความก้าวหน้า").click()
    officer.wait_for_load_state()
    assert officer.get_by_text("จัดอบรมอาชีพครั้งที่ ๑ แล้ว").first.is_visible()
    chief.goto(f"/projects/{project.pk}/")
    chief.locator("#id_supervision-text").fill("ขอให้เร่งจัดอบรมครั้งที่ ๒ ให้ทันกำหนด")
    chief.get_by_role("button", name="บันทึกการกำกับ ติดตาม").click()
    chief.wait_for_load_state()
    assert [u.kind for u in ProgressUpdate.objects.order_by("id")] == ["progress", "supervision"]
    officer.goto(f"/projects/{project.pk}/")
    assert officer.get_by_text("ขอให้เร่งจัดอบรมครั้งที่ ๒ ให้ทันกำหนด").first.is_visible()

    # 6. The officer records the implementation.
    officer.goto(f"/projects/{project.pk}/actions/implement/")
    officer.locator("#id_activities_done").fill("อบรมอาชีพ ๓ ครั้ง ผู้เข้าร่วม ๑๒๐ คน")
    officer.locator("#id_villages_reached").fill("3")
    officer.locator("#id_households_reached").fill("120")
    officer.locator("#id_lines-0-description").fill("วัสดุฝึกอาชีพ")
    officer.locator("#id_lines-0-category").select_option("activity_materials")
    officer.locator("#id_lines-0-amount").fill("118500")
    submit(officer)
    officer.wait_for_url(re.compile(rf".*/projects/{project.pk}/$"))
    project.refresh_from_db()
    assert project.state == State.IMPLEMENTED

    # 7. The regional inspector monitors it.
    inspector = new_page()
    login(inspector, "inspector", f.PASSWORD)
    inspector.goto(f"/projects/{project.pk}/actions/monitor/")
    inspector.locator("#id_findings").fill("ดำเนินการครบตามแผน")
    submit(inspector)
    inspector.wait_for_url(re.compile(rf".*/projects/{project.pk}/$"))

    # 8. The officer reports the results (part 3's results, problems and suggestions).
    officer.goto(f"/projects/{project.pk}/actions/report/")
    officer.locator("#id_result_narrative").fill("ครัวเรือนเป้าหมายมีรายได้เพิ่มขึ้น")
    officer.locator("#id_problems").fill("ฝนตกในช่วงอบรมครั้งที่ ๒")
    officer.locator("#id_suggestions").fill("ควรจัดอบรมในฤดูแล้ง")
    submit(officer)
    officer.wait_for_url(re.compile(rf".*/projects/{project.pk}/$"))
    project.refresh_from_db()
    assert (project.state, project.problems) == (State.REPORTED, "ฝนตกในช่วงอบรมครั้งที่ ๒")

    # 9. The chief submits the district's report book (and is told about the signed paper copy).
    chief.goto("/districts/5001/submission/")
    assert chief.locator("#paper-copy").is_visible()
    assert chief.locator("#not-disbursed").count() == 0
    chief.on("dialog", lambda dialog: dialog.accept())
    chief.locator("#id_letter_number").fill("มท ๐๓๑๘.๑/๑๒๓")  # the covering letter's number
    submit(chief)
    submission = DistrictSubmission.objects.get(district=world.d1)
    assert list(submission.projects.values_list("pk", flat=True)) == [project.pk]
    project.refresh_from_db()
    assert project.state == State.SUBMITTED

    # Every step is in the project's history, in order.
    actions = list(AuditEvent.objects.filter(project=project).order_by("id").values_list("action", flat=True))
    assert actions == [
        "create",
        "approve",
        "progress_add",
        "supervision_add",
        "implement",
        "monitor",
        "report",
        "submit",
    ]

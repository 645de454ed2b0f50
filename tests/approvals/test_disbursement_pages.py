"""The district's disbursement page, the provincial officer's inbox entry, and where the pages
show the disbursed figure (issue 10: the province pays)."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from typing import Any

from django.test import Client
from django.utils import timezone

from tests import factories as f
from tests.reports.helpers import advance_world
from workflow.dates import format_date
from workflow.models import AuditEvent, Disbursement, State
from workflow.services import projects as svc

URL = "/districts/5001/disbursements/"


def browser(user: Any, language: str = "th") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    client.cookies["rolemodel_language"] = language
    return client


def be(day: datetime.date) -> str:
    """The date as a Thai user types it: DD/MM/YYYY in the Buddhist Era."""
    return f"{day.day:02d}/{day.month:02d}/{day.year + 543}"


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_provincial_officer_records_a_tranche_in_thai(world):
    client = browser(world.provincial)
    form = client.get(URL)
    assert form.status_code == 200
    html = form.content.decode()
    assert 'name="amount"' in html and 'name="paid_on"' in html and 'name="reference"' in html
    assert "เมืองเชียงใหม่" in html and "150,000.00" in html
    today = timezone.localdate()
    response = client.post(
        URL, {"amount": "75000.50", "paid_on": be(today), "reference": "ปค ๐๐๑๘.๒/๑๒๓", "note": "งวดแรก"}
    )
    assert response.status_code == 302
    row = Disbursement.objects.get()
    assert (row.amount, row.paid_on, row.reference, row.note) == (
        Decimal("75000.50"),
        today,
        "ปค ๐๐๑๘.๒/๑๒๓",
        "งวดแรก",
    )
    assert AuditEvent.objects.filter(action="disbursement_record", district_id="5001").count() == 1
    after = text(client.get(URL).content.decode())
    assert format_date(today, "th") in after  # the Buddhist Era date in Thai
    assert "75,000.50" in after and "74,999.50" in after  # the tranche and what is left
    assert "ปค ๐๐๑๘.๒/๑๒๓" in after and "งวดแรก" in after
    assert "จังหวัดเบิกจ่ายให้อำเภอแล้ว" in after  # "Disbursed by the province"


def test_every_error_of_the_form_in_one_round(world):
    client = browser(world.provincial, "en")
    response = client.post(URL, {"amount": "12.345", "paid_on": "31/02/2026", "reference": ""})
    assert response.status_code == 422
    html = response.content.decode()
    for name in ("amount", "paid_on", "reference"):
        assert f'id="id_{name}_error"' in html, name
    assert "12.345" in html  # nothing typed is lost
    assert not Disbursement.objects.exists()


def test_a_future_date_and_an_amount_over_the_cap_are_shown_beside_their_fields(world):
    client = browser(world.provincial, "en")
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    future = client.post(URL, {"amount": "1000", "paid_on": tomorrow.strftime("%d/%m/%Y"), "reference": "x"})
    assert future.status_code == 422
    assert 'id="id_paid_on_error"' in future.content.decode()
    assert "in the future" in future.content.decode()
    today = timezone.localdate().strftime("%d/%m/%Y")
    over = client.post(URL, {"amount": "150000.01", "paid_on": today, "reference": "x"})
    assert over.status_code == 422
    assert 'id="id_amount_error"' in over.content.decode() and "150,000.00" in over.content.decode()


def test_others_read_the_page_without_the_form_and_may_not_post(world):
    f.disburse(world.d1, "40000.00")
    for user in (world.officer, world.chief, world.inspector, world.planner):
        html = browser(user, "en").get(URL).content.decode()
        assert "40,000.00" in html and 'name="amount"' not in html
    assert browser(world.chief).post(URL, {"amount": "1"}).status_code == 403
    assert browser(world.other_chief).get(URL).status_code == 404
    assert browser(world.other_provincial).get(URL).status_code == 404
    assert Disbursement.objects.count() == 1


def test_the_inbox_entry_appears_after_the_first_approval_and_goes_once_recorded(world):
    def entries() -> list[str]:
        html = browser(world.provincial, "en").get("/inbox/").content.decode()
        return re.findall(
            r'<a href="(/districts/\d+/disbursements/)">Record the disbursement of ([^<]+)</a>', html
        )

    assert entries() == []
    project = f.make_project(world.officer, world.entry, amount="30000.00")
    assert entries() == []
    svc.project_approve(project=project, acting_user=world.chief)
    assert entries() == [(URL, "Mueang Chiang Mai")]
    other = f.make_project(world.officer, world.entry2, amount="20000.00")
    svc.project_approve(project=other, acting_user=world.chief)
    assert entries() == [(URL, "Mueang Chiang Mai")]  # one entry per district
    assert "Record the disbursement" not in browser(world.chief, "en").get("/inbox/").content.decode()
    assert (
        "Record the disbursement" not in browser(world.other_provincial, "en").get("/inbox/").content.decode()
    )
    f.disburse(world.d1, "50000.00")
    assert entries() == []


def test_the_meter_and_the_submission_page_show_the_disbursement(world):
    project = advance_world(f.make_project(world.officer, world.entry, "40000.00"), State.REPORTED, world)
    chief = browser(world.chief, "en")
    submission = chief.get("/districts/5001/submission/").content.decode()
    assert 'id="not-disbursed"' in submission and f'href="{URL}"' in submission
    refused = chief.post(
        "/districts/5001/submission/",
        {
            "comment": "ส่ง",
            "letter_number": "มท 0318.1/1",
            "letter_date": timezone.localdate().strftime("%d/%m/%Y"),
        },
    )
    assert refused.status_code == 409
    assert "has not recorded the disbursement" in refused.content.decode()
    f.disburse(world.d1, "60000.00")
    submission = text(chief.get("/districts/5001/submission/").content.decode())
    assert "has disbursed 60,000.00 baht" in submission
    detail = chief.get(f"/projects/{project.pk}/").content.decode()
    meter = detail[detail.index("data-budget-meter") :]
    assert f'<a href="{URL}">60,000.00</a>' in meter


def test_part_3_of_the_book_shows_approved_disbursed_and_spent_side_by_side(world):
    import io

    from django.utils import translation
    from docx import Document

    from reports.book import book_build
    from reports.docx import render_docx
    from reports.models import Digits
    from reports.pdf import _html

    advance_world(f.make_project(world.officer, world.entry, "40000.00"), State.REPORTED, world)
    f.disburse(world.d1, "90000.00")
    with translation.override("en"):
        book = book_build(district=world.d1, edition=world.edition, draft=True, digits=Digits.ARABIC)
        assert (book.approved_total, book.disbursed) == (Decimal("40000.00"), Decimal("90000.00"))
        html = _html(book, {})
        document = Document(io.BytesIO(render_docx(book)))
    money = html[html.index('id="district-money"') :]
    money = text(money[: money.index("</table>")])
    assert "Approved" in money and "Disbursed by the provincial office" in money
    assert "150,000.00 40,000.00 90,000.00" in money  # cap, approved, disbursed, then spent
    rows = [[cell.text for cell in row.cells] for table in document.tables for row in table.rows]
    header = next(i for i, row in enumerate(rows) if "Disbursed by the provincial office (THB)" in row)
    assert rows[header + 1][:3] == ["150,000.00", "40,000.00", "90,000.00"]

"""The covering letter (หนังสือนำส่ง, issue 11 part 3): its number and date entered by the chief at
submission (on the page, required, every error in one round; through the API, optional), stored
as PDF and DOCX next to the book in the official Thai letter form, and downloaded with the
book's access (404 outside the district)."""

from __future__ import annotations

import datetime
import hashlib
import io
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from docx import Document
from rest_framework.test import APIClient

from reports.book import long_date, thai_digits
from reports.models import CoveringLetter, DistrictProfile
from reports.services import book_settings_update
from tests import factories as f
from tests.reports.conftest import fill_parts, reported_project
from tests.reports.test_book_pdf import pdftotext, squash
from workflow import access
from workflow.dates import BE_OFFSET
from workflow.models import AuditEvent, DistrictSubmission
from workflow.services import projects as svc
from workflow.services.delegation import delegation_create

pytestmark = pytest.mark.django_db

PAGE = "/districts/5001/submission/"
NUMBER = "มท ๐๓๑๘.๑/๑๒๓"
ADDRESS = "ถนนโชตนา ตำบลช้างเผือก\nอำเภอเมืองเชียงใหม่ จังหวัดเชียงใหม่ ๕๐๓๐๐"


@pytest.fixture
def w(world: SimpleNamespace) -> SimpleNamespace:
    """District 5001 ready to submit: parts 1 and 2 with the office's address, a named chief, one
    reported project, the province's disbursement."""
    fill_parts(world)
    DistrictProfile.objects.filter(district=world.d1, edition=world.edition).update(office_address=ADDRESS)
    world.chief.first_name, world.chief.last_name = "นายสมชาย", "ใจดี"
    world.chief.save()
    world.project = reported_project(world, 1, photos=0)
    return world


def browser(user: Any, language: str = "th") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def api(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def be(day: datetime.date) -> str:
    """A date as the Thai page's date box takes it: DD/MM/YYYY in the Buddhist Era."""
    return f"{day.day:02d}/{day.month:02d}/{day.year + BE_OFFSET}"


def letter_texts(content: bytes) -> list[str]:
    document = Document(io.BytesIO(content))
    texts = [p.text for p in document.paragraphs]
    texts += [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return texts


# --- Entered on the submission page ---------------------------------------------------------------


def test_the_chief_enters_the_number_and_date_and_gets_the_letter_next_to_the_book(
    w: Any, tmp_path: Path, django_capture_on_commit_callbacks: Any
) -> None:
    book_settings_update(
        acting_user=w.admin,
        emblem=SimpleUploadedFile("garuda.png", f.image_bytes("PNG"), content_type="image/png"),
    )
    dated = timezone.localdate() - datetime.timedelta(days=2)
    client = browser(w.chief)
    form = client.get(PAGE).content.decode()
    assert 'name="letter_number"' in form and 'name="letter_date"' in form
    assert be(timezone.localdate()) in form  # the date starts as today, in the Buddhist Era

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(PAGE, {"letter_number": NUMBER, "letter_date": be(dated), "comment": ""})
    assert response.status_code == 302, response.content.decode()[:3000]
    submission = DistrictSubmission.objects.get()
    assert (submission.letter_number, submission.letter_date, submission.acting_for) == (NUMBER, dated, None)

    letter = CoveringLetter.objects.get(submission=submission)
    pdf = letter.pdf.read()
    assert pdf.startswith(b"%PDF") and hashlib.sha256(pdf).hexdigest() == letter.sha256
    text = pdftotext(pdf, tmp_path)
    flat = squash(text)
    date_be = thai_digits(long_date(dated, language="th"))  # ๓๑ สิงหาคม ๒๕๖๙
    for expected in (
        "ที่ " + NUMBER,  # ที่ มท …
        "ที่ว่าการอำเภอเมืองเชียงใหม่",
        "ถนนโชตนา ตำบลช้างเผือก",
        date_be,  # the date in BE, the month in full, Thai digits
        "เรื่อง",
        "ส่งรายงานผลการขับเคลื่อนอำเภอต้นแบบ (Role Model)",
        "เรียน",
        "ผู้อำนวยการกองวิชาการและแผนงาน",
        "สิ่งที่ส่งมาด้วย",
        "จำนวน ๑ เล่ม",
        "จึงเรียนมาเพื่อโปรดทราบ",
        "ขอแสดงความนับถือ",
        "(นายสมชาย ใจดี)",
        "นายอำเภอเมืองเชียงใหม่",
        "ที่ทำการปกครองอำเภอเมืองเชียงใหม่",
    ):
        assert squash(expected) in flat, expected
    assert str(dated.year + BE_OFFSET) not in text  # no Arabic digits: the office chose Thai ones
    assert "รักษาราชการแทน" not in flat

    docx = letter.docx.read()
    assert hashlib.sha256(docx).hexdigest() == letter.docx_sha256
    texts = letter_texts(docx)
    joined = "\n".join(texts)
    for expected in (
        "ที่ " + NUMBER,
        date_be,
        "เรื่อง\tส่งรายงานผลการขับเคลื่อนอำเภอต้นแบบ",
        "เรียน\tผู้อำนวยการกองวิชาการและแผนงาน",
        "สิ่งที่ส่งมาด้วย\t",
        "ขอแสดงความนับถือ",
        "(นายสมชาย ใจดี)",
    ):
        assert expected in joined, expected
    assert len(Document(io.BytesIO(docx)).inline_shapes) == 1  # the Garuda at the top

    # The submission's event records the letter with the book.
    event = AuditEvent.objects.get(action="district_submit")
    assert event.payload["letter"]["sha256"] == letter.sha256
    assert event.payload["letter"]["number"] == NUMBER
    assert event.payload["letter"]["date"] == dated.isoformat()

    # Downloaded next to the book: on the book page and on the submission page.
    for url in ("/districts/5001/book/", PAGE):
        html = client.get(url).content.decode()
        assert f"/submissions/{submission.pk}/letter.pdf" in html
        assert f"/submissions/{submission.pk}/letter.docx" in html
    download = client.get(f"/submissions/{submission.pk}/letter.pdf")
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content) == pdf
    assert download["X-Content-SHA256"] == letter.sha256
    word = client.get(f"/submissions/{submission.pk}/letter.docx")
    assert word.status_code == 200 and "attachment" in word["Content-Disposition"]
    assert b"".join(word.streaming_content) == docx


def test_the_page_requires_the_number_and_date_and_shows_every_error_in_one_round(w: Any) -> None:
    client = browser(w.chief)
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)

    missing = client.post(PAGE, {"letter_number": "", "letter_date": "", "comment": "ส่ง"})
    assert missing.status_code == 422
    html = missing.content.decode()
    assert "กรอกเลขที่หนังสือนำส่ง" in html and "กรอกวันที่ของหนังสือนำส่ง" in html
    assert 'id="id_letter_number_error"' in html and 'id="id_letter_date_error"' in html
    assert "ส่ง" in html  # what was typed is kept

    wrong = client.post(PAGE, {"letter_number": "๑๒๓", "letter_date": be(tomorrow), "comment": ""})
    assert wrong.status_code == 422
    html = wrong.content.decode()
    assert 'id="id_letter_number_error"' in html and 'id="id_letter_date_error"' in html
    assert "มท ๐๓๑๘.๑/๑๒๓" in html  # the example of the expected form
    assert "ต้องไม่เกินวันนี้" in html

    ce_year = client.post(PAGE, {"letter_number": NUMBER, "letter_date": tomorrow.strftime("%d/%m/%Y")})
    assert ce_year.status_code == 422 and 'id="id_letter_date_error"' in ce_year.content.decode()
    assert not DistrictSubmission.objects.exists()
    assert not CoveringLetter.objects.exists()


# --- Through the API ------------------------------------------------------------------------------


def test_the_api_takes_the_number_and_date_and_lists_the_letter(
    w: Any, django_capture_on_commit_callbacks: Any
) -> None:
    url = "/api/v1/districts/5001/submission/"
    refused = api(w.chief).post(
        url,
        {
            "letter_number": "1234",
            "letter_date": (timezone.localdate() + datetime.timedelta(days=3)).isoformat(),
        },
        format="json",
    )
    assert refused.status_code == 422
    assert sorted(e["field"] for e in refused.json()["errors"]) == ["letter_date", "letter_number"]
    assert not DistrictSubmission.objects.exists()

    dated = timezone.localdate() - datetime.timedelta(days=1)
    with django_capture_on_commit_callbacks(execute=True):
        created = api(w.chief).post(
            url, {"letter_number": "ที่ มท 0318.1/77", "letter_date": dated.isoformat()}, format="json"
        )
    assert created.status_code == 201, created.content
    assert (created.data["letter_number"], created.data["letter_date"]) == ("มท 0318.1/77", dated.isoformat())
    assert created.data["acting_for"] is None

    books = api(w.planner).get("/api/v1/districts/5001/books/").json()
    letter = books[0]["letter"]
    assert (letter["number"], letter["date"]) == ("มท 0318.1/77", dated.isoformat())
    stored = CoveringLetter.objects.get()
    assert letter["sha256"] == stored.sha256 and letter["docx_sha256"] == stored.docx_sha256
    pdf = api(w.planner).get(letter["pdf_url"])
    assert pdf.status_code == 200 and pdf["X-Content-SHA256"] == stored.sha256
    docx = api(w.planner).get(letter["docx_url"])
    assert docx.status_code == 200 and docx["X-Content-SHA256"] == stored.docx_sha256
    assert "มท ๐๓๑๘.๑/๗๗" in "\n".join(letter_texts(b"".join(docx.streaming_content)))


def test_an_older_api_client_still_submits_the_letter_is_dated_today_and_left_to_number(
    w: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        created = api(w.chief).post("/api/v1/districts/5001/submission/", {"comment": ""}, format="json")
    assert created.status_code == 201, created.content
    submission = DistrictSubmission.objects.get()
    assert (submission.letter_number, submission.letter_date) == ("", timezone.localdate())
    texts = "\n".join(letter_texts(submission.letter.docx.read()))
    assert "ที่ " + "." * 40 in texts  # the number is written in by hand


def test_an_acting_official_signs_the_letter_for_the_chief(
    w: Any, tmp_path: Path, django_capture_on_commit_callbacks: Any
) -> None:
    w.officer.first_name, w.officer.last_name = "นายบุญมี", "ศรีสุข"
    w.officer.save()
    today = timezone.localdate()
    delegation_create(acting_user=w.chief, district=w.d1, delegate=w.officer, starts_on=today, ends_on=today)
    access.forget(w.officer)
    with django_capture_on_commit_callbacks(execute=True):
        submission = svc.district_submit(district=w.d1, acting_user=w.officer, letter_number=NUMBER)
    text = squash(pdftotext(submission.letter.pdf.read(), tmp_path))
    assert squash("(นายบุญมี ศรีสุข)") in text
    assert squash("รักษาราชการแทน นายอำเภอเมืองเชียงใหม่") in text
    texts = letter_texts(submission.letter.docx.read())
    assert "รักษาราชการแทน นายอำเภอเมืองเชียงใหม่" in texts


# --- Access ----------------------------------------------------------------------------------------


def test_the_letter_has_the_books_access(w: Any, django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        submission = svc.district_submit(district=w.d1, acting_user=w.chief, letter_number=NUMBER)
    for kind in ("pdf", "docx"):
        page_url = f"/submissions/{submission.pk}/letter.{kind}"
        api_url = f"/api/v1/submissions/{submission.pk}/letter.{kind}"
        for outsider in (w.other_officer, w.other_chief, w.other_provincial, w.nobody):
            assert browser(outsider).get(page_url).status_code == 404
            assert api(outsider).get(api_url).status_code == 404
        for insider in (w.officer, w.chief, w.provincial, w.inspector, w.planner, w.auditor):
            assert browser(insider).get(page_url).status_code == 200
            assert api(insider).get(api_url).status_code == 200
        assert Client().get(page_url).status_code == 302  # to the login page
        assert APIClient().get(api_url).status_code == 401
    # A submission made before letters were kept has none: 404, and the page offers no link.
    CoveringLetter.objects.all().delete()
    assert browser(w.chief).get(f"/submissions/{submission.pk}/letter.pdf").status_code == 404
    assert f"/submissions/{submission.pk}/letter.pdf" not in browser(w.chief).get(PAGE).content.decode()

"""The book's official parts (issue 11, part 3): the cover in the official style with the emblem
an administrator configured, the preface (คำนำ) written with part 1, the signature block of the
chief or of the acting official (รักษาราชการแทน), and a draft that shows only the projects the
district will report and says it is a draft on every page."""

from __future__ import annotations

import datetime
import io
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from docx import Document
from pypdf import PdfReader
from rest_framework.test import APIClient

from reports import parts
from reports.book import book_build
from reports.docx import render_docx
from reports.models import BookSettings, DistrictProfile, ReportBook
from reports.pdf import compose, render_pdf
from reports.services import book_settings_update
from tests import factories as f
from tests.reports.conftest import fill_parts, reported_project
from tests.reports.helpers import advance_world
from tests.reports.test_book_pdf import pdftotext, squash
from workflow import access
from workflow.errors import Forbidden, InvalidInput
from workflow.models import AuditEvent, State
from workflow.services import projects as svc
from workflow.services.delegation import delegation_create

pytestmark = pytest.mark.django_db

TITLE = "รายงานผลการขับเคลื่อนอำเภอต้นแบบ (Role Model) ตามโครงการพัฒนาตำบลแบบบูรณาการ (Tambon Smart Team)"
PREFACE = "รายงานฉบับนี้จัดทำขึ้นเพื่อรายงานผลการขับเคลื่อนอำเภอต้นแบบของอำเภอเมืองเชียงใหม่\nขอขอบคุณผู้ใหญ่บ้านและกำนันทุกท่าน"


@pytest.fixture(autouse=True)
def _thai() -> Any:
    with translation.override("th"):
        yield


@pytest.fixture
def w(world: SimpleNamespace) -> SimpleNamespace:
    """District 5001 with parts 1 and 2, a preface, a named chief and one reported project."""
    fill_parts(world)
    DistrictProfile.objects.filter(district=world.d1, edition=world.edition).update(
        preface=PREFACE, office_address="ถนนโชตนา ตำบลช้างเผือก"
    )
    world.chief.first_name, world.chief.last_name = "นายสมชาย", "ใจดี"
    world.chief.save()
    world.officer.first_name, world.officer.last_name = "นายบุญมี", "ศรีสุข"
    world.officer.save()
    world.reported = reported_project(world, 1, photos=0)
    return world


def emblem_png() -> SimpleUploadedFile:
    return SimpleUploadedFile("garuda.png", f.image_bytes("PNG"), content_type="image/png")


def pages_text(pdf: bytes, tmp_path: Path) -> list[str]:
    count = len(PdfReader(io.BytesIO(pdf)).pages)
    return [pdftotext(pdf, tmp_path, first=n, last=n) for n in range(1, count + 1)]


# --- The cover ---------------------------------------------------------------------------------


def test_the_cover_is_in_the_official_style_with_the_emblem(w: Any, tmp_path: Path) -> None:
    book_settings_update(acting_user=w.admin, emblem=emblem_png())
    book = book_build(district=w.d1, edition=w.edition, draft=False)
    rendered = render_pdf(book)

    cover = squash(pdftotext(rendered.content, tmp_path, first=1, last=1))
    assert squash(TITLE) in cover
    assert cover.count(squash("รายงานผลการขับเคลื่อน")) == 1  # the title once, never repeated
    assert w.edition.title not in cover  # the edition's own title is not a second title
    assert squash("อำเภอเมืองเชียงใหม่ จังหวัดเชียงใหม่") in cover
    assert squash("ประจำปีงบประมาณ พ.ศ. ๒๕๗๐") in cover  # the edition's year, BE, Thai digits
    assert "ฉบับร่าง" not in cover  # the final book
    reader = PdfReader(io.BytesIO(rendered.content))
    assert len(reader.pages[0].images) == 1  # the emblem

    # The DOCX has the same cover: the emblem, the title once, the fiscal year.
    document = Document(io.BytesIO(render_docx(book)))
    texts = [p.text for p in document.paragraphs]
    assert texts.count(TITLE) == 1
    assert "ประจำปีงบประมาณ พ.ศ. ๒๕๗๐" in texts
    assert w.edition.title not in texts
    assert len(document.inline_shapes) == 1


def test_without_an_emblem_the_cover_has_no_image(w: Any, tmp_path: Path) -> None:
    rendered = render_pdf(book_build(district=w.d1, edition=w.edition, draft=False))
    assert len(PdfReader(io.BytesIO(rendered.content)).pages[0].images) == 0


# --- The preface and the signature block ---------------------------------------------------------


def test_the_preface_is_printed_before_the_contents_and_the_chief_signs(w: Any, tmp_path: Path) -> None:
    book = book_build(district=w.d1, edition=w.edition, draft=False)
    rendered = render_pdf(book)
    pages = [squash(text) for text in pages_text(rendered.content, tmp_path)]

    assert "คำนำ" in pages[1]  # the page after the cover
    for line in PREFACE.splitlines():
        assert squash(line) in pages[1]
    assert "สารบัญ" in pages[2]  # the contents come after the preface…
    assert rendered.toc_pages["part-1"] > 3  # …and the parts after both
    # The signature block ends the book: the chief's name and position.
    assert "(นายสมชายใจดี)" in pages[-1]
    assert "นายอำเภอเมืองเชียงใหม่" in pages[-1]
    assert "รักษาราชการแทน" not in pages[-1]

    document = Document(io.BytesIO(render_docx(book)))
    texts = [p.text for p in document.paragraphs]
    assert texts.index("คำนำ") < texts.index("สารบัญ")
    assert PREFACE.splitlines()[0] in texts
    assert texts[-3:] == ["(ลงชื่อ) " + "." * 40, "(นายสมชาย ใจดี)", "นายอำเภอเมืองเชียงใหม่"]


def test_an_acting_official_signs_for_the_chief(
    w: Any, tmp_path: Path, django_capture_on_commit_callbacks: Any
) -> None:
    today = timezone.localdate()
    delegation_create(acting_user=w.chief, district=w.d1, delegate=w.officer, starts_on=today, ends_on=today)
    access.forget(w.officer)
    with django_capture_on_commit_callbacks(execute=True):
        submission = svc.district_submit(district=w.d1, acting_user=w.officer, letter_number="มท ๐๓๑๘.๑/๙")
    assert submission.acting_for == w.chief

    stored = ReportBook.objects.get(submission=submission).pdf.read()
    last = squash(pages_text(stored, tmp_path)[-1])
    assert "(นายบุญมีศรีสุข)" in last
    assert squash("รักษาราชการแทน นายอำเภอเมืองเชียงใหม่") in last

    book = book_build(district=w.d1, edition=w.edition, draft=False, submission=submission)
    texts = [p.text for p in Document(io.BytesIO(render_docx(book))).paragraphs]
    assert texts[-2:] == ["(นายบุญมี ศรีสุข)", "รักษาราชการแทน นายอำเภอเมืองเชียงใหม่"]


# --- The draft ------------------------------------------------------------------------------------


def test_the_draft_shows_only_the_projects_that_will_be_reported(w: Any) -> None:
    approved = advance_world(
        f.make_project(w.officer, w.entry2, "20000.00", title="โครงการที่อนุมัติแล้ว"), State.APPROVED, w
    )
    waiting = f.make_project(
        w.officer, f.bank_entry(w.subs["500103"], "B-W"), "15000.00", title="โครงการรอพิจารณา"
    )
    returned = f.make_project(
        w.officer, f.bank_entry(w.subs["500101"], "B-R"), "15000.00", title="โครงการถูกส่งคืน"
    )
    svc.project_return(project=returned, acting_user=w.chief, comment="แก้ไขเป้าหมาย")
    rejected = f.make_project(
        w.officer, f.bank_entry(w.subs["500102"], "B-X"), "15000.00", title="โครงการไม่อนุมัติ"
    )
    svc.project_reject(project=rejected, acting_user=w.chief, comment="ซ้ำซ้อน")
    withdrawn = f.make_project(
        w.officer, f.bank_entry(w.subs["500103"], "B-Y"), "15000.00", title="โครงการถอนแล้ว"
    )
    svc.project_withdraw(project=withdrawn, acting_user=w.officer, comment="ทบทวนแล้ว")

    book = book_build(district=w.d1, edition=w.edition, draft=True)

    shown = [part.project.pk for part in book.projects]
    assert shown == [w.reported.pk, approved.pk]  # each once, in order
    for left_out in (waiting, returned, rejected, withdrawn):
        assert left_out.pk not in shown
    assert [entry.title.split(". ", 1)[1] for entry in book.toc if entry.level == 2] == [
        w.reported.title,
        approved.title,
    ]


def test_the_draft_says_so_on_every_page_and_the_final_book_nowhere(w: Any, tmp_path: Path) -> None:
    draft = book_build(district=w.d1, edition=w.edition, draft=True)
    pages = pages_text(render_pdf(draft).content, tmp_path)
    assert len(pages) >= 6
    for number, text in enumerate(pages, start=1):
        assert "ฉบับร่าง" in text, f"page {number} does not say it is a draft"

    document = Document(io.BytesIO(render_docx(draft)))
    section = document.sections[0]
    assert section.different_first_page_header_footer
    for header in (section.header, section.first_page_header):  # the cover's and every other page's
        assert "ฉบับร่าง" in "\n".join(p.text for p in header.paragraphs)

    final = book_build(district=w.d1, edition=w.edition, draft=False)
    assert all("ฉบับร่าง" not in text for text in pages_text(render_pdf(final).content, tmp_path))
    final_doc = Document(io.BytesIO(render_docx(final)))
    headers = final_doc.sections[0].header.paragraphs + final_doc.sections[0].first_page_header.paragraphs
    assert all("ฉบับร่าง" not in p.text for p in headers)


def test_a_draft_without_a_preface_says_where_to_write_it(w: Any, tmp_path: Path) -> None:
    DistrictProfile.objects.filter(district=w.d1, edition=w.edition).update(preface="")
    draft = render_pdf(book_build(district=w.d1, edition=w.edition, draft=True)).content
    assert "ยังไม่ได้เขียนคำนำ" in squash(pdftotext(draft, tmp_path, first=2, last=2))
    final = render_pdf(book_build(district=w.d1, edition=w.edition, draft=False)).content
    assert "คำนำ" not in pdftotext(final, tmp_path)  # the submitted book leaves the page out


# --- Part 1: the preface and the office's address are edited with the profile ---------------------


def test_the_preface_and_the_address_are_saved_on_the_part_1_page(world: Any) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="th")
    client.force_login(world.officer)
    form = client.get("/districts/5001/book/profile/").content.decode()
    assert 'name="preface"' in form and 'name="office_address"' in form
    response = client.post(
        "/districts/5001/book/profile/",
        {
            "digits": "thai",
            "updated_at": "",
            "preface": "คำนำของอำเภอ",
            "office_address": "ถนนโชตนา\nตำบลช้างเผือก",
            "facts-TOTAL_FORMS": "0",
            "facts-INITIAL_FORMS": "0",
            "facts-MIN_NUM_FORMS": "0",
            "facts-MAX_NUM_FORMS": "200",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    profile = DistrictProfile.objects.get(district=world.d1, edition=world.edition)
    assert (profile.preface, profile.office_address) == ("คำนำของอำเภอ", "ถนนโชตนา\nตำบลช้างเผือก")
    event = AuditEvent.objects.get(action="profile_update")
    assert {"preface", "office_address"} <= set(event.payload["changed"])


def test_the_profile_api_reads_and_writes_them_and_older_clients_keep_them(world: Any) -> None:
    api = APIClient()
    api.force_authenticate(world.officer)
    url = "/api/v1/districts/5001/profile/"
    body = {"updated_at": None, "digits": "thai", "preface": "คำนำ", "office_address": "ถนนโชตนา"}
    saved = api.put(url, body, format="json")
    assert saved.status_code == 200, saved.content
    assert (saved.data["preface"], saved.data["office_address"]) == ("คำนำ", "ถนนโชตนา")
    # A client written before these fields sends the rest of part 1: they are kept.
    again = api.put(url, {"updated_at": saved.data["updated_at"], "population": 5}, format="json")
    assert again.status_code == 200, again.content
    assert (again.data["preface"], again.data["office_address"], again.data["population"]) == (
        "คำนำ",
        "ถนนโชตนา",
        5,
    )
    too_long = api.put(
        url,
        {"updated_at": again.data["updated_at"], "office_address": "ก" * (parts.MAX_ADDRESS + 1)},
        format="json",
    )
    assert too_long.status_code == 422
    assert [e["field"] for e in too_long.json()["errors"]] == ["office_address"]


# --- The emblem, configured by an administrator ----------------------------------------------------


def test_the_emblem_must_be_a_png_or_jpeg_by_its_content(world: Any) -> None:
    fake = SimpleUploadedFile("emblem.png", b"GIF89a not really a picture", content_type="image/png")
    with pytest.raises(InvalidInput) as refused:
        book_settings_update(acting_user=world.admin, emblem=fake)
    assert [e["field"] for e in refused.value.errors] == ["emblem"]
    with pytest.raises(Forbidden):
        book_settings_update(acting_user=world.chief, emblem=emblem_png())
    assert not BookSettings.objects.exists()

    settings_row = book_settings_update(acting_user=world.admin, emblem=emblem_png())
    assert settings_row.emblem.name.endswith(".png") and len(settings_row.emblem_sha256) == 64
    event = AuditEvent.objects.get(action="admin_change", object_type="reports.booksettings")
    assert event.actor == world.admin and event.payload["changed"]["emblem"]["to"] == settings_row.emblem.name
    book_settings_update(acting_user=world.admin, clear_emblem=True)
    assert not BookSettings.current().emblem  # type: ignore[union-attr]


def test_the_admin_refuses_a_non_image_emblem_and_saves_a_picture_through_the_service(world: Any) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(world.admin)
    add = reverse("admin:reports_booksettings_add")
    text_file = SimpleUploadedFile("emblem.jpg", "ตราครุฑ".encode(), content_type="image/jpeg")
    refused = client.post(add, {"emblem": text_file})
    assert refused.status_code == 200 and 'class="errorlist' in refused.content.decode()
    gif = SimpleUploadedFile(
        "emblem.png", f.image_bytes("GIF"), content_type="image/png"
    )  # a picture, not PNG
    refused = client.post(add, {"emblem": gif})
    assert refused.status_code == 200
    assert "is not a file of an accepted kind (JPEG, PNG)" in refused.content.decode()
    assert not BookSettings.objects.exists()

    accepted = client.post(add, {"emblem": emblem_png()})
    assert accepted.status_code == 302, accepted.content.decode()[:2000]
    row = BookSettings.current()
    assert row is not None and row.emblem and row.updated_by == world.admin
    assert AuditEvent.objects.filter(action="admin_change", object_type="reports.booksettings").count() == 1
    assert client.get(add).status_code == 403  # one row only: changed from now on, never added again


def test_dates_on_the_cover_and_preface_follow_the_offices_digits(w: Any) -> None:
    DistrictProfile.objects.filter(district=w.d1, edition=w.edition).update(digits="arabic")
    book = book_build(district=w.d1, edition=w.edition, draft=False)
    book.generated_at = datetime.datetime(2026, 8, 20, 10, 0, tzinfo=datetime.UTC)
    texts = [p.text for p in Document(io.BytesIO(render_docx(book))).paragraphs]
    assert "ประจำปีงบประมาณ พ.ศ. 2570" in texts
    assert "สิงหาคม 2569" in texts
    official = [t for t in texts if "ประจำปีงบประมาณ" in t or "สิงหาคม" in t]
    assert official and not any(re.search("[๐-๙]", t) for t in official)  # Arabic digits, as chosen


def test_thai_digits_leave_the_pages_stylesheets_alone(world: Any) -> None:
    """A district that writes Thai digits gets them in its book's text, never inside the
    cover's, the preface's or the signature's stylesheets: "๑.๒cm" is no length, and the
    emblem, the preface's indent and the signature's place were lost with it."""
    fill_parts(world)  # Thai digits
    reported_project(world, 1, photos=0)
    with translation.override("th"):
        html = compose(book_build(district=world.d1, edition=world.edition, draft=False)).html
    styles = re.findall(r"<style\b.*?</style>", html, re.DOTALL)
    assert len(styles) >= 4  # the page's own, and the cover's, the preface's and the signature's
    assert [s for s in styles if re.search("[๐-๙]", s)] == []
    assert "height: 4.5cm" in html and "text-indent: 2.5cm" in html
    body = re.sub(r"<style\b.*?</style>", "", html.partition("<body")[2], flags=re.DOTALL)
    assert "๒๕๗๐" in body  # the fiscal year, as the district writes its numbers

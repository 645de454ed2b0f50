"""Issue 11, parts 1 and 2: a layout that holds for any content, and a text layer that searches.

Measured, not looked at: every page of the demo books and of a stress book is read back with
``pdftotext -bbox-layout`` (tests/reports/pdflayout.py): every word inside the page's margins,
no two words printed over each other, no line (nor word) starting with a Thai combining mark.
And the forty common words of these books come back whole from plain ``pdftotext``, the way a
reader's search finds them.
"""

from __future__ import annotations

import functools
import io
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings
from django.utils import translation
from pypdf import PdfReader

from reports.book import book_build
from reports.models import DistrictProfile, DriveReport, ReportBook
from reports.pdf import RenderedPdf, compose, print_source, render_pdf
from reports.thaibreak import KEEP_WHOLE, keep_words_whole
from tests.reports import pdflayout
from tests.reports.conftest import fill_parts, reported_project
from tests.reports.stress import COMMON_WORDS, LONG_NAME, LONG_TITLE, PROJECTS, stress_world
from workflow.models import District, Edition

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _thai() -> Any:
    with translation.override("th"):
        yield


def pdftotext(pdf: Path, *args: str) -> str:
    assert shutil.which("pdftotext"), "poppler-utils (pdftotext) is installed by `make test`"
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", *args, str(pdf), "-"], capture_output=True, check=True, text=True
    ).stdout


def print_book(book: Any) -> tuple[RenderedPdf, str]:
    """Print ``book`` as ``reports.pdf.render_pdf`` does: the PDF, and the page it printed."""
    source = compose(book)
    return print_source(source), source.html


@functools.cache
def body_text_height() -> float:
    """The words' height of the book's face at the book's size, printed as the book is."""
    from reports.chromium import open_page
    from reports.pdf import _chromium, _fonts

    folder = Path(tempfile.mkdtemp(prefix="rolemodel-body-"))
    html = f"""<!doctype html><html lang="th"><head><meta charset="utf-8"><style>
    @font-face {{ font-family: BookFace; src: url("{_fonts()["regular"]}"); }}
    @page {{ size: A4; margin: 2.5cm 2cm 2cm 3cm; }}
    html {{ font-family: BookFace; font-size: {settings.REPORT_BOOK_FONT_SIZE}; line-height: normal; }}
    </style></head><body>{"<p>ประชาชน ปีงบประมาณ Role Model 2570</p>" * 40}</body></html>"""
    (folder / "body.html").write_text(html, encoding="utf-8")
    with open_page(_chromium(), (folder / "body.html").as_uri(), folder / "profile", 60) as page:
        page.print_pdf(folder / "body.pdf")
    height = pdflayout.body_height(pdflayout.read_pages(folder / "body.pdf"), cover=False)
    shutil.rmtree(folder, ignore_errors=True)
    return height


def assert_layout_holds(pdf: Path, *, draft: bool, html: str | None) -> list[pdflayout.Page]:
    """The checks, on ``pdf`` printed from ``html`` (``None``: a stored book, its page not kept)."""
    pages = pdflayout.read_pages(pdf)
    assert pages and all(page.words for page in pages[1:]), "every page after the cover has text"
    # Chromium shrinks the whole book when anything is wider than the text: the type must stay
    # the size it is set in.
    assert abs(pdflayout.body_height(pages) - body_text_height()) <= 0.2, (
        f"the body text is {pdflayout.body_height(pages)} pt high, not {body_text_height()}: the book was shrunk"
    )
    if html is not None:
        lost = pdflayout.lost_text(pages, html)
        assert not lost, f"text of the page missing from the PDF (cut at a margin?): {dict(lost)}"
    # A draft's watermark is drawn across the page on purpose, letter by letter (rotated).
    watermark = frozenset(_clusters("ฉบับร่าง")) if draft else frozenset()
    outside = [
        (n, w.text, round(w.x0), round(w.y0), round(w.x1), round(w.y1))
        for n, w in pdflayout.outside_margins(pages)
    ]
    assert outside == [], f"words outside the margins (page, word, box): {outside[:10]}"
    for page in pages:
        overlaps = [(a.text, b.text) for a, b in pdflayout.overlapping(page, ignore=watermark)]
        assert overlaps == [], f"page {page.number}: words printed over each other: {overlaps[:10]}"
        torn = [[w.text for w in line] for line in pdflayout.lines_starting_with_a_mark(page)]
        assert torn == [], f"page {page.number}: lines starting with a mark: {torn[:10]}"
        loose = [w.text for w in pdflayout.words_starting_with_a_mark(page)]
        assert loose == [], f"page {page.number}: marks parted from their letter: {loose[:10]}"
    return pages


def _clusters(text: str) -> list[str]:
    """``text`` cut into Thai clusters: a letter with the marks that follow it."""
    return re.findall(f"[^{''.join(pdflayout.COMBINING)}][{''.join(pdflayout.COMBINING)}]*", text)


# --- the checks themselves ---------------------------------------------------------------


def test_the_checks_catch_what_users_saw(tmp_path: Path) -> None:
    """A page printed the old way (a fixed table too wide, 1.35 lines) fails the checks."""
    from reports.chromium import open_page
    from reports.pdf import _chromium, _fonts

    fonts = _fonts()
    amounts = "<td style='white-space:nowrap'>1,234,567.00 1,234,567.00 1,234,567.00</td>"
    rows = "".join(f"<tr><td>{n}</td>{amounts}<td>{LONG_TITLE}</td>{amounts}</tr>" for n in range(12))
    html = f"""<!doctype html><html lang="th"><head><meta charset="utf-8"><style>
    @font-face {{ font-family: BookFace; src: url("{fonts["regular"]}"); }}
    @page {{ size: A4; margin: 2.5cm 2cm 2cm 3cm; }}
    html {{ font-family: BookFace; font-size: 16pt; line-height: 1.35; }}
    table {{ width: 100%; table-layout: fixed; }}
    </style></head><body>{"<p>พื้นที่ ปั้น ถิ่น ฟื้นฟู ตั้งแต่</p>" * 60}<table>{rows}</table></body></html>"""
    source = tmp_path / "old.html"
    source.write_text(html, encoding="utf-8")
    with open_page(_chromium(), source.as_uri(), tmp_path / "profile", 60) as page:
        page.print_pdf(tmp_path / "old.pdf")
    pages = pdflayout.read_pages(tmp_path / "old.pdf")
    wrong = {w.text for _n, w in pdflayout.outside_margins(pages)}
    lost = pdflayout.lost_text(pages, html)
    # The amounts run past the right margin: printed in it (Chromium) or cut at it (the
    # headless shell, which clips at the content box): either way the checks fail.
    assert any(w.startswith("1,234,567") for w in wrong) or set(lost) & set("1234567")
    assert wrong & {"พื้", "ปั้", "ถิ่", "ฟื้", "ตั้"}  # tone marks at the foot of the page before
    assert any(pdflayout.overlapping(page) for page in pages)  # and over the next cell


# --- part 1: layout ------------------------------------------------------------------------


def test_demo_books_hold_their_layout(tmp_path: Path) -> None:
    """The demo seed's books: district 5001's draft as it stands, 5002's submitted book."""
    with override_settings(THAI_ADMIN_DATA_DIR=tmp_path / "absent"):
        call_command("seed_demo", stdout=io.StringIO(), stderr=io.StringIO())
    edition = Edition.objects.active().get()

    draft, html = print_book(
        book_build(district=District.objects.get(code="5001"), edition=edition, draft=True)
    )
    (tmp_path / "5001.pdf").write_bytes(draft.content)
    assert_layout_holds(tmp_path / "5001.pdf", draft=True, html=html)

    stored = ReportBook.objects.get(submission__district_id="5002")
    with stored.pdf.open("rb") as handle:
        (tmp_path / "5002.pdf").write_bytes(handle.read())
    assert_layout_holds(tmp_path / "5002.pdf", draft=False, html=None)


@pytest.mark.slow
def test_stress_book_holds_its_layout(world: Any, tmp_path: Path) -> None:
    """Thirty projects, long titles and names without spaces, twenty budget lines each, long
    narratives, photos 4000×300, 300×4000 and 6×6: every page still holds."""
    stress_world(world)
    book = book_build(district=world.d1, edition=world.edition, draft=True)
    assert len(book.projects) == PROJECTS
    assert all(len(part.planned) == 20 for part in book.projects)
    with override_settings(REPORT_BOOK_MAX_PAGES=0):  # longer than a real book may be
        rendered, html = print_book(book)
    pdf = tmp_path / "stress.pdf"
    pdf.write_bytes(rendered.content)

    pages = assert_layout_holds(pdf, draft=True, html=html)

    # Part 3's summary table: the amounts stay inside the right margin, one per cell, whole.
    right = pages[0].width - pdflayout.MARGINS["right"]
    amounts = [w for page in pages for w in page.words if w.text in ("๔,๐๐๐.๐๐", "๓,๙๐๐.๐๐")]
    assert len(amounts) >= 2 * PROJECTS
    assert max(w.x1 for w in amounts) <= right + pdflayout.TOLERANCE
    # A table running onto the next page repeats its header row there.
    summary_header = [page.number for page in pages if any(w.text == "ใช้จ่ายจริง" for w in page.words)]
    assert len(summary_header) >= 2
    # The name written without spaces is there, broken only between clusters.
    text = pdftotext(pdf)
    assert LONG_NAME in re.sub(r"\s+", "", text)
    # Every photo printed (the speck, the strip and the tower), none drawn past the margins.
    assert sum(len(part.photos) for part in book.projects) == 16
    assert sum(len(page.images) for page in PdfReader(pdf).pages) == 16


def test_contents_never_break_a_word_the_dictionary_does_not_know(world: Any, tmp_path: Path) -> None:
    """ "บูรณาการ" stays whole in the contents (ICU cuts it บูรณ|าการ or บูรณา|การ)."""
    fill_parts(world)
    for index in range(1, 4):
        project = reported_project(world, index, photos=0)
        project.title = f"{LONG_TITLE}{'ก' * index}"
        project.save(update_fields=["title"])
    rendered, html = print_book(book_build(district=world.d1, edition=world.edition, draft=False))
    pdf = tmp_path / "book.pdf"
    pdf.write_bytes(rendered.content)
    pages = assert_layout_holds(pdf, draft=False, html=html)
    contents = next(page for page in pages if any(w.text == "สารบัญ" for w in page.words))
    lines = ["".join(w.text for w in line) for line in contents.lines]
    assert sum("บูรณาการ" in line for line in lines) >= 4  # part 2 and each project's title
    for line in lines:
        assert not line.endswith(("บูรณ", "บูรณา")), lines
        assert not line.startswith(("าการ", "การ(")), lines


def test_nobr_spans_only_in_the_body_text() -> None:
    html = (
        "<html><head><title>แบบบูรณาการ</title><style>.a{}</style></head>"
        '<body><img alt="บูรณาการ"><p>ตำบลแบบบูรณาการ และผู้ใหญ่บ้าน</p></body></html>'
    )
    out = keep_words_whole(html)
    assert "<title>แบบบูรณาการ</title>" in out
    assert '<img alt="บูรณาการ">' in out
    assert '<p>ตำบลแบบ<span class="nobr">บูรณาการ</span> และ<span class="nobr">ผู้ใหญ่บ้าน</span></p>' in out
    assert "บูรณาการ" in KEEP_WHOLE


# --- part 2: text that searches ------------------------------------------------------------


def test_forty_common_words_come_back_whole_from_the_text_layer(world: Any, tmp_path: Path) -> None:
    """Plain ``pdftotext`` (what a reader's search sees) gives each of the forty words whole:
    in running text, one per line, in bold headings and in table cells."""
    assert len(COMMON_WORDS) == 40
    fill_parts(world)
    profile = DistrictProfile.objects.get(district=world.d1, edition=world.edition)
    profile.general = " ".join(COMMON_WORDS)
    profile.economy = "\n".join(COMMON_WORDS)
    profile.save()
    drive = DriveReport.objects.get(district=world.d1, edition=world.edition)
    drive.team.all().delete()
    for n, word in enumerate(COMMON_WORDS):
        drive.team.create(position=n, name=word, office=word, team_role=word)
    project = reported_project(world, 1, photos=0)
    project.title = " ".join(COMMON_WORDS[:10])
    project.save(update_fields=["title"])

    rendered = render_pdf(book_build(district=world.d1, edition=world.edition, draft=False))
    pdf = tmp_path / "book.pdf"
    pdf.write_bytes(rendered.content)
    text = pdftotext(pdf)
    lines = {line.strip() for line in text.splitlines()}
    words = set(text.split())
    missing = [w for w in COMMON_WORDS if w not in lines]  # one per line: the word and nothing else
    assert missing == [], f"split in the text layer: {missing}"
    for word in COMMON_WORDS:
        assert word in words, word  # a whole word between spaces, as search finds it
        assert text.count(word) >= 2, word  # on its own line, and again in a table cell or heading
    # and none of the splits users saw
    for split in ("เป็ น", "ปั ญหา", "ปี งบประมาณ", "ฝึ กอบรม"):
        assert split not in text
    # The look is kept: A4, the book's face at 16 pt (Laksaman, TH Sarabun New's twin).
    assert round(pdflayout.read_pages(pdf)[0].width) == 595

"""The editable DOCX holds the same book: the same headings, figures and photos as the PDF."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest
from django.utils import translation
from docx import Document

from reports.book import book_build, thai_digits
from reports.docx import render_docx

pytestmark = pytest.mark.django_db


def test_docx_opens_and_holds_the_books_headings_and_photos(book_world: Any) -> None:
    with translation.override("th"):
        book = book_build(district=book_world.d1, edition=book_world.edition, draft=False)
        content = render_docx(book)

    document = Document(io.BytesIO(content))
    level1 = [p.text for p in document.paragraphs if p.style is not None and p.style.name == "Heading 1"]
    level2 = [p.text for p in document.paragraphs if p.style is not None and p.style.name == "Heading 2"]
    assert level1 == [thai_digits(e.title) for e in book.toc if e.level == 1]
    assert level1[0].startswith("ส่วนที่ ๑")
    assert [t for t in level2 if t.split(".")[0] in {thai_digits(str(n)) for n in range(1, 11)}] == [
        thai_digits(e.title) for e in book.toc if e.level == 2
    ]
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        media = [name for name in archive.namelist() if name.startswith("word/media/")]
        assert len(media) == 20
        xml = archive.read("word/document.xml").decode()
        assert "TOC \\o" in xml  # a real contents field, refreshed when opened
    # A4 with the government margins, and the office's font on Thai text
    section = document.sections[0]
    assert round(section.page_width.cm, 1) == 21.0
    assert round(section.left_margin.cm, 1) == 3.0
    assert round(section.right_margin.cm, 1) == 2.0
    normal = document.styles["Normal"].element.rPr.rFonts
    assert normal.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}cs") == "TH SarabunPSK"
    body = "\n".join(p.text for p in document.paragraphs)
    assert "ผู้ใหญ่บ้าน" in body and "ฝายชะลอน้ำ" in body
    tables = "\n".join(cell.text for table in document.tables for row in table.rows for cell in row.cells)
    assert thai_digits("150,000.00") in tables  # total of ten projects of 15,000 baht

"""The report book as a PDF: Thai that copies back, a contents page that tells the truth."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.utils import translation
from pypdf import PdfReader

from reports.book import book_build, thai_digits
from reports.pdf import render_pdf
from tests import factories as f
from tests.reports.conftest import TRICKY, fill_parts, reported_project
from workflow.services import projects as svc

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _thai() -> Any:
    with translation.override("th"):
        yield


def pdftotext(pdf: bytes, tmp_path: Path, *, first: int | None = None, last: int | None = None) -> str:
    assert shutil.which("pdftotext"), "poppler-utils (pdftotext) is installed by `make test`"
    source = tmp_path / "book.pdf"
    source.write_bytes(pdf)
    command = ["pdftotext", "-enc", "UTF-8"]
    if first:
        command += ["-f", str(first)]
    if last:
        command += ["-l", str(last)]
    return subprocess.run([*command, str(source), "-"], capture_output=True, check=True, text=True).stdout


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_ten_projects_twenty_photos_make_a_book_whose_thai_copies_back(
    book_world: Any, tmp_path: Path
) -> None:
    book = book_build(district=book_world.d1, edition=book_world.edition, draft=True)
    assert len(book.projects) == 10
    assert sum(len(p.photos) for p in book.projects) == 20

    rendered = render_pdf(book)

    assert rendered.content.startswith(b"%PDF")
    text = pdftotext(rendered.content, tmp_path)
    for word in TRICKY:
        assert word in text, word
    # every photo is in the file: twenty images drawn on the project pages
    reader = PdfReader(tmp_path / "book.pdf")
    images = sum(len(page.images) for page in reader.pages)
    assert images == 20
    assert "ฉบับร่าง" in text  # the preview says it is a draft


def test_contents_page_numbers_point_at_the_headings(book_world: Any, tmp_path: Path) -> None:
    book = book_build(district=book_world.d1, edition=book_world.edition, draft=False)
    rendered = render_pdf(book)
    assert rendered.pages == len(PdfReader(io.BytesIO(rendered.content)).pages)
    # part 1, 2, 3 and each of the ten projects has a page, in order, after the cover and contents
    anchors = [entry.anchor for entry in book.toc]
    assert len(anchors) == 13
    pages = [rendered.toc_pages[a] for a in anchors]
    assert pages == sorted(pages)
    assert pages[0] >= 3  # cover, contents, then part 1
    for entry in book.toc:
        page_text = pdftotext(
            rendered.content,
            tmp_path,
            first=rendered.toc_pages[entry.anchor],
            last=rendered.toc_pages[entry.anchor],
        )
        assert squash(thai_digits(entry.title)) in squash(page_text), entry.title
    # the contents page prints those numbers, in Thai digits (the office's choice)
    contents = pdftotext(rendered.content, tmp_path, first=2, last=2)
    assert "สารบัญ" in contents
    for anchor in ("part-1", "part-3"):
        assert thai_digits(str(rendered.toc_pages[anchor])) in contents
    assert "ฉบับร่าง" not in pdftotext(rendered.content, tmp_path)


def test_arabic_digits_when_the_office_chooses_them(world: Any, tmp_path: Path) -> None:
    fill_parts(world, digits="arabic")
    reported_project(world, 1, photos=0)
    rendered = render_pdf(book_build(district=world.d1, edition=world.edition, draft=False))
    text = pdftotext(rendered.content, tmp_path)
    assert "52311" in squash(text) or "52,311" in text
    assert "๕๒" not in text
    assert "15,000.00" in text


def test_an_uploaded_photo_is_scaled_for_the_book_once_after_its_upload_commits(
    world: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from django.core.files.storage import default_storage
    from PIL import Image

    from reports.pdf import PHOTO_BOX, PHOTO_CACHE
    from tests.reports.conftest import photo
    from workflow.models import EvidenceFile

    project = reported_project(world, 1, photos=0)
    project.refresh_from_db()
    entry = f.bank_entry(world.subs["500102"], "BK-X")
    second = f.make_project(world.officer, entry, "10000.00")
    svc.project_approve(project=second, acting_user=world.chief)
    with django_capture_on_commit_callbacks(execute=True):
        svc.evidence_add(project=second, acting_user=world.officer, uploaded=photo(7), caption="ภาพ")

    evidence = EvidenceFile.objects.get(project=second)
    cached = f"{PHOTO_CACHE}/{evidence.sha256[:2]}/{evidence.sha256}-{PHOTO_BOX[0]}.jpg"
    assert default_storage.exists(cached)
    with default_storage.open(cached, "rb") as handle, Image.open(handle) as image:
        assert max(image.size) == PHOTO_BOX[0]

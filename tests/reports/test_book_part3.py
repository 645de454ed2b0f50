"""Part 3 of the book prints each project's plan and results under their Thai headings (PDF, DOCX)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.utils import translation
from docx import Document

from reports.book import book_build
from reports.docx import render_docx
from reports.pdf import render_pdf
from tests import factories as f
from tests.reports.conftest import fill_parts
from tests.reports.helpers import advance_world
from tests.reports.test_book_pdf import pdftotext, squash
from workflow.models import State
from workflow.services import projects as svc

pytestmark = pytest.mark.django_db

HEADINGS = (
    "หลักการและเหตุผล",
    "วัตถุประสงค์",
    "วิธีดำเนินการ/กิจกรรม",
    "ตัวชี้วัด",
    "ผลที่คาดว่าจะได้รับ",
    "ผลการดำเนินงาน/ผลสัมฤทธิ์",
    "ปัญหาและอุปสรรค",
    "ข้อเสนอแนะ",
)
FULL = {
    "rationale": "ชาวบ้านขาดแคลนน้ำในฤดูแล้งต่อเนื่องหลายปี",
    "objectives": "เพื่อกักเก็บน้ำไว้ใช้ทำการเกษตร",
    "method": "ประชาคมหมู่บ้าน สำรวจลำห้วย และสร้างฝายชะลอน้ำ",
    "indicators": "ฝายชะลอน้ำแล้วเสร็จสามแห่ง",
    "expected_results": "เกษตรกรมีน้ำใช้ตลอดฤดูแล้ง",
}
RESULTS = {
    "result_narrative": "ฝายกักเก็บน้ำได้ตลอดฤดูแล้งตามเป้าหมาย",
    "problems": "ฝนตกหนักทำให้งานก่อสร้างล่าช้า",
    "suggestions": "ควรขยายผลไปยังลำห้วยสาขา",
}


@pytest.fixture
def two_projects(world: Any) -> Any:
    """Two reported projects of district 5001: the first with every part, the second without
    problems and suggestions (optional at report)."""
    fill_parts(world)
    full = advance_world(
        f.make_project(world.officer, world.entry, title="โครงการฝายชะลอน้ำ", **FULL), State.MONITORED, world
    )
    svc.project_report(project=full, acting_user=world.officer, **RESULTS)
    bare = advance_world(
        f.make_project(world.officer, world.entry2, title="โครงการตลาดชุมชน"), State.MONITORED, world
    )
    svc.project_report(project=bare, acting_user=world.officer, result_narrative="ตลาดเปิดทุกวันเสาร์")
    return world


def _in_order(text: str, words: list[str]) -> bool:
    at = -1
    for word in words:
        at = text.find(word, at + 1)
        if at == -1:
            return False
    return True


def test_the_pdf_prints_every_part_under_its_heading(two_projects: Any, tmp_path: Path) -> None:
    with translation.override("th"):
        book = book_build(district=two_projects.d1, edition=two_projects.edition, draft=True)
        text = squash(pdftotext(render_pdf(book).content, tmp_path))
    first = text[text.rindex(squash("โครงการฝายชะลอน้ำ")) :]
    first = first[: first.find(squash("โครงการตลาดชุมชน"))] if squash("โครงการตลาดชุมชน") in first else first
    expected: list[str] = []
    for heading, body in zip(HEADINGS, [*FULL.values(), *RESULTS.values()], strict=True):
        expected += [squash(heading), squash(body)]
    assert _in_order(first, expected), expected
    second = text[text.rindex(squash("โครงการตลาดชุมชน")) :]
    for word in (*f.PLAN.values(), "ตลาดเปิดทุกวันเสาร์"):
        assert squash(word) in second, word
    # the optional parts left blank are printed as a dash under their headings
    assert squash("ปัญหาและอุปสรรค–ข้อเสนอแนะ–") in second


def test_the_docx_holds_the_same_headings_and_texts(two_projects: Any) -> None:
    with translation.override("th"):
        book = book_build(district=two_projects.d1, edition=two_projects.edition, draft=True)
        document = Document(io.BytesIO(render_docx(book)))
    paragraphs = [(p.style.name if p.style is not None else "", p.text) for p in document.paragraphs]
    part3_at = next(
        i for i, (style, text) in enumerate(paragraphs) if style == "Heading 1" and "ส่วนที่ ๓" in text
    )
    starts = [i for i, (style, _text) in enumerate(paragraphs) if style == "Heading 2" and i > part3_at]
    projects = [paragraphs[a:b] for a, b in zip(starts, [*starts[1:], len(paragraphs)], strict=True)]
    assert [p[0][1].split(" ", 1)[1] for p in projects] == ["โครงการฝายชะลอน้ำ", "โครงการตลาดชุมชน"]

    def part3(project: list[tuple[str, str]]) -> dict[str, str]:
        """Each part 3 heading (level 3) with the paragraph that follows it."""
        return {
            text: project[i + 1][1]
            for i, (style, text) in enumerate(project)
            if style == "Heading 3" and text in HEADINGS
        }

    full, bare = part3(projects[0]), part3(projects[1])
    assert list(full) == list(HEADINGS)
    assert list(full.values()) == [*FULL.values(), *RESULTS.values()]
    assert list(bare) == list(HEADINGS)
    assert (bare["ผลการดำเนินงาน/ผลสัมฤทธิ์"], bare["ปัญหาและอุปสรรค"], bare["ข้อเสนอแนะ"]) == (
        "ตลาดเปิดทุกวันเสาร์",
        "–",
        "–",
    )

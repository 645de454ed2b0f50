"""The DOCX builder never fails on any character a user can type (issue 11, part 4).

The API refuses control characters in text, but page forms and older data may still hold
them; python-docx (lxml) raises ValueError on any character XML cannot hold. Every C0
control, DEL and a C1 control, zero-width joiners, bidi marks and a BOM are typed into the
texts the book prints, straight into the database as old data would be."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.db import connection
from docx import Document

from reports.book import book_build
from reports.docx import render_docx, xml_text
from reports.letter import letter_build, render_letter_docx
from reports.models import DistrictProfile, DriveReport, DriveTeamMember, ProfileFact
from reports.pdf import render_pdf
from tests.reports.conftest import fill_parts, reported_project
from workflow.models import BudgetLine, DistrictSubmission, EvidenceFile, MonitoringRecord, Project, SpendLine
from workflow.services import projects as svc

pytestmark = pytest.mark.django_db

CONTROLS = "".join(chr(code) for code in range(32)) + "\x7f\x85"
ODD = "\u200d\u200c\u200b\u200e\u200f\u202b\u202e\ufeff"  # ZWJ, ZWNJ, ZWSP, LRM, RLM, RLE, RLO, BOM
NASTY = "ฝาย" + CONTROLS + "ชะลอ" + ODD + "น้ำ"
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def test_xml_text_drops_only_what_xml_cannot_hold() -> None:
    assert xml_text("a\x00b\x0bc\x1fd\x7fe\x85f\ud800g\ufffeh") == "abcdefgh"
    assert xml_text("tab\tline\nreturn\r") == "tab\tline\nreturn\r"
    assert xml_text(ODD) == ODD
    assert xml_text("ผู้ใหญ่บ้าน") == "ผู้ใหญ่บ้าน"


@pytest.fixture
def typed(world: Any) -> Any:
    # PostgreSQL cannot store NUL in a text at all (so no user can have typed it there).
    nasty = NASTY.replace("\x00", "") if connection.vendor == "postgresql" else NASTY
    fill_parts(world)
    project = reported_project(world, 1, photos=2)
    Project.objects.filter(pk=project.pk).update(
        title=nasty,
        rationale=nasty,
        objectives=nasty,
        method=nasty,
        activities_done=nasty,
        result_narrative=nasty,
        problems=nasty,
        suggestions=nasty,
    )
    BudgetLine.objects.filter(project=project).update(description=nasty)
    SpendLine.objects.filter(project=project).update(description=nasty)
    EvidenceFile.objects.filter(project=project).update(caption=nasty)
    MonitoringRecord.objects.filter(project=project).update(findings=nasty, recommendations=nasty)
    DistrictProfile.objects.filter(district=world.d1).update(general=nasty, economy=nasty, notes=nasty)
    ProfileFact.objects.filter(profile__district=world.d1).update(label=nasty, value=nasty, unit=nasty[:50])
    DriveReport.objects.filter(district=world.d1).update(narrative=nasty, team_narrative=nasty)
    DriveTeamMember.objects.filter(report__district=world.d1).update(name=nasty, office=nasty)
    world.chief.first_name = nasty
    world.chief.save()
    return world


def test_every_character_a_user_can_type_makes_a_docx(typed: Any) -> None:
    book = book_build(district=typed.d1, edition=typed.edition, draft=True)
    content = render_docx(book)

    document = Document(io.BytesIO(content))
    texts = [p.text for p in document.paragraphs]
    for table in document.tables:
        texts.extend(cell.text for row in table.rows for cell in row.cells)
    text = "\n".join(texts)
    assert "ชะลอ" + ODD + "น้ำ" in text  # the controls dropped (tab and line breaks kept), the rest kept
    assert not NOT_XML.search(text)


def test_and_a_pdf(typed: Any) -> None:
    book = book_build(district=typed.d1, edition=typed.edition, draft=True)
    rendered = render_pdf(book)
    assert rendered.content.startswith(b"%PDF")


def test_a_submission_of_them_stores_its_book_and_a_covering_letter_that_builds_again(
    typed: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """The submission stores its book and covering letter (its DOCX built inside the submission)
    with the typed texts; the letter's DOCX builds again from old data holding controls."""
    with django_capture_on_commit_callbacks(execute=True):
        submission = svc.district_submit(
            district=typed.d1, acting_user=typed.chief, comment="ส่งรายงาน", letter_number="มท ๐๓๑๘.๑/๑๒"
        )
    assert submission.book.pages >= 4
    storable = CONTROLS.replace("\x00", "") if connection.vendor == "postgresql" else CONTROLS
    DistrictSubmission.objects.filter(pk=submission.pk).update(
        letter_number="มท ๐๓๑๘.๑/๑๒" + storable, comment="ฝาย" + storable
    )
    submission.refresh_from_db()
    document = Document(io.BytesIO(render_letter_docx(letter_build(submission=submission))))
    assert not NOT_XML.search("\n".join(p.text for p in document.paragraphs))

"""The covering letter (หนังสือนำส่ง) that goes with a submitted report book, as PDF and DOCX.

A Thai official letter from the district office to the Academic and Planning Division: the
Garuda (the emblem an administrator configured, ``BookSettings``) at the top, ``ที่ มท …``
(the number the chief entered at submission) on the left and the district office with its
address (part 1's ``office_address``) on the right, the date in the Buddhist Era with the
month in full, ``เรื่อง``, ``เรียน ผู้อำนวยการกองวิชาการและแผนงาน``, ``สิ่งที่ส่งมาด้วย``, the
body, ``ขอแสดงความนับถือ`` and the signature block (the chief, or the acting official
``รักษาราชการแทน``), the owning office at the foot.

Its wording is made once here (``Letter``), in the active language (the submission renders it
in Thai), so the PDF (``reports/templates/reports/letter.html``, printed by Chromium like the
book) and the DOCX hold the same text. Digits follow part 1's choice, as in the book.

Decision: the letter is **stored** with the submission (``CoveringLetter``: PDF and DOCX with
their SHA-256), made in the submission like the book (printed outside its transaction, see
``reports.services.covering_letter_store``): what is downloaded later is what was sent, even
if the office's address or the emblem change afterwards.
"""

from __future__ import annotations

import datetime
import hashlib
import io
from dataclasses import dataclass

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm, Pt

from workflow.models import District, DistrictSubmission, Edition

from . import pdf
from .book import (
    Signature,
    emblem_data_uri,
    emblem_image,
    emblem_name,
    html_digits,
    long_date,
    signature_for,
    thai_digits,
)
from .docx import set_style_font
from .models import Digits, DistrictProfile
from .parts import previous_profile

LETTER_RENDERER_VERSION = "1"  # bump when the letter's page prints differently for the same text


@dataclass(frozen=True)
class Letter:
    """Every line of one covering letter, in the language it was built in."""

    district: District
    edition: Edition
    version: int
    digits: str
    emblem: str  # storage name of the Garuda / emblem, "" when none is configured
    number_label: str  # ที่
    number: str  # มท ๐๓๑๘.๑/๑๒๓ ("" : left blank, written in by hand)
    office_lines: tuple[str, ...]  # ที่ว่าการอำเภอ…, then the address
    date: datetime.date
    date_text: str  # ๓๑ สิงหาคม ๒๕๗๐
    subject_label: str
    subject: str
    to_label: str
    addressee: str
    enclosure_label: str
    enclosure: str
    paragraphs: tuple[str, ...]
    closing: str  # ขอแสดงความนับถือ
    signature: Signature
    owner: str  # ที่ทำการปกครองอำเภอ… (the office that owns the matter)

    @property
    def thai_digits(self) -> bool:
        return self.digits == Digits.THAI

    def t(self, text: str) -> str:
        """Digits as the office chose them (Thai or Arabic); without the characters a Word
        document cannot hold (``reports.docx.xml_text``: python-docx raises on them)."""
        from .docx import xml_text

        text = xml_text(text)
        return thai_digits(text) if self.thai_digits else text

    @property
    def emblem_src(self) -> str:
        return emblem_data_uri(self.emblem)

    @property
    def number_line(self) -> str:
        return "%s %s" % (self.number_label, self.number or "." * 40)


def _profile(district: District, edition: Edition) -> DistrictProfile | None:
    current = DistrictProfile.objects.filter(district=district, edition=edition).first()
    return current if current is not None else previous_profile(district, edition)


def letter_build(*, submission: DistrictSubmission) -> Letter:
    """The covering letter of ``submission`` (its number, date and signer), in the active language."""
    district, edition = submission.district, submission.edition
    profile = _profile(district, edition)
    address = [line.strip() for line in (profile.office_address if profile else "").splitlines()]
    names = {"district": district.name_th, "province": district.province.name_th}
    count = submission.projects.count()
    paragraphs = [
        _(
            "The Department of Provincial Administration has set out the guideline for driving the "
            "Role Model districts under the Integrated Tambon Development Project (Tambon Smart "
            "Team), under which every Role Model district makes one report book and sends it to the "
            "Academic and Planning Division by %(deadline)s."
        )
        % {"deadline": long_date(edition.deadline)},
        ngettext(
            "%(district)s District has carried out %(count)s plan or project under the guideline and "
            "sends its report on driving the Role Model district, as enclosed.",
            "%(district)s District has carried out %(count)s plans and projects under the guideline "
            "and sends its report on driving the Role Model district, as enclosed.",
            count,
        )
        % {"district": district.name_th, "count": count},
    ]
    if submission.version > 1:
        paragraphs.append(
            _("This report (version %(version)s) replaces the one sent before.")
            % {"version": submission.version}
        )
    paragraphs.append(_("Please be informed accordingly."))
    return Letter(
        district=district,
        edition=edition,
        version=submission.version,
        digits=profile.digits if profile is not None else Digits.THAI,
        emblem=emblem_name(),
        number_label=_("Letter no."),
        number=submission.letter_number,
        office_lines=(_("District Office of %(district)s") % names, *[line for line in address if line]),
        date=submission.letter_date or timezone.localdate(submission.submitted_at),
        date_text=long_date(submission.letter_date or submission.submitted_at),
        subject_label=pgettext("covering letter", "Subject"),
        subject=_(
            "Submission of the report on driving the Role Model district under the Integrated Tambon "
            "Development Project (Tambon Smart Team)"
        ),
        to_label=pgettext("covering letter", "To"),
        addressee=_("Director of the Academic and Planning Division"),
        enclosure_label=pgettext("covering letter", "Enclosure"),
        enclosure=_("The report on driving the Role Model district of %(district)s District, 1 copy") % names,
        paragraphs=tuple(paragraphs),
        closing=_("Yours sincerely"),
        signature=signature_for(district, submission),
        owner=_("District Administration Office of %(district)s") % names,
    )


# --- PDF ------------------------------------------------------------------------------------


def letter_html(letter: Letter) -> str:
    html = render_to_string(
        "reports/letter.html",
        {
            "letter": letter,
            "fonts": pdf._fonts(),
            "font_size": settings.REPORT_BOOK_FONT_SIZE,
            "language": translation.get_language() or "th",
        },
    )
    return html_digits(html) if letter.thai_digits else html


def letter_source(letter: Letter) -> pdf.PdfSource:
    """The letter's page, ready to print, and the key of what it prints."""
    html = letter_html(letter)
    digest = hashlib.sha256(f"letter:{LETTER_RENDERER_VERSION}\0".encode())
    digest.update(html.encode("utf-8", "surrogatepass"))
    return pdf.PdfSource(
        html=html, photos=(), anchors=(), thai_digits=letter.thai_digits, key=digest.hexdigest()
    )


def render_letter_pdf(letter: Letter) -> pdf.RenderedPdf:
    """Print the letter with Chromium (through the render gate, like the book)."""
    return pdf.print_source(letter_source(letter))


# --- DOCX -----------------------------------------------------------------------------------


def _font(document: object, size: int) -> None:
    style = document.styles["Normal"]  # type: ignore[attr-defined]
    set_style_font(style, size)
    style.paragraph_format.space_after = Pt(0)


def render_letter_docx(letter: Letter) -> bytes:
    """The letter as an editable Word document in the same official form."""
    t = letter.t
    document = Document()
    _font(document, 16)
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.left_margin, section.right_margin = Cm(3), Cm(2)
    section.top_margin, section.bottom_margin = Cm(1.5), Cm(2)

    garuda = document.add_paragraph()
    garuda.alignment = WD_ALIGN_PARAGRAPH.CENTER
    image = emblem_image(letter.emblem)
    if image is not None:
        garuda.add_run().add_picture(io.BytesIO(image[0]), height=Cm(3))
    else:
        garuda.paragraph_format.space_after = Pt(60)  # the Garuda's place, kept

    head = document.add_table(rows=1, cols=2)
    head.alignment = WD_TABLE_ALIGNMENT.CENTER
    left, right = head.rows[0].cells
    left.text = t(letter.number_line)
    right.text = ""
    right.paragraphs[0].add_run(t(letter.office_lines[0]))
    for line in letter.office_lines[1:]:
        right.add_paragraph(t(line))

    dated = document.add_paragraph(t(letter.date_text))
    dated.paragraph_format.left_indent = Cm(7.5)
    dated.paragraph_format.space_before = Pt(6)
    dated.paragraph_format.space_after = Pt(6)

    for label, text in (
        (letter.subject_label, letter.subject),
        (letter.to_label, letter.addressee),
        (letter.enclosure_label, letter.enclosure),
    ):
        row = document.add_paragraph()
        row.paragraph_format.left_indent = Cm(2.5)
        row.paragraph_format.first_line_indent = Cm(-2.5)
        row.paragraph_format.space_after = Pt(6)
        row.add_run(t(label))
        row.add_run("\t" + t(text))

    for text in letter.paragraphs:
        body = document.add_paragraph(t(text))
        body.paragraph_format.first_line_indent = Cm(2.5)
        body.paragraph_format.space_after = Pt(6)

    closing = document.add_paragraph(t(letter.closing))
    closing.paragraph_format.left_indent = Cm(7.5)
    closing.paragraph_format.space_before = Pt(12)
    closing.paragraph_format.space_after = Pt(36)
    signature = letter.signature
    for line in (
        "(%s)" % (signature.name or "." * 40),
        signature.position,
    ):
        block = document.add_paragraph(t(line))
        block.paragraph_format.left_indent = Cm(6)
        block.alignment = WD_ALIGN_PARAGRAPH.CENTER

    owner = document.add_paragraph(t(letter.owner))
    owner.paragraph_format.space_before = Pt(36)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


__all__ = [
    "Letter",
    "letter_build",
    "letter_html",
    "letter_source",
    "render_letter_docx",
    "render_letter_pdf",
]

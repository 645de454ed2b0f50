"""The report book as an editable Word document (python-docx), from the same ``Book`` as the PDF.

Offices make final edits in a word processor, so this file keeps real structure: Heading 1
for the three parts, Heading 2 for each project, a Word table of contents field (updated
when the file is opened), page numbers in the header, A4 with 3 cm left and 2 cm right
margins, and the font the office uses (``REPORT_BOOK_DOCX_FONT``, TH SarabunPSK by default).
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.text.paragraph import Paragraph

from workflow.models import Role, State
from workflow.part3 import Section
from workflow.templatetags.rolemodel import baht, thaidate

from .book import Book, ProjectPart, emblem_image, thai_digits
from .pdf import scaled_photo

log = logging.getLogger(__name__)

# What XML 1.0 (so Word, so python-docx, which raises ValueError) cannot hold: C0 controls but
# tab, line feed and carriage return; DEL and the C1 controls (allowed but meaningless);
# lone surrogates; U+FFFE and U+FFFF. Zero-width joiners, bidi marks and the rest are kept.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def xml_text(text: str) -> str:
    """``text`` without the characters a Word document cannot hold (dropped, nothing else)."""
    return _NOT_XML.sub("", text)


def set_style_font(style: Any, size: int) -> None:
    """The style in the office's Thai font (``REPORT_BOOK_DOCX_FONT``) for every script, at
    ``size`` points, Thai (complex script) size included: Word otherwise keeps its theme fonts."""
    font = settings.REPORT_BOOK_DOCX_FONT
    style.font.name = font
    style.font.size = Pt(size)
    rpr = style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.append(fonts)
    for attribute in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attribute), font)
    for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:cstheme", "w:eastAsiaTheme"):
        fonts.attrib.pop(qn(theme), None)
    cs_size = OxmlElement("w:szCs")
    cs_size.set(qn("w:val"), str(size * 2))
    rpr.append(cs_size)


class _Writer:
    def __init__(self, book: Book) -> None:
        self.book = book
        self.doc: DocumentObject = Document()
        self._setup()

    # -- text helpers -------------------------------------------------------------------
    def t(self, value: Any) -> str:
        """Text as the document shows it: every text written goes through here."""
        text = xml_text("" if value is None else str(value))
        return thai_digits(text) if self.book.thai_digits else text

    def date(self, value: Any) -> str:
        """A BE date as the PDF shows it (``thaidate``: the local date of a datetime)."""
        return self.t(thaidate(value)) if value is not None else "–"

    def money(self, value: Any) -> str:
        return self.t(baht(value))

    def para(self, text: str = "", *, bold: bool = False, indent: bool = False) -> Paragraph:
        paragraph = self.doc.add_paragraph()
        if indent:
            paragraph.paragraph_format.first_line_indent = Cm(2.5)
        run = paragraph.add_run(self.t(text))
        run.bold = bold
        return paragraph

    def text_block(self, text: str) -> None:
        lines = [line for line in (text or "").splitlines() if line.strip()] or ["–"]
        for line in lines:
            self.para(line, indent=True)

    def heading(self, text: str, level: int) -> None:
        self.doc.add_heading(self.t(text), level=level)

    def _sections(self, sections: Iterable[Section]) -> None:
        """Part 3's texts, each under its heading ("–" when blank, as the PDF prints it)."""
        for section in sections:
            self.heading(section.label, 3)
            self.text_block(section.text)

    def table(
        self, headers: Iterable[str], rows: Iterable[Iterable[Any]], numeric: frozenset[int] = frozenset()
    ) -> None:
        headers = list(headers)
        table = self.doc.add_table(rows=1, cols=len(headers))
        table.style = "Table Grid"
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        for index, header in enumerate(headers):
            cell = table.rows[0].cells[index]
            cell.text = ""
            cell.paragraphs[0].add_run(self.t(header)).bold = True
        for row in rows:
            cells = table.add_row().cells
            for index, value in enumerate(row):
                cells[index].text = self.t(value)
                if index in numeric:
                    cells[index].paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
        self.doc.add_paragraph()

    def page_break(self) -> None:
        self.doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)

    # -- layout --------------------------------------------------------------------------
    def _setup(self) -> None:
        for name in ("Normal", "Heading 1", "Heading 2", "Heading 3", "Title"):
            style = self.doc.styles[name]
            size = {"Normal": 16, "Heading 1": 20, "Heading 2": 18, "Heading 3": 16, "Title": 24}[name]
            set_style_font(style, size)
            if name != "Normal":
                style.font.color.rgb = None
                style.font.bold = True
        section = self.doc.sections[0]
        section.orientation = WD_ORIENT.PORTRAIT
        section.page_width, section.page_height = Cm(21), Cm(29.7)
        section.left_margin, section.right_margin = Cm(3), Cm(2)
        section.top_margin, section.bottom_margin = Cm(2.5), Cm(2)
        section.different_first_page_header_footer = True
        header = section.header.paragraphs[0]
        header.alignment = WD_ALIGN_PARAGRAPH.CENTER
        header.add_run("- ")
        _field(header, "PAGE" + (r" \* ThaiArabic" if self.book.thai_digits else ""))
        header.add_run(" -")
        if self.book.draft:
            # "ฉบับร่าง" on every page: in the header of the cover and of every other page.
            mark = self.t(_("DRAFT – not submitted"))
            for part in (section.header, section.first_page_header):
                draft = part.add_paragraph()
                draft.alignment = WD_ALIGN_PARAGRAPH.RIGHT
                run = draft.add_run(mark)
                run.bold = True
                run.font.color.rgb = RGBColor(0xA0, 0x00, 0x00)
        # Word and LibreOffice refresh the contents field when the file is opened.
        update = OxmlElement("w:updateFields")
        update.set(qn("w:val"), "true")
        self.doc.settings.element.append(update)

    # -- the book --------------------------------------------------------------------------
    def write(self) -> bytes:
        self._cover()
        self.page_break()
        if self._preface():
            self.page_break()
        contents = self.para(_("Contents"), bold=True)
        contents.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _field(
            self.doc.add_paragraph(),
            r'TOC \o "1-2" \h \z \u',
            _("Right-click and update the field to see the contents."),
        )
        self.page_break()
        self._part1()
        self.page_break()
        self._part2()
        self.page_break()
        self._part3()
        self._signature()
        buffer = io.BytesIO()
        self.doc.save(buffer)
        return buffer.getvalue()

    # -- the official parts: cover, preface, signature block ------------------------------
    def _cover(self) -> None:
        """Emblem, programme title, district and province, fiscal year (BE): nothing twice."""
        book = self.book
        image = emblem_image(book.emblem)
        if image is not None:
            emblem = self.doc.add_paragraph()
            emblem.alignment = WD_ALIGN_PARAGRAPH.CENTER
            emblem.add_run().add_picture(io.BytesIO(image[0]), height=Cm(4.5))
        title = self.doc.add_paragraph(style="Title")
        title.alignment = WD_ALIGN_PARAGRAPH.CENTER
        title.add_run(self.t(book.title))
        names = {"district": book.district.name_th, "province": book.district.province.name_th}
        for line in (
            _("%(district)s District, %(province)s Province") % names,
            _("Fiscal year %(year)s") % {"year": book.year},
            _("Version %(version)s") % {"version": book.version} if book.version else "",
            _("DRAFT – not submitted") if book.draft else "",
        ):
            if line:
                self.para(line, bold=True).alignment = WD_ALIGN_PARAGRAPH.CENTER

    def _preface(self) -> bool:
        """The preface (คำนำ) page, before the contents; False when there is none to print."""
        book = self.book
        if not book.preface and not book.draft:
            return False
        heading = self.para(_("Preface"), bold=True)
        heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
        if not book.preface:
            self.para(
                _(
                    "The preface is not written yet: the district office writes it with part 1 "
                    "(the district profile)."
                )
            ).alignment = WD_ALIGN_PARAGRAPH.CENTER
            return True
        self.text_block(book.preface)
        names = {"district": book.district.name_th, "province": book.district.province.name_th}
        for line in (_("%(district)s District, %(province)s Province") % names, book.preface_date):
            by = self.para(line)
            by.alignment = WD_ALIGN_PARAGRAPH.CENTER
            by.paragraph_format.left_indent = Cm(8)
        return True

    def _signature(self) -> None:
        """The chief's (or the acting official's) signature block at the end of the book."""
        signature = self.book.signature
        first = True
        for line in (
            _("(signed)") + " " + "." * 40,
            "(%s)" % (signature.name or "." * 40),
            signature.position,
        ):
            block = self.para(line)
            block.alignment = WD_ALIGN_PARAGRAPH.CENTER
            block.paragraph_format.left_indent = Cm(7)
            if first:
                block.paragraph_format.space_before = Pt(36)
                first = False

    def _part1(self) -> None:
        book, profile = self.book, self.book.profile
        self.heading(book.toc[0].title, 1)
        self.heading(_("General information"), 2)

        def value(field: str) -> str:
            number = getattr(profile, field, None) if profile else None
            return f"{number:,}" if number is not None else "–"

        self.table(
            [_("Item"), _("Value")],
            [
                (_("District"), book.district.name_th),
                (_("Province"), book.district.province.name_th),
                (_("Subdistricts"), ", ".join(s.name_th for s in book.subdistricts) or "–"),
                (_("Villages"), value("villages")),
                (_("Population"), value("population")),
                (_("Households"), value("households")),
                (
                    _("Area"),
                    _("%(area)s km²") % {"area": profile.area_sq_km}
                    if profile and profile.area_sq_km is not None
                    else "–",
                ),
            ],
        )
        if profile and profile.general:
            self.text_block(profile.general)
        for label, field in (
            (_("Economy"), "economy"),
            (_("Problems and needs"), "problems_needs"),
            (_("Potential"), "potential"),
        ):
            self.heading(label, 3)
            self.text_block(getattr(profile, field, "") if profile else "")
        if book.facts:
            self.heading(_("Key data for area development"), 3)
            self.table(
                [_("Table"), _("Item"), _("Value"), _("Unit")],
                [(f.table, f.label, f.value, f.unit) for f in book.facts],
                numeric=frozenset({2}),
            )
        if profile and profile.notes:
            self.heading(_("Other information"), 3)
            self.text_block(profile.notes)

    def _part2(self) -> None:
        book, drive = self.book, self.book.drive
        self.heading(book.toc[1].title, 1)
        self.heading(_("How the project was driven"), 3)
        self.text_block(drive.narrative if drive else "")
        self.heading(_("The team"), 3)
        if drive and drive.team_narrative:
            self.text_block(drive.team_narrative)
        if book.team:
            self.table(
                [_("No."), _("Name"), _("Position or office"), _("Role in the team")],
                [(i, m.name, m.office, m.team_role) for i, m in enumerate(book.team, start=1)],
            )
        self.heading(_("Meetings"), 3)
        self.table(
            [_("Date"), _("Topic"), _("Resolution")],
            [(self.date(m.date), m.topic, m.resolution) for m in book.meetings],
        )
        self.heading(_("Activities"), 3)
        self.table(
            [_("Date"), _("Activity"), _("Participants"), _("Result")],
            [(self.date(a.date), a.title, a.participants or "", a.result) for a in book.activities],
            numeric=frozenset({2}),
        )

    def _part3(self) -> None:
        book = self.book
        self.heading(book.toc[2].title, 1)
        self.table(
            [_("No."), _("Project"), _("Dimension"), _("Budget (THB)"), _("Spent (THB)")],
            [
                *[
                    (
                        p.number,
                        p.project.title,
                        p.dimension,
                        self.money(p.planned_total),
                        self.money(p.spent_total),
                    )
                    for p in book.projects
                ],
                ("", _("Total"), "", self.money(book.planned_total), self.money(book.spent_total)),
                ("", _("Budget allotted to the district"), "", self.money(book.cap), ""),
            ],
            numeric=frozenset({3, 4}),
        )
        self.para(_("The district's budget: approved, disbursed and spent"))
        self.table(
            [
                _("Budget allotted to the district"),
                _("Approved (THB)"),
                _("Disbursed by the provincial office (THB)"),
                _("Spent (THB)"),
            ],
            [
                (
                    self.money(book.cap),
                    self.money(book.approved_total),
                    self.money(book.disbursed),
                    self.money(book.spent_total),
                )
            ],
            numeric=frozenset({0, 1, 2, 3}),
        )
        for index, part in enumerate(book.projects):
            if index:
                self.page_break()
            self._project(part)

    def _project(self, part: ProjectPart) -> None:
        project = part.project
        self.heading(book_toc_title(self.book, part), 2)
        self.table(
            [_("Item"), _("Value")],
            [
                (_("Dimension"), part.dimension or "–"),
                (_("Duration"), "%s – %s" % (self.date(project.start_date), self.date(project.end_date))),
                (
                    _("Target"),
                    _("%(v)s villages, %(h)s households")
                    % {"v": project.target_villages, "h": project.target_households},
                ),
                (
                    _("Reached"),
                    _("%(v)s villages, %(h)s households")
                    % {"v": project.villages_reached, "h": project.households_reached}
                    if project.villages_reached is not None
                    else "–",
                ),
                (_("Subdistricts"), ", ".join(s.name_th for s in part.subdistricts) or "–"),
                (_("State"), str(State(project.state).label)),
            ],
        )
        self._sections(part.plan)
        self.heading(_("Budget planned and spent"), 3)
        self.table(
            [_("Planned item"), _("Category"), _("Amount (THB)")],
            [
                *[(x.description, x.category_label, self.money(x.amount)) for x in part.planned],
                (_("Total planned"), "", self.money(part.planned_total)),
            ],
            numeric=frozenset({2}),
        )
        if part.spent:
            self.table(
                [_("Spent item"), _("Category"), _("Amount (THB)")],
                [
                    *[(x.description, x.category_label, self.money(x.amount)) for x in part.spent],
                    (_("Total spent"), "", self.money(part.spent_total)),
                ],
                numeric=frozenset({2}),
            )
        self.heading(_("Activities and results against the targets"), 3)
        self.text_block(project.activities_done)
        self._sections(part.results)
        self.heading(_("The inspector's findings and recommendations"), 3)
        if not part.findings:
            self.para("–")
        for finding in part.findings:
            self.para("%s – %s" % (self.date(finding.when), finding.inspector), bold=True)
            self.text_block(finding.findings)
            if finding.recommendations:
                self.para(_("Recommendations:"), bold=True)
                self.text_block(finding.recommendations)
        if part.photos:
            self.heading(_("Photos"), 3)
            for photo in part.photos:
                data = scaled_photo(photo.name, photo.sha256)
                if data is None:
                    continue
                self.doc.add_picture(io.BytesIO(data), width=Cm(12))
                self.para(photo.caption).alignment = WD_ALIGN_PARAGRAPH.CENTER
        if part.other_files:
            self.para(_("Other evidence:") + " " + ", ".join(part.other_files))
        self.heading(_("Approval chain"), 3)
        self.table(
            [_("Date"), _("Step"), _("Name"), _("Role")],
            [
                (
                    self.date(step.when),
                    step.label,
                    step.name
                    + (
                        " (" + _("acting for %(name)s") % {"name": step.acting_for} + ")"
                        if step.acting_for
                        else ""
                    ),
                    str(Role(step.role).label) if step.role in Role.values else step.role,
                )
                for step in part.chain
            ],
        )


def book_toc_title(book: Book, part: ProjectPart) -> str:
    for entry in book.toc:
        if entry.anchor == part.anchor:
            return entry.title
    return part.project.title


def _field(paragraph: Paragraph, instruction: str, placeholder: str = "") -> None:
    """A Word field (PAGE, TOC) with the text shown until it is updated."""
    run = paragraph.add_run()
    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    begin.set(qn("w:dirty"), "true")
    code = OxmlElement("w:instrText")
    code.set(qn("xml:space"), "preserve")
    code.text = instruction
    separate = OxmlElement("w:fldChar")
    separate.set(qn("w:fldCharType"), "separate")
    shown = OxmlElement("w:t")
    shown.text = placeholder
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    for element in (begin, code, separate, shown, end):
        run._r.append(element)


def render_docx(book: Book) -> bytes:
    return _Writer(book).write()

"""What goes into the report book, read once from the database into plain data.

The PDF (``reports.pdf``) and the DOCX (``reports.docx``) are both written from a ``Book``,
so the two always hold the same headings and the same figures. Part 3 comes from the
projects, their lines, monitoring records, photos and the audit events (the approval chain).
"""

from __future__ import annotations

import base64
import datetime
import io
import logging
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.files.storage import default_storage
from django.db.models import Prefetch
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from workflow import access, part3, selectors
from workflow.audit_actions import AuditAction, action_label
from workflow.dates import BE_OFFSET
from workflow.models import (
    AuditEvent,
    District,
    DistrictSubmission,
    Edition,
    EvidenceFile,
    MonitoringRecord,
    Project,
    Role,
    RoleMembership,
    Subdistrict,
)
from workflow.models.programme import Dimension
from workflow.models.projects import LineCategory

from .models import BookSettings, Digits, DistrictProfile, DriveReport
from .parts import previous_profile

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".gif", ".webp")
# The state changes that make up a project's approval chain in part 3.
CHAIN_ACTIONS = (
    AuditAction.CREATE,
    AuditAction.APPROVE,
    AuditAction.RETURN,
    AuditAction.RESUBMIT,
    AuditAction.IMPLEMENT,
    AuditAction.MONITOR,
    AuditAction.REPORT,
    AuditAction.SUBMIT,
)
THAI_DIGITS = str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")
# The months as official letters and covers write them (``format_date`` abbreviates them).
THAI_MONTHS = (
    "มกราคม",
    "กุมภาพันธ์",
    "มีนาคม",
    "เมษายน",
    "พฤษภาคม",
    "มิถุนายน",
    "กรกฎาคม",
    "สิงหาคม",
    "กันยายน",
    "ตุลาคม",
    "พฤศจิกายน",
    "ธันวาคม",
)
EN_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def thai_digits(text: str) -> str:
    return text.translate(THAI_DIGITS)


def _thai(language: str | None) -> bool:
    return (language or translation.get_language() or "th").startswith("th")


def long_date(
    value: datetime.date | datetime.datetime, *, day: bool = True, language: str | None = None
) -> str:
    """``31 สิงหาคม 2564`` in Thai (BE, the month in full, as a letter is dated), else
    ``31 August 2021``; ``day=False``: the month and year only."""
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value).date()
    if _thai(language):
        text = f"{THAI_MONTHS[value.month - 1]} {value.year + BE_OFFSET}"
    else:
        text = f"{EN_MONTHS[value.month - 1]} {value.year}"
    return f"{value.day} {text}" if day else text


def edition_year(edition: Edition) -> int:
    """The edition's fiscal year in the Buddhist Era: its code (``2564``) when it is a year,
    else the Thai fiscal year (October to September) its deadline falls in."""
    code = edition.code.strip()
    if code.isdigit() and len(code) == 4:
        year = int(code)
        return year if year >= 2400 else year + BE_OFFSET
    deadline = edition.deadline
    return deadline.year + (1 if deadline.month >= 10 else 0) + BE_OFFSET


# The states of the projects a draft book shows: those the district will report. Projects not
# yet approved (selected, returned) and those released (rejected, withdrawn) are left out.
DRAFT_EXCLUDED_STATES = tuple(selectors.NOT_YET_APPROVED_STATES)


@dataclass(frozen=True)
class Signature:
    """The signature block: the district chief, or an acting official (รักษาราชการแทน)."""

    name: str  # blank: no chief on record, a line to sign and write the name in by hand
    position: str  # นายอำเภอ…, or รักษาราชการแทน นายอำเภอ…
    acting: bool = False


@dataclass
class Line:
    description: str
    category: str
    amount: Decimal

    @property
    def category_label(self) -> str:
        return category_label(self.category)


@dataclass
class Photo:
    evidence_id: int
    name: str
    caption: str
    kind: str
    sha256: str = ""
    src: str = ""
    width: int = 0
    height: int = 0  # where the renderer put the (scaled) image


@dataclass
class Step:
    when: datetime.datetime
    action: str
    name: str
    role: str
    acting_for: str
    comment: str

    @property
    def label(self) -> str:
        return action_label(self.action)


@dataclass
class Finding:
    when: datetime.datetime
    inspector: str
    findings: str
    recommendations: str


@dataclass
class ProjectPart:
    number: int
    project: Project
    dimension: str
    subdistricts: list[Subdistrict]
    planned: list[Line]
    spent: list[Line]
    planned_total: Decimal
    spent_total: Decimal
    findings: list[Finding]
    photos: list[Photo]
    other_files: list[str]
    chain: list[Step]

    @property
    def anchor(self) -> str:
        return f"project-{self.project.pk}"

    @property
    def plan(self) -> list[part3.Section]:
        """Rationale, objectives, method, indicators, expected results: the plan as approved."""
        return part3.sections(self.project, part3.PLAN_FIELDS)

    @property
    def results(self) -> list[part3.Section]:
        """The results achieved, problems and obstacles, suggestions (as reported)."""
        return part3.sections(self.project, part3.RESULT_FIELDS)


@dataclass
class TocEntry:
    anchor: str
    title: str
    level: int


@dataclass
class Book:
    district: District
    edition: Edition
    draft: bool
    generated_at: datetime.datetime
    digits: str
    version: int | None
    profile: DistrictProfile | None
    facts: list[Any]
    subdistricts: list[Subdistrict]
    drive: DriveReport | None
    team: list[Any]
    meetings: list[Any]
    activities: list[Any]
    projects: list[ProjectPart]
    cap: Decimal
    planned_total: Decimal
    spent_total: Decimal
    toc: list[TocEntry] = field(default_factory=list)
    # The district's money side by side (part 3): approved (projects past the chief's approval),
    # disbursed by the provincial office, spent.
    approved_total: Decimal = Decimal("0.00")
    disbursed: Decimal = Decimal("0.00")
    # The official parts: the signature block at the end, the emblem on the cover (a storage
    # name, or "" when the administrator has configured none).
    signature: Signature = field(default_factory=lambda: Signature("", ""))
    emblem: str = ""

    @property
    def title(self) -> str:
        return _(
            "Report on driving the Role Model district under the Integrated Tambon Development "
            "Project (Tambon Smart Team)"
        )

    @property
    def thai_digits(self) -> bool:
        return self.digits == Digits.THAI

    @property
    def year(self) -> int:
        """The edition's fiscal year in the Buddhist Era (the cover's ปีงบประมาณ พ.ศ.)."""
        return edition_year(self.edition)

    @property
    def preface(self) -> str:
        return self.profile.preface.strip() if self.profile is not None else ""

    @property
    def emblem_src(self) -> str:
        return emblem_data_uri(self.emblem)

    @property
    def preface_date(self) -> str:
        """The month and year under the preface (``สิงหาคม 2564``)."""
        return long_date(self.generated_at, day=False)

    def number(self, text: str) -> str:
        """Digits as the office chose them (Thai or Arabic)."""
        return thai_digits(text) if self.thai_digits else text


def _person(user: Any, username: str) -> str:
    if user is None:
        return username
    full = user.get_full_name().strip()
    return full or user.get_username()


def _profile_of(district: District, edition: Edition) -> DistrictProfile | None:
    """This edition's profile, else the previous edition's (the copy an office starts from)."""
    current = DistrictProfile.objects.filter(district=district, edition=edition).first()
    return current if current is not None else previous_profile(district, edition)


def is_image(name: str) -> bool:
    return name.lower().endswith(IMAGE_SUFFIXES)


def chief_title(district: District) -> str:
    return _("District Chief of %(district)s") % {"district": district.name_th}


def district_chief(district: District, on: datetime.date | None = None) -> Any:
    """The district's chief on record that day (the longest-standing membership), or ``None``."""
    membership = (
        RoleMembership.objects.filter(
            access.memberships_valid_on(on or timezone.localdate()),
            role=Role.DISTRICT_CHIEF,
            district=district,
            user__is_active=True,
        )
        .select_related("user")
        .order_by("id")
        .first()
    )
    return membership.user if membership is not None else None


def signature_for(district: District, submission: DistrictSubmission | None) -> Signature:
    """Who signs: the official who submitted (acting for the chief or not); for a draft, the
    district's chief on record today."""
    if submission is not None:
        signer = submission.submitted_by
        acting = submission.acting_for_id is not None
    else:
        signer, acting = district_chief(district), False
    name = _person(signer, "") if signer is not None else ""
    if acting:
        position = _("Acting for the District Chief of %(district)s") % {"district": district.name_th}
    else:
        position = chief_title(district)
    return Signature(name=name, position=position, acting=acting)


def emblem_name() -> str:
    """The emblem's storage name, or "" when none is configured (or its file is gone)."""
    settings_row = BookSettings.current()
    if settings_row is None or not settings_row.emblem:
        return ""
    return settings_row.emblem.name


EMBLEM_BOX = (600, 600)  # about 300 dpi at the 5 cm the cover prints it
_EMBLEMS: dict[str, tuple[bytes, str] | None] = {}  # by storage name (a new upload, a new name)


def emblem_image(name: str) -> tuple[bytes, str] | None:
    """The emblem as (bytes, MIME type), scaled to ``EMBLEM_BOX`` as PNG (its transparency
    kept); ``None`` when none is configured or it cannot be read (printed without it)."""
    if not name:
        return None
    if name in _EMBLEMS:
        return _EMBLEMS[name]
    result: tuple[bytes, str] | None = None
    try:
        with default_storage.open(name, "rb") as handle, Image.open(handle) as opened:
            opened.load()
            image = opened.convert("RGBA") if opened.mode not in ("RGB", "RGBA", "L", "LA") else opened
            image.thumbnail(EMBLEM_BOX)
            buffer = io.BytesIO()
            image.save(buffer, "PNG", optimize=True)
            result = (buffer.getvalue(), "image/png")
    except (OSError, UnidentifiedImageError, ValueError, Image.DecompressionBombError):
        log.warning("report book: emblem %s could not be read; printed without it", name)
    if len(_EMBLEMS) > 16:
        _EMBLEMS.clear()
    _EMBLEMS[name] = result
    return result


def emblem_data_uri(name: str) -> str:
    """The emblem inline in the page (``data:``): no file to place beside it, and the page's
    own text says which emblem it prints."""
    image = emblem_image(name)
    if image is None:
        return ""
    data, mime = image
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def book_build(
    *,
    district: District,
    edition: Edition,
    draft: bool,
    submission: DistrictSubmission | None = None,
    digits: str | None = None,
) -> Book:
    """Read everything the book shows. A handful of queries, whatever the number of projects."""
    profile = _profile_of(district, edition)
    drive = (
        DriveReport.objects.filter(district=district, edition=edition)
        .prefetch_related("team", "meetings", "activities")
        .first()
    )
    if submission is not None:
        project_qs = submission.projects.all()
    else:
        # The projects the district will report: approved and on (never returned, rejected or
        # withdrawn ones, nor those still waiting for the chief), each once.
        project_qs = (
            Project.objects.filter(district=district, edition=edition)
            .exclude(state__in=DRAFT_EXCLUDED_STATES)
            .distinct()
        )
    chain_events = (
        AuditEvent.objects.filter(action__in=CHAIN_ACTIONS)
        .select_related("actor", "acting_for")
        .order_by("created_at", "id")
    )
    projects = list(
        project_qs.order_by("id").prefetch_related(
            Prefetch("subdistricts", queryset=Subdistrict.objects.order_by("code")),
            "budget_lines",
            "spend_lines",
            Prefetch(
                "monitoring_records",
                queryset=MonitoringRecord.objects.select_related("inspector").order_by("id"),
            ),
            Prefetch("evidence_files", queryset=EvidenceFile.objects.order_by("id")),
            Prefetch("events", queryset=chain_events, to_attr="chain_events"),
        )
    )
    parts: list[ProjectPart] = []
    for index, project in enumerate(projects, start=1):
        planned = [Line(b.description, b.category, b.amount) for b in project.budget_lines.all()]
        spent = [Line(s.description, s.category, s.amount) for s in project.spend_lines.all()]
        photos: list[Photo] = []
        others: list[str] = []
        for evidence in project.evidence_files.all():
            name = evidence.file.name.rsplit("/", 1)[-1]
            if is_image(name):
                photos.append(
                    Photo(evidence.pk, evidence.file.name, evidence.caption, evidence.kind, evidence.sha256)
                )
            else:
                others.append(evidence.caption or name)
        events: list[AuditEvent] = project.chain_events
        chain = [
            Step(
                when=e.created_at,
                action=e.action,
                name=_person(e.actor, e.actor_username),
                role=e.role,
                acting_for=_person(e.acting_for, e.acting_for_username) if e.acting_for_username else "",
                comment=e.comment,
            )
            for e in events
        ]
        dimension = (
            project.dimension_other
            if project.dimension == Dimension.OTHER and project.dimension_other
            else (str(Dimension(project.dimension).label) if project.dimension else "")
        )
        parts.append(
            ProjectPart(
                number=index,
                project=project,
                dimension=dimension,
                subdistricts=list(project.subdistricts.all()),
                planned=planned,
                spent=spent,
                planned_total=sum((x.amount for x in planned), Decimal("0.00")),
                spent_total=sum((x.amount for x in spent), Decimal("0.00")),
                findings=[
                    Finding(m.created_at, _person(m.inspector, ""), m.findings, m.recommendations)
                    for m in project.monitoring_records.all()
                ],
                photos=photos,
                other_files=others,
                chain=chain,
            )
        )
    book = Book(
        district=district,
        edition=edition,
        draft=draft,
        generated_at=timezone.now(),
        digits=digits or (profile.digits if profile is not None else Digits.THAI),
        version=submission.version if submission is not None else None,
        profile=profile,
        facts=list(profile.facts.order_by("position", "id")) if profile is not None else [],
        subdistricts=list(Subdistrict.objects.filter(district=district).order_by("code")),
        drive=drive,
        team=list(drive.team.all()) if drive else [],
        meetings=list(drive.meetings.all()) if drive else [],
        activities=list(drive.activities.all()) if drive else [],
        projects=parts,
        cap=edition.budget_cap,
        planned_total=sum((p.planned_total for p in parts), Decimal("0.00")),
        spent_total=sum((p.spent_total for p in parts), Decimal("0.00")),
        approved_total=sum(
            (p.planned_total for p in parts if p.project.state not in selectors.NOT_YET_APPROVED_STATES),
            Decimal("0.00"),
        ),
        disbursed=selectors.disbursed_total(district_code=district.code, edition_id=edition.pk),
        signature=signature_for(district, submission),
        emblem=emblem_name(),
    )
    book.toc = [
        TocEntry("part-1", _("Part 1: Basic data of the district and key data for area development"), 1),
        TocEntry(
            "part-2",
            _("Part 2: Driving the Integrated Tambon Development Project (Tambon Smart Team)"),
            1,
        ),
        TocEntry(
            "part-3",
            _("Part 3: Plans and projects carried out under the Role Model district guideline"),
            1,
        ),
        *[TocEntry(p.anchor, _number_title(p), 2) for p in parts],
    ]
    return book


def _number_title(part: ProjectPart) -> str:
    return "%(number)s. %(title)s" % {"number": part.number, "title": part.project.title}


def category_label(code: str) -> str:
    try:
        return str(LineCategory(code).label)
    except ValueError:
        return code


_TEXT_NODE = re.compile(r">([^<]+)<")
# The cover's, the preface's and the signature's own stylesheets sit in the body: their
# numbers ("margin: 0 auto 1.2cm") are CSS, and Thai digits there make the rule invalid.
_RAW_TEXT = re.compile(r"(<(style|script)\b.*?</\2\s*>)", re.DOTALL | re.IGNORECASE)


def html_digits(html: str) -> str:
    """Thai digits in every text node of the page body (never in tags, stylesheets, scripts or URLs)."""
    head, sep, body = html.partition("<body")
    pieces = _RAW_TEXT.split(body)
    out = []
    # split() gives text, then per match the whole element and its tag name, then text again.
    for index in range(0, len(pieces), 3):
        out.append(_TEXT_NODE.sub(lambda m: ">" + thai_digits(m.group(1)) + "<", pieces[index]))
        if index + 1 < len(pieces):
            out.append(pieces[index + 1])
    return head + sep + "".join(out)


__all__ = [
    "Book",
    "Signature",
    "book_build",
    "category_label",
    "edition_year",
    "html_digits",
    "long_date",
    "signature_for",
    "thai_digits",
]

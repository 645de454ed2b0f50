"""What goes into the report book, read once from the database into plain data.

The PDF (``reports.pdf``) and the DOCX (``reports.docx``) are both written from a ``Book``,
so the two always hold the same headings and the same figures. Part 3 comes from the
projects, their lines, monitoring records, photos and the audit events (the approval chain).
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from workflow import part3, selectors
from workflow.audit_actions import AuditAction, action_label
from workflow.models import (
    AuditEvent,
    District,
    DistrictSubmission,
    Edition,
    EvidenceFile,
    MonitoringRecord,
    Project,
    Subdistrict,
)
from workflow.models.programme import Dimension
from workflow.models.projects import RELEASED_STATES, LineCategory

from .models import Digits, DistrictProfile, DriveReport
from .parts import previous_profile

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


def thai_digits(text: str) -> str:
    return text.translate(THAI_DIGITS)


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

    @property
    def title(self) -> str:
        return _(
            "Report on driving the Role Model district under the Integrated Tambon Development "
            "Project (Tambon Smart Team)"
        )

    @property
    def thai_digits(self) -> bool:
        return self.digits == Digits.THAI

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
        project_qs = Project.objects.filter(district=district, edition=edition).exclude(
            state__in=RELEASED_STATES
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


def html_digits(html: str) -> str:
    """Thai digits in every text node of the page body (never in tags, styles or URLs)."""
    head, sep, body = html.partition("<body")
    return head + sep + _TEXT_NODE.sub(lambda m: ">" + thai_digits(m.group(1)) + "<", body)


__all__ = ["Book", "book_build", "category_label", "html_digits", "thai_digits"]

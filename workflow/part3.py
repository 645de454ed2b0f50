"""Part 3 of the report book as a project holds it (ส่วนที่ ๓: การดำเนินแผนงาน/โครงการ).

The plan is written at selection: rationale, objectives, method and activities, indicators and
expected results. A draft may leave them blank; the district chief approves only a project
that has all five. What came of it is written at report: the results achieved (required, the
``result_narrative`` field), problems and obstacles, and suggestions.

One place for the names, labels (the models' verbose names, Thai in the Thai catalogue), help
texts and the length limit, used by the services, the API, the pages and the book.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from .models import Project

# Written at selection; every one is needed before approval.
PLAN_FIELDS: tuple[str, ...] = ("rationale", "objectives", "method", "indicators", "expected_results")
# Written at report; the results achieved are required, the other two are optional.
RESULT_FIELDS: tuple[str, ...] = ("result_narrative", "problems", "suggestions")
FIELDS: tuple[str, ...] = PLAN_FIELDS + RESULT_FIELDS

# The most characters each text may hold (about two printed pages of Thai).
MAX_LENGTH = 5000

HELP: dict[str, Any] = {
    "rationale": _(
        "Why the district takes up this project: the area's problem or need, how it fits the "
        "district development plan, the area's potential and what the people want."
    ),
    "objectives": _("What the project sets out to achieve: one objective a line, concrete and measurable."),
    "method": _(
        "The steps and activities: who does what, where and when. Every activity must be "
        "finished by the programme's deadline."
    ),
    "indicators": _(
        "How success is measured, in figures where possible: villages and households that "
        "benefit, participants, income gained."
    ),
    "expected_results": _("What the people and the area gain when the project is done: concrete results."),
    "result_narrative": _("What was achieved against the objectives and the indicators, with figures."),
    "problems": _(
        "What got in the way while carrying out the project and how it was dealt with, if anything."
    ),
    "suggestions": _("What the district suggests for similar projects or for the programme, if anything."),
}


def label(name: str) -> Any:
    """The part's heading: the model's verbose name ("rationale" → "Rationale", หลักการและเหตุผล)."""
    return capfirst(Project._meta.get_field(name).verbose_name)


def missing_for_approval(project: Project) -> list[str]:
    """The plan's parts still blank, in the plan's order (approval needs none)."""
    return [name for name in PLAN_FIELDS if not str(getattr(project, name) or "").strip()]


@dataclass(frozen=True)
class Section:
    name: str
    label: str
    text: str


def sections(project: Project, names: tuple[str, ...] = FIELDS) -> list[Section]:
    """The parts of ``project`` named ``names`` with their labels (in the active language)."""
    return [Section(name, str(label(name)), str(getattr(project, name) or "").strip()) for name in names]


def too_long(name: str, value: str | None) -> bool:
    return value is not None and len(value) > MAX_LENGTH

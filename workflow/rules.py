"""The guideline's rules as pure functions: project facts + edition + district budget -> results.

Each rule has a stable ``code``, the field it concerns, the guideline clause it cites and a
translatable message (English source, Thai in ``locale/th``). Nothing here touches the database.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .dates import format_date

DO_ITEMS = ("fits_district_plan", "feasible", "area_ready", "permitted")
DIMENSIONS = ("economy", "social", "environment", "security", "administration", "other")


@dataclass(frozen=True)
class Rule:
    code: str
    field: str
    clause: Promise
    message: Promise


RULES: dict[str, Rule] = {
    rule.code: rule
    for rule in [
        Rule(
            "budget_cap_exceeded",
            "budget_lines",
            _("Guideline 1, scope (5): budget"),
            _(
                "The district's committed budget %(committed)s THB plus this project's %(budget)s THB "
                "would exceed the cap of %(cap)s THB per district."
            ),
        ),
        Rule(
            "deadline_exceeded",
            "end_date",
            _("Guideline 1, scope (4): duration"),
            _("Every activity must be finished by %(deadline)s; the end date is later."),
        ),
        Rule(
            "dates_invalid",
            "start_date",
            _("Guideline 1, scope (4): duration"),
            _("The start date must be on or before the end date, and both must be given."),
        ),
        Rule(
            "targets_required",
            "target_villages",
            _("Guideline 1, scope (3): area"),
            _("State the target number of villages and of households that benefit (at least 1 each)."),
        ),
        Rule(
            "area_required",
            "subdistricts",
            _("Guideline 1, scope (3): area"),
            _("Choose at least one subdistrict where the project is carried out."),
        ),
        Rule(
            "area_outside_district",
            "subdistricts",
            _("Guideline 1, scope (3): area"),
            _("Every subdistrict must be in the project's district."),
        ),
        Rule(
            "dimension_required",
            "dimension",
            _("Guideline 1, scope (2): kind of project"),
            _("Choose the development dimension the project is consistent with."),
        ),
        Rule(
            "dimension_other_required",
            "dimension_other",
            _("Guideline 1, scope (2): kind of project"),
            _("Name the other development dimension."),
        ),
        Rule(
            "do_checklist_incomplete",
            "do_checklist",
            _("Projects to do (Do) 1-4"),
            _(
                "Affirm all four: consistent with the district plan, feasible within budget and time, "
                "area ready, and permitted by the people and agencies concerned."
            ),
        ),
        Rule(
            "dont_handouts",
            "budget_lines",
            _("Projects to avoid (Don't) 1"),
            _("No procurement of materials or equipment to hand out to people directly."),
        ),
        Rule(
            "dont_routine_equipment",
            "budget_lines",
            _("Projects to avoid (Don't) 2"),
            _("No procurement of durable goods for an agency's routine duties."),
        ),
        Rule(
            "dont_buildings",
            "budget_lines",
            _("Projects to avoid (Don't) 3"),
            _("No repair, construction or renovation of buildings that need maintenance money later."),
        ),
        Rule(
            "dont_training",
            "primary_objective",
            _("Projects to avoid (Don't) 4"),
            _(
                "The main objective may not be education, training or study visits, except training for "
                "occupations or security whose target group is the people of the project's area."
            ),
        ),
    ]
}

DONT_CATEGORIES = {
    "handouts": "dont_handouts",
    "routine_equipment": "dont_routine_equipment",
    "building_works": "dont_buildings",
}


@dataclass(frozen=True)
class ProjectFacts:
    """What the rules need to know about a project (saved or proposed)."""

    district_code: str
    dimension: str = ""
    dimension_other: str = ""
    subdistrict_districts: Sequence[str] = ()  # the district code of each chosen subdistrict
    target_villages: int = 0
    target_households: int = 0
    start_date: datetime.date | None = None
    end_date: datetime.date | None = None
    primary_objective: str = "development"
    training_kind: str = ""
    training_target_local: bool = False
    line_categories: Sequence[str] = ()
    budget: Decimal = Decimal("0")
    do_checklist: Mapping[str, bool] = field(default_factory=dict)


@dataclass(frozen=True)
class EditionFacts:
    budget_cap: Decimal
    deadline: datetime.date
    dimensions: Sequence[str] = DIMENSIONS


@dataclass(frozen=True)
class RuleResult:
    code: str
    passed: bool
    params: Mapping[str, str] = field(default_factory=dict)

    @property
    def rule(self) -> Rule:
        return RULES[self.code]

    def _params(self) -> dict[str, str]:
        params = dict(self.params)
        if "deadline" in params:
            params["deadline"] = format_date(datetime.date.fromisoformat(params["deadline"]))
        return params

    def message(self, language: str | None = None) -> str:
        if language:
            with translation.override(language):
                return str(self.rule.message) % self._params()
        return str(self.rule.message) % self._params()

    def clause(self, language: str | None = None) -> str:
        if language:
            with translation.override(language):
                return str(self.rule.clause)
        return str(self.rule.clause)

    def snapshot(self) -> dict[str, Any]:
        """Compact form kept in audit events."""
        return {"code": self.code, "passed": self.passed}

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "passed": self.passed,
            "field": self.rule.field,
            "clause": self.clause(),
            "message": self.message(),
            "message_th": self.message("th"),
            "message_en": self.message("en"),
        }

    def as_error(self) -> dict[str, Any]:
        return {
            "field": self.rule.field,
            "code": self.code,
            "message": self.message(),
            "message_th": self.message("th"),
            "message_en": self.message("en"),
            "clause": self.clause(),
        }


def money(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01')):,}"


def evaluate(facts: ProjectFacts, edition: EditionFacts, committed_other: Decimal) -> list[RuleResult]:
    """Every rule's result for the project; ``committed_other`` excludes this project."""
    results: list[RuleResult] = []

    def add(code: str, passed: bool, **params: str) -> None:
        results.append(RuleResult(code, passed, params))

    total = committed_other + facts.budget
    add(
        "budget_cap_exceeded",
        total <= edition.budget_cap,
        committed=money(committed_other),
        budget=money(facts.budget),
        cap=money(edition.budget_cap),
    )
    add(
        "deadline_exceeded",
        facts.end_date is None or facts.end_date <= edition.deadline,
        deadline=edition.deadline.isoformat(),
    )
    add(
        "dates_invalid",
        facts.start_date is not None and facts.end_date is not None and facts.start_date <= facts.end_date,
    )
    add("targets_required", facts.target_villages >= 1 and facts.target_households >= 1)
    add("area_required", len(facts.subdistrict_districts) >= 1)
    add("area_outside_district", all(code == facts.district_code for code in facts.subdistrict_districts))
    add("dimension_required", bool(facts.dimension) and facts.dimension in edition.dimensions)
    add(
        "dimension_other_required",
        facts.dimension != "other" or bool(facts.dimension_other.strip()),
    )
    add("do_checklist_incomplete", all(bool(facts.do_checklist.get(item)) for item in DO_ITEMS))
    categories = set(facts.line_categories)
    for category, code in DONT_CATEGORIES.items():
        add(code, category not in categories)
    training_allowed = facts.training_kind in ("occupation", "security") and facts.training_target_local
    add("dont_training", facts.primary_objective != "training" or training_allowed)
    return results


def failures(results: Sequence[RuleResult]) -> list[RuleResult]:
    return [r for r in results if not r.passed]

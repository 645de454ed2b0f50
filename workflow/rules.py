"""The guideline's rules as pure functions: project facts + edition + district budget -> results.

Each rule has a stable ``code``, the field it concerns, the guideline clause it cites and a
translatable message (English source, Thai in ``locale/th``). Nothing here touches the database.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .dates import format_date

DO_ITEMS = ("fits_district_plan", "feasible", "area_ready", "permitted")
DIMENSIONS = ("economy", "social", "environment", "security", "administration", "other")


@dataclass(frozen=True)
class Rule:
    """A rule of the guideline. ``message`` is what a failure says (forms quote it before
    saving); ``holds`` what the rule panel says when it is met. Both take the same figures."""

    code: str
    field: str
    clause: Promise
    message: Promise
    holds: Promise


RULES: dict[str, Rule] = {
    rule.code: rule
    for rule in [
        Rule(
            "budget_cap_exceeded",
            "budget_lines",
            _("Guideline 1, scope (5): budget"),
            _(
                "Committed by the district's other projects %(committed)s THB + this project %(budget)s THB "
                "would be more than the cap of %(cap)s THB per district."
            ),
            _(
                "Committed by the district's other projects %(committed)s THB + this project %(budget)s THB "
                "= %(total)s THB, within the cap of %(cap)s THB per district."
            ),
        ),
        Rule(
            "spend_cap_exceeded",
            "spend_lines",
            _("Guideline 1, scope (5): budget"),
            _(
                "Spent by the district's other projects %(spent_other)s THB + this project %(spent)s THB "
                "= %(spent_total)s THB, more than the cap of %(cap)s THB per district."
            ),
            _(
                "Spent by the district's other projects %(spent_other)s THB + this project %(spent)s THB "
                "= %(spent_total)s THB, within the cap of %(cap)s THB per district."
            ),
        ),
        Rule(
            "deadline_exceeded",
            "end_date",
            _("Guideline 1, scope (4): duration"),
            _("Every activity must be finished by %(deadline)s; the end date is later."),
            _("No activity ends after the deadline of %(deadline)s."),
        ),
        Rule(
            "dates_invalid",
            "start_date",
            _("Guideline 1, scope (4): duration"),
            _("The start date must be on or before the end date, and both must be given."),
            _("The start date is on or before the end date."),
        ),
        Rule(
            "targets_required",
            "target_villages",
            _("Guideline 1, scope (3): area"),
            _("State the target number of villages and of households that benefit (at least 1 each)."),
            _("The target numbers of villages and of households that benefit are given."),
        ),
        Rule(
            "area_required",
            "subdistricts",
            _("Guideline 1, scope (3): area"),
            _("Choose at least one subdistrict where the project is carried out."),
            _("At least one subdistrict where the project is carried out is chosen."),
        ),
        Rule(
            "area_outside_district",
            "subdistricts",
            _("Guideline 1, scope (3): area"),
            _("Every subdistrict must be in the project's district."),
            _("Every subdistrict is in the project's district."),
        ),
        Rule(
            "dimension_required",
            "dimension",
            _("Guideline 1, scope (2): kind of project"),
            _("Choose the development dimension the project is consistent with."),
            _("The development dimension the project is consistent with is chosen."),
        ),
        Rule(
            "dimension_other_required",
            "dimension_other",
            _("Guideline 1, scope (2): kind of project"),
            _("Name the other development dimension."),
            _("No other development dimension needs naming, or it is named."),
        ),
        Rule(
            "do_checklist_incomplete",
            "do_checklist",
            _("Projects to do (Do) 1-4"),
            _(
                "Affirm all four: consistent with the district plan, feasible within budget and time, "
                "area ready, and permitted by the people and agencies concerned."
            ),
            _(
                "All four are affirmed: consistent with the district plan, feasible within budget and time, "
                "area ready, and permitted by the people and agencies concerned."
            ),
        ),
        Rule(
            "dont_handouts",
            "budget_lines",
            _("Projects to avoid (Don't) 1"),
            _("No procurement of materials or equipment to hand out to people directly."),
            _("No budget line is filed as materials or equipment to hand out to people directly."),
        ),
        Rule(
            "dont_routine_equipment",
            "budget_lines",
            _("Projects to avoid (Don't) 2"),
            _("No procurement of durable goods for an agency's routine duties."),
            _("No budget line is filed as durable goods for an agency's routine duties."),
        ),
        Rule(
            "dont_buildings",
            "budget_lines",
            _("Projects to avoid (Don't) 3"),
            _("No repair, construction or renovation of buildings that need maintenance money later."),
            _("No budget line is filed as repair, construction or renovation of buildings."),
        ),
        Rule(
            "dont_training",
            "primary_objective",
            _("Projects to avoid (Don't) 4"),
            _(
                "The main objective may not be education, training or study visits, except training for "
                "occupations or security whose target group is the people of the project's area."
            ),
            _(
                "The main objective is not education, training or study visits, or it is training for "
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
    spent: Decimal = Decimal("0")  # the total of the project's spend lines (0 before implement)


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
        """The rule's "holds" sentence when it holds, its "fails" sentence when it fails, in
        ``language`` (default: the active one), with the figures."""
        language = language or translation.get_language() or settings.LANGUAGE_CODE
        template = _texts(self.code, language)[1 if self.passed else 0]
        if "deadline" not in self.params:
            return template % self.params
        with translation.override(language):  # the date is written in the language's calendar
            return template % self._params()

    def clause(self, language: str | None = None) -> str:
        return _texts(self.code, language or translation.get_language() or settings.LANGUAGE_CODE)[2]

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


@functools.lru_cache(maxsize=256)
def _texts(code: str, language: str) -> tuple[str, str, str]:
    """A rule's "fails" and "holds" templates and its clause in ``language``: translated once,
    not on every panel, answer and event (a project's detail shows each rule in two languages)."""
    rule = RULES[code]
    with translation.override(language):
        return str(rule.message), str(rule.holds), str(rule.clause)


def money(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01')):,}"


def evaluate(
    facts: ProjectFacts,
    edition: EditionFacts,
    committed_other: Decimal,
    *,
    spent_other: Decimal = Decimal("0"),
) -> list[RuleResult]:
    """Every rule's result for the project; ``committed_other`` (the budget of the district's
    other live projects) and ``spent_other`` (what they spent) exclude this project."""
    results: list[RuleResult] = []

    def add(code: str, passed: bool, **params: str) -> None:
        results.append(RuleResult(code, passed, params))

    total = committed_other + facts.budget
    add(
        "budget_cap_exceeded",
        total <= edition.budget_cap,
        committed=money(committed_other),
        budget=money(facts.budget),
        total=money(total),
        cap=money(edition.budget_cap),
    )
    spent_total = spent_other + facts.spent
    add(
        "spend_cap_exceeded",
        spent_total <= edition.budget_cap,
        spent_other=money(spent_other),
        spent=money(facts.spent),
        spent_total=money(spent_total),
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


# --- Warnings: what the chief and the inspector should look at, never a block -------------------

# Words that make a text read like one of the Don'ts (Thai as the guideline words them, and English).
DONT_WORDS: dict[str, tuple[str, ...]] = {
    "dont_handouts": ("แจก", "hand out", "handout", "give away"),
    "dont_routine_equipment": ("ครุภัณฑ์", "durable goods"),
    "dont_buildings": ("ก่อสร้าง", "ซ่อมแซม", "ปรับปรุงอาคาร", "construction", "renovat", "repair"),
    "dont_training": ("ศึกษาดูงาน", "ดูงาน", "อบรม", "study visit", "study tour", "training"),
}
# The training words the occupation/security exception of Don't 4 allows (study visits stay warned).
TRAINING_WORDS = frozenset({"อบรม", "training"})
TRAINING_ALLOWED_KINDS = ("occupation", "security")

# Where a text was found, as the warning names it.
PLACES: dict[str, Promise] = {
    "title": _("The title"),
    "bank_description": _("The project bank's description"),
    "budget_line": _("Budget line %(number)s"),
    "spend_line": _("Spend line %(number)s"),
}
PLACE_FIELDS = {
    "title": "title",
    "bank_description": "bank_entry",
    "budget_line": "budget_lines[%(index)s].description",
    "spend_line": "spend_lines[%(index)s].description",
}

WARNING_TEXTS: dict[str, Promise] = {
    "spend_over_approved": _(
        "Spent %(spent)s THB, %(over)s THB more than the approved budget of %(budget)s THB; "
        "the officer's comment on the implementation says why."
    ),
    "dont_text": _("%(place)s says “%(word)s”, which reads like a project to avoid: %(rule)s"),
}


@dataclass(frozen=True)
class Text:
    """A text of the project the Don't words are looked for in: ``place`` is a key of ``PLACES``
    and ``index`` the line's position (0-based) for a budget or spend line."""

    place: str
    text: str
    index: int | None = None


@dataclass(frozen=True)
class RuleWarning:
    """Something a decision should weigh (shown, never blocking). ``code`` is
    ``spend_over_approved`` or the Don't rule a text reads like (``dont_handouts``…)."""

    code: str
    field: str
    params: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    kind: str = "dont_text"

    @property
    def clause(self) -> str:
        rule = RULES.get(self.code)
        return str(rule.clause if rule else RULES["budget_cap_exceeded"].clause)

    def _message(self) -> str:
        params = dict(self.params)
        if self.kind == "dont_text":
            place = str(PLACES[params["place"]]) % {"number": int(params.get("index") or 0) + 1}
            params = {"place": place, "word": params["word"], "rule": str(RULES[self.code].message)}
        return str(WARNING_TEXTS[self.kind]) % params

    def message(self, language: str | None = None) -> str:
        if language:
            with translation.override(language):
                return self._message()
        return self._message()

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "field": self.field,
            "clause": self.clause,
            "message": self.message(),
            "message_th": self.message("th"),
            "message_en": self.message("en"),
        }


def spend_warnings(*, budget: Decimal, spent: Decimal, has_spending: bool) -> list[RuleWarning]:
    """``spend_over_approved`` when what was spent is above the approved budget."""
    if not has_spending or spent <= budget:
        return []
    params = {"spent": money(spent), "budget": money(budget), "over": money(spent - budget)}
    return [RuleWarning("spend_over_approved", "spend_lines", params, kind="spend_over_approved")]


def text_warnings(
    texts: Sequence[Text], *, training_kind: str = "", training_local: bool = False
) -> list[RuleWarning]:
    """One warning per text and Don't whose words the text contains. Training words are not
    warned of when the project is training for occupations or security for the area's people."""
    allowed = training_kind in TRAINING_ALLOWED_KINDS and training_local
    found: list[RuleWarning] = []
    for text in texts:
        lowered = text.text.casefold()
        for code, words in DONT_WORDS.items():
            for word in words:
                if allowed and word in TRAINING_WORDS:
                    continue
                if word.casefold() in lowered:
                    where = PLACE_FIELDS[text.place] % {"index": text.index}
                    params = {"place": text.place, "index": text.index, "word": word}
                    found.append(RuleWarning(code, where, params))
                    break
    return found

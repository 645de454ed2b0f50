"""Forms of the selection pages: the bank's filters, and the project form with its budget lines.

The form only parses what the officer typed into a ``ProjectInput``; the guideline's rules are
decided by ``workflow.services.projects`` on save. The rule texts are also handed to the page
(``client_rules``) so that the Don't warnings appear while the officer types.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.utils import translation
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from workflow import part3, selectors
from workflow.models import (
    BudgetLine,
    Dimension,
    LineCategory,
    PrimaryObjective,
    Project,
    Subdistrict,
    TrainingKind,
)
from workflow.rules import DO_ITEMS, DONT_CATEGORIES, RULES, ProjectFacts, evaluate, failures, money
from workflow.services import projects as svc_projects
from workflow.services.projects import LineInput, ProjectInput
from workflow.web.forms import BEDateField

# Every field the form sends: create and update both get the whole project ("given" = all).
ALL_FIELDS = frozenset(
    {
        "title",
        "dimension",
        "dimension_other",
        "subdistricts",
        "target_villages",
        "target_households",
        "start_date",
        "end_date",
        "primary_objective",
        "training_kind",
        "training_target_local",
        "budget_lines",
        "do_checklist",
        *part3.PLAN_FIELDS,
    }
)
TRAINING_ALLOWED_KINDS = ("occupation", "security")
BLANK_LINES_WITHOUT_JS = 5
MAX_LINES = 200
_LINE_KEY = re.compile(r"^line-(\d{1,4})-(description|category|amount)$")


def _label(name: str) -> Any:
    return capfirst(Project._meta.get_field(name).verbose_name)


def area_name(area: Any) -> str:
    """An area's Thai name in Thai, its English name (when known) in English."""
    language = (translation.get_language() or "th")[:2]
    if language != "th" and getattr(area, "name_en", None):
        return str(area.name_en)
    return str(area.name_th)


def _rule_text(code: str) -> str:
    rule = RULES[code]
    return f"{rule.clause}: {rule.message}"


# --- The bank's filters ---------------------------------------------------------------------


class BankFilterForm(forms.Form):
    subdistrict = forms.ChoiceField(label=capfirst(Subdistrict._meta.verbose_name), required=False)
    dimension = forms.ChoiceField(
        label=_("Development dimension"),
        required=False,
        choices=[("", _("All dimensions")), *Dimension.choices],
    )
    q = forms.CharField(label=_("Search"), required=False, max_length=200, widget=forms.SearchInput)

    def __init__(self, *args: Any, subdistricts: Iterable[Subdistrict], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field_ = self.fields["subdistrict"]
        assert isinstance(field_, forms.ChoiceField)
        field_.choices = [("", _("All subdistricts")), *((s.code, area_name(s)) for s in subdistricts)]
        self.fields["q"].widget.attrs["placeholder"] = _("Title, description or code")

    def filters(self) -> dict[str, str]:
        """The valid filters (an invalid one is shown as an error and not applied)."""
        if not self.is_bound:
            return {}
        self.is_valid()
        cleaned = getattr(self, "cleaned_data", {})
        return {
            "subdistrict": cleaned.get("subdistrict") or "",
            "dimension": cleaned.get("dimension") or "",
            "text": cleaned.get("q") or "",
        }


# --- Budget lines ---------------------------------------------------------------------------


@dataclass
class LineRow:
    """One row of the budget-line editor, holding exactly what was typed."""

    index: Any
    description: str = ""
    category: str = ""
    amount: str = ""
    errors: dict[str, list[str]] = field(default_factory=dict)

    @property
    def is_blank(self) -> bool:
        return not (self.description.strip() or self.category or self.amount.strip())

    @property
    def number(self) -> Any:
        return self.index + 1 if isinstance(self.index, int) else ""

    @property
    def warning(self) -> str:
        code = DONT_CATEGORIES.get(self.category)
        return _rule_text(code) if code else ""

    def add_error(self, part: str, message: Any) -> None:
        self.errors.setdefault(part, []).append(str(message))


def parse_amount(text: str) -> Decimal | None:
    """``50,000.00`` or ``50000`` (spaces and thousands separators allowed); None if unreadable."""
    cleaned = text.replace(",", "").replace(" ", "").replace("\u00a0", "")
    if not cleaned:
        return None
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def lines_from_post(data: Mapping[str, Any]) -> list[LineRow]:
    """The rows the officer filled in, in the order shown, numbered 0..n-1 (blank rows dropped)."""
    found: dict[int, dict[str, str]] = {}
    for key in data:
        match = _LINE_KEY.match(key)
        if match:
            found.setdefault(int(match.group(1)), {})[match.group(2)] = str(data.get(key) or "")
    rows: list[LineRow] = []
    for position in sorted(found)[:MAX_LINES]:
        values = found[position]
        row = LineRow(
            index=len(rows),
            description=values.get("description", ""),
            category=values.get("category", ""),
            amount=values.get("amount", ""),
        )
        if not row.is_blank:
            rows.append(row)
    return rows


def lines_from_project(lines: Iterable[BudgetLine]) -> list[LineRow]:
    return [
        LineRow(index=i, description=line.description, category=line.category, amount=f"{line.amount:.2f}")
        for i, line in enumerate(lines)
    ]


def with_blank_rows(rows: list[LineRow]) -> list[LineRow]:
    """Rows to show: the filled ones and enough blank ones to type into without JavaScript."""
    blanks = max(2, BLANK_LINES_WITHOUT_JS - len(rows))
    return rows + [LineRow(index=len(rows) + i) for i in range(blanks)]


def clean_lines(rows: Sequence[LineRow]) -> list[LineInput] | None:
    """The rows as service input, or None when a row cannot be read (errors are on the rows)."""
    valid_categories = set(LineCategory.values)
    result: list[LineInput] = []
    ok = True
    for row in rows:
        if not row.description.strip():
            row.add_error("description", _("Describe the budget line."))
        elif len(row.description) > 500:
            row.add_error("description", _("Use at most 500 characters."))
        if row.category not in valid_categories:
            row.add_error("category", _("Choose a category."))
        amount = parse_amount(row.amount)
        if amount is None:
            row.add_error("amount", _("Enter an amount in baht."))
        if row.errors or amount is None:
            ok = False
            continue
        result.append(LineInput(row.description.strip(), row.category, amount))
    return result if ok else None


def lines_total(rows: Iterable[LineRow]) -> Decimal:
    total = Decimal("0.00")
    for row in rows:
        amount = parse_amount(row.amount)
        if amount is not None:
            total += amount
    return total


# --- The project form -----------------------------------------------------------------------


def _textarea(rows: int) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


class ProjectForm(forms.Form):
    """The project's own fields; the budget lines are parsed beside it (``lines_from_post``).

    Nothing here is required: the guideline's rules (``workflow.rules``) say what a project
    needs, and the service reports each failure beside its field with the guideline's words.
    """

    title = forms.CharField(label=_label("title"), max_length=500, required=False)
    dimension = forms.ChoiceField(
        label=_label("dimension"),
        required=False,
        choices=[("", _("Choose a dimension")), *Dimension.choices],
    )
    dimension_other = forms.CharField(label=_label("dimension_other"), max_length=300, required=False)
    subdistricts = forms.MultipleChoiceField(
        label=_("Subdistricts where the project is carried out"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    target_villages = forms.IntegerField(
        label=_label("target_villages"), min_value=0, max_value=svc_projects.MAX_VILLAGES, required=False
    )
    target_households = forms.IntegerField(
        label=_label("target_households"), min_value=0, max_value=svc_projects.MAX_HOUSEHOLDS, required=False
    )
    start_date = BEDateField(label=_label("start_date"), required=False)
    end_date = BEDateField(label=_label("end_date"), required=False)
    primary_objective = forms.ChoiceField(
        label=_label("primary_objective"),
        required=False,
        choices=PrimaryObjective.choices,
        widget=forms.RadioSelect,
        initial=PrimaryObjective.DEVELOPMENT,
    )
    training_kind = forms.ChoiceField(
        label=_label("training_kind"),
        required=False,
        choices=[("", _("Choose the kind of training")), *TrainingKind.choices],
    )
    training_target_local = forms.BooleanField(label=_label("training_target_local"), required=False)
    do_fits_district_plan = forms.BooleanField(label=_label("do_fits_district_plan"), required=False)
    do_feasible = forms.BooleanField(label=_label("do_feasible"), required=False)
    do_area_ready = forms.BooleanField(label=_label("do_area_ready"), required=False)
    do_permitted = forms.BooleanField(label=_label("do_permitted"), required=False)
    # Part 3's plan: a draft may leave it blank; the chief approves only when every part is filled.
    rationale = forms.CharField(
        label=_label("rationale"), required=False, max_length=part3.MAX_LENGTH, widget=_textarea(4)
    )
    objectives = forms.CharField(
        label=_label("objectives"), required=False, max_length=part3.MAX_LENGTH, widget=_textarea(4)
    )
    method = forms.CharField(
        label=_label("method"), required=False, max_length=part3.MAX_LENGTH, widget=_textarea(5)
    )
    indicators = forms.CharField(
        label=_label("indicators"), required=False, max_length=part3.MAX_LENGTH, widget=_textarea(3)
    )
    expected_results = forms.CharField(
        label=_label("expected_results"), required=False, max_length=part3.MAX_LENGTH, widget=_textarea(3)
    )

    HINTED = ("start_date", "end_date", "dimension_other", *part3.PLAN_FIELDS)
    # What the guideline asks of every project (marked for the officer; the rules decide on save).
    NEEDED = ("title", "dimension", "target_villages", "target_households", "start_date", "end_date")

    def __init__(self, *args: Any, subdistricts: Iterable[Subdistrict], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = self.fields["subdistricts"]
        assert isinstance(choices, forms.MultipleChoiceField)
        choices.choices = [(s.code, area_name(s)) for s in subdistricts]
        for name in ("target_villages", "target_households"):
            self.fields[name].widget.attrs["inputmode"] = "numeric"
        for name in self.HINTED:
            self.fields[name].widget.attrs["aria-describedby"] = f"{self[name].auto_id}_hint"
        for name in self.NEEDED:
            self.fields[name].widget.attrs["aria-required"] = "true"

    @property
    def do_fields(self) -> list[forms.BoundField]:
        return [self[f"do_{item}"] for item in DO_ITEMS]

    @property
    def plan_fields(self) -> list[tuple[forms.BoundField, Any]]:
        """Part 3's plan with each part's help text (from the guideline's spirit)."""
        return [(self[name], part3.HELP[name]) for name in part3.PLAN_FIELDS]

    def to_input(self, lines: Sequence[LineInput]) -> ProjectInput:
        """Everything the officer sent; what does not apply (the other dimension's name when the
        dimension is not "other", training details of a development project) is sent empty."""
        data = self.cleaned_data
        objective = data.get("primary_objective") or PrimaryObjective.DEVELOPMENT
        training = objective == PrimaryObjective.TRAINING
        dimension = data.get("dimension") or ""
        return ProjectInput(
            title=(data.get("title") or "").strip(),
            dimension=dimension,
            dimension_other=(data.get("dimension_other") or "").strip() if dimension == "other" else "",
            subdistricts=list(data.get("subdistricts") or []),
            target_villages=data.get("target_villages"),
            target_households=data.get("target_households"),
            start_date=data.get("start_date"),
            end_date=data.get("end_date"),
            primary_objective=objective,
            training_kind=(data.get("training_kind") or "") if training else "",
            training_target_local=bool(data.get("training_target_local")) if training else False,
            budget_lines=list(lines),
            do_checklist={item: bool(data.get(f"do_{item}")) for item in DO_ITEMS},
            given=set(ALL_FIELDS),
            **{name: data.get(name) or "" for name in part3.PLAN_FIELDS},
        )

    def value(self, name: str) -> Any:
        return self[name].value()

    def objective_warning(self) -> str:
        """The Don't-4 warning for what the form holds now (shown before saving)."""
        if self.value("primary_objective") != PrimaryObjective.TRAINING:
            return ""
        local = self["training_target_local"].value()
        if self.value("training_kind") in TRAINING_ALLOWED_KINDS and local:
            return ""
        return _rule_text("dont_training")

    def describe_errors(self, groups: Mapping[str, list[str]]) -> None:
        """Tie each field's error text to its input (aria-describedby, aria-invalid)."""
        if groups.get("do_checklist"):
            for item in DO_ITEMS:
                self.fields[f"do_{item}"].widget.attrs["aria-describedby"] = "do-checklist-error"
        for name in self.errors:
            if name not in self.fields:
                continue
            widget = self.fields[name].widget
            auto_id = self[name].auto_id
            described = [f"{auto_id}_error"]
            if name in self.HINTED:
                described.append(f"{auto_id}_hint")
            widget.attrs["aria-describedby"] = " ".join(described)
            widget.attrs["aria-invalid"] = "true"


def initial_from_entry(entry: Any) -> dict[str, Any]:
    return {
        "title": entry.title,
        "dimension": entry.dimension,
        "subdistricts": [entry.subdistrict_id],
        "primary_objective": PrimaryObjective.DEVELOPMENT,
    }


def initial_from_project(project: Project) -> dict[str, Any]:
    initial: dict[str, Any] = {name: getattr(project, name) for name in svc_projects.SIMPLE_FIELDS}
    initial["subdistricts"] = [s.code for s in project.subdistricts.all()]
    for item, value in project.do_checklist.items():
        initial[f"do_{item}"] = value
    return initial


# --- Errors from the service ------------------------------------------------------------------

_LINE_ERROR = re.compile(r"^budget_lines\[(\d+)\]\.(description|category|amount)$")
GROUPS = ("budget_lines", "do_checklist", "__all__")


def error_text(error: Mapping[str, Any]) -> str:
    clause = error.get("clause")
    message = str(error.get("message", ""))
    return f"{clause}: {message}" if clause else message


def place_errors(
    form: ProjectForm, rows: Sequence[LineRow], errors: Iterable[Mapping[str, Any]]
) -> dict[str, list[str]]:
    """Put each service error beside what it concerns: a form field, a budget line's part, or a
    group (the budget lines as a whole, the Do checklist, the form as a whole)."""
    groups: dict[str, list[str]] = {name: [] for name in GROUPS}
    for error in errors:
        name = str(error.get("field") or "")
        text = error_text(error)
        line = _LINE_ERROR.match(name)
        if line and int(line.group(1)) < len(rows):
            rows[int(line.group(1))].add_error(line.group(2), text)
        elif name in form.fields:
            form.add_error(name, text)
        elif name in groups:
            groups[name].append(text)
        else:
            groups["__all__"].append(text)
    return groups


# What each rule reads besides its own field: a rule is left out of a round in which one of
# these could not be read (its sentence would be about the unreadable value, not the project).
RULE_READS: dict[str, tuple[str, ...]] = {
    "dates_invalid": ("start_date", "end_date"),
    "deadline_exceeded": ("end_date",),
    "targets_required": ("target_villages", "target_households"),
    "dimension_other_required": ("dimension", "dimension_other"),
    "dont_training": ("primary_objective", "training_kind", "training_target_local"),
}


def rule_errors_despite_input_errors(
    form: ProjectForm,
    rows: Sequence[LineRow],
    *,
    district_code: str,
    edition: Any,
    exclude_project_id: int | None = None,
) -> list[dict[str, Any]]:
    """The guideline's failures for everything the officer typed that could be read.

    When a field cannot be read (a date in the wrong form, a budget line without an amount) the
    project is not saved; so that the officer still sees every error in one round, the rules
    are run on what could be read, leaving out those that concern an unreadable field. The
    service decides again on save. Call after ``form.is_valid()`` and ``clean_lines(rows)``.
    """
    if edition is None:
        return []
    data = getattr(form, "cleaned_data", {})
    unreadable = set(form.errors)
    readable_rows = [row for row in rows if not row.errors]
    if len(readable_rows) != len(rows):
        unreadable.add("budget_lines")
    amounts = [parse_amount(row.amount) for row in readable_rows]
    dimension = data.get("dimension") or ""
    facts = ProjectFacts(
        district_code=district_code,
        dimension=dimension,
        dimension_other=(data.get("dimension_other") or "") if dimension == "other" else "",
        # The form offers only the district's own subdistricts.
        subdistrict_districts=[district_code] * len(data.get("subdistricts") or []),
        target_villages=data.get("target_villages") or 0,
        target_households=data.get("target_households") or 0,
        start_date=data.get("start_date"),
        end_date=data.get("end_date"),
        primary_objective=data.get("primary_objective") or PrimaryObjective.DEVELOPMENT,
        training_kind=data.get("training_kind") or "",
        training_target_local=bool(data.get("training_target_local")),
        line_categories=[row.category for row in readable_rows],
        budget=sum((a for a in amounts if a is not None), Decimal("0.00")),
        do_checklist={item: bool(data.get(f"do_{item}")) for item in DO_ITEMS},
    )
    committed = selectors.committed_budget(
        district_code=district_code, edition_id=edition.pk, exclude_project_id=exclude_project_id
    )
    errors: list[dict[str, Any]] = []
    if not (data.get("title") or "").strip() and "title" not in unreadable:
        errors.append({"field": "title", "code": "required", "message": gettext("Give the project a title.")})
    for result in failures(evaluate(facts, selectors.edition_facts(edition), committed)):
        reads = {result.rule.field, *RULE_READS.get(result.code, ())}
        if result.code == "budget_cap_exceeded" and "budget_lines" in unreadable:
            continue  # the total is not known while a line's amount cannot be read
        if reads & (unreadable - {"budget_lines"}):
            continue
        errors.append(result.as_error())
    return errors


@dataclass(frozen=True)
class SummaryItem:
    href: str
    label: str
    message: str


def error_summary(
    form: ProjectForm, rows: Sequence[LineRow], groups: Mapping[str, list[str]]
) -> list[SummaryItem]:
    """Every error on the page, in the page's order, each linking to its field."""
    items: list[SummaryItem] = [SummaryItem("", "", str(m)) for m in form.non_field_errors()]
    items += [SummaryItem("", "", m) for m in groups.get("__all__", [])]
    group_fields = {"subdistricts", "primary_objective"}
    for name in form.fields:
        if name == "do_fits_district_plan":
            for message in groups.get("do_checklist", []):
                items.append(
                    SummaryItem("#id_do_fits_district_plan", gettext("Projects to do (Do)"), message)
                )
        bound = form[name]
        href = f"#{bound.auto_id}_0" if name in group_fields else f"#{bound.auto_id}"
        for error in bound.errors:
            items.append(SummaryItem(href, str(bound.label), str(error)))
    for message in groups.get("budget_lines", []):
        items.append(SummaryItem("#budget-lines", gettext("Budget lines"), message))
    parts = {
        "description": gettext("description"),
        "category": gettext("category"),
        "amount": gettext("amount (THB)"),
    }
    for row in rows:
        for part, messages in row.errors.items():
            label = gettext("Line %(number)s, %(part)s") % {"number": row.number, "part": parts[part]}
            for message in messages:
                items.append(SummaryItem(f"#id_line-{row.index}-{part}", label, message))
    return items


# --- What the page's script needs -------------------------------------------------------------


def cap_text(committed: Decimal, budget: Decimal, cap: Decimal) -> str:
    """The budget-cap rule's words for these amounts (shown before saving)."""
    rule = RULES["budget_cap_exceeded"]
    params = {"committed": money(committed), "budget": money(budget), "cap": money(cap)}
    return f"{rule.clause}: {rule.message % params}"


def client_rules() -> dict[str, Any]:
    """The guideline's texts the page shows while the officer types (the server decides on save)."""
    return {
        "categories": {
            category: {"code": code, "text": _rule_text(code)} for category, code in DONT_CATEGORIES.items()
        },
        "training": {"code": "dont_training", "text": _rule_text("dont_training")},
        "trainingAllowedKinds": list(TRAINING_ALLOWED_KINDS),
        "cap": {"code": "budget_cap_exceeded", "text": _rule_text("budget_cap_exceeded")},
        "texts": {
            "line": gettext("Line %(number)s"),
            "lineAdded": gettext("Line %(number)s added."),
            "lineRemoved": gettext("Line removed."),
            "total": gettext(
                "Total of this project: %(total)s THB; remaining after this project: %(after)s THB."
            ),
        },
    }

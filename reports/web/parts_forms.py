"""Forms of parts 1 and 2 of the report book: the fields, and formsets for repeatable rows.

Forms only parse what a person typed into ``reports.parts``' inputs; the service validates
again and decides. Its field errors (``facts[2].value``) come back beside their row's field
through ``bind_errors``. A row left wholly empty is skipped; a row whose "remove" box is
ticked is dropped.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.utils import translation
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from reports import parts
from reports.models import Digits, DistrictProfile, DriveReport
from workflow.web.forms import BEDateField

# Empty rows offered under the filled ones (the only way to add rows without JavaScript,
# besides the "add rows" button, which posts and comes back with more).
EXTRA_ROWS = 3


def _date_hint() -> str:
    if (translation.get_language() or "th").startswith("th"):
        return str(_("DD/MM/YYYY, Buddhist Era (e.g. 31/08/2564)"))
    return str(_("DD/MM/YYYY (e.g. 31/08/2021)"))


date_hint = lazy(_date_hint, str)


def _textarea(rows: int = 5) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


def _count_field(label: Any, help_text: Any = "") -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        required=False,
        min_value=0,
        max_value=parts.MAX_COUNT,
        help_text=help_text,
        widget=forms.NumberInput(attrs={"min": "0", "inputmode": "numeric"}),
    )


def _text_field(label: Any, *, rows: int = 5, help_text: Any = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        max_length=parts.MAX_TEXT,
        widget=_textarea(rows),
        help_text=help_text,
    )


def parse_version(text: str | None) -> datetime.datetime | None:
    """The ``updated_at`` a form was loaded with (hidden field), or None when none was saved.

    Anything unreadable counts as "some version" so that the service answers ``stale_edit``
    rather than overwriting what is stored.
    """
    if not text:
        return None
    try:
        value = datetime.datetime.fromisoformat(text)
    except ValueError:
        return datetime.datetime.min.replace(tzinfo=datetime.UTC)
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.UTC)
    return value


def version_of(obj: DistrictProfile | DriveReport) -> str:
    return obj.updated_at.isoformat() if obj.pk is not None and obj.updated_at else ""


class DescribedForm(forms.Form):
    """Points each invalid widget at its error message (``aria-describedby``)."""

    def describe_errors(self) -> None:
        for name in self.errors:
            if name not in self.fields:
                continue
            bound = self[name]
            ids = [f"{bound.auto_id}_error"]
            if self.fields[name].help_text:
                ids.insert(0, f"{bound.auto_id}_helptext")
            self.fields[name].widget.attrs["aria-describedby"] = " ".join(ids)


# --- Part 1 ---------------------------------------------------------------------------------


class ProfileForm(DescribedForm):
    population = _count_field(_("Population (persons)"))
    households = _count_field(_("Households"))
    villages = _count_field(_("Villages"), _("Number of villages (หมู่บ้าน) in the district."))
    area_sq_km = forms.DecimalField(
        label=_("Area (km²)"),
        required=False,
        min_value=Decimal("0"),
        max_value=parts.MAX_AREA,
        max_digits=10,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0", "inputmode": "decimal"}),
    )
    general = _text_field(_("General information"), help_text=_("Location, history, terrain, climate."))
    economy = _text_field(_("Economy"), help_text=_("Main occupations, income, products."))
    problems_needs = _text_field(_("Problems and needs"))
    potential = _text_field(_("Potential"), help_text=_("Strengths of the area and its people to build on."))
    notes = _text_field(_("Other information"), rows=3)
    preface = _text_field(
        _("Preface"),
        rows=8,
        help_text=_("The preface (คำนำ) printed before the contents of the report book."),
    )
    office_address = forms.CharField(
        label=_("Address of the district office"),
        required=False,
        max_length=parts.MAX_ADDRESS,
        widget=_textarea(3),
        help_text=_(
            "Printed at the head of the covering letter: the office, road, subdistrict and postcode."
        ),
    )
    digits = forms.ChoiceField(
        label=_("Digits in the report book"),
        choices=Digits.choices,
        widget=forms.RadioSelect,
        initial=Digits.THAI,
    )
    updated_at = forms.CharField(required=False, widget=forms.HiddenInput)

    def to_input(self, facts: Sequence[parts.FactInput]) -> parts.ProfileInput:
        data = self.cleaned_data
        return parts.ProfileInput(
            population=data.get("population"),
            households=data.get("households"),
            villages=data.get("villages"),
            area_sq_km=data.get("area_sq_km"),
            general=data.get("general", ""),
            economy=data.get("economy", ""),
            problems_needs=data.get("problems_needs", ""),
            potential=data.get("potential", ""),
            notes=data.get("notes", ""),
            preface=data.get("preface", ""),
            office_address=data.get("office_address", ""),
            digits=data.get("digits") or Digits.THAI,
            facts=list(facts),
            updated_at=parse_version(data.get("updated_at")),
        )


def profile_initial(profile: DistrictProfile) -> dict[str, Any]:
    initial: dict[str, Any] = {name: getattr(profile, name) for name in parts.PROFILE_FIELDS}
    initial["updated_at"] = version_of(profile)
    return initial


# --- Rows -----------------------------------------------------------------------------------


class RowForm(DescribedForm):
    """One repeatable row. Every field is optional here; ``required`` names those a kept row needs."""

    required: Mapping[str, Any] = {}

    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", None)
        if data is None:
            return False
        if any(name in (getattr(self, "_errors", None) or {}) for name in self.fields):
            return False  # something was typed that cannot be read: the row's other errors count too
        return all(data.get(name) in (None, "") for name in self.fields if name != "DELETE")

    def is_removed(self) -> bool:
        return bool(getattr(self, "cleaned_data", {}).get("DELETE"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.is_blank() or data.get("DELETE"):
            return data
        for name, message in self.required.items():
            if data.get(name) in (None, "") and name not in self.errors:
                self.add_error(name, message)
        return data


class FactForm(RowForm):
    table = forms.CharField(label=_("Table heading"), max_length=200, required=False)
    label = forms.CharField(label=_("Item"), max_length=300, required=False)
    value = forms.CharField(label=_("Value"), max_length=300, required=False)
    unit = forms.CharField(label=_("Unit"), max_length=50, required=False)

    required = {"label": _("Name the item."), "value": _("Enter the value.")}

    def row(self) -> parts.FactInput:
        d = self.cleaned_data
        return parts.FactInput(label=d["label"], value=d["value"], table=d["table"], unit=d["unit"])


class TeamMemberForm(RowForm):
    name = forms.CharField(label=_("Name"), max_length=300, required=False)
    office = forms.CharField(label=_("Position or office"), max_length=300, required=False)
    team_role = forms.CharField(label=_("Role in the team"), max_length=300, required=False)

    required = {"name": _("Enter the member's name.")}

    def row(self) -> parts.TeamMemberInput:
        d = self.cleaned_data
        return parts.TeamMemberInput(name=d["name"], office=d["office"], team_role=d["team_role"])


class MeetingForm(RowForm):
    date = BEDateField(label=_("Date"), required=False, help_text=date_hint())
    topic = forms.CharField(label=_("Topic"), max_length=500, required=False)
    resolution = forms.CharField(label=_("Resolution"), required=False, widget=_textarea(2))

    required = {"date": _("Enter the date."), "topic": _("Enter the meeting's topic.")}

    def row(self) -> parts.MeetingInput:
        d = self.cleaned_data
        return parts.MeetingInput(date=d["date"], topic=d["topic"], resolution=d["resolution"])


class ActivityForm(RowForm):
    date = BEDateField(label=_("Date"), required=False, help_text=date_hint())
    title = forms.CharField(label=_("Activity"), max_length=500, required=False)
    participants = forms.IntegerField(
        label=_("Participants"),
        required=False,
        min_value=0,
        max_value=parts.MAX_COUNT,
        widget=forms.NumberInput(attrs={"min": "0", "inputmode": "numeric"}),
    )
    result = forms.CharField(label=_("Result"), required=False, widget=_textarea(2))

    required = {"title": _("Name the activity.")}

    def row(self) -> parts.ActivityInput:
        d = self.cleaned_data
        return parts.ActivityInput(
            title=d["title"], date=d["date"], participants=d["participants"], result=d["result"]
        )


if TYPE_CHECKING:
    _FormSet = forms.BaseFormSet[RowForm]
else:
    _FormSet = forms.BaseFormSet


class RowFormSet(_FormSet):
    """A formset of rows, with the service's name for them (``facts``, ``team``…)."""

    name: str = ""
    title: Any = ""
    row_title: Any = ""

    def kept(self) -> list[RowForm]:
        """The rows that go to the service, in order (not blank, not removed); after is_valid()."""
        return [form for form in self.forms if not form.is_blank() and not form.is_removed()]

    def rows(self) -> list[Any]:
        return [cast(Any, form).row() for form in self.kept()]

    def describe_errors(self) -> None:
        for form in self.forms:
            form.describe_errors()


@dataclass(frozen=True)
class RowKind:
    name: str  # the service's name of the rows, also the formset's prefix
    form: type[RowForm]
    title: Any  # the group's heading
    row_title: Any  # "Row", "Member"… followed by its number


FACTS = RowKind("facts", FactForm, _("Small tables"), _("Row"))
TEAM = RowKind("team", TeamMemberForm, _("The team"), _("Member"))
MEETINGS = RowKind("meetings", MeetingForm, _("Meetings"), _("Meeting"))
ACTIVITIES = RowKind("activities", ActivityForm, _("Activities"), _("Activity"))


def row_formset(
    kind: RowKind,
    *,
    data: Any = None,
    initial: Sequence[Mapping[str, Any]] | None = None,
    extra: int = EXTRA_ROWS,
) -> RowFormSet:
    cls = forms.formset_factory(
        kind.form,
        formset=RowFormSet,
        extra=extra,
        can_delete=True,
        max_num=parts.MAX_ROWS,
        validate_max=True,
        absolute_max=parts.MAX_ROWS + EXTRA_ROWS + 50,
    )
    formset = cast(RowFormSet, cls(data=data, initial=list(initial or []), prefix=kind.name))
    formset.name = kind.name
    formset.title = kind.title
    formset.row_title = kind.row_title
    return formset


# --- Part 2 ---------------------------------------------------------------------------------


class DriveForm(DescribedForm):
    narrative = _text_field(
        _("How the project was driven in the district"),
        rows=8,
        help_text=_("Planning, coordination with the subdistricts and agencies, follow-up."),
    )
    team_narrative = _text_field(_("The team and how it worked"), rows=5)
    updated_at = forms.CharField(required=False, widget=forms.HiddenInput)

    def to_input(
        self,
        team: Sequence[parts.TeamMemberInput],
        meetings: Sequence[parts.MeetingInput],
        activities: Sequence[parts.ActivityInput],
    ) -> parts.DriveReportInput:
        data = self.cleaned_data
        return parts.DriveReportInput(
            narrative=data.get("narrative", ""),
            team_narrative=data.get("team_narrative", ""),
            team=list(team),
            meetings=list(meetings),
            activities=list(activities),
            updated_at=parse_version(data.get("updated_at")),
        )


def drive_initial(report: DriveReport) -> dict[str, Any]:
    return {
        "narrative": report.narrative,
        "team_narrative": report.team_narrative,
        "updated_at": version_of(report),
    }


def rows_initial(rows: Iterable[Any], names: Sequence[str]) -> list[dict[str, Any]]:
    return [{name: getattr(row, name) for name in names} for row in rows]


def kept_initial(formset: RowFormSet) -> list[dict[str, Any]]:
    """The kept rows' cleaned values, to offer again as a fresh form (after "add rows")."""
    return [
        {name: value for name, value in form.cleaned_data.items() if name != "DELETE"}
        for form in formset.kept()
    ]


# --- Errors beside their fields --------------------------------------------------------------


def bind_errors(
    errors: Iterable[Mapping[str, Any]], form: forms.Form, formsets: Sequence[RowFormSet]
) -> list[str]:
    """Put each ``{field, message}`` of the service beside its field; ``facts[2].value`` goes to
    the third row sent. Returns the messages that belong to no field on the page."""
    by_name = {formset.name: formset for formset in formsets}
    rest: list[str] = []
    for error in errors:
        name = str(error.get("field", ""))
        message = str(error.get("message", ""))
        group, bracket, tail = name.partition("[")
        if bracket and group in by_name:
            index_text, _sep, sub = tail.partition("].")
            kept = by_name[group].kept()
            if index_text.isdigit() and int(index_text) < len(kept) and sub in kept[int(index_text)].fields:
                kept[int(index_text)].add_error(sub, message)
                continue
        if name in by_name:
            rest.append(message)
            continue
        if name in form.fields:
            form.add_error(name, message)
            continue
        rest.append(message)
    return rest


@dataclass(frozen=True)
class SummaryItem:
    label: str
    message: str
    href: str


def error_summary(form: forms.Form, formsets: Sequence[RowFormSet]) -> list[SummaryItem]:
    """Every error on the page, each naming its field (and row), linking to it."""
    items: list[SummaryItem] = []
    for name, messages in form.errors.items():
        if name in form.fields:
            bound = form[name]
            label = str(bound.label)
            href = f"#{bound.auto_id}"
        else:
            label, href = "", ""
        items.extend(SummaryItem(label, str(message), href) for message in messages)
    for formset in formsets:
        items.extend(
            SummaryItem(str(formset.title), str(m), f"#{formset.name}-rows")
            for m in formset.non_form_errors()
        )
        for number, row in enumerate(formset.forms, start=1):
            if row.is_removed():
                continue
            for name, messages in row.errors.items():
                if name not in row.fields:
                    continue
                bound = row[name]
                label = _("%(group)s, %(row)s %(number)s, %(field)s") % {
                    "group": formset.title,
                    "row": formset.row_title,
                    "number": number,
                    "field": bound.label,
                }
                items.extend(SummaryItem(label, str(message), f"#{bound.auto_id}") for message in messages)
    return items

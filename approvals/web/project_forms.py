"""Forms of the project pages: the list's filters, comments, evidence and one form per transition.

Forms only parse what a person typed; every decision (who may, which state, the guideline's
rules) is taken by ``workflow.services.projects``. Their errors come back as ``DomainError``
and ``bind_domain_errors`` puts each beside its field.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.functional import lazy
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from workflow import part3, uploads
from workflow.models import Dimension, LineCategory, State
from workflow.services import projects as svc_projects
from workflow.services.projects import ImplementationInput, LineInput
from workflow.templatetags.rolemodel import date_hint
from workflow.web.forms import BEDateField

MAX_SPEND_LINES = 200
date_hint_lazy = lazy(date_hint, str)


def _label(text: Any) -> Any:
    """Reuse the models' lower-case verbose names as labels ("comment" → "Comment")."""
    return capfirst(text)


class ProjectFilterForm(forms.Form):
    """The filters of the project list (all optional; choices come from the view)."""

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Title or bank code")}),
    )
    state = forms.ChoiceField(label=_label(_("state")), required=False)
    province = forms.ChoiceField(label=_("Province"), required=False)
    district = forms.ChoiceField(label=_("District"), required=False)
    edition = forms.ChoiceField(label=_label(_("programme edition")), required=False)
    dimension = forms.ChoiceField(label=_label(_("dimension")), required=False)

    def __init__(
        self,
        *args: Any,
        provinces: Sequence[tuple[str, str]] = (),
        districts: Sequence[tuple[str, str]] = (),
        editions: Sequence[tuple[str, str]] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        everything = [("", _("All"))]
        self._choices("state", [*everything, *State.choices])
        self._choices("province", [*everything, *provinces])
        self._choices("district", [*everything, *districts])
        self._choices("edition", [*everything, *editions])
        self._choices("dimension", [*everything, *Dimension.choices])

    def _choices(self, name: str, choices: Iterable[tuple[str, Any]]) -> None:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        field.choices = list(choices)

    def filters(self) -> dict[str, str]:
        """The chosen filters (empty ones left out); call after ``is_valid()``."""
        data = getattr(self, "cleaned_data", {})
        return {name: data[name] for name in self.fields if data.get(name)}


def _textarea(rows: int = 4) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


class CommentForm(forms.Form):
    comment = forms.CharField(
        label=_label(_("comment")), widget=_textarea(3), max_length=5000, strip=True, required=True
    )


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


def _check_size(upload: UploadedFile) -> UploadedFile:
    """The size as the service sees it (``workflow.uploads``), said beside the field at once."""
    limit = uploads.max_bytes()
    if upload.size is not None and upload.size > limit:
        raise forms.ValidationError(
            _("%(name)s is larger than %(limit)s MB.")
            % {"name": upload.name, "limit": limit // (1024 * 1024)},
            code="too_large",
        )
    return upload


class SizedFileField(forms.FileField):
    def clean(self, data: Any, initial: Any = None) -> Any:
        upload = super().clean(data, initial)
        return _check_size(upload) if upload else upload


class MultipleFileField(forms.FileField):
    """Several files from one ``<input type=file multiple>``; cleans to a list (maybe empty)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        single = super().clean
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        if not files and self.required:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        return [_check_size(single(item, initial)) for item in files if item]


class EvidenceUploadForm(forms.Form):
    """A file for the project page's upload box (the kind follows from the open step)."""

    file = SizedFileField(label=_label(_("file")))
    caption = forms.CharField(label=_label(_("caption")), max_length=500, required=False)


class TransitionForm(forms.Form):
    """The comment every transition takes; required for return and reject."""

    comment = forms.CharField(
        label=_label(_("comment")), widget=_textarea(3), max_length=5000, required=False
    )

    def __init__(self, *args: Any, comment_required: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if comment_required:
            field = self.fields["comment"]
            field.required = True
            field.error_messages["required"] = _("A comment is required.")
            field.help_text = _("Required: say what must change and why.")


class ImplementForm(TransitionForm):
    activities_done = forms.CharField(label=_label(_("activities done")), widget=_textarea(5))
    villages_reached = forms.IntegerField(
        label=_label(_("villages reached")), min_value=0, max_value=svc_projects.MAX_VILLAGES
    )
    households_reached = forms.IntegerField(
        label=_label(_("households reached")), min_value=0, max_value=svc_projects.MAX_HOUSEHOLDS
    )
    evidence = forms.MultipleChoiceField(
        label=_("Evidence files to attach"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    new_files = MultipleFileField(
        label=_("Add evidence files"),
        required=False,
        help_text=_("Photos, receipts or documents; you may choose several (at most 20 MB each)."),
    )
    new_caption = forms.CharField(label=_("Caption of the new files"), max_length=500, required=False)

    field_order = [
        "activities_done",
        "villages_reached",
        "households_reached",
        "evidence",
        "new_files",
        "new_caption",
        "comment",
    ]

    def __init__(self, *args: Any, evidence_choices: Sequence[tuple[str, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["evidence"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = list(evidence_choices)

    def implementation(self, lines: Sequence[LineInput], evidence_ids: Sequence[int]) -> ImplementationInput:
        data = self.cleaned_data
        return ImplementationInput(
            spend_lines=list(lines),
            activities_done=data["activities_done"],
            villages_reached=data["villages_reached"],
            households_reached=data["households_reached"],
            evidence_ids=list(evidence_ids),
        )


class MonitorForm(TransitionForm):
    findings = forms.CharField(label=_label(_("findings")), widget=_textarea(5))
    recommendations = forms.CharField(label=_label(_("recommendations")), widget=_textarea(4), required=False)
    photos = MultipleFileField(
        label=_("Monitoring photos"),
        required=False,
        help_text=_("You may choose several (at most 20 MB each)."),
    )
    photo_caption = forms.CharField(label=_("Caption of the photos"), max_length=500, required=False)

    field_order = ["findings", "recommendations", "photos", "photo_caption", "comment"]


def _part3_field(name: str, rows: int, *, required: bool = False) -> forms.CharField:
    """A part 3 text as the report form asks for it: its label and the guideline's help."""
    return forms.CharField(
        label=part3.label(name),
        help_text=part3.HELP[name],
        widget=_textarea(rows),
        max_length=part3.MAX_LENGTH,
        required=required,
    )


class ReportForm(TransitionForm):
    """Part 3's end: the results achieved (required), problems and obstacles, suggestions."""

    result_narrative = _part3_field("result_narrative", 8, required=True)
    problems = _part3_field("problems", 4)
    suggestions = _part3_field("suggestions", 4)

    field_order = ["result_narrative", "problems", "suggestions", "comment"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["result_narrative"].error_messages["required"] = _("Write the results achieved.")


class SubmissionForm(forms.Form):
    """The chief's submission: the covering letter's number and date (required here; the API
    may leave them out) and a comment (required for a corrected version, by the service)."""

    letter_number = forms.CharField(
        label=_("Covering letter's number"),
        max_length=svc_projects.LETTER_NUMBER_MAX + 10,
        help_text=_("As the office's register gives it, e.g. มท ๐๓๑๘.๑/๑๒๓ (printed after “ที่”)."),
        error_messages={"required": _("Enter the covering letter's number.")},
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    letter_date = BEDateField(
        label=_("Covering letter's date"),
        help_text=date_hint_lazy(),
        error_messages={"required": _("Enter the covering letter's date.")},
    )
    comment = forms.CharField(
        label=_label(_("comment")), widget=_textarea(3), max_length=5000, required=False
    )

    def letter(self) -> dict[str, Any]:
        """The service's keyword arguments for the covering letter (after ``is_valid``)."""
        return {
            "letter_number": self.cleaned_data["letter_number"],
            "letter_date": self.cleaned_data["letter_date"],
        }


# --- Spend lines ------------------------------------------------------------------------


class SpendLineForm(forms.Form):
    """One row of the spend-line editor; a row left empty is skipped."""

    description = forms.CharField(label=_label(_("description")), max_length=500, required=False)
    category = forms.ChoiceField(label=_label(_("category")), required=False)
    amount = forms.DecimalField(
        label=_label(_("amount (THB)")),
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("0"),
        required=False,
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0", "inputmode": "decimal"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["category"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "—"), *LineCategory.choices]

    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return not (data.get("description") or "").strip() and data.get("amount") in (None, "")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.is_blank():
            return data
        if not (data.get("description") or "").strip() and "description" not in self.errors:
            self.add_error("description", _("Describe the budget line."))
        if not data.get("category") and "category" not in self.errors:
            self.add_error("category", _("Choose a category."))
        if data.get("amount") in (None, "") and "amount" not in self.errors:
            self.add_error("amount", _("Enter an amount in baht."))
        return data

    def line(self) -> LineInput:
        data = self.cleaned_data
        return LineInput(data["description"].strip(), data["category"], data["amount"])


if TYPE_CHECKING:
    _FormSet = forms.BaseFormSet[SpendLineForm]
else:
    _FormSet = forms.BaseFormSet


class BaseSpendLineFormSet(_FormSet):
    def lines(self) -> list[tuple[int, LineInput]]:
        """The filled rows as (row index, line); call after ``is_valid()``."""
        return [(i, form.line()) for i, form in enumerate(self.forms) if not form.is_blank()]

    def total(self) -> Decimal:
        total = Decimal("0.00")
        for form in self.forms:
            amount = form.cleaned_data.get("amount") if hasattr(form, "cleaned_data") else None
            if amount:
                total += amount
        return total


def spend_line_formset(extra: int) -> type[BaseSpendLineFormSet]:
    formset = forms.formset_factory(
        SpendLineForm,
        formset=BaseSpendLineFormSet,
        extra=extra,
        max_num=MAX_SPEND_LINES,
        validate_max=True,
    )
    return cast(type[BaseSpendLineFormSet], formset)


# --- Domain errors beside their fields -------------------------------------------------


def bind_domain_errors(
    errors: Iterable[dict[str, Any]],
    form: forms.Form,
    formset: BaseSpendLineFormSet | None = None,
    row_of_line: Sequence[int] = (),
) -> list[dict[str, Any]]:
    """Put each ``{field, code, message}`` of a DomainError beside its field.

    ``spend_lines[i].description`` goes to the row that sent line ``i`` (``row_of_line``).
    Returns the errors that belong to no field on the page (shown in the alert box).
    """
    rest: list[dict[str, Any]] = []
    for error in errors:
        name = str(error.get("field", ""))
        message = str(error.get("message", ""))
        if formset is not None and name.startswith("spend_lines["):
            index_text, _sep, sub = name[len("spend_lines[") :].partition("].")
            if index_text.isdigit() and int(index_text) < len(row_of_line):
                row = formset.forms[row_of_line[int(index_text)]]
                if sub in row.fields:
                    row.add_error(sub, message)
                    continue
        if name in form.fields:
            form.add_error(name, message)
            continue
        rest.append(error)
    return rest

"""Form fields shared by the pages."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils import translation

from workflow.dates import BE_OFFSET, DateInputError, parse_date_input

__all__ = ["BEDateField", "parse_date_input"]


class BEDateField(forms.CharField):
    """A date typed as DD/MM/YYYY: Buddhist Era only in Thai, CE in English; never BE read as CE.

    The rules are ``workflow.dates.parse_date_input``'s; an unreadable date is an error beside
    the field that names the form expected (the other fields are still checked: one round).
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.pop("max_length", None)  # the length limit would run on the parsed date
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("maxlength", "10")
        self.widget.attrs.setdefault("inputmode", "numeric")
        self.widget.attrs.setdefault("autocomplete", "off")

    def to_python(self, value: Any) -> datetime.date | None:  # type: ignore[override]
        if isinstance(value, datetime.date):
            return value
        text = super().to_python(value)
        if not text:
            return None
        try:
            return parse_date_input(text)
        except DateInputError as exc:
            raise forms.ValidationError(str(exc), code="invalid_date") from exc

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, datetime.date):
            year = value.year + (BE_OFFSET if (translation.get_language() or "th").startswith("th") else 0)
            return f"{value.day:02d}/{value.month:02d}/{year}"
        return value

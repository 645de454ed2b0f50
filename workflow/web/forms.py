"""Form fields shared by the pages."""

from __future__ import annotations

import datetime
import re
from typing import Any

from django import forms
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from workflow.dates import BE_OFFSET

_DMY = re.compile(r"^\s*(\d{1,2})\s*/\s*(\d{1,2})\s*/\s*(\d{4})\s*$")
_ISO = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})\s*$")


def parse_date_input(text: str, language: str | None = None) -> datetime.date:
    """Read a date typed by a person.

    ``DD/MM/YYYY``: a year of 2400 or more is Buddhist Era and is converted; in the Thai UI a
    smaller year is refused (it would be read as CE by mistake); in the English UI it is CE.
    ``YYYY-MM-DD`` (a date picker's value) is always CE. Raises ``ValueError`` with a message.
    """
    language = (language or translation.get_language() or "th")[:2]
    iso = _ISO.match(text)
    if iso:
        year, month, day = (int(g) for g in iso.groups())
        return datetime.date(year, month, day)
    match = _DMY.match(text)
    if not match:
        raise ValueError(str(_("Enter the date as DD/MM/YYYY.")))
    day, month, year = (int(g) for g in match.groups())
    if year >= 2400:
        year -= BE_OFFSET
    elif language == "th":
        raise ValueError(str(_("Enter the year in the Buddhist Era (e.g. 2564).")))
    return datetime.date(year, month, day)


class BEDateField(forms.CharField):
    """A date typed as DD/MM/YYYY: Buddhist Era in Thai, CE in English; never BE read as CE."""

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
        except ValueError as exc:
            raise forms.ValidationError(str(exc), code="invalid_date") from exc

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, datetime.date):
            year = value.year + (BE_OFFSET if (translation.get_language() or "th").startswith("th") else 0)
            return f"{value.day:02d}/{value.month:02d}/{year}"
        return value

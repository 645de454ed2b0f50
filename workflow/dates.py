"""Presentation of dates: Buddhist Era in Thai, CE in English. The database holds CE only."""

from __future__ import annotations

import datetime
import re

from django.utils import timezone, translation
from django.utils.translation import gettext as _

BE_OFFSET = 543
THAI_MONTHS_SHORT = (
    "ม.ค.",
    "ก.พ.",
    "มี.ค.",
    "เม.ย.",
    "พ.ค.",
    "มิ.ย.",
    "ก.ค.",
    "ส.ค.",
    "ก.ย.",
    "ต.ค.",
    "พ.ย.",
    "ธ.ค.",
)
EN_MONTHS_SHORT = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def format_date(value: datetime.date | None, language: str | None = None) -> str:
    """``31 ส.ค. 2564`` in Thai, ``31 Aug 2021`` in English."""
    if value is None:
        return ""
    language = (language or translation.get_language() or "th")[:2]
    if language == "th":
        return f"{value.day} {THAI_MONTHS_SHORT[value.month - 1]} {value.year + BE_OFFSET}"
    return f"{value.day} {EN_MONTHS_SHORT[value.month - 1]} {value.year}"


_DMY = re.compile(r"^\s*(\d{1,2})\s*/\s*(\d{1,2})\s*/\s*(\d{4})\s*$")
_ISO = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*$")
# A four-digit year of 2400 or more is a Buddhist Era year (CE 1857 onwards); below, CE.
BE_YEAR_FROM = 2400


class DateInputError(ValueError):
    """A date a person typed that cannot be read; ``str()`` is the translated message."""


def _example(language: str) -> str:
    """15 January of the current year, written the way the date box wants it."""
    year = timezone.localdate().year + (BE_OFFSET if language == "th" else 0)
    return f"15/01/{year}"


def date_format_message(language: str | None = None) -> str:
    """The error that names the form a date box takes in the language of the page."""
    language = (language or translation.get_language() or "th")[:2]
    if language == "th":
        return _("Enter the date as DD/MM/YYYY in the Buddhist Era, e.g. %(example)s.") % {
            "example": _example("th")
        }
    return _("Enter the date as DD/MM/YYYY, e.g. %(example)s.") % {"example": _example("en")}


def _date(year: int, month: int, day: int) -> datetime.date:
    try:
        return datetime.date(year, month, day)
    except ValueError:
        raise DateInputError(_("There is no such date; check the day and the month.")) from None


def parse_date_input(text: str, language: str | None = None) -> datetime.date:
    """Read a date typed into a page's date box; the result is CE (the database's calendar).

    Thai pages take ``DD/MM/YYYY`` with a Buddhist Era year only: an ISO date (``2027-01-15``)
    or a CE year (``15/01/2027``) is a format error naming the expected form, never guessed.
    English pages take ``DD/MM/YYYY`` in CE (a year of 2400 or more is read as BE and converted)
    and ``YYYY-MM-DD`` in CE; an ISO date with a BE year (``2570-07-31``) is refused, never read
    as CE 2570. Raises ``DateInputError`` with a translated message.
    """
    language = (language or translation.get_language() or "th")[:2]
    match = _DMY.match(text)
    if language == "th":
        if not match:
            raise DateInputError(date_format_message("th"))
        day, month, year = (int(g) for g in match.groups())
        if year < BE_YEAR_FROM:
            raise DateInputError(date_format_message("th"))
        return _date(year - BE_OFFSET, month, day)
    if match:
        day, month, year = (int(g) for g in match.groups())
        return _date(year - BE_OFFSET if year >= BE_YEAR_FROM else year, month, day)
    iso = _ISO.match(text)
    if not iso:
        raise DateInputError(date_format_message("en"))
    year, month, day = (int(g) for g in iso.groups())
    if year >= BE_YEAR_FROM:
        raise DateInputError(date_format_message("en"))
    return _date(year, month, day)


def parse_be_date(text: str) -> datetime.date:
    """Read ``31/08/2564`` (day/month/BE year). A CE year is refused, never guessed."""
    return parse_date_input(text, "th")

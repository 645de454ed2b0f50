"""Presentation of dates: Buddhist Era in Thai, CE in English. The database holds CE only."""

from __future__ import annotations

import datetime
import re

from django.utils import translation

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


_DMY = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*$")


def parse_be_date(text: str) -> datetime.date:
    """Read ``31/08/2564`` (day/month/BE year). A CE year is refused, never guessed."""
    match = _DMY.match(text)
    if not match:
        raise ValueError("expected DD/MM/YYYY (Buddhist Era)")
    day, month, year = (int(g) for g in match.groups())
    if year < 2400:
        raise ValueError("the year must be in the Buddhist Era (e.g. 2564)")
    return datetime.date(year - BE_OFFSET, month, day)

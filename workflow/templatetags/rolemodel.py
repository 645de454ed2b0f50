"""Presentation helpers for templates: BE dates in Thai, baht amounts, state labels."""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django import template
from django.utils import timezone, translation
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from workflow import transitions
from workflow.dates import format_date
from workflow.models import Role

register = template.Library()


@register.filter
def thaidate(value: datetime.date | datetime.datetime | None) -> str:
    """``31 ส.ค. 2564`` in Thai, ``31 Aug 2021`` in English (local date of a datetime)."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value).date()
    return format_date(value)


@register.filter
def thaidatetime(value: datetime.datetime | None) -> str:
    if value is None:
        return ""
    local = timezone.localtime(value)
    return f"{format_date(local.date())} {local:%H:%M}"


@register.filter
def baht(value: Any) -> str:
    """``150,000.00``: two decimals and thousands separators, in every language."""
    if value is None or value == "":
        return ""
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return str(value)
    return f"{amount.quantize(Decimal('0.01')):,}"


@register.filter
def state_label(value: str) -> str:
    """A project state's name (``workflow.transitions.state_label``: the one source)."""
    return transitions.state_label(value)


@register.simple_tag
def state_badge(value: str, css: str = "") -> SafeString:
    """A project state as the pages show it: its name in a badge, the code in ``data-state``."""
    classes = f"badge {css}".strip()
    return format_html(
        '<span data-state="{}" class="{}">{}</span>', value, classes, transitions.state_label(value)
    )


@register.simple_tag
def state_name(value: str) -> SafeString:
    """A project state's name inside a sentence or a timeline entry (no badge), with its code."""
    return format_html('<span data-state="{}">{}</span>', value, transitions.state_label(value))


@register.filter
def role_label(value: str) -> str:
    try:
        return str(Role(value).label)
    except ValueError:
        return value


@register.filter
def days_left(value: datetime.date | None) -> int | None:
    if value is None:
        return None
    return (value - timezone.localdate()).days


@register.simple_tag
def be_date_input(value: datetime.date | None) -> str:
    """The value of a date text box: DD/MM/YYYY in BE (Thai) or CE (English)."""
    if value is None:
        return ""
    year = value.year + (543 if (translation.get_language() or "th").startswith("th") else 0)
    return f"{value.day:02d}/{value.month:02d}/{year}"


@register.simple_tag
def date_hint() -> str:
    if (translation.get_language() or "th").startswith("th"):
        return _("DD/MM/YYYY, Buddhist Era (e.g. 31/08/2564)")
    return _("DD/MM/YYYY (e.g. 31/08/2021)")

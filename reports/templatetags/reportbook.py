"""Presentation helpers of the report book."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def grouped(value: Any) -> str:
    """``52,311``: a whole number with thousands separators (the book's digits come later)."""
    if value is None or value == "":
        return ""
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return str(value)

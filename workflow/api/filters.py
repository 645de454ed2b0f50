"""Query filters that refuse what they cannot read (422 naming the parameter) instead of
ignoring it: ``?overdue=maybe`` must not answer every project as if no filter were given."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

_BOOLEANS = {"true": True, "1": True, "false": False, "0": False}


class StrictBooleanField(forms.Field):
    default_error_messages = {"invalid": _("Give true or false.")}

    def to_python(self, value: Any) -> bool | None:
        if value in (None, ""):
            return None
        if isinstance(value, bool):
            return value
        parsed = _BOOLEANS.get(str(value).strip().lower())
        if parsed is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return parsed


class StrictBooleanFilter(django_filters.BooleanFilter):
    """``true``/``false`` (or ``1``/``0``); anything else is 422, an empty value no filter."""

    field_class = StrictBooleanField

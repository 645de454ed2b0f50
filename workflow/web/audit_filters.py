"""Searching the audit trail: the filter (shared with the REST API if wanted), the search form,
labels of the recorded actions, and the reads of the chain page.

``workflow.selectors.history_filter`` is the one place that turns search criteria into a queryset filter; the
pages call it with what the form read, and ``workflow/api/views.py::HistoryFilter`` can call it
too (its ``since``/``until`` mean the same: ``since`` inclusive, ``until`` exclusive).
"""

from __future__ import annotations

import datetime
import re
from typing import Any

from django import forms
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from workflow import access
from workflow.audit_actions import AuditAction
from workflow.audit_actions import action_label as action_label
from workflow.errors import Forbidden
from workflow.models import AuditChain, AuditEvent, District, Province
from workflow.templatetags.rolemodel import date_hint
from workflow.web.forms import BEDateField

# Every action the services record, with its label (unknown actions show their code): the
# catalogue's, kept under these names for the modules that import them from here.
ACTION_LABELS: dict[str, Promise] = dict(AuditAction.choices)


def start_of_day(day: datetime.date) -> datetime.datetime:
    """Midnight at the start of ``day`` in the site's time zone (Asia/Bangkok)."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


class DescribedErrorsMixin:
    """Ties each field to its hint and, when invalid, to its error (``aria-describedby``)."""

    def describe_hints(self) -> None:
        form: Any = self
        for name, field in form.fields.items():
            if field.help_text:
                field.widget.attrs["aria-describedby"] = f"id_{name}_hint"

    def full_clean(self) -> None:
        super().full_clean()  # type: ignore[misc]
        form: Any = self
        for name in form.errors:
            if name not in form.fields:
                continue
            field = form.fields[name]
            ids = [f"id_{name}_hint"] if field.help_text else []
            field.widget.attrs["aria-invalid"] = "true"
            field.widget.attrs["aria-describedby"] = " ".join([*ids, f"id_{name}_error"])


_DISTRICT_CODE = re.compile(r"^\d{4}$")


class AuditFilterForm(DescribedErrorsMixin, forms.Form):
    """The search criteria of ``/audit/`` (read from the query string)."""

    district = forms.CharField(
        label=_("District code"),
        required=False,
        max_length=4,
        help_text=_("Four digits, e.g. 5001"),
    )
    province = forms.ChoiceField(label=_("Province"), required=False)
    actor = forms.CharField(label=_("User (actor)"), required=False, max_length=150)
    action = forms.ChoiceField(label=_("Action"), required=False)
    project = forms.IntegerField(label=_("Project number"), required=False, min_value=1)
    since = BEDateField(label=_("From (date)"), required=False)
    until = BEDateField(label=_("Until (date)"), required=False)

    def __init__(self, *args: Any, provinces: list[tuple[str, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        province_field: Any = self.fields["province"]
        province_field.choices = [("", _("All provinces")), *(provinces or [])]
        action_field: Any = self.fields["action"]
        action_field.choices = [
            ("", _("All actions")),
            *AuditAction.choices,
        ]
        self.fields["district"].widget.attrs.update({"inputmode": "numeric", "autocomplete": "off"})
        self.fields["actor"].widget.attrs.update({"autocomplete": "off", "spellcheck": "false"})
        for name in ("since", "until"):
            self.fields[name].help_text = date_hint()
        self.describe_hints()

    def clean_district(self) -> str:
        code = self.cleaned_data["district"].strip()
        if code and not _DISTRICT_CODE.match(code):
            raise forms.ValidationError(_("Enter the district's four-digit DOPA code."), code="invalid")
        return str(code)

    def clean_actor(self) -> str:
        return str(self.cleaned_data["actor"]).strip()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since > until:
            self.add_error("until", _("The end of the range is before its start."))
        return cleaned

    def criteria(self) -> dict[str, Any]:
        """The keyword arguments of :func:`workflow.selectors.history_filter` (whole days, both ends inclusive)."""
        data = self.cleaned_data
        since: datetime.date | None = data.get("since")
        until: datetime.date | None = data.get("until")
        return {
            "district": data.get("district") or None,
            "province": data.get("province") or None,
            "actor": data.get("actor") or None,
            "action": data.get("action") or None,
            "project": data.get("project"),
            "since": start_of_day(since) if since else None,
            "until": start_of_day(until + datetime.timedelta(days=1)) if until else None,
        }


def province_choices() -> list[tuple[str, str]]:
    return [(p.code, f"{p.code} {p.name_th}") for p in Province.objects.order_by("code")]


# --- The chain page ---------------------------------------------------------------------------


def chains_visible(user: Any, *, code: str = "") -> QuerySet[AuditChain]:
    """The audit chains (a district's code, or ``TH``) with their last event's time.

    Only for users who may read the whole history (``Forbidden`` otherwise).
    """
    if not access.may_read_all_history(access.principal_for(user)):
        raise Forbidden()
    last_event = AuditEvent.objects.filter(chain=OuterRef("key"), chain_seq=OuterRef("last_seq")).values(
        "created_at"
    )[:1]
    chains = AuditChain.objects.annotate(last_event_at=Subquery(last_event)).order_by("key")
    if code:
        chains = chains.filter(key__startswith=code.strip().upper())
    return chains


def districts_named(codes: list[str]) -> dict[str, District]:
    return {d.code: d for d in District.objects.filter(code__in=codes).select_related("province")}

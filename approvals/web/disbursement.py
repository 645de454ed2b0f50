"""The district's disbursements (ตั้งจ่าย ณ ที่ทำการปกครองจังหวัด): ``/districts/<code>/disbursements/``.

Whoever may see the district reads its tranches, their total against the cap and what is left,
beside the district's approved and spent figures. The provincial officer of its province also
gets the form (amount, date in DD/MM/BE, reference document, note); every error of the form
comes back in one round. Recording goes through ``workflow.services.money``.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.functional import lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from workflow import access, selectors
from workflow.errors import DomainError, NotFound
from workflow.services import money as money_svc
from workflow.templatetags.rolemodel import date_hint
from workflow.web.forms import BEDateField

from .selection_forms import area_name

date_hint_lazy = lazy(date_hint, str)


class DisbursementForm(forms.Form):
    """One tranche. The amount, the date and the reference are also checked by the service's own
    rules (the date's parsing here), so that every field's error shows at once."""

    amount = forms.CharField(
        label=gettext_lazy("Amount (baht)"),
        error_messages={"required": gettext_lazy("Enter the amount disbursed in baht.")},
        help_text=gettext_lazy("At most two decimals, e.g. 75000.00"),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    paid_on = BEDateField(
        label=gettext_lazy("Date of disbursement"),
        help_text=date_hint_lazy(),
        error_messages={"required": gettext_lazy("Enter the date of the disbursement.")},
    )
    reference = forms.CharField(
        label=gettext_lazy("Reference document number"),
        error_messages={"required": gettext_lazy("Enter the number of the reference document.")},
        help_text=gettext_lazy("The number of the letter or payment document, e.g. ปค ๐๐๑๘.๒/๑๒๓"),
    )
    note = forms.CharField(
        label=gettext_lazy("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def add_field_errors(self, errors: list[dict[str, Any]]) -> None:
        """The service's errors beside their fields (a field with an error already keeps it)."""
        for error in errors:
            name = error.get("field") or None
            if name not in self.fields:
                self.add_error(None, str(error["message"]))
            elif name not in self.errors:
                self.add_error(name, str(error["message"]))


def _record(request: HttpRequest, form: DisbursementForm, code: str) -> int | None:
    """Record the tranche; the HTTP status of the failure (the form holds why), or ``None``."""
    valid = form.is_valid()
    data = form.cleaned_data if hasattr(form, "cleaned_data") else {}
    raw = form.data
    checks = money_svc.disbursement_errors(
        amount=raw.get("amount", ""),
        paid_on=data.get("paid_on") if "paid_on" not in form.errors else None,
        reference=raw.get("reference", ""),
    )
    form.add_field_errors([e.as_dict() for e in checks])
    if not valid or checks:
        return 422
    try:
        money_svc.district_disbursement_record(
            acting_user=request.user,
            district=code,
            amount=raw.get("amount", ""),
            paid_on=data["paid_on"],
            reference=raw.get("reference", ""),
            note=data.get("note", ""),
        )
    except NotFound as exc:
        raise Http404 from exc
    except DomainError as exc:
        if exc.errors:
            form.add_field_errors(exc.errors)
        else:
            form.add_error(None, str(exc))
        return exc.status if exc.status in (403, 409, 422) else 422
    return None


@login_required
def district_disbursements(request: HttpRequest, code: str) -> HttpResponse:
    try:
        ledger = selectors.district_disbursements(request.user, code)
    except NotFound as exc:
        raise Http404 from exc
    district = ledger.district
    may_record = access.disburse_grant(access.principal_for(request.user), district) is not None
    form = DisbursementForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if not may_record:
            return render(
                request,
                "approvals/action_denied.html",
                {
                    "project": None,
                    "message": _(
                        "Only the provincial office of the district's province records its disbursement."
                    ),
                },
                status=403,
            )
        failed = _record(request, form, district.code)
        if failed is None:
            messages.success(request, _("The disbursement is recorded."))
            return redirect("district-disbursements", code=district.code)
        status = failed
    budget = selectors.budget_of(district_code=district.code, edition=ledger.edition)
    return render(
        request,
        "approvals/district_disbursements.html",
        {
            "district": district,
            "district_name": area_name(district),
            "province_name": area_name(district.province),
            "ledger": ledger,
            "budget": budget,
            "may_record": may_record,
            "form": form,
        },
        status=status,
    )


urlpatterns = [
    path("districts/<str:code>/disbursements/", district_disbursements, name="district-disbursements"),
]

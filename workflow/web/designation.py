"""The page where central planners designate an edition's Role Model districts (อำเภอต้นแบบ).

* ``/editions/districts/`` (``edition-districts-current``): the active edition's page.
* ``/editions/<id>/districts/`` (``edition-districts``): the list, the national budget (the cap
  times the districts designated), whether each district has started, and (for central
  planners and admins) a form replacing the list from typed codes or an uploaded CSV file.

Everyone with a dashboard (they watch these districts) may read it; the change goes through
``services.programme.edition_districts_replace``, which decides who may make it.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from workflow import access, selectors
from workflow.errors import DomainError, Forbidden, InvalidInput, NotFound
from workflow.models import Edition, RoleModelDistrict
from workflow.models.projects import RELEASED_STATES
from workflow.services import programme

CSV_MAX_BYTES = 1024 * 1024
_SEPARATORS = re.compile(r"[\s,;]+")


class DesignationForm(forms.Form):
    codes = forms.CharField(
        label=gettext_lazy("District codes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false", "inputmode": "numeric"}),
        help_text=gettext_lazy(
            "DOPA district codes, e.g. 5001, one per line or separated by commas. "
            "The list replaces the edition's Role Model districts."
        ),
    )
    file = forms.FileField(
        label=gettext_lazy("Or upload a CSV file"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
        help_text=gettext_lazy(
            "The district codes in the first column (or a column named district_code). "
            "When a file is given, it replaces the list typed above."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The column name a file must use is typed as it is, in any language: shown as code.
        help_text = escape(str(self.fields["file"].help_text))
        self.fields["file"].help_text = mark_safe(  # noqa: S308 - escaped above, one tag added
            help_text.replace("district_code", "<code>district_code</code>")
        )

    def clean_file(self) -> Any:
        upload = self.cleaned_data.get("file")
        if upload is None:
            return None
        if not upload.name.lower().endswith(".csv"):
            raise forms.ValidationError(_("Choose a .csv file."))
        if upload.size > CSV_MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than 1 MB."))
        return upload

    def district_codes(self) -> list[str]:
        upload = self.cleaned_data.get("file")
        if upload is not None:
            return programme.district_codes_from_csv(upload.read())
        return programme.normalise_codes(_SEPARATORS.split(self.cleaned_data.get("codes") or ""))


def _may_view(principal: access.Principal) -> bool:
    return bool(access.dashboard_grants(principal)) or access.designate_grant(principal) is not None


def _rows(edition: Edition) -> list[RoleModelDistrict]:
    live = ~Q(district__projects__state__in=RELEASED_STATES) & Q(district__projects__edition=edition)
    return list(
        RoleModelDistrict.objects.filter(edition=edition)
        .select_related("district__province", "designated_by")
        .annotate(live_projects=Count("district__projects", filter=live))
        .order_by("district__province_id", "district_id")
    )


@login_required
def designation_current(request: HttpRequest) -> HttpResponse:
    edition = selectors.active_edition() or Edition.objects.order_by("-code").first()
    if edition is None:
        raise Http404
    return HttpResponseRedirect(reverse("edition-districts", args=[edition.pk]))


@login_required
def designation(request: HttpRequest, pk: int) -> HttpResponse:
    principal = access.principal_for(request.user)
    if not _may_view(principal):
        return render(request, "workflow/designation_forbidden.html", status=403)
    edition = Edition.objects.filter(pk=pk).first()
    if edition is None:
        raise Http404
    may_edit = access.designate_grant(principal) is not None
    form = DesignationForm(request.POST or None, request.FILES or None)
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        if not may_edit:
            return render(request, "workflow/designation_forbidden.html", status=403)
        if form.is_valid():
            try:
                change = programme.edition_districts_replace(
                    acting_user=request.user, edition=edition.pk, district_codes=form.district_codes()
                )
            except Forbidden:
                return render(request, "workflow/designation_forbidden.html", status=403)
            except NotFound:
                raise Http404 from None
            except InvalidInput as exc:
                errors = [str(item["message"]) for item in exc.errors] or [str(exc.message)]
                status = exc.status
            except DomainError as exc:
                errors = [str(exc.message)]
                status = exc.status
            else:
                messages.success(
                    request,
                    _("%(count)s Role Model districts: %(added)s added, %(removed)s removed.")
                    % {
                        "count": len(change.codes),
                        "added": len(change.added),
                        "removed": len(change.removed),
                    },
                )
                return HttpResponseRedirect(reverse("edition-districts", args=[edition.pk]))
        else:
            status = 422
    rows = _rows(edition)
    if request.method != "POST":
        form = DesignationForm(initial={"codes": "\n".join(row.district_id for row in rows)})
    context = {
        "edition": edition,
        "editions": list(Edition.objects.order_by("-code")),
        "rows": rows,
        "count": len(rows),
        "not_started": sum(1 for row in rows if not getattr(row, "live_projects", 0)),
        "national_budget": selectors.baht(edition.budget_cap * Decimal(len(rows))),
        "form": form,
        "errors": errors,
        "may_edit": may_edit,
    }
    return render(request, "workflow/designation.html", context, status=status)


urlpatterns = [
    path("editions/districts/", designation_current, name="edition-districts-current"),
    path("editions/<id:pk>/districts/", designation, name="edition-districts"),
]

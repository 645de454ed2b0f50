"""Acting officials (รักษาราชการแทน): a district chief names who acts for them, and when."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from workflow import access, selectors
from workflow.dates import format_date
from workflow.errors import DomainError, NotFound
from workflow.models import District, Role
from workflow.services.delegation import delegation_candidates, delegation_create, delegation_revoke
from workflow.templatetags.rolemodel import date_hint
from workflow.web.forms import BEDateField

from .selection_forms import area_name

date_hint_lazy = lazy(date_hint, str)


def _official_label(user: Any) -> str:
    name = user.get_full_name().strip()
    username = user.get_username()
    return f"{name} ({username})" if name else username


class DelegationForm(forms.Form):
    """Who acts for the chief, and when: an official of the same district, chosen from a list."""

    district = forms.ChoiceField(label=gettext_lazy("District"))
    delegate = forms.ChoiceField(
        label=gettext_lazy("Acting official"),
        help_text=gettext_lazy(
            "The official of the district who acts for you (รักษาราชการแทน) during the period: "
            "one of the district's officers or chiefs."
        ),
        error_messages={
            "required": gettext_lazy("Choose the acting official."),
            "invalid_choice": gettext_lazy(
                "Choose an official of the district: only its officers and its chief may act for its chief."
            ),
        },
    )
    starts_on = BEDateField(label=gettext_lazy("From"), help_text=date_hint_lazy())
    ends_on = BEDateField(label=gettext_lazy("Until"), help_text=date_hint_lazy())

    def __init__(
        self, *args: Any, districts: list[District], candidates: dict[str, list[Any]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        district_field = self.fields["district"]
        assert isinstance(district_field, forms.ChoiceField)
        district_field.choices = [(d.code, f"{d.code} {area_name(d)}") for d in districts]
        if len(districts) == 1:
            district_field.initial = districts[0].code
        delegate_field = self.fields["delegate"]
        assert isinstance(delegate_field, forms.ChoiceField)
        by_district = [
            (d, [(u.get_username(), _official_label(u)) for u in candidates.get(d.code, [])])
            for d in districts
        ]
        choices: list[Any] = [("", gettext_lazy("Choose an official of the district"))]
        if len(districts) == 1:
            choices += by_district[0][1]
        else:
            choices += [(f"{d.code} {area_name(d)}", options) for d, options in by_district if options]
        delegate_field.choices = choices
        if len(choices) == 1:
            delegate_field.help_text = gettext_lazy(
                "No other official holds a role in your district: ask the administrator to grant one."
            )

    def clean(self) -> dict[str, Any]:
        """The period's own checks, so that they come in the same round as the other errors
        (the service checks them again on save)."""
        data = super().clean() or {}
        starts_on, ends_on = data.get("starts_on"), data.get("ends_on")
        if ends_on is not None and starts_on is not None and starts_on > ends_on:
            self.add_error("ends_on", _("The end date is before the start date."))
        elif ends_on is not None and ends_on < timezone.localdate():
            self.add_error("ends_on", _("The period has already ended."))
        return data


def _chief_districts(user: Any) -> list[District]:
    """The districts where the user is chief in their own right (acting officials cannot delegate)."""
    principal = access.principal_for(user)
    codes = [
        g.district_code
        for g in principal.grants_for([Role.DISTRICT_CHIEF])
        if g.acting_for_id is None and g.district_code
    ]
    return list(District.objects.filter(code__in=codes).order_by("code"))


@login_required
def delegation(request: HttpRequest) -> HttpResponse:
    districts = _chief_districts(request.user)
    if not districts:
        raise PermissionDenied
    candidates = delegation_candidates(district_codes=[d.code for d in districts], exclude_user=request.user)
    form = DelegationForm(request.POST or None, districts=districts, candidates=candidates)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            created = delegation_create(
                acting_user=request.user,
                district=form.cleaned_data["district"],
                delegate=form.cleaned_data["delegate"],
                starts_on=form.cleaned_data["starts_on"],
                ends_on=form.cleaned_data["ends_on"],
            )
        except NotFound as exc:
            raise Http404 from exc
        except DomainError as exc:
            status = 422
            if exc.errors:
                for error in exc.errors:
                    field = error["field"] if error["field"] in form.fields else None
                    form.add_error(field, str(error["message"]))
            else:
                form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                _("%(name)s acts for you from %(start)s until %(end)s.")
                % {
                    "name": _official_label(created.delegate),
                    # As the pages show dates: 6 ธ.ค. 2569 in Thai, 6 Dec 2026 in English.
                    "start": format_date(created.starts_on),
                    "end": format_date(created.ends_on),
                },
            )
            return redirect("delegation")
    elif request.method == "POST":
        status = 422
    context = {"form": form, "delegations": selectors.delegations_given(request.user)}
    return render(request, "approvals/delegation.html", context, status=status)


@login_required
@require_POST
def delegation_end(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        delegation_revoke(acting_user=request.user, delegation=pk)
    except NotFound as exc:
        raise Http404 from exc
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The delegation was ended."))
    return redirect("delegation")


urlpatterns = [
    path("delegation/", delegation, name="delegation"),
    path("delegation/<id:pk>/end/", delegation_end, name="delegation-end"),
]

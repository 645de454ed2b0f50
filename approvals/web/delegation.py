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
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from workflow import access, selectors
from workflow.errors import DomainError, NotFound
from workflow.models import District, Role
from workflow.services.delegation import delegation_create, delegation_revoke
from workflow.web.forms import BEDateField


class DelegationForm(forms.Form):
    district = forms.ChoiceField(label=gettext_lazy("District"))
    delegate = forms.CharField(
        label=gettext_lazy("Acting official (username)"),
        max_length=150,
        widget=forms.TextInput(attrs={"list": "delegate-candidates", "autocomplete": "off"}),
        help_text=gettext_lazy("The official who acts for you (รักษาราชการแทน) during the period."),
    )
    starts_on = BEDateField(label=gettext_lazy("From"))
    ends_on = BEDateField(label=gettext_lazy("Until"))

    def __init__(self, *args: Any, districts: list[District], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        district_field = self.fields["district"]
        assert isinstance(district_field, forms.ChoiceField)
        district_field.choices = [(d.code, f"{d.code} {d.name_th}") for d in districts]
        if len(districts) == 1:
            self.fields["district"].initial = districts[0].code


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
    form = DelegationForm(request.POST or None, districts=districts)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            created = delegation_create(
                acting_user=request.user,
                district=form.cleaned_data["district"],
                delegate=form.cleaned_data["delegate"].strip(),
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
                    "name": created.delegate.get_username(),
                    "start": form.fields["starts_on"].prepare_value(created.starts_on),
                    "end": form.fields["ends_on"].prepare_value(created.ends_on),
                },
            )
            return redirect("delegation")
    elif request.method == "POST":
        status = 422
    context = {
        "form": form,
        "delegations": selectors.delegations_given(request.user),
        "candidates": selectors.usernames_in_districts(
            [d.code for d in districts], exclude_user=request.user
        ),
    }
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
    path("delegation/<int:pk>/end/", delegation_end, name="delegation-end"),
]

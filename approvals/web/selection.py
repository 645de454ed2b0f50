"""Selecting a project from the Tambon Project Bank, and editing it (district officers).

* ``/select/`` (``select-bank``): the bank of the officer's district(s), with the district's budget.
* ``/select/<entry_id>/`` (``select-form``): the project form prefilled from a bank entry.
* ``/projects/<id>/edit/`` (``project-edit``): the same form for a selected or returned project.

Views parse, call a selector or a service, and render; ``workflow.access`` decides who may do what.
An entry outside the officer's districts answers 404 (it is outside their area); a user who is
no district officer at all gets the 403 page.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import NoReverseMatch, path, reverse
from django.utils.translation import gettext as _

from approvals import selection_selectors as bank
from workflow import access, selectors
from workflow.errors import DomainError, Forbidden, IllegalTransition, NotFound
from workflow.models import BankEntry, District, Edition, LineCategory, Project
from workflow.services import projects as project_svc

from . import selection_forms as sf

PAGE_SIZE = 25


def _forbidden(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "approvals/select_forbidden.html", {"message": message}, status=403)


def _not_an_officer(request: HttpRequest) -> HttpResponse:
    return _forbidden(
        request,
        _("Only a district officer selects projects from the Tambon Project Bank for their district."),
    )


def _detail_url(pk: int) -> str:
    try:
        return reverse("project-detail", args=[pk])
    except NoReverseMatch:  # until the project pages land
        return f"/projects/{pk}/"


# --- The bank ---------------------------------------------------------------------------------


@login_required
def select_bank(request: HttpRequest) -> HttpResponse:
    districts = bank.officer_districts(request.user)
    if not districts:
        return _not_an_officer(request)
    codes = [d.code for d in districts]
    subdistricts = list(bank.subdistricts_of(codes))
    filters = sf.BankFilterForm(request.GET or None, subdistricts=subdistricts)
    entries = bank.bank_for_officer(request.user, **filters.filters())
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    edition = selectors.active_edition()
    taken = bank.taken_entries(edition, [entry.pk for entry in page.object_list])
    rows = [
        {"entry": entry, "subdistrict": sf.area_name(entry.subdistrict), "taken_by": taken.get(entry.pk)}
        for entry in page.object_list
    ]
    budgets = [_district_budget(district, edition) for district in districts]
    return render(
        request,
        "approvals/select_bank.html",
        {
            "filters": filters,
            "page": page,
            "rows": rows,
            "budgets": budgets,
            "edition": edition,
            "show_district": len(districts) > 1,
        },
    )


def _district_budget(district: District, edition: Edition | None) -> dict[str, Any]:
    budget = selectors.budget_of(district_code=district.code, edition=edition) if edition else None
    return {
        "district": district,
        "name": sf.area_name(district),
        "budget": budget,
        "used_percent": _percent(budget.committed, budget.cap) if budget else 0,
    }


def _percent(part: Decimal, whole: Decimal) -> int:
    if whole <= 0:
        return 100 if part > 0 else 0
    return max(0, min(100, int(part * 100 / whole)))


# --- The project form -------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """What the form is about: a bank entry being selected, or a project being edited."""

    district: District
    edition: Edition | None
    entry: BankEntry
    project: Project | None = None
    own_budget: Decimal = Decimal("0.00")  # the project's saved budget (already committed)


def _budget_context(target: Target, rows: list[sf.LineRow]) -> dict[str, Any] | None:
    """The district's budget, and what would remain after this project as typed."""
    if target.edition is None:
        return None
    summary = selectors.budget_of(district_code=target.district.code, edition=target.edition)
    committed_other = summary.committed - target.own_budget
    available = summary.cap - committed_other
    total = sf.lines_total(rows)
    after = available - total
    return {
        "summary": summary,
        "committed_other": committed_other,
        "available": available,
        "total": total,
        "after": after,
        "over": after < 0,
        "cap_text": sf.cap_text(committed_other, total, summary.cap),
        "used_percent": _percent(committed_other + total, summary.cap),
    }


def _render_form(
    request: HttpRequest,
    target: Target,
    form: sf.ProjectForm,
    rows: list[sf.LineRow],
    *,
    groups: dict[str, list[str]] | None = None,
    status: int = 200,
) -> HttpResponse:
    groups = groups or {name: [] for name in sf.GROUPS}
    form.describe_errors(groups)
    summary = sf.error_summary(form, rows, groups) if request.method == "POST" else []
    project = target.project
    context = {
        "form": form,
        "rows": sf.with_blank_rows(rows),
        "blank_row": sf.LineRow(index="__i__"),
        "groups": groups,
        "summary": summary,
        "entry": target.entry,
        "entry_subdistrict": sf.area_name(target.entry.subdistrict),
        "district": target.district,
        "district_name": sf.area_name(target.district),
        "edition": target.edition,
        "project": project,
        "detail_url": _detail_url(project.pk) if project else "",
        "budget": _budget_context(target, rows),
        "categories": LineCategory.choices,
        "objective_warning": form.objective_warning(),
        "client_rules": sf.client_rules(),
    }
    return render(request, "approvals/project_form.html", context, status=status)


def _render_unreadable(
    request: HttpRequest, target: Target, form: sf.ProjectForm, rows: list[sf.LineRow]
) -> HttpResponse:
    """Something typed cannot be read: nothing is saved, but every error comes in this round
    (the guideline's rules are run on what could be read, beside the unreadable fields')."""
    project = target.project
    errors = sf.rule_errors_despite_input_errors(
        form,
        rows,
        district_code=target.district.code,
        edition=target.edition,
        exclude_project_id=project.pk if project else None,
    )
    groups = sf.place_errors(form, rows, errors)
    return _render_form(request, target, form, rows, groups=groups, status=422)


def _save_failed(exc: DomainError, form: sf.ProjectForm, rows: list[sf.LineRow]) -> dict[str, list[str]]:
    if exc.errors:
        return sf.place_errors(form, rows, exc.errors)
    groups: dict[str, list[str]] = {name: [] for name in sf.GROUPS}
    groups["__all__"].append(str(exc.message))
    return groups


@login_required
def select_form(request: HttpRequest, entry_id: int) -> HttpResponse:
    if not bank.officer_district_codes(request.user):
        return _not_an_officer(request)
    try:
        entry = bank.bank_entry_for_officer(request.user, entry_id)
    except NotFound:
        raise Http404 from None
    district = entry.subdistrict.district
    target = Target(district=district, edition=selectors.active_edition(), entry=entry)
    subdistricts = list(bank.subdistricts_of([district.code]))
    if request.method != "POST":
        form = sf.ProjectForm(initial=sf.initial_from_entry(entry), subdistricts=subdistricts)
        return _render_form(request, target, form, [])

    form = sf.ProjectForm(request.POST, subdistricts=subdistricts)
    rows = sf.lines_from_post(request.POST)
    lines = sf.clean_lines(rows)
    if not form.is_valid() or lines is None:
        return _render_unreadable(request, target, form, rows)
    try:
        project = project_svc.project_create(
            acting_user=request.user, bank_entry=entry, data=form.to_input(lines)
        )
    except Forbidden as exc:
        return _forbidden(request, str(exc.message))
    except DomainError as exc:
        groups = _save_failed(exc, form, rows)
        return _render_form(request, target, form, rows, groups=groups, status=exc.status)
    messages.success(request, _("The project “%(title)s” was saved.") % {"title": project.title})
    return HttpResponseRedirect(_detail_url(project.pk))


@login_required
def project_edit(request: HttpRequest, pk: int) -> HttpResponse:
    # The visible-projects selector brings the bank entry, the lines and the subdistricts along.
    project = selectors.project_list_visible(request.user, pk=pk).first()
    if project is None:
        raise Http404
    principal = access.principal_for(request.user)
    if not access.may_act_at_all(principal, project, "update"):
        return _forbidden(request, _("Only an officer of the project's district may change it."))
    if not access.may_update(principal, project):
        return _not_editable(request, project)
    lines = list(project.budget_lines.all())
    target = Target(
        district=project.district,
        edition=project.edition,
        entry=project.bank_entry,
        project=project,
        own_budget=selectors.baht(sum((line.amount for line in lines), Decimal("0.00"))),
    )
    subdistricts = list(bank.subdistricts_of([project.district_id]))
    if request.method != "POST":
        form = sf.ProjectForm(initial=sf.initial_from_project(project), subdistricts=subdistricts)
        return _render_form(request, target, form, sf.lines_from_project(lines))

    form = sf.ProjectForm(request.POST, subdistricts=subdistricts)
    rows = sf.lines_from_post(request.POST)
    cleaned = sf.clean_lines(rows)
    if not form.is_valid() or cleaned is None:
        return _render_unreadable(request, target, form, rows)
    try:
        project_svc.project_update(acting_user=request.user, project=project.pk, data=form.to_input(cleaned))
    except IllegalTransition:  # the state changed since the page was opened
        return _not_editable(request, project)
    except Forbidden as exc:
        return _forbidden(request, str(exc.message))
    except NotFound:
        raise Http404 from None
    except DomainError as exc:  # rule violations, invalid input, a concurrent change (409)
        groups = _save_failed(exc, form, rows)
        return _render_form(request, target, form, rows, groups=groups, status=exc.status)
    messages.success(
        request, _("The changes to “%(title)s” were saved.") % {"title": form.cleaned_data["title"]}
    )
    return HttpResponseRedirect(_detail_url(project.pk))


def _not_editable(request: HttpRequest, project: Project) -> HttpResponse:
    messages.warning(
        request,
        _("This project can no longer be changed: it is %(state)s.") % {"state": project.get_state_display()},
    )
    return HttpResponseRedirect(_detail_url(project.pk))


urlpatterns = [
    path("select/", select_bank, name="select-bank"),
    path("select/<id:entry_id>/", select_form, name="select-form"),
    path("projects/<id:pk>/edit/", project_edit, name="project-edit"),
]

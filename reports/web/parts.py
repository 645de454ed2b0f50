"""Pages of parts 1 and 2 of the report book, which the district office fills in.

* ``/districts/<code>/book/profile/`` (``district-profile-edit``): part 1, the district profile.
* ``/districts/<code>/book/drive/`` (``district-drive-edit``): part 2, how the project was driven.

The district's officers and chief (and an acting chief) get the form; whoever else may see
the district (provincial officer, inspector, planner, auditor…) reads the same page without
a form; a district outside the user's area answers 404. Views parse, call ``reports.parts``
and render. Repeatable rows are formsets: the "add rows" button posts and comes back with
more empty rows (nothing is saved); ``static/rolemodel/book-forms.js`` adds one row in the
page instead, without a round trip.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import groupby
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.utils import translation
from django.utils.translation import gettext as _

from reports import parts
from reports.models import DistrictProfile, DriveReport, ProfileFact
from workflow.errors import Conflict, DomainError, Forbidden, NotFound
from workflow.models import District, Edition

from . import parts_forms as pf

FACT_FIELDS = ("table", "label", "value", "unit")
TEAM_FIELDS = ("name", "office", "team_role")
MEETING_FIELDS = ("date", "topic", "resolution")
ACTIVITY_FIELDS = ("date", "title", "participants", "result")


def area_name(area: Any) -> str:
    """An area's Thai name in Thai, its English name (when known) in English."""
    english = str(getattr(area, "name_en", "") or "")
    if english and not (translation.get_language() or "th").startswith("th"):
        return english
    return str(area.name_th)


def _book_url(district: District) -> str:
    return reverse("district-book", kwargs={"code": district.code})


def _unavailable(request: HttpRequest, error: DomainError, title: str) -> HttpResponse:
    return render(
        request,
        "reports/part_unavailable.html",
        {"message": str(error.message), "title": title},
        status=error.status,
    )


def _base_context(district: District, edition: Edition, obj: DistrictProfile | DriveReport) -> dict[str, Any]:
    return {
        "district": district,
        "district_name": area_name(district),
        "province_name": area_name(district.province),
        "edition": edition,
        "saved": obj.pk is not None,
        "book_url": _book_url(district),
    }


def _edit_state(form: pf.DescribedForm, formsets: Sequence[pf.RowFormSet]) -> dict[str, Any]:
    form.describe_errors()
    for formset in formsets:
        formset.describe_errors()
    summary = pf.error_summary(form, formsets) if form.is_bound else []
    return {"form": form, "formsets": formsets, "summary": summary}


def _validate(form: pf.DescribedForm, formsets: Sequence[pf.RowFormSet]) -> bool:
    valid = form.is_valid()
    for formset in formsets:
        valid = formset.is_valid() and valid
    return valid


def _wants_rows(request: HttpRequest) -> bool:
    """The "add rows" button (without JavaScript): come back with more empty rows, save nothing."""
    return "add_rows" in request.POST


# --- Part 1 ---------------------------------------------------------------------------------


def _fact_groups(facts: list[ProfileFact]) -> list[tuple[str, list[ProfileFact]]]:
    """Consecutive rows under the same heading make one small table."""
    return [(heading, list(rows)) for heading, rows in groupby(facts, key=lambda fact: fact.table)]


def _render_profile(
    request: HttpRequest,
    district: District,
    edition: Edition,
    profile: DistrictProfile,
    *,
    can_edit: bool,
    form: pf.ProfileForm | None = None,
    facts: pf.RowFormSet | None = None,
    problems: Sequence[str] = (),
    stale: bool = False,
    status: int = 200,
) -> HttpResponse:
    subdistricts = [{"code": s.code, "name": area_name(s)} for s in parts.subdistricts_of(district)]
    copied_from = profile.copied_from if profile.pk is None else None
    context: dict[str, Any] = {
        **_base_context(district, edition, profile),
        "profile": profile,
        "copied_edition": copied_from.edition if copied_from is not None else None,
        "subdistricts": subdistricts,
        "can_edit": can_edit,
        "problems": list(problems),
        "stale": stale,
    }
    if can_edit and form is not None and facts is not None:
        context.update(_edit_state(form, [facts]))
        context["facts"] = facts
    else:
        context["fact_groups"] = _fact_groups(parts.profile_facts(profile))
    return render(request, "reports/profile_form.html", context, status=status)


@login_required
def profile_edit(request: HttpRequest, code: str) -> HttpResponse:
    try:
        district, edition, profile = parts.profile_for_edit(request.user, code)
    except NotFound:
        raise Http404 from None
    except Conflict as exc:
        return _unavailable(
            request, exc, _("Part 1: Basic data of the district and key data for area development")
        )
    if not parts.may_edit(request.user, district):
        if request.method == "POST":
            problem = _("Only the district's officers and chief may change the report book.")
            return _render_profile(
                request, district, edition, profile, can_edit=False, problems=[problem], status=403
            )
        return _render_profile(request, district, edition, profile, can_edit=False)

    if request.method != "POST":
        form = pf.ProfileForm(initial=pf.profile_initial(profile))
        facts = pf.row_formset(pf.FACTS, initial=pf.rows_initial(parts.profile_facts(profile), FACT_FIELDS))
        return _render_profile(request, district, edition, profile, can_edit=True, form=form, facts=facts)

    form = pf.ProfileForm(request.POST)
    facts = pf.row_formset(pf.FACTS, data=request.POST)
    if not _validate(form, [facts]):
        return _render_profile(
            request, district, edition, profile, can_edit=True, form=form, facts=facts, status=422
        )
    if _wants_rows(request):
        fresh = pf.ProfileForm(initial=form.cleaned_data)
        more = pf.row_formset(pf.FACTS, initial=pf.kept_initial(facts))
        return _render_profile(request, district, edition, profile, can_edit=True, form=fresh, facts=more)
    try:
        parts.district_profile_update(
            district=district, acting_user=request.user, data=form.to_input(facts.rows())
        )
    except NotFound:
        raise Http404 from None
    except Forbidden as exc:
        return _render_profile(
            request, district, edition, profile, can_edit=False, problems=[str(exc.message)], status=403
        )
    except DomainError as exc:  # invalid input, a stale form, no open edition
        problems = pf.bind_errors(exc.errors, form, [facts]) if exc.errors else [str(exc.message)]
        return _render_profile(
            request,
            district,
            edition,
            profile,
            can_edit=True,
            form=form,
            facts=facts,
            problems=problems,
            stale=exc.code == "stale_edit",
            status=exc.status,
        )
    messages.success(
        request,
        _("Part 1 of the report book of %(district)s was saved.") % {"district": area_name(district)},
    )
    return HttpResponseRedirect(_book_url(district))


# --- Part 2 ---------------------------------------------------------------------------------


def _render_drive(
    request: HttpRequest,
    district: District,
    edition: Edition,
    report: DriveReport,
    *,
    can_edit: bool,
    form: pf.DriveForm | None = None,
    formsets: Sequence[pf.RowFormSet] = (),
    problems: Sequence[str] = (),
    stale: bool = False,
    status: int = 200,
) -> HttpResponse:
    context: dict[str, Any] = {
        **_base_context(district, edition, report),
        "report": report,
        "can_edit": can_edit,
        "problems": list(problems),
        "stale": stale,
    }
    if can_edit and form is not None:
        context.update(_edit_state(form, formsets))
    else:
        context["rows"] = parts.drive_rows(report)
    return render(request, "reports/drive_form.html", context, status=status)


def _drive_formsets(data: Any = None, report: DriveReport | None = None) -> list[pf.RowFormSet]:
    if report is None:
        return [pf.row_formset(kind, data=data) for kind in (pf.TEAM, pf.MEETINGS, pf.ACTIVITIES)]
    rows = parts.drive_rows(report)
    return [
        pf.row_formset(pf.TEAM, initial=pf.rows_initial(rows.team, TEAM_FIELDS)),
        pf.row_formset(pf.MEETINGS, initial=pf.rows_initial(rows.meetings, MEETING_FIELDS)),
        pf.row_formset(pf.ACTIVITIES, initial=pf.rows_initial(rows.activities, ACTIVITY_FIELDS)),
    ]


@login_required
def drive_edit(request: HttpRequest, code: str) -> HttpResponse:
    try:
        district, edition, report = parts.drive_report_for_edit(request.user, code)
    except NotFound:
        raise Http404 from None
    except Conflict as exc:
        return _unavailable(
            request, exc, _("Part 2: Driving the Integrated Tambon Development Project (Tambon Smart Team)")
        )
    if not parts.may_edit(request.user, district):
        if request.method == "POST":
            problem = _("Only the district's officers and chief may change the report book.")
            return _render_drive(
                request, district, edition, report, can_edit=False, problems=[problem], status=403
            )
        return _render_drive(request, district, edition, report, can_edit=False)

    if request.method != "POST":
        form = pf.DriveForm(initial=pf.drive_initial(report))
        return _render_drive(
            request,
            district,
            edition,
            report,
            can_edit=True,
            form=form,
            formsets=_drive_formsets(report=report),
        )

    form = pf.DriveForm(request.POST)
    formsets = _drive_formsets(data=request.POST)
    team, meetings, activities = formsets
    if not _validate(form, formsets):
        return _render_drive(
            request, district, edition, report, can_edit=True, form=form, formsets=formsets, status=422
        )
    if _wants_rows(request):
        fresh = pf.DriveForm(initial=form.cleaned_data)
        more = [
            pf.row_formset(kind, initial=pf.kept_initial(formset))
            for kind, formset in zip((pf.TEAM, pf.MEETINGS, pf.ACTIVITIES), formsets, strict=True)
        ]
        return _render_drive(request, district, edition, report, can_edit=True, form=fresh, formsets=more)
    try:
        parts.drive_report_update(
            district=district,
            acting_user=request.user,
            data=form.to_input(team.rows(), meetings.rows(), activities.rows()),
        )
    except NotFound:
        raise Http404 from None
    except Forbidden as exc:
        return _render_drive(
            request, district, edition, report, can_edit=False, problems=[str(exc.message)], status=403
        )
    except DomainError as exc:
        problems = pf.bind_errors(exc.errors, form, formsets) if exc.errors else [str(exc.message)]
        return _render_drive(
            request,
            district,
            edition,
            report,
            can_edit=True,
            form=form,
            formsets=formsets,
            problems=problems,
            stale=exc.code == "stale_edit",
            status=exc.status,
        )
    messages.success(
        request,
        _("Part 2 of the report book of %(district)s was saved.") % {"district": area_name(district)},
    )
    return HttpResponseRedirect(_book_url(district))


urls: list[URLPattern] = [
    path("districts/<str:code>/book/profile/", profile_edit, name="district-profile-edit"),
    path("districts/<str:code>/book/drive/", drive_edit, name="district-drive-edit"),
]

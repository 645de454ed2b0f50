"""Project pages: the list, a project's page, one page per transition, evidence files, comments,
and the district's submission.

Views parse, call a selector or a service, and render. Who may see or do what is asked of
``workflow.access``; the services decide and record every change.
"""

from __future__ import annotations

import mimetypes
import os
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from notifications.services import notification_mark_read_for_project
from workflow import access, part3, selectors, transitions
from workflow.audit_actions import action_label
from workflow.errors import DomainError, Forbidden, NotFound, RuleViolation
from workflow.models import (
    AuditEvent,
    EvidenceFile,
    MonitoringRecord,
    Project,
    State,
)
from workflow.models.projects import FINAL_STATES, RELEASED_STATES
from workflow.services import projects as svc
from workflow.transitions import Input

from .progress import progress_section
from .project_forms import (
    BaseSpendLineFormSet,
    CommentForm,
    EvidenceUploadForm,
    ImplementForm,
    MonitorForm,
    ProjectFilterForm,
    ReportForm,
    SubmissionForm,
    TransitionForm,
    bind_domain_errors,
    spend_line_formset,
)

PAGE_SIZE = 25

# What each audit action reads as in a project's timeline (the others: the catalogue's label).
ACTION_LABELS: dict[str, Any] = {
    "create": gettext_lazy("Selected from the project bank"),
    "update": gettext_lazy("Changed the project"),
    "approve": gettext_lazy("Approved"),
    "return": gettext_lazy("Returned"),
    "reject": gettext_lazy("Rejected"),
    "withdraw": gettext_lazy("Withdrew"),
    "resubmit": gettext_lazy("Resubmitted for approval"),
    "implement": gettext_lazy("Recorded the implementation"),
    "monitor": gettext_lazy("Recorded the monitoring"),
    "report": gettext_lazy("Reported the results"),
    "submit": gettext_lazy("Submitted with the district's report"),
    "comment": gettext_lazy("Commented"),
    "evidence_add": gettext_lazy("Added a file"),
}

# The help and success message of each transition (its button and title: ``_action_label``), and which end a
# project (styled as such, and confirmed before they post): from ``workflow.transitions``.
TRANSITION_HELP: dict[str, Any] = {a: transitions.first(a).help for a in transitions.PROJECT_ACTIONS}
SUCCESS_MESSAGES: dict[str, Any] = {a: transitions.first(a).success for a in transitions.PROJECT_ACTIONS}
DANGEROUS = frozenset(t.action for t in transitions.TRANSITIONS if t.ends and t.per_project)

# A project's state as a badge colour (the stylesheet's badge classes).
STATE_BADGE: dict[str, str] = {
    State.SELECTED: "",
    State.RETURNED: "returned",
    State.APPROVED: "approved",
    State.IMPLEMENTED: "ok",
    State.MONITORED: "ok",
    State.REPORTED: "ok",
    State.SUBMITTED: "submitted",
    State.REJECTED: "rejected",
    State.WITHDRAWN: "warn",
}


@dataclass(frozen=True)
class _Area:
    name_th: str
    name_en: str


def area_name(area: Any) -> str:
    """The English name in the English UI when there is one, else the official Thai name."""
    english = str(getattr(area, "name_en", "") or "")
    if english and (translation.get_language() or "th").startswith("en"):
        return english
    return str(area.name_th)


@dataclass(frozen=True)
class FileItem:
    """An evidence file as a list shows it: its caption, else the file's own name."""

    file: EvidenceFile

    @property
    def pk(self) -> int:
        return int(self.file.pk)

    @property
    def name(self) -> str:
        return self.file.caption or os.path.basename(self.file.file.name)


def _visible_project(user: Any, pk: Any) -> Project:
    try:
        return selectors.project_get_visible(user, pk)
    except NotFound as exc:
        raise Http404 from exc


def _is_overdue(project: Project) -> bool:
    return project.state not in FINAL_STATES and timezone.localdate() > project.edition.deadline


# --- The list ---------------------------------------------------------------------------


@dataclass
class ProjectRow:
    project: Project
    district_name: str
    budget: Decimal
    badge: str
    overdue: bool


def _filter_choices(user: Any) -> dict[str, list[tuple[str, str]]]:
    """Provinces and districts among the projects the user sees (one query); every edition."""
    areas = (
        selectors.project_list_visible(user)
        .prefetch_related(None)
        .order_by()
        .values_list(
            "district_id",
            "district__name_th",
            "district__name_en",
            "district__province_id",
            "district__province__name_th",
            "district__province__name_en",
        )
        .distinct()
    )
    districts: dict[str, str] = {}
    provinces: dict[str, str] = {}
    for d_code, d_th, d_en, p_code, p_th, p_en in areas:
        districts[d_code] = area_name(_Area(d_th, d_en))
        provinces[p_code] = area_name(_Area(p_th, p_en))
    return {
        "districts": [(code, f"{code} {districts[code]}") for code in sorted(districts)],
        "provinces": [(code, f"{code} {provinces[code]}") for code in sorted(provinces)],
        "editions": [(e.code, f"{e.code} {e.title}") for e in selectors.editions()],
    }


@login_required
def project_list(request: HttpRequest) -> HttpResponse:
    form = ProjectFilterForm(request.GET or None, **_filter_choices(request.user))
    chosen = form.filters() if form.is_valid() else {}
    lookups = {
        "state": "state",
        "province": "district__province_id",
        "district": "district_id",
        "edition": "edition__code",
        "dimension": "dimension",
    }
    projects = selectors.project_list_visible(
        request.user, **{lookups[k]: v for k, v in chosen.items() if k in lookups}
    )
    text = chosen.get("q", "").strip()
    if text:
        matches = Q(title__icontains=text) | Q(bank_entry__code__iexact=text)
        if text.isdigit():
            matches |= Q(pk=int(text))
        projects = projects.filter(matches)
    page = Paginator(projects.order_by("-updated_at", "-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [
        ProjectRow(
            project=p,
            district_name=area_name(p.district),
            budget=selectors.project_budget(p),
            badge=STATE_BADGE.get(p.state, ""),
            overdue=_is_overdue(p),
        )
        for p in page
    ]
    return render(
        request,
        "approvals/project_list.html",
        {"form": form, "page": page, "rows": rows, "filtered": bool(chosen)},
    )


# --- A project's page ---------------------------------------------------------------------


@dataclass
class TimelineEntry:
    event: AuditEvent
    label: str
    role: str


def _upload_kind(principal: access.Principal, project: Project) -> str | None:
    """Which kind of file the user may add now: the officer's evidence while the project is
    approved, the inspector's photos while it is implemented (as ``evidence_add`` decides)."""
    if access.action_grant(principal, project, "implement") is not None:
        return EvidenceFile.Kind.EVIDENCE
    if access.action_grant(principal, project, "monitor") is not None:
        return EvidenceFile.Kind.MONITORING_PHOTO
    return None


def _project_for_page(project: Project) -> Project:
    """The visible project again, with everything its page shows fetched in a fixed number of queries."""
    return (
        selectors.project_base_queryset()
        .select_related("bank_entry")
        .prefetch_related(
            "spend_lines",
            Prefetch("evidence_files", queryset=EvidenceFile.objects.select_related("uploaded_by")),
            Prefetch("monitoring_records", queryset=MonitoringRecord.objects.select_related("inspector")),
        )
        .get(pk=project.pk)
    )


def _action_label(name: str, project: Project) -> str:
    """The label of the row the project's state picks (``return`` reads differently per state)."""
    row = transitions.row_for(name, project.state) or transitions.first(name)
    return str(row.label)


def _detail_context(
    request: HttpRequest,
    pk: Any,
    *,
    comment_form: CommentForm | None = None,
    upload_form: EvidenceUploadForm | None = None,
    progress_forms: dict[str, Any] | None = None,
) -> dict[str, Any]:
    user = request.user
    principal = access.principal_for(user)
    project = _project_for_page(_visible_project(user, pk))
    budget = selectors.budget_of(district_code=project.district_id, edition=project.edition)
    rules = selectors.rules_failed_first(selectors.project_rule_results(project, budget=budget))
    events = list(selectors.project_history(user, project.pk).order_by("id"))
    timeline = [
        TimelineEntry(event=e, label=str(ACTION_LABELS.get(e.action) or action_label(e.action)), role=e.role)
        for e in events
    ]
    spend_lines = list(project.spend_lines.all())
    budget_lines = list(project.budget_lines.all())
    can_comment = access.comment_grant(principal, project) is not None
    upload_kind = _upload_kind(principal, project)
    may_submit = access.submit_grant(principal, project.district) is not None
    checklist = [
        (Project._meta.get_field(f"do_{key}").verbose_name, value)
        for key, value in project.do_checklist.items()
    ]
    transitions = [
        {"name": name, "label": _action_label(name, project), "danger": name in DANGEROUS}
        for name in access.available_transitions(principal, project)
    ]
    transitions.sort(key=lambda t: bool(t["danger"]))  # the ending actions last
    return {
        "project": project,
        "district_name": area_name(project.district),
        "province_name": area_name(project.district.province),
        "subdistricts": sorted((s.code, area_name(s)) for s in project.subdistricts.all()),
        "badge": STATE_BADGE.get(project.state, ""),
        "overdue": _is_overdue(project),
        "budget_lines": budget_lines,
        "spend_lines": spend_lines,
        "spend_total": sum((line.amount for line in spend_lines), Decimal("0.00")),
        "checklist": checklist,
        "rules": rules,
        "rules_failed": sum(1 for r in rules if not r.passed),
        "rules_passed": sum(1 for r in rules if r.passed),
        "warnings": selectors.project_warnings(project),
        **_meter(project, budget),
        "timeline": timeline,
        "comments": [e for e in events if e.action == "comment"],
        "evidence_files": [FileItem(e) for e in project.evidence_files.all()],
        "monitoring_records": list(project.monitoring_records.all()),
        "transitions": transitions,
        "comment_form": (comment_form or CommentForm()) if can_comment else None,
        "upload_form": (upload_form or EvidenceUploadForm()) if upload_kind else None,
        "upload_kind_label": EvidenceFile.Kind(upload_kind).label if upload_kind else "",
        "district_link": may_submit,
        "may_edit": access.may_update(principal, project),
        "may_audit": access.may_read_all_history(principal),
        "submission_link": project.state in (State.REPORTED, State.SUBMITTED) or may_submit,
        **progress_section(principal, project, progress_forms),
        **_part3_context(project),
    }


def _part3_context(project: Project) -> dict[str, Any]:
    """Part 3 as the project holds it, and (before approval) the plan's parts still blank."""
    before_approval = project.state in (State.SELECTED, State.RETURNED)
    return {
        "part3_plan": part3.sections(project, part3.PLAN_FIELDS),
        "part3_results": part3.sections(project, part3.RESULT_FIELDS),
        "part3_reported": project.state in (State.REPORTED, State.SUBMITTED)
        or any(getattr(project, name) for name in part3.RESULT_FIELDS),
        "plan_missing": [str(part3.label(n)) for n in part3.missing_for_approval(project)]
        if before_approval
        else [],
    }


@login_required
def project_detail(request: HttpRequest, pk: int) -> HttpResponse:
    context = _detail_context(request, pk)
    # Opening the project reads the viewer's notices about it (one UPDATE). When some were
    # marked, the header's unread count is the one the service read after it (not read twice).
    read = notification_mark_read_for_project(project=context["project"], acting_user=request.user)
    if read.unread_count is not None:
        context["unread_count"] = read.unread_count
    return render(request, "approvals/project_detail.html", context)


def _forbidden(request: HttpRequest, project: Project | None, error: DomainError) -> HttpResponse:
    return render(
        request, "approvals/action_denied.html", {"project": project, "message": str(error)}, status=403
    )


@login_required
@require_POST
def project_comment(request: HttpRequest, pk: int) -> HttpResponse:
    project = _visible_project(request.user, pk)
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            svc.project_comment(
                project=project.pk, acting_user=request.user, comment=form.cleaned_data["comment"]
            )
        except NotFound as exc:
            raise Http404 from exc
        except Forbidden as exc:
            return _forbidden(request, project, exc)
        except DomainError as exc:
            rest = bind_domain_errors(exc.errors, form)
            if rest or not exc.errors:
                messages.error(request, str(exc))
        else:
            messages.success(request, _("Your comment is added."))
            return redirect(reverse("project-detail", args=[project.pk]) + "#comments")
    context = _detail_context(request, pk, comment_form=form)
    return render(request, "approvals/project_detail.html", context, status=422)


def _safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return default


@login_required
@require_POST
def evidence_upload(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    project = _visible_project(user, pk)
    form = EvidenceUploadForm(request.POST, request.FILES)
    if form.is_valid():
        kind = _upload_kind(access.principal_for(user), project) or EvidenceFile.Kind.EVIDENCE
        try:
            svc.evidence_add(
                project=project.pk,
                acting_user=user,
                uploaded=form.cleaned_data["file"],
                caption=form.cleaned_data["caption"],
                kind=kind,
            )
        except NotFound as exc:
            raise Http404 from exc
        except Forbidden as exc:
            return _forbidden(request, project, exc)
        except DomainError as exc:
            rest = bind_domain_errors(exc.errors, form)
            if rest or not exc.errors:
                messages.error(request, str(exc))
        else:
            messages.success(request, _("The file is added."))
            return redirect(_safe_next(request, reverse("project-detail", args=[project.pk]) + "#evidence"))
    context = _detail_context(request, pk, upload_form=form)
    return render(request, "approvals/project_detail.html", context, status=422)


@login_required
def evidence_download(request: HttpRequest, pk: int, eid: int) -> HttpResponseBase:
    try:
        evidence = selectors.evidence_get_visible(request.user, pk, eid)
    except NotFound as exc:
        raise Http404 from exc
    try:
        handle = evidence.file.open("rb")
    except (FileNotFoundError, OSError) as exc:
        raise Http404 from exc
    name = os.path.basename(evidence.file.name)
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    # Always a download (an <img> still shows a photo): nothing a district uploads runs in the
    # site's origin, and ``nosniff`` (settings) keeps the browser to the declared type.
    return FileResponse(handle, as_attachment=True, filename=name, content_type=content_type)


# --- One page per transition --------------------------------------------------------------


@dataclass
class ActionPage:
    """Everything one transition's page needs; ``form`` and ``formset`` keep what was typed."""

    name: str
    project: Project
    form: forms.Form
    formset: BaseSpendLineFormSet | None = None
    row_of_line: tuple[int, ...] = ()
    evidence: tuple[FileItem, ...] = ()


def _evidence_of(project: Project, kind: str) -> list[FileItem]:
    files = project.evidence_files.filter(kind=kind).select_related("uploaded_by").order_by("id")
    return [FileItem(e) for e in files]


def _build_page(request: HttpRequest, name: str, project: Project) -> ActionPage:
    kind = transitions.first(name).input
    data = request.POST if request.method == "POST" else None
    files = request.FILES if request.method == "POST" else None
    if kind == Input.IMPLEMENTATION:
        evidence = _evidence_of(project, EvidenceFile.Kind.EVIDENCE)
        choices = [(str(e.pk), e.name) for e in evidence]
        initial: dict[str, Any] = {
            "activities_done": project.activities_done,
            "villages_reached": project.villages_reached,
            "households_reached": project.households_reached,
            "evidence": [str(e.pk) for e in evidence],
        }
        form: forms.Form = ImplementForm(data, files, initial=initial, evidence_choices=choices)
        existing = [
            {"description": s.description, "category": s.category, "amount": s.amount}
            for s in project.spend_lines.all()
        ]
        formset_class = spend_line_formset(extra=2 if existing else 5)
        formset = formset_class(data, initial=existing or None, prefix="lines")
        return ActionPage(name, project, form, formset=formset, evidence=tuple(evidence))
    if kind == Input.MONITORING:
        photos = _evidence_of(project, EvidenceFile.Kind.MONITORING_PHOTO)
        return ActionPage(name, project, MonitorForm(data, files), evidence=tuple(photos))
    if kind == Input.REPORT:
        initial = {name: getattr(project, name) for name in part3.RESULT_FIELDS}
        return ActionPage(name, project, ReportForm(data, initial=initial))
    return ActionPage(name, project, TransitionForm(data, comment_required=name in svc.COMMENT_REQUIRED))


def _add_files(
    request: HttpRequest, project: Project, uploads: list[Any], caption: str, kind: str
) -> list[EvidenceFile]:
    return [
        svc.evidence_add(project=project.pk, acting_user=request.user, uploaded=u, caption=caption, kind=kind)
        for u in uploads
    ]


def _perform(request: HttpRequest, page: ActionPage) -> None:
    """Call the transition's service with what the form parsed (files are added first)."""
    data = page.form.cleaned_data
    kind = transitions.first(page.name).input
    inputs: dict[str, Any] = {}
    if kind == Input.IMPLEMENTATION:
        assert page.formset is not None and isinstance(page.form, ImplementForm)
        added = _add_files(request, page.project, data["new_files"], data["new_caption"], "evidence")
        ids = [int(i) for i in data["evidence"]] + [e.pk for e in added]
        numbered = page.formset.lines()
        page.row_of_line = tuple(row for row, _line in numbered)
        inputs["record"] = page.form.implementation([line for _row, line in numbered], ids)
    elif kind == Input.MONITORING:
        _add_files(request, page.project, data["photos"], data["photo_caption"], "monitoring_photo")
        inputs.update(findings=data["findings"], recommendations=data.get("recommendations", ""))
    elif kind == Input.REPORT:
        inputs.update({name: data.get(name, "") for name in part3.RESULT_FIELDS})
    svc.project_transition(
        action=page.name,
        project=page.project.pk,
        acting_user=request.user,
        comment=data.get("comment", ""),
        **inputs,
    )


def _uploaded_in_failed_post(request: HttpRequest, page: ActionPage) -> ActionPage:
    """After a failed post that already stored new files, show them ticked in a fresh list."""
    if page.name != "implement" or not isinstance(page.form, ImplementForm):
        if page.name == "monitor":
            page.evidence = tuple(_evidence_of(page.project, EvidenceFile.Kind.MONITORING_PHOTO))
        return page
    evidence = _evidence_of(page.project, EvidenceFile.Kind.EVIDENCE)
    known = {str(e.pk) for e in page.evidence}
    field = page.form.fields["evidence"]
    assert isinstance(field, forms.MultipleChoiceField)
    field.choices = [(str(e.pk), e.name) for e in evidence]
    ticked = set(request.POST.getlist("evidence")) | {str(e.pk) for e in evidence if str(e.pk) not in known}
    data = request.POST.copy()
    data.setlist("evidence", sorted(ticked))
    page.form.data = data
    page.evidence = tuple(evidence)
    return page


@login_required
def project_action(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    if name not in transitions.PROJECT_ACTIONS:
        raise Http404
    user = request.user
    project = _visible_project(user, pk)
    try:
        svc.transition_precheck(project=project.pk, acting_user=user, action=name)
    except NotFound as exc:
        raise Http404 from exc
    except Forbidden as exc:
        return _forbidden(request, project, exc)
    except DomainError as exc:
        return _unavailable(request, project, name, exc)
    page = _build_page(request, name, project)
    status = 200
    problems: list[dict[str, Any]] = []
    alert = ""
    if request.method == "POST":
        valid = page.form.is_valid() and (page.formset is None or page.formset.is_valid())
        if valid:
            try:
                _perform(request, page)
            except NotFound as exc:
                raise Http404 from exc
            except Forbidden as exc:
                return _forbidden(request, project, exc)
            except DomainError as exc:
                alert = str(exc)
                if isinstance(exc, RuleViolation):
                    problems = list(exc.errors)
                else:
                    problems = bind_domain_errors(exc.errors, page.form, page.formset, page.row_of_line)
                status = exc.status if exc.status in (409, 422) else 422
                page = _uploaded_in_failed_post(request, page)
            else:
                messages.success(request, str(SUCCESS_MESSAGES[name]))
                return redirect("project-detail", pk=project.pk)
        else:
            status = 422
            alert = _("Some fields are not valid.")
            if request.FILES:
                alert += " " + _("The files you chose were not stored; choose them again.")
    return _render_action(request, page, status=status, alert=alert, problems=problems)


def _render_action(
    request: HttpRequest, page: ActionPage, *, status: int, alert: str, problems: list[dict[str, Any]]
) -> HttpResponse:
    project = page.project
    template = {
        Input.IMPLEMENTATION: "approvals/action_implement.html",
        Input.MONITORING: "approvals/action_monitor.html",
        Input.REPORT: "approvals/action_report.html",
    }.get(transitions.first(page.name).input, "approvals/action_form.html")
    context: dict[str, Any] = {
        "name": page.name,
        "title": _action_label(page.name, project),
        "help": TRANSITION_HELP[page.name],
        "project": project,
        "district_name": area_name(project.district),
        "badge": STATE_BADGE.get(project.state, ""),
        "form": page.form,
        "formset": page.formset,
        "evidence": page.evidence,
        "alert": alert,
        "problems": problems,
        "danger": page.name in DANGEROUS,
        "confirm": page.name in DANGEROUS,
        "may_edit": page.name == "resubmit",
    }
    if page.name in ("approve", "resubmit", "monitor"):
        full = _project_for_page(project)
        budget = selectors.budget_of(district_code=full.district_id, edition=full.edition)
        context.update(_meter(full, budget))
        context["warnings"] = selectors.project_warnings(full)
    if page.name in ("approve", "resubmit"):
        context.update(_part3_context(full))
        rules = selectors.rules_failed_first(selectors.project_rule_results(full, budget=budget))
        context["rules"] = rules
        context["rules_failed"] = sum(1 for r in rules if not r.passed)
        context["rules_passed"] = sum(1 for r in rules if r.passed)
    if page.name in ("monitor", "report"):
        context["monitoring_records"] = list(
            project.monitoring_records.select_related("inspector").order_by("id")
        )
    if page.name == "monitor":
        context["spend_total"] = sum((line.amount for line in project.spend_lines.all()), Decimal("0.00"))
        context["implementation_files"] = _evidence_of(project, EvidenceFile.Kind.EVIDENCE)
    if page.name == "implement" and page.formset is not None:
        context["budget_total"] = selectors.project_budget(_project_for_page(project))
        if page.formset.is_bound:
            context["spend_total"] = page.formset.total()
        else:
            context["spend_total"] = sum(
                (Decimal(row.get("amount") or 0) for row in page.formset.initial or []), Decimal("0.00")
            )
    return render(request, template, context, status=status)


def _meter(project: Project, budget: selectors.BudgetSummary) -> dict[str, Any]:
    """The district's budget meter with the same figures as the budget rule's sentence: what the
    district's other projects commit, this project, their total against the cap, and spending."""
    own = selectors.project_budget(project)
    live = project.state not in RELEASED_STATES
    return {
        "budget": budget,
        "budget_total": own,
        "budget_other": budget.committed - (own if live else Decimal("0.00")),
        "budget_over": budget.remaining < 0,
        "budget_share": f"{budget.share(budget.committed):.1f}",
        "spent_share": f"{budget.share(budget.spent):.1f}",
        "spent_over": budget.spent > budget.cap,
    }


def _unavailable(request: HttpRequest, project: Project, name: str, error: DomainError) -> HttpResponse:
    return render(
        request,
        "approvals/action_unavailable.html",
        {
            "project": project,
            "title": _action_label(name, project),
            "message": str(error),
            "badge": STATE_BADGE.get(project.state, ""),
        },
        status=409,
    )


# --- The district's submission --------------------------------------------------------------


@dataclass
class SubmissionRow:
    project: Project
    badge: str
    ready: bool


@login_required
def district_submission(request: HttpRequest, code: str) -> HttpResponse:
    user = request.user
    try:
        district = selectors.district_get_visible(user, code)
    except NotFound as exc:
        raise Http404 from exc
    principal = access.principal_for(user)
    may_submit = access.submit_grant(principal, district) is not None
    edition = selectors.active_edition()
    form = SubmissionForm(request.POST or None, initial={"letter_date": timezone.localdate()})
    status = 200
    alert = ""
    retry_after: int | None = None
    if request.method == "POST":
        if not may_submit:
            return render(
                request,
                "approvals/action_denied.html",
                {"project": None, "message": _("Only the district's chief may submit.")},
                status=403,
            )
        if not form.is_valid():
            status = 422
            alert = _("Check the fields marked below.")
        else:
            try:
                submission = svc.district_submit(
                    district=district.code,
                    acting_user=user,
                    comment=form.cleaned_data["comment"],
                    **form.letter(),
                )
            except NotFound as exc:
                raise Http404 from exc
            except DomainError as exc:
                # Field errors go beside their fields (all of them, one round); the rest on top.
                rest = bind_domain_errors(exc.errors or [], form)
                alert = " ".join([str(exc), *(str(e.get("message", "")) for e in rest)])
                status = exc.status if exc.status in (403, 409, 422, 503) else 422
                retry_after = getattr(exc, "retry_after", None)  # 503: every render slot busy
            else:
                messages.success(
                    request,
                    _("Version %(version)s of the district's report is submitted.")
                    % {"version": submission.version},
                )
                return redirect("district-submission", code=district.code)
    rows: list[SubmissionRow] = []
    if edition is not None:
        live = (
            selectors.project_list_visible(user, district_id=district.code, edition=edition)
            .exclude(state__in=RELEASED_STATES)
            .prefetch_related(None)
            .order_by("id")
        )
        rows = [
            SubmissionRow(p, STATE_BADGE.get(p.state, ""), p.state in (State.REPORTED, State.SUBMITTED))
            for p in live
        ]
    pending = [r for r in rows if r.project.state != State.SUBMITTED]
    not_ready = [r for r in pending if not r.ready]
    submissions = list(selectors.district_submissions(request.user, district.code))
    response = render(
        request,
        "approvals/district_submission.html",
        {
            "district": district,
            "district_name": area_name(district),
            "province_name": area_name(district.province),
            "edition": edition,
            "rows": rows,
            "pending": pending,
            "not_ready": not_ready,
            "ready": bool(pending) and not not_ready,
            "submissions": submissions,
            "may_submit": may_submit,
            "form": form,
            "alert": alert,
            # The province's disbursement: the district submits only once it is recorded.
            "disbursed": selectors.disbursed_total(district_code=district.code, edition_id=edition.pk)
            if edition is not None
            else None,
        },
        status=status,
    )
    if retry_after:
        response["Retry-After"] = str(int(retry_after))
    return response


urlpatterns = [
    path("projects/", project_list, name="project-list"),
    path("projects/<id:pk>/", project_detail, name="project-detail"),
    path("projects/<id:pk>/comment/", project_comment, name="project-comment"),
    path("projects/<id:pk>/evidence/", evidence_upload, name="evidence-upload"),
    path("projects/<id:pk>/evidence/<id:eid>/", evidence_download, name="evidence-download"),
    path("projects/<id:pk>/actions/<str:name>/", project_action, name="project-action"),
    path("districts/<str:code>/submission/", district_submission, name="district-submission"),
]

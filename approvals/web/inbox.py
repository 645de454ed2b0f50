"""The inbox: the tasks a user holds and the ones they may claim; claim, release, assign, bulk approve.

Every change goes through ``approvals.services``; every list and every "may I" through
``approvals.selectors`` (which ask ``workflow.access``).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST
from viewflow.workflow.models import Task

from approvals import selectors, services
from workflow import flows
from workflow import selectors as project_selectors
from workflow.errors import DomainError, InvalidInput, NotFound
from workflow.models import Dimension

PAGE_SIZE = 25
DUE_SOON_DAYS = 7

SORT_CHOICES = [
    ("due", gettext_lazy("Due date, soonest first")),
    ("-due", gettext_lazy("Due date, latest first")),
    ("created", gettext_lazy("Created, oldest first")),
    ("-created", gettext_lazy("Created, newest first")),
]


def area_name(area: Any) -> str:
    """A province's or district's name in the page's language (Thai when there is no English one)."""
    english = str(getattr(area, "name_en", None) or "")
    if english and (translation.get_language() or "th").startswith("en"):
        return english
    return str(area.name_th)


def person_name(user: Any) -> str:
    return str(user.get_full_name() or user.get_username())


class InboxFilterForm(forms.Form):
    show = forms.ChoiceField(label=gettext_lazy("Show"), required=False)
    step = forms.ChoiceField(label=gettext_lazy("Step"), required=False)
    province = forms.ChoiceField(label=gettext_lazy("Province"), required=False)
    district = forms.ChoiceField(label=gettext_lazy("District"), required=False)
    dimension = forms.ChoiceField(label=gettext_lazy("Dimension"), required=False)
    overdue = forms.ChoiceField(
        label=gettext_lazy("Overdue"),
        required=False,
        choices=[
            ("", gettext_lazy("Any")),
            ("yes", gettext_lazy("Overdue only")),
            ("no", gettext_lazy("Not overdue")),
        ],
    )
    sort = forms.ChoiceField(label=gettext_lazy("Sort by"), required=False, choices=SORT_CHOICES)

    def __init__(self, data: Any, *, steps: list[str], districts: list[Any], district_queue: bool) -> None:
        super().__init__(data)
        any_choice = ("", gettext_lazy("All"))
        choice = cast(dict[str, forms.ChoiceField], self.fields)
        choice["step"].choices = [any_choice, *[(s, flows.STEP_LABELS[s]) for s in steps]]
        provinces = {d.province.code: d.province for d in districts}
        choice["province"].choices = [
            any_choice,
            *[(code, area_name(p)) for code, p in sorted(provinces.items())],
        ]
        choice["district"].choices = [
            any_choice,
            *[(d.code, f"{area_name(d)} ({area_name(d.province)})") for d in districts],
        ]
        choice["dimension"].choices = [any_choice, *Dimension.choices]
        if district_queue:
            choice["show"].choices = [
                ("", gettext_lazy("My tasks and tasks I may claim")),
                ("district", gettext_lazy("Every open task of my district")),
            ]
        else:
            del self.fields["show"]

    def filters(self) -> selectors.InboxFilters:
        """The valid filters (a value not on offer is shown as an error and ignored)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        overdue = {"yes": True, "no": False}.get(data.get("overdue") or "")
        return selectors.InboxFilters(
            whole_district=data.get("show") == "district",
            step=data.get("step") or "",
            province=data.get("province") or "",
            district=data.get("district") or "",
            dimension=data.get("dimension") or "",
            overdue=overdue,
            sort=data.get("sort") or "due",
        )

    NARROWING = ("step", "province", "district", "dimension", "overdue")

    @property
    def narrows(self) -> bool:
        return self.active > 0

    @property
    def active(self) -> int:
        """How many filters narrow the list (sorting and the district view do not)."""
        data = getattr(self, "cleaned_data", {})
        return sum(1 for name in self.NARROWING if data.get(name))


@dataclass
class AssignState:
    """An assign form that failed: which task, what was chosen, and why."""

    task_id: int
    value: str
    message: str


@dataclass
class Row:
    task: Task
    project: Any
    project_url: str
    step: str
    step_label: Any
    role: str
    district_name: str
    province_name: str
    holder: Any
    held_by_me: bool
    due: datetime.date
    days_left: int
    days_late: int
    overdue: bool
    due_soon: bool
    budget: Any
    actions: selectors.TaskActions
    candidates: list[selectors.Candidate] = field(default_factory=list)
    can_assign: bool = False
    assign_error: AssignState | None = None
    outcome: services.ApprovalOutcome | None = None
    # The district's submission: one row per district and edition, for this many reported projects.
    district_projects: int = 0


def project_url(pk: Any) -> str:
    try:
        return reverse("project-detail", args=[pk])
    except NoReverseMatch:
        return f"/projects/{pk}/"


def submission_url(district_code: str) -> str:
    return reverse("district-submission", args=[district_code])


@dataclass
class DisbursementEntry:
    """The provincial office's task for a district: "record the disbursement of <district>", one
    entry per district (derived from facts: an approved project and nothing disbursed yet)."""

    district_name: str
    province_name: str
    url: str
    approved_projects: int
    approved_budget: Any


def _disbursement_entries(request: HttpRequest) -> list[DisbursementEntry]:
    return [
        DisbursementEntry(
            district_name=area_name(due.district),
            province_name=area_name(due.district.province),
            url=reverse("district-disbursements", args=[due.district.code]),
            approved_projects=due.approved_projects,
            approved_budget=due.approved_budget,
        )
        for due in project_selectors.disbursements_due(request.user)
    ]


def _someone_else(request: HttpRequest, task: Task, candidates: list[selectors.Candidate]) -> bool:
    """Whether assigning can change anything: a candidate other than the holder (and, on an
    unclaimed task, other than the user, who would simply claim it)."""
    if task.owner_id is None:
        return any(c.user.pk != request.user.pk for c in candidates)
    return any(c.user.pk != task.owner_id for c in candidates)


def _rows(request: HttpRequest, page: Page[Task], **marks: Any) -> list[Row]:
    today = timezone.localdate()
    tasks = list(page.object_list)
    candidates = selectors.task_assignee_candidates(tasks)
    submit_counts = selectors.district_submit_counts(tasks)
    outcomes = {o.task_id: o for o in marks.get("outcomes") or []}
    assign_error: AssignState | None = marks.get("assign_error")
    rows = []
    for task in tasks:
        project = task.process.projectprocess.project
        step = flows.step_name(task)
        due = selectors.task_due_date(task)
        days = (due - today).days
        actions = selectors.task_actions(request.user, task)
        district_projects = (
            submit_counts.get((project.district_id, project.edition_id), 0)
            if step == selectors.SUBMIT_STEP
            else 0
        )
        rows.append(
            Row(
                task=task,
                project=project,
                project_url=submission_url(project.district_id)
                if district_projects
                else project_url(project.pk),
                step=step,
                step_label=flows.STEP_LABELS.get(step, step),
                role=flows.STEP_ROLE[step],
                district_name=area_name(project.district),
                province_name=area_name(project.district.province),
                holder=task.owner if task.owner_id else None,
                held_by_me=task.owner_id == request.user.pk,
                due=due,
                days_left=days,
                days_late=max(0, -days),
                overdue=days < 0,
                due_soon=0 <= days <= DUE_SOON_DAYS,
                budget=None if district_projects else project_selectors.project_budget(project),
                actions=actions,
                candidates=candidates.get(task.pk, []),
                can_assign=actions.assign and _someone_else(request, task, candidates.get(task.pk, [])),
                assign_error=assign_error if assign_error and assign_error.task_id == task.pk else None,
                outcome=outcomes.get(task.pk),
                district_projects=district_projects,
            )
        )
    return rows


def _inbox_url(request: HttpRequest) -> str:
    query = request.GET.urlencode()
    return reverse("inbox") + (f"?{query}" if query else "")


def _render(request: HttpRequest, *, status: int = 200, **marks: Any) -> HttpResponse:
    form = InboxFilterForm(
        request.GET,
        steps=selectors.inbox_steps(request.user),
        districts=selectors.inbox_districts(request.user),
        district_queue=selectors.may_view_district_queue(request.user),
    )
    filters = form.filters()
    tasks = selectors.task_inbox(request.user, filters)
    counts = selectors.inbox_counts(request.user, tasks)
    page = Paginator(tasks, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = _rows(request, page, **marks)
    assign_error: AssignState | None = marks.get("assign_error")
    outcomes: list[services.ApprovalOutcome] = marks.get("outcomes") or []
    context = {
        "form": form,
        "whole_district": filters.whole_district,
        "district_queue": "show" in form.fields,
        "page": page,
        "rows": rows,
        "counts": counts,
        "can_bulk_approve": any(row.actions.approve for row in rows),
        "outcomes": [(o, project_url(o.project.pk) if o.project else "") for o in outcomes],
        "outcomes_failed": any(not o.approved for o in outcomes),
        "comment": marks.get("comment", ""),
        "assign_error_elsewhere": assign_error
        if assign_error and not any(r.assign_error for r in rows)
        else None,
        "disbursements_due": _disbursement_entries(request),
    }
    return render(request, "approvals/inbox.html", context, status=status)


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    return _render(request)


def _title(task: Task) -> str:
    return str(task.process.projectprocess.project.title)


def _act(request: HttpRequest, action: Any, success: str, pk: int, **kwargs: Any) -> HttpResponse:
    try:
        task = action(task=pk, acting_user=request.user, **kwargs)
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, success % {"title": _title(task)})
    return HttpResponseRedirect(_inbox_url(request))


@login_required
@require_POST
def task_claim(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, services.task_claim, _("You now hold “%(title)s”."), pk)


@login_required
@require_POST
def task_unclaim(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, services.task_unclaim, _("“%(title)s” is back in the queue."), pk)


@login_required
@require_POST
def task_assign(request: HttpRequest, pk: int) -> HttpResponse:
    value = request.POST.get("assignee", "")
    try:
        task = services.task_assign(task=pk, acting_user=request.user, assignee=value)
    except NotFound:
        raise Http404 from None
    except InvalidInput as exc:
        message = "; ".join(e["message"] for e in exc.errors if e.get("field") == "assignee") or str(exc)
        return _render(
            request, status=422, assign_error=AssignState(task_id=pk, value=value, message=message)
        )
    except DomainError as exc:
        messages.error(request, str(exc.message))
        if exc.status == 403:
            return _render(request, status=403)
        return HttpResponseRedirect(_inbox_url(request))
    messages.success(
        request,
        _("“%(title)s” is now assigned to %(name)s.")
        % {"title": _title(task), "name": person_name(task.owner)},
    )
    return HttpResponseRedirect(_inbox_url(request))


@login_required
@require_POST
def bulk_approve(request: HttpRequest) -> HttpResponse:
    picked = request.POST.getlist("tasks")
    comment = request.POST.get("comment", "")
    if not picked:
        messages.error(request, _("Tick at least one review task to approve."))
        return HttpResponseRedirect(_inbox_url(request))
    outcomes = services.tasks_approve(tasks=picked, acting_user=request.user, comment=comment)
    approved = sum(1 for o in outcomes if o.approved)
    failed = len(outcomes) - approved
    if approved:
        messages.success(
            request,
            ngettext("%(n)s project approved.", "%(n)s projects approved.", approved) % {"n": approved},
        )
    if failed:
        messages.error(
            request,
            ngettext(
                "%(n)s project was not approved; see why below.",
                "%(n)s projects were not approved; see why below.",
                failed,
            )
            % {"n": failed},
        )
    return _render(request, outcomes=outcomes, comment=comment if failed else "")


urlpatterns = [
    path("inbox/", inbox, name="inbox"),
    path("inbox/tasks/<id:pk>/claim/", task_claim, name="task-claim"),
    path("inbox/tasks/<id:pk>/unclaim/", task_unclaim, name="task-unclaim"),
    path("inbox/tasks/<id:pk>/assign/", task_assign, name="task-assign"),
    path("inbox/bulk-approve/", bulk_approve, name="inbox-bulk-approve"),
]

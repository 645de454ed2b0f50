"""Inbox and queue: the tasks a user holds, and the tasks their roles may claim in their areas."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, F, Lookup, OuterRef, Q, QuerySet
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from workflow import access, flows, schedule
from workflow.errors import NotFound
from workflow.models import Delegation, District, Role, RoleMembership

PROJECT = "process__projectprocess__project__"
# Roles held over one district, and the steps they perform: the district's own tasks,
# which its chief may hand to a named person.
DISTRICT_ROLES = frozenset({Role.DISTRICT_OFFICER, Role.DISTRICT_CHIEF})
DISTRICT_STEPS = tuple(name for name, role in flows.STEP_ROLE.items() if role in DISTRICT_ROLES)
CLAIMED_STATUSES = (STATUS.ASSIGNED, STATUS.STARTED)


class _InConstants(Lookup):
    """``column IN ('A', 'B')`` with the constants written into the SQL, not bound.

    SQLite uses a partial index only when the query repeats the index's WHERE term word for
    word, and a bound parameter never matches it. The open-task lists therefore say
    ``status IN ('NEW', 'ASSIGNED', 'STARTED')`` literally, the term of the partial index
    ``rm_task_open`` (``workflow/migrations/0006_list_indexes.py``); PostgreSQL reads it as
    any other IN. The constants are viewflow's status codes, never user input.
    """

    lookup_name = "in_constants"
    prepare_rhs = False

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, params = self.process_lhs(compiler, connection)
        assert all(str(value).isalnum() for value in self.rhs), self.rhs
        values = ", ".join(f"'{value}'" for value in self.rhs)
        return f"{lhs} IN ({values})", list(params)


def open_task() -> Lookup:
    """The term of the partial index ``rm_task_open``. Every open-task list carries it: it
    repeats what the list's own filters already say, so it never changes the result."""
    return _InConstants(F("status"), tuple(str(status) for status in flows.ACTIVE_STATUSES))


def _scope(principal: access.Principal) -> Q:
    """Tasks of steps that one of the user's roles performs, in that role's areas."""
    scope = Q(pk__in=[])
    for role in sorted({g.role for g in principal.grants}):
        steps = flows.steps_for_role(role)
        if steps:
            scope |= Q(flow_task__in=steps) & principal.project_q([role], prefix=PROJECT)
    return scope


def task_base_queryset() -> QuerySet[Task]:
    return (
        Task.objects.filter(flow_task_type="HUMAN")
        .select_related(
            "owner",
            f"{PROJECT}district__province",
            f"{PROJECT}edition",
        )
        .prefetch_related(f"{PROJECT}budget_lines")
    )


def _open_tasks_of(user: Any) -> QuerySet[Task]:
    """Assigned to me, or claimable by me, for my roles and areas; not annotated, not ordered."""
    principal = access.principal_for(user)
    mine = Q(owner=user, status__in=[STATUS.ASSIGNED, STATUS.STARTED])
    claimable = Q(status=STATUS.NEW)
    return task_base_queryset().filter(open_task()).filter(_scope(principal) & (mine | claimable))


def task_list_for(user: Any) -> QuerySet[Task]:
    """Assigned to me, or claimable by me, for my roles and areas (open tasks only)."""
    return _open_tasks_of(user).annotate(due_date=due_date_expression()).order_by("created", "id")


def task_get_visible(user: Any, pk: Any, *, for_update: bool = False) -> Task:
    """An open or closed task of a step the user's roles perform in their areas (else 404)."""
    principal = access.principal_for(user)
    qs = Task.objects.filter(flow_task_type="HUMAN").filter(_scope(principal))
    if for_update:
        qs = qs.select_for_update(of=("self",))
    try:
        return qs.select_related(f"{PROJECT}district__province", f"{PROJECT}edition", "owner").get(pk=pk)
    except (Task.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


# --- Due dates ----------------------------------------------------------------------------


def due_date_expression() -> Any:
    """The database form of ``task_due_date`` (see ``workflow.schedule.task_due_date_expression``)."""
    return schedule.task_due_date_expression(PROJECT)


def task_due_date(task: Task) -> datetime.date:
    """The day a task is due: its step's date in the edition's schedule (``workflow.schedule``,
    Thai working days counted back from the deadline). Lists annotate it as ``due_date``."""
    annotated = getattr(task, "due_date", None)
    if annotated is not None:
        return annotated
    project = task.process.projectprocess.project
    return schedule.step_due_date(project.edition, flows.step_name(task))


def task_is_overdue(task: Task, today: datetime.date | None = None) -> bool:
    return (today or timezone.localdate()) > task_due_date(task)


# --- The inbox page -----------------------------------------------------------------------


def _district_queue(principal: access.Principal) -> Q:
    """The district steps' tasks in the districts where the user is chief (own right or acting)."""
    steps = [flows.step_node(name) for name in DISTRICT_STEPS]
    return Q(flow_task__in=steps) & principal.project_q([Role.DISTRICT_CHIEF], prefix=PROJECT)


def may_view_district_queue(user: Any) -> bool:
    """A district chief (or acting chief) sees every open task of the district, to assign it."""
    return access.principal_for(user).has_role(Role.DISTRICT_CHIEF)


@dataclass(frozen=True)
class InboxFilters:
    """What the inbox's filter form asks for; every filter narrows the user's own list."""

    whole_district: bool = False
    step: str = ""
    province: str = ""
    district: str = ""
    dimension: str = ""
    overdue: bool | None = None
    sort: str = "due"


INBOX_SORTS: dict[str, tuple[str, ...]] = {
    "due": ("due_date", "created", "id"),
    "-due": ("-due_date", "-created", "-id"),
    "created": ("created", "id"),
    "-created": ("-created", "-id"),
}


# The chief's "submit the district's report" is one act for the whole district (``district_submit``),
# but the flow keeps one ``submit`` task per reported project. The inbox shows one of them per
# district and edition: the earliest open one stands for the others.
SUBMIT_STEP = "submit"


def _district_of_project() -> dict[str, Any]:
    """A filter on tasks: of a project in the outer task's project's district and edition."""
    return {
        f"{PROJECT}district_id": OuterRef(f"{PROJECT}district_id"),
        f"{PROJECT}edition_id": OuterRef(f"{PROJECT}edition_id"),
    }


def _not_first_submit_of_its_district() -> Q:
    """Submit tasks that another, earlier open submit task of the same district and edition
    stands for in the inbox."""
    submit = flows.step_node(SUBMIT_STEP)
    earlier = Task.objects.filter(flow_task=submit, pk__lt=OuterRef("pk")).filter(open_task())
    return Q(flow_task=submit) & Q(Exists(earlier.filter(**_district_of_project())))


def district_submit_counts(tasks: Iterable[Task]) -> dict[tuple[str, int], int]:
    """For the submit tasks among ``tasks``: how many reported projects of their district and
    edition wait for the district's submission (one open submit task each). One query."""
    keys = {
        (t.process.projectprocess.project.district_id, t.process.projectprocess.project.edition_id)
        for t in tasks
        if flows.step_name(t) == SUBMIT_STEP
    }
    if not keys:
        return {}
    rows = (
        Task.objects.filter(flow_task=flows.step_node(SUBMIT_STEP))
        .filter(open_task())
        .filter(**{f"{PROJECT}district_id__in": sorted({d for d, _ in keys})})
        .values_list(f"{PROJECT}district_id", f"{PROJECT}edition_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {(str(d), int(e)): n for d, e, n in rows if (d, e) in keys}


def task_inbox(user: Any, filters: InboxFilters | None = None) -> QuerySet[Task]:
    """The inbox: ``task_list_for`` narrowed by the filters, with each task's ``due_date``; one
    ``submit`` task per district and edition (the district's submission is one act).

    ``whole_district`` adds, for a district chief, every open task of their districts' own
    steps (held by anyone or by no one), so that the chief can assign them.
    """
    filters = filters or InboxFilters()
    principal = access.principal_for(user)
    qs = _open_tasks_of(user)
    if filters.whole_district:
        district_open = _district_queue(principal) & Q(status__in=flows.ACTIVE_STATUSES)
        mine = Q(owner=user, status__in=CLAIMED_STATUSES) | Q(status=STATUS.NEW)
        qs = task_base_queryset().filter(open_task()).filter((_scope(principal) & mine) | district_open)
    qs = qs.exclude(_not_first_submit_of_its_district())
    qs = qs.annotate(due_date=due_date_expression())
    if filters.step in flows.STEP_ROLE:
        qs = qs.filter(flow_task=flows.step_node(filters.step))
    if filters.province:
        qs = qs.filter(**{f"{PROJECT}district__province_id": filters.province})
    if filters.district:
        qs = qs.filter(**{f"{PROJECT}district_id": filters.district})
    if filters.dimension:
        qs = qs.filter(**{f"{PROJECT}dimension": filters.dimension})
    today = timezone.localdate()
    if filters.overdue is True:
        qs = qs.filter(due_date__lt=today)
    elif filters.overdue is False:
        qs = qs.filter(due_date__gte=today)
    return qs.order_by(*INBOX_SORTS.get(filters.sort, INBOX_SORTS["due"]))


def inbox_counts(user: Any, tasks: QuerySet[Task]) -> dict[str, int]:
    """How many of ``tasks`` (from ``task_inbox``): all, held by the user, claimable, overdue."""
    today = timezone.localdate()
    counts: dict[str, int] = tasks.order_by().aggregate(
        total=Count("pk"),
        mine=Count("pk", filter=Q(owner=user, status__in=CLAIMED_STATUSES)),
        claimable=Count("pk", filter=Q(status=STATUS.NEW)),
        overdue=Count("pk", filter=Q(due_date__lt=today)),
    )
    return counts


def inbox_steps(user: Any) -> list[str]:
    """The steps whose tasks can reach the user's inbox (for the step filter)."""
    principal = access.principal_for(user)
    roles = {g.role for g in principal.grants}
    names = [name for name, role in flows.STEP_ROLE.items() if role in roles]
    if Role.DISTRICT_CHIEF in roles:
        names = [name for name in flows.STEP_ROLE if name in names or name in DISTRICT_STEPS]
    return names


def inbox_districts(user: Any) -> list[District]:
    """The districts whose tasks can reach the user's inbox (for the area filters)."""
    principal = access.principal_for(user)
    roles = sorted({g.role for g in principal.grants if flows.steps_for_role(g.role)})
    if not roles:
        return []
    return list(
        District.objects.programme()
        .filter(principal.district_q(roles))
        .select_related("province")
        .order_by("province_id", "code")
    )


@dataclass(frozen=True)
class TaskActions:
    """What the user may do to one task from the inbox (decided through ``workflow.access``)."""

    claim: bool = False
    release: bool = False
    assign: bool = False
    approve: bool = False


def task_actions(user: Any, task: Task) -> TaskActions:
    """Mirrors the checks of ``task_claim``, ``task_unclaim``, ``task_assign`` and ``project_approve``."""
    principal = access.principal_for(user)
    project = task.process.projectprocess.project
    step = flows.step_name(task)
    district, province = project.district_id, project.district.province_id
    performs = principal.grant_over([flows.STEP_ROLE[step]], district, province) is not None
    chief = access.assign_grant(principal, project) is not None
    is_open = task.status in flows.ACTIVE_STATUSES
    held_by_me = task.owner_id == principal.user.pk
    free_or_mine = task.owner_id is None or held_by_me
    return TaskActions(
        claim=performs and task.status == STATUS.NEW,
        release=performs and task.status in CLAIMED_STATUSES and (held_by_me or chief),
        assign=chief and is_open and step in DISTRICT_STEPS,
        approve=step == "review"
        and is_open
        and free_or_mine
        and "approve" in access.available_transitions(principal, project),
    )


def task_get_for_assignment(user: Any, pk: Any, *, for_update: bool = False) -> Task:
    """A task of the user's own steps, or a district step's task in a district they are chief of."""
    principal = access.principal_for(user)
    qs = Task.objects.filter(flow_task_type="HUMAN").filter(_scope(principal) | _district_queue(principal))
    if for_update:
        qs = qs.select_for_update(of=("self",))
    try:
        return qs.select_related(f"{PROJECT}district__province", f"{PROJECT}edition", "owner").get(pk=pk)
    except (Task.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


@dataclass(frozen=True)
class Candidate:
    """Someone who may perform a step in a district today; ``acting_for`` when acting."""

    user: Any
    acting_for: Any = None


def task_assignee_candidates(
    tasks: Iterable[Task], *, on: datetime.date | None = None
) -> dict[int, list[Candidate]]:
    """Per district task: the users holding the step's role over its district today, in their own
    right (memberships valid that day) or acting (a running delegation from someone who holds it).

    The same rule as ``workflow.access.principal_for``; two queries for any number of tasks.
    """
    day = on or timezone.localdate()
    wanted: dict[int, tuple[str, str]] = {}
    for task in tasks:
        step = flows.step_name(task)
        if step in DISTRICT_STEPS:
            wanted[task.pk] = (flows.STEP_ROLE[step], task.process.projectprocess.project.district_id)
    if not wanted:
        return {}
    roles = {role for role, _ in wanted.values()}
    districts = {code for _, code in wanted.values()}
    holders: dict[tuple[str, str], dict[int, Candidate]] = {}
    memberships = (
        RoleMembership.objects.filter(access.memberships_valid_on(day))
        .filter(role__in=roles, district_id__in=districts)
        .select_related("user")
    )
    for membership in memberships:
        key = (membership.role, str(membership.district_id))
        holders.setdefault(key, {})[membership.user_id] = Candidate(membership.user)
    delegations = (
        Delegation.objects.filter(access.delegations_active_on(day))
        .filter(role__in=roles, district_id__in=districts)
        .select_related("delegate", "delegator")
    )
    acting: dict[tuple[str, str], dict[int, Candidate]] = {}
    for delegation in delegations:
        key = (delegation.role, str(delegation.district_id))
        if delegation.delegator_id in holders.get(key, {}):
            acting.setdefault(key, {}).setdefault(
                delegation.delegate_id, Candidate(delegation.delegate, acting_for=delegation.delegator)
            )
    by_key: dict[tuple[str, str], list[Candidate]] = {}
    for key in set(wanted.values()):
        people = dict(acting.get(key, {}))
        people.update(holders.get(key, {}))  # holding the role in one's own right comes first
        by_key[key] = sorted(
            (c for c in people.values() if c.user.is_active),
            key=lambda c: ((c.user.get_full_name() or c.user.get_username()).casefold(), c.user.pk),
        )
    return {pk: by_key[key] for pk, key in wanted.items()}

"""Claiming, releasing and assigning tasks, and approving many reviews at once.

Each change of a task is audited in the project's chain.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from workflow import access, audit, events, flows
from workflow.audit_actions import AuditAction
from workflow.errors import Conflict, DomainError, FieldError, Forbidden, IllegalTransition, InvalidInput
from workflow.models import Role
from workflow.services.projects import project_approve

from . import selectors


def _project(task: Task) -> Any:
    return task.process.projectprocess.project


def _actor(principal: access.Principal, project: Any, role: str) -> audit.Actor:
    grant = principal.grant_over([role], project.district_id, project.district.province_id)
    return audit.Actor(
        user=principal.user,
        role=role,
        area_code=grant.area_code if grant else "",
        acting_for=grant.acting_for if grant else None,
    )


def _record(
    principal: access.Principal, task: Task, action: AuditAction, role: str, payload: dict[str, Any]
) -> None:
    project = _project(task)
    event = audit.record(
        actor=_actor(principal, project, role),
        action=action,
        object_type="task",
        object_id=task.pk,
        project=project,
        from_state=project.state,
        to_state=project.state,
        payload={"step": flows.step_name(task), **payload},
    )
    events.dispatch(event)


@transaction.atomic
def task_claim(*, task: Task | int, acting_user: Any) -> Task:
    principal = access.principal_for(acting_user)
    locked = selectors.task_get_visible(
        acting_user, task.pk if isinstance(task, Task) else task, for_update=True
    )
    if locked.status not in (STATUS.NEW, STATUS.ASSIGNED):
        raise Conflict(_("This task is already done."), "task_closed")
    if locked.owner_id == acting_user.pk:
        return locked
    if locked.owner_id is not None:
        raise Conflict(
            _("%(name)s has claimed this task.") % {"name": locked.owner.get_username()}, "task_claimed"
        )
    step = flows.step_name(locked)
    with flows.ProjectFlow.lock(locked.process_id):
        activation = locked.flow_task.activation_class(locked)
        activation.assign(acting_user)
        locked.save()
    _record(principal, locked, AuditAction.TASK_CLAIM, flows.STEP_ROLE[step], {})
    return locked


@transaction.atomic
def task_unclaim(*, task: Task | int, acting_user: Any) -> Task:
    """Put a claimed task back in the queue: its holder may, and so may the district's chief."""
    principal = access.principal_for(acting_user)
    locked = selectors.task_get_visible(
        acting_user, task.pk if isinstance(task, Task) else task, for_update=True
    )
    if locked.status not in (STATUS.ASSIGNED, STATUS.STARTED):
        raise Conflict(_("This task is not claimed."), "task_not_claimed")
    project = _project(locked)
    step = flows.step_name(locked)
    role = flows.STEP_ROLE[step]
    is_holder = locked.owner_id == acting_user.pk
    chief = access.assign_grant(principal, project)
    if not is_holder and chief is None:
        raise Forbidden(_("Only the task's holder or the district chief may release it."))
    previous = locked.owner.get_username() if locked.owner_id else ""
    with flows.ProjectFlow.lock(locked.process_id):
        locked.owner = None
        locked.status = STATUS.NEW
        locked.save()
    _record(
        principal,
        locked,
        AuditAction.TASK_UNCLAIM,
        role if is_holder else Role.DISTRICT_CHIEF,
        {"previous_owner": previous},
    )
    return locked


def _assignee(value: Any) -> Any:
    """The user named by ``value`` (a user or a user's id), or ``None``."""
    if value is None or value == "":
        return None
    if hasattr(value, "pk"):
        return value
    try:
        return get_user_model().objects.filter(pk=int(value)).first()
    except (TypeError, ValueError):
        return None


@transaction.atomic
def task_assign(*, task: Task | int, acting_user: Any, assignee: Any) -> Task:
    """A district chief (own right or acting) hands a district task to a named person, or
    hands it on from its holder to someone else. The person must hold the step's role over
    the district today (own right or acting)."""
    principal = access.principal_for(acting_user)
    locked = selectors.task_get_for_assignment(
        acting_user, task.pk if isinstance(task, Task) else task, for_update=True
    )
    project = _project(locked)
    if access.assign_grant(principal, project) is None:
        raise Forbidden(_("Only the district chief may assign this task."))
    step = flows.step_name(locked)
    if step not in selectors.DISTRICT_STEPS:
        raise Forbidden(_("Only the district's own tasks can be assigned."))
    if locked.status not in flows.ACTIVE_STATUSES:
        raise Conflict(_("This task is already done."), "task_closed")
    role = flows.STEP_ROLE[step]
    person = _assignee(assignee)
    if person is None:
        raise InvalidInput([FieldError("assignee", "required", _("Choose who should do this task."))])
    if (
        not person.is_active
        or access.principal_for(person).grant_over([role], project.district_id, project.district.province_id)
        is None
    ):
        raise InvalidInput(
            [
                FieldError(
                    "assignee",
                    "not_eligible",
                    _("%(name)s may not do this step in this district.") % {"name": person.get_username()},
                )
            ]
        )
    if locked.owner_id == person.pk:
        return locked
    previous = locked.owner.get_username() if locked.owner_id else ""
    with flows.ProjectFlow.lock(locked.process_id):
        activation = locked.flow_task.activation_class(locked)
        if locked.status == STATUS.NEW:
            activation.assign(person)
        elif locked.status == STATUS.ASSIGNED:
            activation.reassign(person)
        else:
            locked.owner = person
        locked.save()
    _record(
        principal,
        locked,
        AuditAction.TASK_ASSIGN,
        Role.DISTRICT_CHIEF,
        {"assignee": person.get_username(), "previous_owner": previous},
    )
    return locked


@dataclass
class ApprovalOutcome:
    """What became of one task of a bulk approval."""

    task_id: Any
    approved: bool
    project: Any = None
    code: str = ""
    message: str = ""
    errors: list[dict[str, Any]] = field(default_factory=list)


def tasks_approve(*, tasks: Iterable[Any], acting_user: Any, comment: str = "") -> list[ApprovalOutcome]:
    """Approve the project of each review task with one comment.

    Deliberately not one transaction: each project goes through ``project_approve`` (atomic
    on its own), and a failure is reported on its own outcome without stopping the others.
    """
    outcomes: list[ApprovalOutcome] = []
    seen: set[Any] = set()
    for raw in tasks:
        try:
            pk = int(raw)
        except (TypeError, ValueError):
            continue
        if pk in seen:
            continue
        seen.add(pk)
        outcome = ApprovalOutcome(task_id=pk, approved=False)
        try:
            task = selectors.task_get_visible(acting_user, pk)
            outcome.project = _project(task)
            if flows.step_name(task) != "review":
                raise IllegalTransition(_("This task is not a review."))
            outcome.project = project_approve(
                project=outcome.project.pk, acting_user=acting_user, comment=comment
            )
            outcome.approved = True
        except DomainError as exc:
            outcome.code = exc.code
            outcome.message = str(exc.message)
            outcome.errors = [dict(e, message=str(e.get("message", ""))) for e in exc.errors]
        outcomes.append(outcome)
    return outcomes

"""Claiming and releasing tasks. Each change is audited in the project's chain."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from workflow import access, audit, events, flows
from workflow.errors import Conflict, Forbidden
from workflow.models import Role

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


def _record(principal: access.Principal, task: Task, action: str, role: str, payload: dict[str, Any]) -> None:
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
    _record(principal, locked, "task_claim", flows.STEP_ROLE[step], {})
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
    chief = principal.grant_over([Role.DISTRICT_CHIEF], project.district_id, project.district.province_id)
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
        "task_unclaim",
        role if is_holder else Role.DISTRICT_CHIEF,
        {"previous_owner": previous},
    )
    return locked

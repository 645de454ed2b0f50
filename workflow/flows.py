"""The viewflow flow of a project: wiring only. It says whose turn it is, never the state.

Each human step is a ``View`` task that waits in the inbox of the step's role over the
project's area. A domain service (``workflow.services.projects``) applies the FSM
transition and then completes the step's task; the ``Switch`` after each step routes on
the project's new FSM state. ``STEP_STATE`` ties each step to the state it waits in, and
a test proves that this graph and the FSM's transitions are the same graph.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import OuterRef, Subquery
from django.utils import timezone
from viewflow import this
from viewflow.workflow import flow, lock
from viewflow.workflow.activation import Activation
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS
from viewflow.workflow.token import Token

from . import sql, transitions
from .models import Project, ProjectProcess, Role, State


def _headless(*args: Any, **kwargs: Any) -> None:  # pragma: no cover - never routed
    """Human steps are done through our services and API, not viewflow's views."""
    raise NotImplementedError


def in_state(state: str) -> Callable[[Activation], bool]:
    def condition(activation: Activation) -> bool:
        project = Project.objects.only("state").get(pk=activation.process.project_id)
        return project.state == state

    condition.state = state  # type: ignore[attr-defined]
    return condition


class ProjectFlow(flow.Flow):
    process_class = ProjectProcess
    lock_impl = lock.select_for_update_lock
    process_title = "Role Model project"

    start = flow.StartHandle(this.start_process).Next(this.review)

    review = flow.View(_headless).Next(this.after_review)
    after_review = (
        flow.Switch()
        .Case(this.implement, in_state(State.APPROVED))
        .Case(this.revise, in_state(State.RETURNED))
        .Case(this.rejected, in_state(State.REJECTED))
        .Case(this.withdrawn, in_state(State.WITHDRAWN))
    )

    revise = flow.View(_headless).Next(this.after_revise)
    after_revise = (
        flow.Switch()
        .Case(this.review, in_state(State.SELECTED))
        .Case(this.withdrawn, in_state(State.WITHDRAWN))
    )

    implement = flow.View(_headless).Next(this.after_implement)
    after_implement = flow.Switch().Case(this.monitor, in_state(State.IMPLEMENTED))

    monitor = flow.View(_headless).Next(this.after_monitor)
    after_monitor = (
        flow.Switch()
        .Case(this.report, in_state(State.MONITORED))
        .Case(this.implement, in_state(State.APPROVED))
    )

    report = flow.View(_headless).Next(this.after_report)
    after_report = flow.Switch().Case(this.submit, in_state(State.REPORTED))

    submit = flow.View(_headless).Next(this.after_submit)
    after_submit = flow.Switch().Case(this.submitted, in_state(State.SUBMITTED))

    submitted = flow.End()
    rejected = flow.End()
    withdrawn = flow.End()

    def start_process(self, activation: Activation, project: Project) -> ProjectProcess:
        process: ProjectProcess = activation.process
        process.project = project
        process.save()
        return process


# The step maps, derived from ``workflow.transitions`` (the one table of steps and transitions).
STEP_STATE: dict[str, str] = {step.name: step.state for step in transitions.STEPS}
END_STATE: dict[str, str] = dict(transitions.END_STEPS)
STEP_ROLE: dict[str, str] = {step.name: step.role for step in transitions.STEPS}
# What each step is called on the pages (inbox filters, dashboard columns).
STEP_LABELS: dict[str, Any] = {step.name: step.label for step in transitions.STEPS}
ACTIVE_STATUSES = (STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED)


def step_node(name: str) -> Any:
    return getattr(ProjectFlow, name)


def steps_for_role(role: str) -> list[Any]:
    return [step_node(name) for name, step_role in STEP_ROLE.items() if step_role == role]


def step_name(task: Task) -> str:
    return str(task.flow_task.name)


def process_start(*, project: Project) -> ProjectProcess:
    """Start the project's flow; its first step (the chief's review) is created."""
    process: ProjectProcess = ProjectFlow.start.run(project=project)
    return process


def _open_tasks(project_ref: Any) -> Any:
    return Task.objects.filter(
        process__projectprocess__project=project_ref, status__in=ACTIVE_STATUSES, flow_task_type="HUMAN"
    ).order_by("-id")


def open_step_task(project: Project) -> Task | None:
    return _open_tasks(project).first()


@dataclass(frozen=True)
class OpenStep:
    """The project's open human task, as read with the project (``open_step_annotations``)."""

    task_id: int
    process_id: int
    step: str
    owner_id: int | None


def open_step_annotations() -> dict[str, Any]:
    """Annotations that read the open step's task in the same statement as its project."""
    tasks = _open_tasks(OuterRef("pk"))
    return {
        "_step_task_id": Subquery(tasks.values("id")[:1]),
        "_step_process_id": Subquery(tasks.values("process_id")[:1]),
        "_step_flow_task": Subquery(tasks.values("flow_task")[:1]),
        "_step_owner_id": Subquery(tasks.values("owner_id")[:1]),
    }


def open_step_of(project: Project) -> OpenStep | None:
    """The open step read by ``open_step_annotations`` (``None``: no step is open)."""
    task_id = getattr(project, "_step_task_id", None)
    if task_id is None:
        return None
    node = project._step_flow_task  # type: ignore[attr-defined]  # the flow's node, from its reference
    return OpenStep(
        task_id=task_id,
        process_id=project._step_process_id,  # type: ignore[attr-defined]
        step=str(node.name),
        owner_id=project._step_owner_id,  # type: ignore[attr-defined]
    )


@dataclass(frozen=True)
class StepChange:
    """What completing a step did: the task it closed and the task it opened (if any); with
    them, the audit chain's head if it was advanced with the project's row, and the people
    the change concerns if they were asked for (``People``)."""

    done_task_id: int
    done_step: str
    new_task_id: int | None
    new_step: str | None
    head: sql.ChainHead | None = None
    people: tuple[sql.Recipient, ...] | None = None
    found: tuple[list[Any], ...] = ()  # the rows of the caller's ``also`` reads


def step_people(*, done_step: str | None, new_step: str | None, disbursement_due: bool) -> dict[str, str]:
    """Whom a step change concerns, by tag: ``n`` the holders of the new step's role (its
    candidates), ``d`` those of the closed step's (they see it done), ``p`` the province's
    provincial officers when the change makes a disbursement due."""
    roles: dict[str, str] = {}
    if new_step is not None:
        roles["n"] = STEP_ROLE[new_step]
    if done_step is not None and done_step in STEP_ROLE:
        roles["d"] = STEP_ROLE[done_step]
    if disbursement_due:
        roles["p"] = Role.PROVINCIAL_OFFICER
    return roles


@dataclass(frozen=True)
class People:
    """Ask ``step_complete`` for the people of the change (``step_people`` and the project's
    creator), read in the step's own statement: the notices need them, and the route that
    decides the new step is only known there."""

    district: Any
    creator_id: int
    disbursement_due: bool = False


def people_read(people: People, *, done_step: str | None, new_step: str | None) -> sql.Read:
    """The read of the people a step change concerns (``step_people``, and the creator)."""
    roles = step_people(done_step=done_step, new_step=new_step, disbursement_due=people.disbursement_due)
    read = sql.recipients_read(
        people.district, timezone.localdate(), roles=roles, user_ids=[people.creator_id]
    )
    assert read is not None  # the creator is always asked for
    return read


def people_of(people: People, *, done_step: str | None, new_step: str | None) -> list[sql.Recipient]:
    """``people_read`` in a statement of its own (a change without a step statement: a new project)."""
    return sql.recipients_from(people_read(people, done_step=done_step, new_step=new_step).rows())


@functools.cache
def _routes() -> dict[tuple[str, str], tuple[Any, Any]]:
    """``(step, new state) -> (switch node, next node)`` read from the flow graph itself."""
    routes: dict[tuple[str, str], tuple[Any, Any]] = {}
    for name in STEP_STATE:
        switch = step_node(name)._next
        for node, condition in switch._branches:
            routes[(name, condition.state)] = (switch, node)
    return routes


def step_complete(
    *,
    project: Project,
    step: OpenStep,
    user: Any,
    overrides_claim: bool = False,
    update: sql.RowUpdate,
    people: People | None = None,
    also: Sequence[sql.Read] = (),
    inserts: Sequence[Sequence[Any]] = (),
) -> StepChange:
    """Complete the project's open step as ``user`` and open the next one, in one statement on
    PostgreSQL (three elsewhere), with the project's ``update``, the service's ``inserts``
    (batches of rows of one model, their keys set), the ``people`` read and the caller's
    ``also`` reads (``sql.complete_step``).

    The caller (a service) has locked the project row, checked that ``user`` may act, and
    applied the FSM transition inside the same transaction: viewflow's activation machinery
    would re-read and re-check all of that (eleven statements), so the bookkeeping is written
    here as viewflow writes it. The step's task is closed as done by ``user``; the ``Switch``
    after it is recorded as done, routed on the project's new FSM state; the node it leads to
    is created (a new human task, or the ``End`` that finishes the process); the tasks are
    linked through ``previous`` as viewflow links them. A task changed meanwhile (claimed by
    someone else, or already done), or a project's row no longer as ``update`` expects it,
    makes nothing change: ``StepMoved``.
    """
    try:
        switch, node = _routes()[(step.step, project.state)]
    except KeyError:
        raise RuntimeError(f"the flow has no route from {step.step} to {project.state}") from None
    now = timezone.now()
    ends = node.task_type == "END"
    token = Token("start")
    routed = sql.new(
        Task,
        process_id=step.process_id,
        flow_task=switch,
        flow_task_type=switch.task_type,
        status=STATUS.DONE,
        created=now,
        finished=now,
        token=token,
    )
    following = sql.new(
        Task,
        process_id=step.process_id,
        flow_task=node,
        flow_task_type=node.task_type,
        status=STATUS.DONE if ends else STATUS.NEW,
        created=now,
        started=now if ends else None,
        finished=now if ends else None,
        token=token,
    )
    new_step = None if ends else str(node.name)
    reads = [*also]
    if people is not None:
        reads.append(people_read(people, done_step=step.step, new_step=new_step))
    written = sql.complete_step(
        step.task_id,
        user_id=user.pk,
        now=now,
        owner_was=step.owner_id,
        take_over=overrides_claim,
        routed=routed,
        following=following,
        update=update,
        reads=reads,
        inserts=inserts,
    )
    if not written.done:
        raise StepMoved()
    if ends:
        sql.finish_process(step.process_id, now=now)
    return StepChange(
        done_task_id=step.task_id,
        done_step=step.step,
        new_task_id=None if ends else following.pk,
        new_step=new_step,
        head=written.head,
        people=tuple(sql.recipients_from(written.found[-1])) if people is not None else None,
        found=tuple(written.found[: len(also)]),
    )


class StepMoved(Exception):
    """The step's task changed since it was read (claimed by someone else, or done)."""

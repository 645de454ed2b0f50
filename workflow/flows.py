"""The viewflow flow of a project: wiring only. It says whose turn it is, never the state.

Each human step is a ``View`` task that waits in the inbox of the step's role over the
project's area. A domain service (``workflow.services.projects``) applies the FSM
transition and then completes the step's task; the ``Switch`` after each step routes on
the project's new FSM state. ``STEP_STATE`` ties each step to the state it waits in, and
a test proves that this graph and the FSM's transitions are the same graph.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext_lazy
from viewflow import this
from viewflow.workflow import flow, lock
from viewflow.workflow.activation import Activation
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

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


# The state each human step waits in, and the role whose inbox it shows in.
STEP_STATE: dict[str, str] = {
    "review": State.SELECTED,
    "revise": State.RETURNED,
    "implement": State.APPROVED,
    "monitor": State.IMPLEMENTED,
    "report": State.MONITORED,
    "submit": State.REPORTED,
}
END_STATE: dict[str, str] = {
    "submitted": State.SUBMITTED,
    "rejected": State.REJECTED,
    "withdrawn": State.WITHDRAWN,
}
STEP_ROLE: dict[str, str] = {
    "review": Role.DISTRICT_CHIEF,
    "revise": Role.DISTRICT_OFFICER,
    "implement": Role.DISTRICT_OFFICER,
    "monitor": Role.REGIONAL_INSPECTOR,
    "report": Role.DISTRICT_OFFICER,
    "submit": Role.DISTRICT_CHIEF,
}
# What each step is called on the pages (inbox filters, dashboard columns).
STEP_LABELS: dict[str, Any] = {
    "review": gettext_lazy("Review and approve"),
    "revise": gettext_lazy("Revise"),
    "implement": gettext_lazy("Record implementation"),
    "monitor": gettext_lazy("Monitor"),
    "report": gettext_lazy("Report results"),
    "submit": gettext_lazy("Submit the district's report"),
}
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


def open_step_task(project: Project) -> Task | None:
    return (
        Task.objects.filter(
            process__projectprocess__project=project,
            status__in=ACTIVE_STATUSES,
            flow_task_type="HUMAN",
        )
        .order_by("-id")
        .first()
    )


def step_complete(*, project: Project, user: Any) -> None:
    """Complete the project's open step as ``user``; the flow routes on the new FSM state.

    The caller (a service) has already checked that ``user`` may act and has applied the
    FSM transition inside the same transaction.
    """
    task = open_step_task(project)
    if task is None:
        raise RuntimeError(f"project {project.pk} has no open step")
    with ProjectFlow.lock(task.process_id):
        task.refresh_from_db()
        activation = task.flow_task.activation_class(task)
        if task.status == STATUS.NEW:
            activation.assign(user)
        elif task.owner_id != user.pk:
            activation.reassign(user)
        if task.status == STATUS.ASSIGNED:
            activation.start(None)
        activation.execute()

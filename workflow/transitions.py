"""Every transition of a project and every step of its flow, declared once.

This table is the one home of what a transition *is*: the states it leaves and reaches, the
role that may take it, the flow step it closes, its comment and creator rules, the input it
takes, its labels and the notice it sends to the project's creator. Everything else derives
from it (the services' dispatch and checks, ``workflow.access``'s action roles, the flow's
step maps, the API's and the pages' dispatch, the labels and the notices) or is checked
against it by ``tests/workflow/test_transition_table.py`` (the FSM decorators on ``Project``
and the viewflow graph in ``workflow.flows``).

A new transition is one row here, its FSM method on ``Project``, its service in
``workflow.services.projects`` and, if it reaches a new state, the flow's routing.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .audit_actions import AuditAction
from .models import Role, State


class Input(StrEnum):
    """What a transition takes besides its comment (the keyword arguments of its service)."""

    NONE = "none"
    IMPLEMENTATION = "implementation"  # record=ImplementationInput(...)
    MONITORING = "monitoring"  # findings=..., recommendations=...
    REPORT = "report"  # result_narrative=..., problems=..., suggestions=...


# The keyword arguments each kind of input passes to the service, besides ``comment``.
INPUT_ARGUMENTS: dict[Input, tuple[str, ...]] = {
    Input.NONE: (),
    Input.IMPLEMENTATION: ("record",),
    Input.MONITORING: ("findings", "recommendations"),
    Input.REPORT: ("result_narrative", "problems", "suggestions"),
}


class NoticeKind(StrEnum):
    """The kind of the notice the creator gets (``notifications.models.Kind`` values)."""

    DECISION = "decision"
    RETURNED = "returned"
    REJECTED = "rejected"


@dataclass(frozen=True)
class Step:
    """A human step of the flow: the state it waits in and whose inbox it shows in."""

    name: str
    state: str
    role: str
    label: Promise  # the inbox's and the dashboard's name of the step
    task_phrase: Promise  # "New task: <phrase> «title»"


@dataclass(frozen=True)
class Transition:
    """One way a project leaves a state. ``action`` is the code of the API, the pages and the trail."""

    action: AuditAction
    method: str  # the django-fsm method on ``Project``
    sources: tuple[str, ...]
    target: str
    role: str
    label: Promise  # the button and the page title
    success: Promise | None = None  # said after it is taken on a page (per-project rows)
    help: Promise | None = None  # said on its page
    input: Input = Input.NONE
    comment_required: bool = False
    not_by_creator: bool = False  # a user may not decide on a project they created
    overrides_claim: bool = False  # may close a step someone else has claimed
    rechecks_rules: bool = False  # the guideline's rules run again, under the district's lock
    locks_district: bool = False  # changes what the district's budget holds
    per_project: bool = True  # offered on the project (``submit`` goes with the district's book)
    ends: bool = False  # ends the project (styled and confirmed as such on the pages)
    notice_kind: NoticeKind = NoticeKind.DECISION
    notice: Promise | None = None  # the creator's notice; %(title)s %(district)s %(actor)s %(comment)s

    @property
    def arguments(self) -> tuple[str, ...]:
        return INPUT_ARGUMENTS[self.input]

    @property
    def steps(self) -> tuple[str, ...]:
        """The flow steps it completes: the ones its source states wait in."""
        return tuple(STEP_OF_STATE[source] for source in self.sources)


STEPS: tuple[Step, ...] = (
    Step("review", State.SELECTED, Role.DISTRICT_CHIEF, _("Review and approve"), _("review")),
    Step("revise", State.RETURNED, Role.DISTRICT_OFFICER, _("Revise"), _("revise")),
    Step(
        "implement",
        State.APPROVED,
        Role.DISTRICT_OFFICER,
        _("Record implementation"),
        _("record the implementation of"),
    ),
    Step("monitor", State.IMPLEMENTED, Role.REGIONAL_INSPECTOR, _("Monitor"), _("monitor")),
    Step("report", State.MONITORED, Role.DISTRICT_OFFICER, _("Report results"), _("report the results of")),
    Step("submit", State.REPORTED, Role.DISTRICT_CHIEF, _("Submit the district's report"), _("submit")),
)

# The flow's end nodes and the state each stands for.
END_STEPS: dict[str, str] = {
    "submitted": State.SUBMITTED,
    "rejected": State.REJECTED,
    "withdrawn": State.WITHDRAWN,
}

TRANSITIONS: tuple[Transition, ...] = (
    Transition(
        action=AuditAction.APPROVE,
        method="approve",
        sources=(State.SELECTED,),
        target=State.APPROVED,
        role=Role.DISTRICT_CHIEF,
        label=_("Approve"),
        success=_("The project is approved."),
        help=_(
            "Approving lets the district office carry out the project. The guideline's rules are "
            "checked again when you approve."
        ),
        not_by_creator=True,
        rechecks_rules=True,
        locks_district=True,
        notice=_("«%(title)s» (%(district)s) was approved by %(actor)s."),
    ),
    Transition(
        action=AuditAction.RETURN,
        method="return_for_revision",
        sources=(State.SELECTED,),
        target=State.RETURNED,
        role=Role.DISTRICT_CHIEF,
        label=_("Return for revision"),
        success=_("The project is returned."),
        help=_("The project goes back to the district office with your comment."),
        comment_required=True,
        notice_kind=NoticeKind.RETURNED,
        notice=_("«%(title)s» (%(district)s) was returned for revision by %(actor)s: %(comment)s"),
    ),
    Transition(
        action=AuditAction.REJECT,
        method="reject",
        sources=(State.SELECTED,),
        target=State.REJECTED,
        role=Role.DISTRICT_CHIEF,
        label=_("Reject"),
        success=_("The project is rejected."),
        help=_("A rejected project ends here and no longer holds any of the district's budget."),
        comment_required=True,
        locks_district=True,
        ends=True,
        notice_kind=NoticeKind.REJECTED,
        notice=_("«%(title)s» (%(district)s) was rejected by %(actor)s: %(comment)s"),
    ),
    Transition(
        action=AuditAction.WITHDRAW,
        method="withdraw",
        sources=(State.SELECTED, State.RETURNED),
        target=State.WITHDRAWN,
        role=Role.DISTRICT_OFFICER,
        label=_("Withdraw"),
        success=_("The project is withdrawn."),
        help=_("The project ends here and no longer holds any of the district's budget."),
        overrides_claim=True,
        locks_district=True,
        ends=True,
        notice=_("«%(title)s» (%(district)s) was withdrawn by %(actor)s."),
    ),
    Transition(
        action=AuditAction.RESUBMIT,
        method="resubmit",
        sources=(State.RETURNED,),
        target=State.SELECTED,
        role=Role.DISTRICT_OFFICER,
        label=_("Resubmit for approval"),
        success=_("The project is resubmitted for approval."),
        help=_("The project goes back to the district chief for approval."),
        rechecks_rules=True,
        locks_district=True,
        notice=_("«%(title)s» (%(district)s) was resubmitted for review by %(actor)s."),
    ),
    Transition(
        action=AuditAction.IMPLEMENT,
        method="implement",
        sources=(State.APPROVED,),
        target=State.IMPLEMENTED,
        role=Role.DISTRICT_OFFICER,
        label=_("Record the implementation"),
        success=_("The implementation is recorded."),
        help=_("Record what was actually spent and done. The regional inspector monitors the project next."),
        input=Input.IMPLEMENTATION,
        locks_district=True,  # what it spends counts against the district's cap (spend_cap_exceeded)
        notice=_("«%(title)s» (%(district)s): %(actor)s recorded the implementation."),
    ),
    Transition(
        action=AuditAction.RETURN,
        method="return_for_more_work",
        sources=(State.IMPLEMENTED,),
        target=State.APPROVED,
        role=Role.REGIONAL_INSPECTOR,
        label=_("Return for more work"),
        success=_("The project is returned."),
        help=_("The project goes back to the district office with your comment."),
        comment_required=True,
        notice_kind=NoticeKind.RETURNED,
        notice=_("«%(title)s» (%(district)s) was returned for more work by %(actor)s: %(comment)s"),
    ),
    Transition(
        action=AuditAction.MONITOR,
        method="monitor",
        sources=(State.IMPLEMENTED,),
        target=State.MONITORED,
        role=Role.REGIONAL_INSPECTOR,
        label=_("Record the monitoring"),
        success=_("The monitoring is recorded."),
        help=_("Record your findings and recommendations; the district office then reports."),
        input=Input.MONITORING,
        not_by_creator=True,
        notice=_("«%(title)s» (%(district)s) was monitored by %(actor)s."),
    ),
    Transition(
        action=AuditAction.REPORT,
        method="report",
        sources=(State.MONITORED,),
        target=State.REPORTED,
        role=Role.DISTRICT_OFFICER,
        label=_("Report the results"),
        success=_("The results are reported."),
        help=_(
            "Write the result of the project for the report book; the district chief submits it with the "
            "district's other projects."
        ),
        input=Input.REPORT,
        notice=_("«%(title)s» (%(district)s): %(actor)s reported the results."),
    ),
    Transition(
        action=AuditAction.SUBMIT,
        method="submit",
        sources=(State.REPORTED,),
        target=State.SUBMITTED,
        role=Role.DISTRICT_CHIEF,
        label=_("Submit"),
        per_project=False,
        notice=_("«%(title)s» (%(district)s) was submitted to the centre by %(actor)s."),
    ),
)


# --- Look-ups derived from the table --------------------------------------------------------

STEP_BY_NAME: dict[str, Step] = {step.name: step for step in STEPS}
STEP_OF_STATE: dict[str, str] = {step.state: step.name for step in STEPS}
# The row for an action taken from a state.
BY_ACTION_STATE: dict[tuple[str, str], Transition] = {
    (t.action, source): t for t in TRANSITIONS for source in t.sources
}
# The actions, in the order the pages offer them (first row of each action).
ACTIONS: tuple[str, ...] = tuple(dict.fromkeys(t.action for t in TRANSITIONS))
PROJECT_ACTIONS: tuple[str, ...] = tuple(dict.fromkeys(t.action for t in TRANSITIONS if t.per_project))


def rows(action: str) -> list[Transition]:
    """Every row of ``action`` (``return`` has one per state it is taken from)."""
    return [t for t in TRANSITIONS if t.action == action]


def first(action: str) -> Transition:
    """The first row of ``action``: what all its rows share (input, comment rule, claim rule)."""
    return rows(action)[0]


def row_for(action: str, state: str) -> Transition | None:
    return BY_ACTION_STATE.get((action, state))


def roles_for(action: str) -> set[str]:
    return {t.role for t in rows(action)}


def action_roles() -> dict[str, dict[str, str]]:
    """``{action: {source state: role}}``."""
    roles: dict[str, dict[str, str]] = {}
    for t in TRANSITIONS:
        for source in t.sources:
            roles.setdefault(t.action, {})[source] = t.role
    return roles


def state_label(state: str) -> str:
    """The name of ``state`` in the active language, the one every page, notice, book and export
    shows: the ``State`` choice's label (an unknown code, from old data, shows as itself).

    A state's name is a participle or a noun ("Monitored", ตรวจสอบติดตามแล้ว); the step that waits
    in a state and the transition that leaves it are named by their verbs (``Step.label``,
    ``Transition.label``: "Monitor", ตรวจสอบติดตาม), in the guideline's own words.
    """
    try:
        return str(State(state).label)
    except ValueError:
        return str(state)


def step_of(state: str) -> str | None:
    """The human step a project in ``state`` waits in (``None`` for final states)."""
    return STEP_OF_STATE.get(state)


def _check_uniform() -> None:
    """What the services ask of an action before they know its state must not depend on the state."""
    for action in ACTIONS:
        shared = {(t.input, t.comment_required, t.overrides_claim, t.per_project) for t in rows(action)}
        if len(shared) != 1:  # pragma: no cover - a wrong table fails at import
            raise ImportError(f"transition table: rows of {action!r} differ in input or rules")


_check_uniform()

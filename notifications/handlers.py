"""Who is told what about each domain event (``workflow.events`` calls ``on_domain_event``).

Runs inside the change's transaction: the notices are written there (one insert per event)
and the pushes and e-mails are scheduled for after commit. Recipients are chosen by role and
area through ``workflow.access.users_holding`` (acting officials included), so they may see
the project by construction. Nobody is told about their own act, and nobody gets two notices
for one event (the creator's decision notice carries the new task's id when it is theirs too).

* a project's new step (create, approve, return, resubmit, implement, monitor, report): every
  user who may act on it — ``task_new``;
* a decision on a project (approve, implement, monitor, report, resubmit, withdraw, submit by
  someone else): its creator — ``decision``; return and reject with the comment — ``returned``
  / ``rejected``;
* a district's submission: every central planner — ``submitted``;
* a task assigned to someone: that person — ``task_new``;
* a task claimed, released, assigned or completed: a transient ``task.update`` push to its
  candidates (no row).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.db import transaction
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from workflow import access, flows
from workflow.dates import format_date
from workflow.models import AuditEvent, District, Project, Role

from . import push
from .models import Kind
from .services import Draft, deliver, notify

__all__ = ["notify", "on_domain_event"]

LANGUAGES = ("th", "en")

# What the user is asked to do at each step.
STEP_LABELS: dict[str, Promise] = {
    "review": _("review"),
    "revise": _("revise"),
    "implement": _("record the implementation of"),
    "monitor": _("monitor"),
    "report": _("report the results of"),
    "submit": _("submit"),
}

TASK_NEW = _("New task: %(step)s «%(title)s» (%(district)s)")
TASK_ASSIGNED = _("%(actor)s assigned you a task: %(step)s «%(title)s» (%(district)s)")
COMMENT = _("Comment: %(comment)s")
ACTING_FOR = _("%(name)s (acting for %(official)s)")
SYSTEM = _("the system")

# The creator's notice per action: (kind, text). "return" depends on the state it left.
DECISIONS: dict[str, tuple[str, Promise]] = {
    "approve": (Kind.DECISION, _("«%(title)s» (%(district)s) was approved by %(actor)s.")),
    "implement": (Kind.DECISION, _("«%(title)s» (%(district)s): %(actor)s recorded the implementation.")),
    "monitor": (Kind.DECISION, _("«%(title)s» (%(district)s) was monitored by %(actor)s.")),
    "report": (Kind.DECISION, _("«%(title)s» (%(district)s): %(actor)s reported the results.")),
    "resubmit": (Kind.DECISION, _("«%(title)s» (%(district)s) was resubmitted for review by %(actor)s.")),
    "withdraw": (Kind.DECISION, _("«%(title)s» (%(district)s) was withdrawn by %(actor)s.")),
    "submit": (Kind.DECISION, _("«%(title)s» (%(district)s) was submitted to the centre by %(actor)s.")),
    "reject": (Kind.REJECTED, _("«%(title)s» (%(district)s) was rejected by %(actor)s: %(comment)s")),
}
RETURNED_FOR_REVISION = _("«%(title)s» (%(district)s) was returned for revision by %(actor)s: %(comment)s")
RETURNED_FOR_MORE_WORK = _("«%(title)s» (%(district)s) was returned for more work by %(actor)s: %(comment)s")
SUBMITTED = ngettext_lazy(
    "%(district)s submitted %(count)d project of edition %(edition)s on %(date)s (version %(version)s).",
    "%(district)s submitted %(count)d projects of edition %(edition)s on %(date)s (version %(version)s).",
    "count",
)

PROJECT_ACTIONS = frozenset({"create", *DECISIONS, "return"})
TASK_ACTIONS = frozenset({"task_claim", "task_unclaim", "task_assign"})


def on_domain_event(event: AuditEvent) -> None:
    if event.action in PROJECT_ACTIONS and event.object_type == "project" and event.project_id:
        _project_changed(event)
    elif event.action == "district_submit" and event.district_id:
        _district_submitted(event)
    elif event.action == "submission_acknowledge" and event.district_id:
        _book_received(event)
    elif event.action in TASK_ACTIONS and event.project_id:
        _task_changed(event)


# --- Texts -------------------------------------------------------------------------------


def _person(user: Any) -> str:
    full = (user.get_full_name() or "").strip() if hasattr(user, "get_full_name") else ""
    return full or user.get_username()


def _district_name(district: District, language: str) -> str:
    if language == "en":
        return district.name_en or district.name_th
    return district.name_th


@dataclass
class _Texts:
    """Renders one message in Thai and in English with the event's facts."""

    event: AuditEvent
    district: District
    title: str = ""

    def _actor(self) -> str:
        actor = self.event.actor
        if actor is None:
            return str(SYSTEM)
        if self.event.acting_for is not None:
            return str(ACTING_FOR % {"name": _person(actor), "official": _person(self.event.acting_for)})
        return _person(actor)

    def render(self, message: Promise, **extra: Any) -> tuple[str, str]:
        texts = []
        for language in LANGUAGES:
            with translation.override(language):
                values = {
                    "title": self.title,
                    "district": _district_name(self.district, language),
                    "actor": self._actor(),
                    "comment": self.event.comment,
                    **{key: value if isinstance(value, int) else str(value) for key, value in extra.items()},
                }
                text = str(message % values)
                if self.event.comment and "%(comment)s" not in str(message):
                    text = f"{text} {COMMENT % {'comment': self.event.comment}}"
                texts.append(text)
        return texts[0], texts[1]


# --- Projects ------------------------------------------------------------------------------


def _creator_notice(event: AuditEvent) -> tuple[str, Promise] | None:
    if event.action == "return":
        if event.from_state == "implemented":
            return Kind.RETURNED, RETURNED_FOR_MORE_WORK
        return Kind.RETURNED, RETURNED_FOR_REVISION
    return DECISIONS.get(event.action)


def _candidate_ids(step: str, district: District) -> list[int]:
    return list(access.users_holding(flows.STEP_ROLE[step], district).values_list("pk", flat=True))


def _project_changed(event: AuditEvent) -> None:
    project: Project = event.project  # type: ignore[assignment]
    district = project.district
    texts = _Texts(event=event, district=district, title=project.title)
    actor_id = event.actor_id
    drafts: dict[int, Draft] = {}

    notice = _creator_notice(event)
    if notice is not None and project.created_by_id != actor_id:
        kind, message = notice
        text_th, text_en = texts.render(message)
        drafts[project.created_by_id] = Draft(project.created_by_id, kind, text_th, text_en)

    task = flows.open_step_task(project)
    if task is not None:
        step = flows.step_name(task)
        text_th, text_en = texts.render(TASK_NEW, step=STEP_LABELS[step])
        for user_id in _candidate_ids(step, district):
            if user_id == actor_id:
                continue
            if user_id in drafts:  # the creator: one notice, pointing at their new task
                drafts[user_id].task_id = task.pk
                continue
            drafts[user_id] = Draft(user_id, Kind.TASK_NEW, text_th, text_en, task_id=task.pk)

    deliver(list(drafts.values()), project=project, event=event)
    if event.action != "create":
        _schedule_completed_task_update(project, district)


def _schedule_completed_task_update(project: Project, district: District) -> None:
    """The step this change completed: tell its candidates' open inboxes it is gone."""
    done = (
        Task.objects.filter(
            process__projectprocess__project=project, flow_task_type="HUMAN", status=STATUS.DONE
        )
        .select_related("owner")
        .order_by("-id")
        .first()
    )
    if done is None:
        return
    step = flows.step_name(done)
    if step not in flows.STEP_ROLE:
        return
    _schedule_task_update(_candidate_ids(step, district), done, project.pk)


def _schedule_task_update(user_ids: Iterable[int], task: Task, project_id: Any) -> None:
    recipients = set(user_ids)
    if task.owner_id is not None:
        recipients.add(task.owner_id)
    transaction.on_commit(
        partial(
            push.push_task_update,
            user_ids=sorted(recipients),
            task_id=task.pk,
            project_id=project_id,
            status=str(task.status),
            owner_id=task.owner_id,
            owner_name=task.owner.get_username() if task.owner_id else "",
        ),
        robust=True,
    )


# --- The district's submission ---------------------------------------------------------


def _district_submitted(event: AuditEvent) -> None:
    district: District = event.district  # type: ignore[assignment]
    texts = _Texts(event=event, district=district)
    payload = event.payload or {}
    day = timezone.localdate(event.created_at)
    drafts = []
    text_th, text_en = "", ""
    for user_id in access.users_holding(Role.CENTRAL_PLANNER, district).values_list("pk", flat=True):
        if user_id == event.actor_id:
            continue
        if not text_th:
            text_th, text_en = _render_submitted(texts, payload, day)
        drafts.append(Draft(user_id, Kind.SUBMITTED, text_th, text_en))
    deliver(drafts, event=event)


def _render_submitted(texts: _Texts, payload: dict[str, Any], day: Any) -> tuple[str, str]:
    rendered = []
    for language in LANGUAGES:
        with translation.override(language):
            values = {
                "district": _district_name(texts.district, language),
                "count": len(payload.get("projects", [])),
                "edition": payload.get("edition", ""),
                "date": format_date(day, language),
                "version": payload.get("version", ""),
            }
            text = str(SUBMITTED % values)
            if texts.event.comment:
                text = f"{text} {COMMENT % {'comment': texts.event.comment}}"
            rendered.append(text)
    return rendered[0], rendered[1]


RECEIVED = _(
    "The Academic and Planning Division received the report book of %(district)s "
    "(version %(version)s) on %(date)s."
)


def _book_received(event: AuditEvent) -> None:
    """The district's chief and officers learn that the centre has their book."""
    district: District = event.district  # type: ignore[assignment]
    payload = event.payload or {}
    day = timezone.localdate(event.created_at)
    rendered = []
    for language in LANGUAGES:
        with translation.override(language):
            text = str(
                RECEIVED
                % {
                    "district": _district_name(district, language),
                    "version": payload.get("version", ""),
                    "date": format_date(day, language),
                }
            )
            if event.comment:
                text = f"{text} {COMMENT % {'comment': event.comment}}"
            rendered.append(text)
    users: set[int] = set()
    for role in (Role.DISTRICT_CHIEF, Role.DISTRICT_OFFICER):
        users.update(access.users_holding(role, district).values_list("pk", flat=True))
    users.discard(event.actor_id or 0)
    deliver(
        [Draft(user_id, Kind.RECEIVED, rendered[0], rendered[1]) for user_id in sorted(users)], event=event
    )


# --- Tasks ---------------------------------------------------------------------------------


def _task_changed(event: AuditEvent) -> None:
    try:
        task = Task.objects.select_related("owner").get(pk=int(event.object_id))
    except (Task.DoesNotExist, ValueError):
        return
    project: Project = event.project  # type: ignore[assignment]
    district = project.district
    step = str((event.payload or {}).get("step") or flows.step_name(task))
    if step not in flows.STEP_ROLE:
        return
    if event.action == "task_assign" and task.owner_id is not None and task.owner_id != event.actor_id:
        texts = _Texts(event=event, district=district, title=project.title)
        text_th, text_en = texts.render(TASK_ASSIGNED, step=STEP_LABELS[step])
        deliver(
            [Draft(task.owner_id, Kind.TASK_NEW, text_th, text_en, task_id=task.pk)],
            project=project,
            event=event,
        )
    _schedule_task_update(_candidate_ids(step, district), task, project.pk)

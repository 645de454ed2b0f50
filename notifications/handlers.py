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
* a district's first approved project while nothing is disbursed: the provincial officers of
  its province — ``disbursement`` (read with the approval's own facts and recipients: no
  statement more); a disbursement recorded: the district's officers and chief — ``disbursement``;
* a task assigned to someone: that person — ``task_new``;
* a task claimed, released, assigned or completed: a transient ``task.update`` push to its
  candidates (no row).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from typing import Any

from django.db import transaction
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from workflow import access, events, flows, sql, transitions
from workflow.dates import format_date
from workflow.models import AuditEvent, District, Project, Role
from workflow.rules import money

from . import push
from .models import Kind
from .services import Draft, deliver, notify

__all__ = ["notify", "on_domain_event"]

LANGUAGES = ("th", "en")

# What the user is asked to do at each step, and the creator's notice per transition: from the
# one table of steps and transitions (``workflow.transitions``).
STEP_LABELS: dict[str, Promise] = {step.name: step.task_phrase for step in transitions.STEPS}

TASK_NEW = _("New task: %(step)s «%(title)s» (%(district)s)")
TASK_ASSIGNED = _("%(actor)s assigned you a task: %(step)s «%(title)s» (%(district)s)")
COMMENT = _("Comment: %(comment)s")
ACTING_FOR = _("%(name)s (acting for %(official)s)")
SYSTEM = _("the system")
SUBMITTED = ngettext_lazy(
    "%(district)s submitted %(count)d project of edition %(edition)s on %(date)s (version %(version)s).",
    "%(district)s submitted %(count)d projects of edition %(edition)s on %(date)s (version %(version)s).",
    "count",
)

PROJECT_ACTIONS = frozenset({"create", *transitions.ACTIONS})
TASK_ACTIONS = frozenset({"task_claim", "task_unclaim", "task_assign"})


def on_domain_event(event: AuditEvent, context: events.Context = events.NO_CONTEXT) -> None:
    if event.action in PROJECT_ACTIONS and event.object_type == "project" and event.project_id:
        _project_changed(event, context)
    elif event.action == "district_submit" and event.district_id:
        _district_submitted(event)
    elif event.action == "submission_acknowledge" and event.district_id:
        _book_received(event)
    elif event.action == "disbursement_record" and event.district_id:
        _disbursement_recorded(event)
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
    row = transitions.row_for(event.action, event.from_state)
    if row is None or row.notice is None:
        return None
    return row.notice_kind, row.notice


def _candidate_ids(step: str, district: District) -> list[int]:
    return list(access.users_holding(flows.STEP_ROLE[step], district).values_list("pk", flat=True))


@dataclass(frozen=True)
class _Recipients:
    """Who holds the new step's role, who held the closed step's, the province's provincial
    officers when asked (a disbursement is due), and who wants e-mail at once."""

    new_step: list[int]
    done_step: list[int]
    addresses: dict[int, str]
    province: list[int] = field(default_factory=list)


def _recipients(found: Iterable[sql.Recipient]) -> _Recipients:
    """Who hears of a transition (``flows.step_people`` and the creator), sorted by their tags,
    with who wants e-mail at once; the inactive left out."""
    result = _Recipients([], [], {})
    for r in found:
        if not r.is_active:
            continue
        if "n" in r.tags:
            result.new_step.append(r.user_id)
        if "d" in r.tags:
            result.done_step.append(r.user_id)
        if "p" in r.tags:
            result.province.append(r.user_id)
        if r.wants_mail_now and r.email:
            result.addresses[r.user_id] = r.email
    return result


def _project_changed(event: AuditEvent, context: events.Context) -> None:
    project: Project = event.project  # type: ignore[assignment]
    district = project.district
    texts = _Texts(event=event, district=district, title=project.title)
    actor_id = event.actor_id
    drafts: dict[int, Draft] = {}

    change = context.step
    if change is None:  # a project just created: its first step is open
        task = flows.open_step_task(project)
        new_task_id = task.pk if task is not None else None
        new_step = flows.step_name(task) if task is not None else None
        done_step = None
    else:
        new_task_id, new_step, done_step = change.new_task_id, change.new_step, change.done_step
    if change is not None and change.people is not None:  # read with the step (``flows.People``)
        found: Iterable[sql.Recipient] = change.people
    else:
        people = flows.People(district, project.created_by_id, disbursement_due=context.disbursement_due)
        found = flows.people_of(people, done_step=done_step, new_step=new_step)
    recipients = _recipients(found)

    notice = _creator_notice(event)
    if notice is not None and project.created_by_id != actor_id:
        kind, message = notice
        text_th, text_en = texts.render(message)
        drafts[project.created_by_id] = Draft(project.created_by_id, kind, text_th, text_en)

    if new_step is not None:
        text_th, text_en = texts.render(TASK_NEW, step=STEP_LABELS[new_step])
        for user_id in recipients.new_step:
            if user_id == actor_id:
                continue
            if user_id in drafts:  # the creator: one notice, pointing at their new task
                drafts[user_id].task_id = new_task_id
                continue
            drafts[user_id] = Draft(user_id, Kind.TASK_NEW, text_th, text_en, task_id=new_task_id)

    if recipients.province:
        text_th, text_en = _render_due(district, project.title)
        for user_id in recipients.province:
            if user_id != actor_id and user_id not in drafts:
                drafts[user_id] = Draft(user_id, Kind.DISBURSEMENT, text_th, text_en)

    deliver(list(drafts.values()), project=project, event=event, addresses=recipients.addresses)
    if change is not None:
        actor = event.actor
        _schedule_push(
            recipients.done_step,
            task_id=change.done_task_id,
            project_id=project.pk,
            status=str(STATUS.DONE),
            owner_id=actor_id,
            owner_name=actor.get_username() if actor is not None else "",
        )


def _schedule_task_update(user_ids: Iterable[int], task: Task, project_id: Any) -> None:
    _schedule_push(
        user_ids,
        task_id=task.pk,
        project_id=project_id,
        status=str(task.status),
        owner_id=task.owner_id,
        owner_name=task.owner.get_username() if task.owner_id else "",
    )


def _schedule_push(
    user_ids: Iterable[int],
    *,
    task_id: int,
    project_id: Any,
    status: str,
    owner_id: int | None,
    owner_name: str,
) -> None:
    """After commit, tell the step's candidates (and its owner) that the task changed."""
    recipients = set(user_ids)
    if owner_id is not None:
        recipients.add(owner_id)
    transaction.on_commit(
        partial(
            push.push_task_update,
            user_ids=sorted(recipients),
            task_id=task_id,
            project_id=project_id,
            status=status,
            owner_id=owner_id,
            owner_name=owner_name,
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


# --- The province's disbursement --------------------------------------------------------------

DISBURSEMENT_DUE = _(
    "%(district)s has its first approved project («%(title)s»): record the disbursement of the "
    "district's allocation."
)
DISBURSEMENT_RECORDED = _(
    "The provincial office recorded a disbursement of %(amount)s baht to %(district)s on %(date)s "
    "(reference %(reference)s); disbursed in all: %(total)s baht."
)


def _render_due(district: District, title: str) -> tuple[str, str]:
    rendered = []
    for language in LANGUAGES:
        with translation.override(language):
            rendered.append(
                str(DISBURSEMENT_DUE % {"district": _district_name(district, language), "title": title})
            )
    return rendered[0], rendered[1]


def _disbursement_recorded(event: AuditEvent) -> None:
    """The district's chief and officers learn that the province paid (and how much in all)."""
    district: District = event.district  # type: ignore[assignment]
    payload = event.payload or {}
    rendered = []
    for language in LANGUAGES:
        with translation.override(language):
            paid_on = payload.get("paid_on")
            day = datetime.date.fromisoformat(paid_on) if paid_on else timezone.localdate(event.created_at)
            rendered.append(
                str(
                    DISBURSEMENT_RECORDED
                    % {
                        "amount": money(Decimal(payload.get("amount") or "0")),
                        "district": _district_name(district, language),
                        "date": format_date(day, language),
                        "reference": payload.get("reference", ""),
                        "total": money(Decimal(payload.get("disbursed_total") or "0")),
                    }
                )
            )
    users: set[int] = set()
    for role in (Role.DISTRICT_CHIEF, Role.DISTRICT_OFFICER):
        users.update(access.users_holding(role, district).values_list("pk", flat=True))
    users.discard(event.actor_id or 0)
    deliver(
        [Draft(user_id, Kind.DISBURSEMENT, rendered[0], rendered[1]) for user_id in sorted(users)],
        event=event,
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

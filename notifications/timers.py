"""Reminders before a step's due date, and escalation once it is overdue.

Safe to run every minute (``manage.py run_timers``, or ``--loop``): each reminder and each
escalation level has a unique mark (``TimerMark``) written in the same transaction as its
notices and its audit event, so it is sent exactly once however often the timers run, even
by two processes at the same time. Escalation climbs the ladder every
``Edition.escalation["escalate_every"]`` working days: the district chief, then the
provincial officer, then the regional inspector.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from viewflow.workflow.models import Task

from workflow import access, audit, events, flows, schedule
from workflow.audit_actions import AuditAction
from workflow.dates import format_date
from workflow.models import ProgressUpdate, Project, Role, State
from workflow.models.programme import default_escalation
from workflow.models.projects import FINAL_STATES
from workflow.services.system import system_user

from .models import Kind, TimerMark
from .services import notify

logger = logging.getLogger(__name__)

PROJECT = "process__projectprocess__project__"
# Who is told at each level of escalation (level 1 also tells whoever holds the task).
LEVEL_ROLE = {1: Role.DISTRICT_CHIEF, 2: Role.PROVINCIAL_OFFICER, 3: Role.REGIONAL_INSPECTOR}


@dataclass
class TimerSummary:
    reminders: int = 0
    escalations: int = 0
    progress_reminders: int = 0  # officers of running projects with no recent progress update
    keys: list[str] = field(default_factory=list)


def open_tasks() -> Any:
    return (
        Task.objects.filter(flow_task_type="HUMAN", status__in=flows.ACTIVE_STATUSES)
        .exclude(**{f"{PROJECT}state__in": FINAL_STATES})
        .select_related("owner", f"{PROJECT}district__province", f"{PROJECT}edition")
        .annotate(due_date=schedule.task_due_date_expression(PROJECT))
        .order_by("id")
    )


def _mark_once(key: str) -> bool:
    """True the first time ``key`` is marked (inside the caller's transaction)."""
    try:
        with transaction.atomic():
            TimerMark.objects.create(key=key)
    except IntegrityError:
        return False
    return True


def _texts(message: str, params: dict[str, Any], due: datetime.date) -> tuple[str, str]:
    out = []
    for language in ("th", "en"):
        with translation.override(language):
            out.append(_(message) % {**params, "due": format_date(due)})
    return out[0], out[1]


REMINDER = "Reminder: %(step)s of «%(title)s» is due on %(due)s."
OVERDUE = "Overdue: %(step)s of «%(title)s» was due on %(due)s (%(district)s)."
# gettext markers so makemessages finds the texts formatted above.
_("Reminder: %(step)s of «%(title)s» is due on %(due)s.")
_("Overdue: %(step)s of «%(title)s» was due on %(due)s (%(district)s).")


def _step_label(step: str) -> str:
    labels = {
        "review": _("the review"),
        "revise": _("the revision"),
        "implement": _("the implementation record"),
        "monitor": _("the monitoring"),
        "report": _("the result report"),
        "submit": _("the district's submission"),
    }
    return labels.get(step, step)


def _send(
    *,
    actor: Any,
    task: Task,
    project: Project,
    key: str,
    action: AuditAction,
    kind: str,
    recipients: list[Any],
    message: str,
    due: datetime.date,
    level: int = 0,
) -> bool:
    """Mark, record and notify in one transaction; False when it had been sent already."""
    step = flows.step_name(task)
    with transaction.atomic():
        if not _mark_once(key):
            return False
        event = audit.record(
            actor=audit.Actor(user=actor),
            action=action,
            object_type="task",
            object_id=task.pk,
            project=project,
            from_state=project.state,
            to_state=project.state,
            is_late=timezone.localdate() > project.edition.deadline,
            payload={
                "step": step,
                "due": due,
                "level": level,
                "recipients": sorted(u.get_username() for u in recipients),
            },
        )
        events.dispatch(event)
        with translation.override("th"):
            step_th = _step_label(step)
        with translation.override("en"):
            step_en = _step_label(step)
        text_th, _unused = _texts(
            message, {"step": step_th, "title": project.title, "district": project.district.name_th}, due
        )
        _unused, text_en = _texts(
            message,
            {
                "step": step_en,
                "title": project.title,
                "district": project.district.name_en or project.district.name_th,
            },
            due,
        )
        notify(
            recipients=recipients,
            kind=kind,
            project=project,
            text_th=text_th,
            text_en=text_en,
            event=event,
            task_id=task.pk,
        )
    return True


def timers_run(*, acting_user: Any = None, today: datetime.date | None = None) -> TimerSummary:
    """Send every reminder and escalation that is due and not yet sent."""
    actor = acting_user or system_user()
    today = today or timezone.localdate()
    summary = TimerSummary()
    progress_reminders_run(actor=actor, today=today, summary=summary)
    tasks = list(open_tasks())
    if not tasks:
        return summary
    dues = [t.due_date for t in tasks]
    holidays = schedule.holidays_between(min([today, *dues]), max([today, *dues]))
    for task in tasks:
        project: Project = task.process.projectprocess.project
        due: datetime.date = task.due_date
        config = {**default_escalation(), **(project.edition.escalation or {})}
        step = flows.step_name(task)
        holders = (
            [task.owner]
            if task.owner_id
            else list(access.users_holding(flows.STEP_ROLE[step], project.district))
        )
        left = schedule.working_days_between(today, due, holidays)
        if today <= due and left <= int(config["remind_before"]):
            key = f"reminder:{task.pk}:{due.isoformat()}"
            if _send(
                actor=actor,
                task=task,
                project=project,
                key=key,
                action=AuditAction.REMINDER,
                kind=Kind.REMINDER,
                recipients=holders,
                message=REMINDER,
                due=due,
            ):
                summary.reminders += 1
                summary.keys.append(key)
        if today > due:
            late_days = schedule.working_days_between(due, today, holidays)
            level = min(3, 1 + max(0, late_days - 1) // max(1, int(config["escalate_every"])))
            for step_level in range(1, level + 1):
                told = list(access.users_holding(LEVEL_ROLE[step_level], project.district))
                if step_level == 1:
                    told = list({u.pk: u for u in [*holders, *told]}.values())
                key = f"escalation:{task.pk}:{due.isoformat()}:{step_level}"
                if _send(
                    actor=actor,
                    task=task,
                    project=project,
                    key=key,
                    action=AuditAction.ESCALATION,
                    kind=Kind.OVERDUE if step_level == 1 else Kind.ESCALATION,
                    recipients=told,
                    message=OVERDUE,
                    due=due,
                    level=step_level,
                ):
                    summary.escalations += 1
                    summary.keys.append(key)
    return summary


# --- Progress of running projects ------------------------------------------------------------

PROGRESS_REMINDER = (
    "Reminder: «%(title)s» has had no progress update for %(days)s working days "
    "(since %(since)s). Post its progress on the project page."
)
_(
    "Reminder: «%(title)s» has had no progress update for %(days)s working days "
    "(since %(since)s). Post its progress on the project page."
)


def quiet_projects(today: datetime.date) -> list[tuple[Project, datetime.date, int]]:
    """Approved projects of the active edition whose last progress update (or, if none, their
    approval) is more than ``Edition.progress_reminder_days`` working days before ``today``:
    each with the date of that last update and the working days since. Two queries (the
    projects with their last update, the holidays)."""
    projects = list(
        Project.objects.filter(state=State.APPROVED, edition__is_active=True)
        .select_related("district__province", "edition")
        .annotate(
            last_progress=Max(
                "progress_updates__created_at",
                filter=Q(progress_updates__kind=ProgressUpdate.Kind.PROGRESS),
            )
        )
        .order_by("id")
    )
    if not projects:
        return []
    lasts = {}
    for project in projects:
        moments = [m for m in (project.state_changed_at, project.last_progress) if m is not None]
        lasts[project.pk] = timezone.localdate(max(moments)) if moments else today
    holidays = schedule.holidays_between(min([today, *lasts.values()]), today)
    quiet = []
    for project in projects:
        last = lasts[project.pk]
        days = schedule.working_days_between(last, today, holidays)
        if days > int(project.edition.progress_reminder_days):
            quiet.append((project, last, days))
    return quiet


def progress_reminders_run(*, actor: Any, today: datetime.date, summary: TimerSummary) -> None:
    """Remind the officers of each quiet project once per quiet spell (the mark holds the date of
    the last update, so a new update starts a new spell): audited as ``progress_reminder``."""
    quiet = [
        (f"progress:{p.pk}:{last.isoformat()}", p, last, days) for p, last, days in quiet_projects(today)
    ]
    # Most runs find every quiet project reminded already: one query, and no recipients read.
    sent = set(TimerMark.objects.filter(key__in=[key for key, *_rest in quiet]).values_list("key", flat=True))
    officers: dict[str, list[Any]] = {}
    for key, project, last, days in quiet:
        if key in sent:
            continue
        district = project.district
        if district.code not in officers:
            officers[district.code] = list(access.users_holding(Role.DISTRICT_OFFICER, district))
        recipients = officers[district.code]
        with transaction.atomic():
            if not _mark_once(key):
                continue
            event = audit.record(
                actor=audit.Actor(user=actor),
                action=AuditAction.PROGRESS_REMINDER,
                object_type="project",
                object_id=project.pk,
                project=project,
                from_state=project.state,
                to_state=project.state,
                is_late=today > project.edition.deadline,
                payload={
                    "last_update": last,
                    "working_days": days,
                    "threshold": int(project.edition.progress_reminder_days),
                    "recipients": sorted(u.get_username() for u in recipients),
                },
            )
            events.dispatch(event)
            texts = []
            for language in ("th", "en"):
                with translation.override(language):
                    texts.append(
                        _(PROGRESS_REMINDER)
                        % {"title": project.title, "days": days, "since": format_date(last)}
                    )
            notify(
                recipients=recipients,
                kind=Kind.REMINDER,
                project=project,
                text_th=texts[0],
                text_en=texts[1],
                event=event,
            )
        summary.progress_reminders += 1
        summary.keys.append(key)

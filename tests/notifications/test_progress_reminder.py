"""The timers remind the officers of a running project with no recent progress update (issue 10):
after ``Edition.progress_reminder_days`` working days since the last update (or the approval),
once per quiet spell, audited as ``progress_reminder``."""

from __future__ import annotations

import datetime
import io
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from notifications.models import Notification, TimerMark
from notifications.timers import timers_run
from tests import factories as f
from workflow.models import AuditEvent, Edition, Holiday, ProgressUpdate, Project
from workflow.services import progress as progress_svc
from workflow.services import projects as svc

DAY = datetime.timedelta(days=1)


def at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def approved(world: SimpleNamespace, entry: Any, on: datetime.date) -> Project:
    project = f.make_project(world.officer, entry)
    svc.project_approve(project=project, acting_user=world.chief)
    Project.objects.filter(pk=project.pk).update(state_changed_at=at(on))
    return Project.objects.get(pk=project.pk)


def post_progress(
    world: SimpleNamespace, project: Project, on: datetime.date, kind: str = "progress"
) -> None:
    """An entry as if it had been posted on ``on`` (the service stamps the real time)."""
    if kind == "progress":
        update = progress_svc.project_progress_add(
            project=project,
            acting_user=world.officer,
            as_of=timezone.localdate(),
            percent_done=20,
            text="คืบหน้า",
        )
    else:
        update = progress_svc.project_supervision_add(project=project, acting_user=world.chief, text="ติดตาม")
    ProgressUpdate.objects.filter(pk=update.pk).update(created_at=at(on))


def reminded() -> list[tuple[int | None, str]]:
    return [
        (e.project_id, e.payload["last_update"])
        for e in AuditEvent.objects.filter(action="progress_reminder").order_by("id")
    ]


@pytest.fixture
def quiet(world: SimpleNamespace) -> SimpleNamespace:
    """Reminders after 3 working days; a project approved on a Monday three weeks ago."""
    Edition.objects.filter(pk=world.edition.pk).update(progress_reminder_days=3)
    today = timezone.localdate()
    world.monday = today - datetime.timedelta(days=today.weekday() + 21)
    world.project = approved(world, world.entry, world.monday)
    return world


def test_the_officers_are_reminded_after_n_working_days_once_per_quiet_spell(quiet):
    monday = quiet.monday
    thursday, friday = monday + 3 * DAY, monday + 4 * DAY
    assert timers_run(today=thursday).progress_reminders == 0  # 3 working days: not more than 3
    first = timers_run(today=friday)
    assert first.progress_reminders == 1
    assert timers_run(today=friday).progress_reminders == 0
    assert timers_run(today=friday + 7 * DAY).progress_reminders == 0  # the same quiet spell
    event = AuditEvent.objects.get(action="progress_reminder")
    assert (event.project_id, event.chain, event.from_state, event.to_state) == (
        quiet.project.pk,
        "5001",
        "approved",
        "approved",
    )
    assert event.payload == {
        "last_update": monday.isoformat(),
        "working_days": 4,
        "threshold": 3,
        "recipients": ["officer", "officer2"],
    }
    notices = Notification.objects.filter(event=event)
    assert sorted(n.recipient.username for n in notices) == ["officer", "officer2"]
    assert {n.kind for n in notices} == {"reminder"}
    notice = notices.first()
    assert notice is not None and quiet.project.title in notice.text_th
    assert str(monday.year + 543) in notice.text_th and "4 working days" in notice.text_en
    assert first.keys == [f"progress:{quiet.project.pk}:{monday.isoformat()}"]
    assert TimerMark.objects.filter(key__startswith="progress:").count() == 1

    # A new update starts a new spell: reminded again only after 3 more working days.
    next_monday = monday + 7 * DAY
    post_progress(quiet, quiet.project, next_monday)
    assert timers_run(today=next_monday + 3 * DAY).progress_reminders == 0
    assert timers_run(today=next_monday + 4 * DAY).progress_reminders == 1
    assert reminded() == [
        (quiet.project.pk, monday.isoformat()),
        (quiet.project.pk, next_monday.isoformat()),
    ]


def test_holidays_are_not_working_days(quiet):
    Holiday.objects.create(date=quiet.monday + 2 * DAY, name="วันหยุดชดเชย")
    friday = quiet.monday + 4 * DAY
    assert timers_run(today=friday).progress_reminders == 0
    assert timers_run(today=friday + 3 * DAY).progress_reminders == 1  # the next Monday: the 4th


def test_a_recent_update_spares_a_project_and_notes_do_not_count(quiet):
    friday = quiet.monday + 4 * DAY
    updated = approved(quiet, quiet.entry2, quiet.monday)
    post_progress(quiet, updated, friday - DAY)  # updated yesterday
    post_progress(quiet, quiet.project, friday - DAY, kind="supervision")  # a note is not progress
    not_running = f.make_project(quiet.officer, f.bank_entry(quiet.subs["500103"], "B-7"))
    Project.objects.filter(pk=not_running.pk).update(state_changed_at=at(quiet.monday - 30 * DAY))
    assert timers_run(today=friday).progress_reminders == 1
    assert reminded() == [(quiet.project.pk, quiet.monday.isoformat())]


def test_only_the_active_edition_is_chased_and_the_command_reports(quiet):
    friday = quiet.monday + 4 * DAY
    Edition.objects.filter(pk=quiet.edition.pk).update(is_active=False)
    assert timers_run(today=friday).progress_reminders == 0
    Edition.objects.filter(pk=quiet.edition.pk).update(is_active=True)
    out = io.StringIO()
    call_command("run_timers", "--today", friday.isoformat(), stdout=out)
    assert "progress reminders sent: 1" in out.getvalue()
    assert reminded() == [(quiet.project.pk, quiet.monday.isoformat())]

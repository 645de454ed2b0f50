"""Reminders before a due date and the escalation ladder once overdue; each sent once."""

from __future__ import annotations

import datetime
import io

from django.core.management import call_command

from notifications.models import Notification, TimerMark
from notifications.timers import timers_run
from tests import factories as f
from workflow import schedule
from workflow.models import AuditEvent, Edition


def review_due(world) -> datetime.date:
    return schedule.step_due_date(Edition.objects.get(pk=world.edition.pk), "review")


def told(kind: str) -> set[str]:
    return set(Notification.objects.filter(kind=kind).values_list("recipient__username", flat=True))


def test_a_reminder_goes_to_the_candidates_once_and_is_recorded(world):
    f.make_project(world.officer, world.entry)
    due = review_due(world)
    day_before = schedule.subtract_working_days(due, 1, frozenset())
    far_before = schedule.subtract_working_days(due, 10, frozenset())
    assert timers_run(today=far_before).reminders == 0
    first = timers_run(today=day_before)
    again = timers_run(today=day_before)
    assert (first.reminders, again.reminders) == (1, 0)
    assert told("reminder") == {"chief"}
    event = AuditEvent.objects.get(action="reminder")
    assert event.payload["step"] == "review" and event.payload["recipients"] == ["chief"]
    assert event.chain == "5001"
    text = Notification.objects.get(kind="reminder")
    assert str(due.year + 543) in text.text_th and str(due.year) in text.text_en


def test_overdue_climbs_from_the_chief_to_the_province_to_the_region_each_once(world):
    project = f.make_project(world.officer, world.entry)
    due = review_due(world)
    every = world.edition.escalation["escalate_every"]
    day1 = schedule.add_working_days(due, 1, frozenset())
    assert timers_run(today=day1).escalations == 1
    assert told("overdue") == {"chief"}
    level2 = schedule.add_working_days(due, 1 + every, frozenset())
    assert timers_run(today=level2).escalations == 1
    assert told("escalation") == {"provincial"}
    level3 = schedule.add_working_days(due, 1 + 2 * every, frozenset())
    assert timers_run(today=level3).escalations == 1
    assert told("escalation") == {"provincial", "inspector"}
    assert timers_run(today=level3 + datetime.timedelta(days=30)).escalations == 0
    levels = list(
        AuditEvent.objects.filter(action="escalation", project=project).values_list(
            "payload__level", flat=True
        )
    )
    assert levels == [1, 2, 3]
    assert TimerMark.objects.count() == 3  # first run was after the due date: no reminder, three levels


def test_a_claimed_task_reminds_its_holder_only(world):
    from approvals.selectors import task_list_for
    from approvals.services import task_claim

    f.make_project(world.officer, world.entry)
    second_chief = f.user_with("chief_b", "district_chief", world.d1)
    task = task_list_for(world.chief).get()
    task_claim(task=task, acting_user=second_chief)
    due = review_due(world)
    timers_run(today=due)
    assert told("reminder") == {"chief_b"}


def test_finished_steps_are_not_chased_and_the_command_reports(world):
    from workflow.services import projects as svc

    project = f.make_project(world.officer, world.entry)
    svc.project_reject(project=project, acting_user=world.chief, comment="ไม่สอดคล้อง")
    out = io.StringIO()
    due = review_due(world)
    call_command("run_timers", "--today", (due + datetime.timedelta(days=40)).isoformat(), stdout=out)
    assert "reminders sent: 0, escalations sent: 0" in out.getvalue()
    assert not Notification.objects.filter(kind__in=["overdue", "escalation", "reminder"]).exists()

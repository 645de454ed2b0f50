"""Due dates counted back from the deadline in Thai working days."""

from __future__ import annotations

import datetime

import pytest

from workflow import schedule
from workflow.models import Edition, Holiday

D = datetime.date


def test_subtracting_working_days_skips_weekends_and_holidays():
    # Monday 6 Sep 2021 back 1 working day is Friday 3 Sep; a holiday on Friday moves it to Thursday.
    assert schedule.subtract_working_days(D(2021, 9, 6), 1, frozenset()) == D(2021, 9, 3)
    assert schedule.subtract_working_days(D(2021, 9, 6), 1, frozenset({D(2021, 9, 3)})) == D(2021, 9, 2)
    # a Sunday due date first moves back to Friday
    assert schedule.subtract_working_days(D(2021, 9, 5), 0, frozenset()) == D(2021, 9, 3)
    assert schedule.add_working_days(D(2021, 9, 3), 1, frozenset()) == D(2021, 9, 6)
    assert schedule.working_days_between(D(2021, 9, 3), D(2021, 9, 6), frozenset()) == 1
    assert schedule.working_days_between(D(2021, 9, 6), D(2021, 9, 3), frozenset()) == -1


@pytest.mark.django_db
def test_edition_2564_due_dates_count_back_from_31_august():
    edition = Edition.objects.get(code="2564")
    Holiday.objects.create(date=D(2021, 8, 12), name="วันแม่แห่งชาติ")
    due = schedule.due_dates(edition)
    # 31 Aug 2021 was a Tuesday: the submission is due that day.
    assert due["submit"] == D(2021, 8, 31)
    # 3 working days earlier: Thu 26 Aug.
    assert due["report"] == D(2021, 8, 26)
    # 5 working days before that: Thu 19 Aug.
    assert due["monitor"] == D(2021, 8, 19)
    # 10 working days before that, skipping Thu 12 Aug (Mother's Day): Wed 4 Aug.
    assert due["implement"] == D(2021, 8, 4)
    assert due["review"] == due["revise"]
    assert due["review"] < due["implement"]


@pytest.mark.django_db
def test_lead_times_are_per_edition():
    edition = Edition.objects.get(code="2564")
    edition.step_lead_days = {"submit": 1, "report": 1, "monitor": 1, "implement": 1}
    assert schedule.due_dates(edition, frozenset())["report"] == D(2021, 8, 30)
    assert schedule.due_dates(edition, frozenset())["review"] == D(2021, 8, 25)


def test_the_lists_due_date_in_sql_is_the_schedules_for_every_edition_and_step(world):
    """The inbox, the timers and the dashboard sort and filter on ``task_due_date_expression``:
    for open tasks of several editions and steps it gives what ``step_due_date`` gives."""
    from decimal import Decimal

    from django.contrib.auth import get_user_model
    from viewflow.workflow.models import Task

    from tests import factories as f
    from workflow import flows
    from workflow.models import Project
    from workflow.services import projects as svc

    users = get_user_model().objects
    old = Edition.objects.get(code="2564")
    old.step_lead_days = {"submit": 2, "report": 4, "monitor": 6, "implement": 8}
    old.save()
    waiting = f.make_project(world.officer, world.entry)
    later = f.make_project(world.officer, f.free_entry(world.entry), amount="40000.00")
    svc.project_approve(project=later.pk, acting_user=users.get(pk=world.chief.pk))
    record = svc.ImplementationInput(
        spend_lines=[svc.LineInput("วัสดุ", "activity_materials", Decimal("1000.00"))],
        activities_done="อบรม",
        villages_reached=1,
        households_reached=10,
    )
    moved = f.make_project(world.officer, f.free_entry(world.entry), amount="30000.00")
    svc.project_approve(project=moved.pk, acting_user=users.get(pk=world.chief.pk))
    svc.project_implement(project=moved.pk, acting_user=users.get(pk=world.officer.pk), record=record)
    Project.objects.filter(pk__in=[waiting.pk, moved.pk]).update(edition=old)

    tasks = (
        Task.objects.filter(flow_task_type="HUMAN", status="NEW")
        .annotate(due=schedule.task_due_date_expression("process__projectprocess__project__"))
        .select_related("process__projectprocess__project__edition")
    )
    seen = set()
    for task in tasks:
        project = task.process.projectprocess.project
        step = flows.step_name(task)
        assert task.due == schedule.step_due_date(project.edition, step), (project.edition.code, step)
        seen.add((project.edition.code, step))
    assert len(seen) == 3 and len({code for code, _ in seen}) == 2, seen

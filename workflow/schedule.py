"""Due dates of the steps, counted backwards from the edition's deadline in Thai working days.

The last step (the chief's submission) is due on the deadline. Each earlier step is due when
the steps after it still have the working days the edition keeps for them
(``Edition.step_lead_days``). Weekends and configured public holidays (``Holiday``) are not
working days. A chief's *review* and an officer's *revise* share a slot: both are due when
implementation must start.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.db.models import DateField, Expression, F

from .models import Edition, Holiday
from .models.programme import default_step_lead_days

# The order of the steps in time, last first (revise shares review's slot).
STEPS_BACKWARDS = ("submit", "report", "monitor", "implement", "review")
SAME_SLOT = {"revise": "review"}


def holidays_between(start: datetime.date, end: datetime.date) -> frozenset[datetime.date]:
    return frozenset(Holiday.objects.filter(date__gte=start, date__lte=end).values_list("date", flat=True))


def is_working_day(day: datetime.date, holidays: Iterable[datetime.date]) -> bool:
    return day.weekday() < 5 and day not in holidays


def subtract_working_days(
    day: datetime.date, count: int, holidays: frozenset[datetime.date]
) -> datetime.date:
    """The date ``count`` working days before ``day`` (``day`` itself moves back to a working day)."""
    while not is_working_day(day, holidays):
        day -= datetime.timedelta(days=1)
    while count > 0:
        day -= datetime.timedelta(days=1)
        if is_working_day(day, holidays):
            count -= 1
    return day


def add_working_days(day: datetime.date, count: int, holidays: frozenset[datetime.date]) -> datetime.date:
    while count > 0:
        day += datetime.timedelta(days=1)
        if is_working_day(day, holidays):
            count -= 1
    return day


def working_days_between(start: datetime.date, end: datetime.date, holidays: frozenset[datetime.date]) -> int:
    """Working days after ``start`` up to and including ``end`` (negative when ``end`` is earlier)."""
    if end < start:
        return -working_days_between(end, start, holidays)
    count, day = 0, start
    while day < end:
        day += datetime.timedelta(days=1)
        if is_working_day(day, holidays):
            count += 1
    return count


def due_dates(edition: Edition, holidays: frozenset[datetime.date] | None = None) -> dict[str, datetime.date]:
    """Every step's due date for the edition."""
    leads = {**default_step_lead_days(), **(edition.step_lead_days or {})}
    if holidays is None:
        span = sum(int(v) for v in leads.values()) * 2 + 30
        holidays = holidays_between(edition.deadline - datetime.timedelta(days=span), edition.deadline)
    result: dict[str, datetime.date] = {}
    due = edition.deadline
    while not is_working_day(due, holidays):
        due -= datetime.timedelta(days=1)
    for index, step in enumerate(STEPS_BACKWARDS):
        if index:
            due = subtract_working_days(due, int(leads.get(STEPS_BACKWARDS[index - 1], 0)), holidays)
        result[step] = due
    for step, slot in SAME_SLOT.items():
        result[step] = result[slot]
    return result


def step_due_date(edition: Edition, step: str) -> datetime.date:
    return due_dates(edition)[step]


def due_table(editions: Iterable[Edition]) -> dict[tuple[int, str], datetime.date]:
    """Due date of every (edition id, step), with one query for the holidays of all of them."""
    editions = list(editions)
    if not editions:
        return {}
    span = max(
        sum(int(v) for v in {**default_step_lead_days(), **(e.step_lead_days or {})}.values())
        for e in editions
    )
    start = min(e.deadline for e in editions) - datetime.timedelta(days=span * 2 + 30)
    holidays = holidays_between(start, max(e.deadline for e in editions))
    return {(e.pk, step): due for e in editions for step, due in due_dates(e, holidays).items()}


class DueDate(Expression):
    """A task's due date in SQL: ``CASE edition WHEN e THEN CASE flow_task WHEN s THEN due …
    ELSE deadline END … ELSE deadline END`` over ``due_table``.

    Two columns are resolved once, however many editions there are. A searched ``CASE`` of
    one ``When(Q(edition) & Q(flow_task))`` per edition and step resolved the project's join
    path for each of them: with the 18 editions of a programme that has run 16 years, 108
    resolutions took about two thirds of an inbox's time (the list grew from 20 to 49 ms).
    """

    def __init__(
        self,
        edition: Any,
        flow_task: Any,
        deadline: Any,
        table: tuple[tuple[int, tuple[tuple[str, datetime.date], ...]], ...],
    ) -> None:
        super().__init__(output_field=DateField())
        self.sources = [edition, flow_task, deadline]
        self.table = table

    def get_source_expressions(self) -> list[Any]:
        return self.sources

    def set_source_expressions(self, exprs: Any) -> None:
        self.sources = list(exprs)

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        (edition, edition_params), (step, step_params), (deadline, deadline_params) = (
            compiler.compile(expression) for expression in self.get_source_expressions()
        )
        if not self.table:
            return deadline, list(deadline_params)
        parts = [f"CASE {edition}"]
        params: list[Any] = [*edition_params]
        for edition_id, steps in self.table:
            parts.append(f"WHEN %s THEN CASE {step}")
            params += [edition_id, *step_params]
            for flow_task, due in steps:
                parts.append("WHEN %s THEN %s")
                params += [flow_task, connection.ops.adapt_datefield_value(due)]
            parts.append(f"ELSE {deadline} END")
            params += deadline_params
        parts.append(f"ELSE {deadline} END")
        params += deadline_params
        text = " ".join(parts)
        if connection.vendor == "postgresql":
            text = f"({text})::date"
        return text, params


def task_due_date_expression(project_prefix: str) -> DueDate:
    """Due dates of viewflow tasks as one SQL CASE over (edition, step), for filtering and sorting.

    ``project_prefix`` reaches the project from the task (``process__projectprocess__project__``).
    Two queries (editions, holidays) however many tasks there are.
    """
    from viewflow.workflow.models import Task

    from . import flows

    flow_task = Task._meta.get_field("flow_task")
    by_edition: dict[int, list[tuple[str, datetime.date]]] = {}
    for (edition_id, step), due in due_table(Edition.objects.all()).items():
        by_edition.setdefault(edition_id, []).append((flow_task.get_prep_value(flows.step_node(step)), due))
    return DueDate(
        F(f"{project_prefix}edition_id"),
        F("flow_task"),
        F(f"{project_prefix}edition__deadline"),
        tuple((edition_id, tuple(steps)) for edition_id, steps in sorted(by_edition.items())),
    )

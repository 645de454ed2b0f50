"""What one transition costs the database: at most 16 statements, none repeated, and the same
number whatever the district's size, the number of people holding the next step's role and the
length of the project's history (issue 9's budget).

Each transition is called as a request would call it: with a fresh user object, so that the
user's grants are read inside the measured call. Savepoints are the test's own transaction
showing through (in production the service opens the transaction) and are not counted.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests import factories as f
from workflow.models import Role, State
from workflow.services import delegation as delegation_svc
from workflow.services import projects as svc
from workflow.services.projects import ImplementationInput, LineInput

BUDGET = 16
User = get_user_model()


def statements(service: Callable[..., Any], user: Any, **arguments: Any) -> list[str]:
    """The statements of one call of ``service`` by ``user`` (a fresh object, read beforehand)."""
    acting_user = User.objects.get(pk=user.pk)
    with CaptureQueriesContext(connection) as captured:
        service(acting_user=acting_user, **arguments)
    return [q["sql"] for q in captured.captured_queries if "SAVEPOINT" not in q["sql"]]


def assert_within_budget(name: str, sql: list[str]) -> int:
    repeated = [text for text, n in Counter(sql).items() if n > 1]
    assert not repeated, f"{name} repeats: {repeated}"
    assert len(sql) <= BUDGET, f"{name}: {len(sql)} statements\n" + "\n".join(s[:150] for s in sql)
    return len(sql)


def implementation(evidence_ids: tuple[int, ...] = ()) -> ImplementationInput:
    return ImplementationInput(
        spend_lines=[
            LineInput("วัสดุ", "activity_materials", Decimal("30000.00")),
            LineInput("ค่าวิทยากร", "wages", Decimal("9000.00")),
        ],
        activities_done="อบรมและฝึกปฏิบัติ",
        villages_reached=3,
        households_reached=110,
        evidence_ids=evidence_ids,
    )


def drive(world: Any) -> dict[str, int]:
    """Take every kind of transition once, each measured; the counts by name."""
    counts: dict[str, int] = {}

    def measure(name: str, service: Callable[..., Any], user: Any, **arguments: Any) -> None:
        counts[name] = assert_within_budget(name, statements(service, user, **arguments))

    p = f.make_project(world.officer, world.entry).pk
    measure("return for revision", svc.project_return, world.chief, project=p, comment="แก้ไข")
    measure("resubmit", svc.project_resubmit, world.officer, project=p)
    measure("approve", svc.project_approve, world.chief, project=p)
    measure("implement", svc.project_implement, world.officer, project=p, record=implementation())
    measure("return for more work", svc.project_return, world.inspector, project=p, comment="ขาดหลักฐาน")
    photo = SimpleUploadedFile("receipt.pdf", b"%PDF-1.4 receipt", content_type="application/pdf")
    evidence = svc.evidence_add(project=p, acting_user=world.officer, uploaded=photo, caption="ใบเสร็จ")
    measure(
        "implement again, with evidence",
        svc.project_implement,
        world.officer,
        project=p,
        record=implementation((evidence.pk,)),
    )
    measure("monitor", svc.project_monitor, world.inspector, project=p, findings="ครบถ้วน")
    measure("report", svc.project_report, world.officer, project=p, result_narrative="สำเร็จ")

    q = f.make_project(world.officer2, world.entry2, amount="20000.00").pk
    measure("reject", svc.project_reject, world.chief, project=q, comment="ซ้ำซ้อน")
    r = f.make_project(world.officer, world.entry2, amount="20000.00").pk
    measure("withdraw", svc.project_withdraw, world.officer, project=r)
    return counts


def test_every_transition_within_the_budget_and_no_statement_repeated(world):
    counts = drive(world)
    assert len(counts) == 10
    assert max(counts.values()) <= BUDGET


def test_an_acting_officials_approval_is_within_the_budget(world):
    acting = f.user_with("acting", Role.DISTRICT_OFFICER, world.d1)
    today = timezone.localdate()
    delegation_svc.delegation_create(
        acting_user=world.chief, district=world.d1, delegate=acting, starts_on=today, ends_on=today
    )
    p = f.make_project(world.officer, world.entry)
    assert_within_budget("approve, acting", statements(svc.project_approve, acting, project=p.pk))
    p.refresh_from_db()
    assert p.state == State.APPROVED


@pytest.mark.parametrize("transition", ["approve", "implement", "monitor"])
def test_the_cost_does_not_grow_with_the_district_its_people_or_the_history(world, transition):
    entries = iter(f.bank_entry(world.subs["500101"], f"X-{n}") for n in range(2))
    steps: list[tuple[str, Callable[..., Any], Any, dict[str, Any]]] = [
        ("approve", svc.project_approve, world.chief, {}),
        # 39,000 spent on 20,000 approved: the comment says why (spend_over_approved)
        (
            "implement",
            svc.project_implement,
            world.officer,
            {"record": implementation(), "comment": "ค่าวัสดุขึ้นราคา"},
        ),
        ("monitor", svc.project_monitor, world.inspector, {"findings": "ครบถ้วน"}),
    ]

    def one() -> int:
        p = f.make_project(world.officer, next(entries), amount="20000.00").pk
        for name, service, user, arguments in steps:
            if name == transition:
                return len(statements(service, user, project=p, **arguments))
            service(project=p, acting_user=user, **arguments)
        raise AssertionError(transition)

    small = one()
    # A bigger district: more people for every step, more projects, a longer history.
    for i in range(8):
        f.user_with(f"more_officer{i}", Role.DISTRICT_OFFICER, world.d1)
        f.user_with(f"more_chief{i}", Role.DISTRICT_CHIEF, world.d1)
        f.user_with(f"more_inspector{i}", Role.REGIONAL_INSPECTOR, world.region)
    for n in range(3):
        busy = f.make_project(world.officer2, f.bank_entry(world.subs["500102"], f"Y-{n}"), amount="11000.00")
        for c in range(5):
            svc.project_comment(project=busy.pk, acting_user=world.chief, comment=f"ความเห็น {c}")
    assert one() == small


def test_a_step_taken_over_between_the_read_and_the_write_changes_nothing(world, monkeypatch):
    """The task's closing UPDATE is the last word: a step claimed by someone else after the
    service read it makes the transition a 409 and leaves no trace (on PostgreSQL the close,
    the new tasks and their links are one statement, the chain's head advanced with the
    project's UPDATE: all of it is rolled back)."""
    from viewflow.workflow.models import Task

    from workflow import flows
    from workflow.errors import ConcurrentChange
    from workflow.models import AuditChain, AuditEvent

    project = f.make_project(world.officer, world.entry)
    chief2 = f.user_with("chief-two", Role.DISTRICT_CHIEF, world.d1)
    real = flows.step_complete

    def claimed_meanwhile(**arguments: Any) -> Any:
        Task.objects.filter(pk=arguments["step"].task_id).update(owner=chief2, status="ASSIGNED")
        return real(**arguments)

    monkeypatch.setattr(flows, "step_complete", claimed_meanwhile)
    tasks, events = Task.objects.count(), AuditEvent.objects.count()
    head = AuditChain.objects.get(key=world.d1.code)
    with pytest.raises(ConcurrentChange):
        svc.project_approve(project=project.pk, acting_user=User.objects.get(pk=world.chief.pk))
    project.refresh_from_db()
    assert project.state == State.SELECTED
    assert (Task.objects.count(), AuditEvent.objects.count()) == (tasks, events)
    after = AuditChain.objects.get(key=world.d1.code)
    assert (after.last_seq, after.last_hash) == (head.last_seq, head.last_hash)
    # the step is still open, now the other chief's, who can approve it
    monkeypatch.setattr(flows, "step_complete", real)
    svc.project_approve(project=project.pk, acting_user=User.objects.get(pk=chief2.pk))
    project.refresh_from_db()
    assert project.state == State.APPROVED


def test_a_project_changed_between_the_read_and_the_write_changes_nothing(world, monkeypatch):
    """The project's UPDATE is written with the step (one statement on PostgreSQL): a row that
    is no longer in the state read makes the transition a 409, its task still open and the
    chain's head where it was."""
    from viewflow.workflow.models import Task

    from workflow import flows
    from workflow.errors import ConcurrentChange
    from workflow.models import AuditChain, AuditEvent, Project

    project = f.make_project(world.officer, world.entry)
    real = flows.step_complete

    def changed_meanwhile(**arguments: Any) -> Any:
        Project.objects.filter(pk=project.pk).update(state=State.RETURNED)
        return real(**arguments)

    monkeypatch.setattr(flows, "step_complete", changed_meanwhile)
    tasks, events = Task.objects.count(), AuditEvent.objects.count()
    head = AuditChain.objects.get(key=world.d1.code)
    with pytest.raises(ConcurrentChange):
        svc.project_approve(project=project.pk, acting_user=User.objects.get(pk=world.chief.pk))
    project.refresh_from_db()
    assert project.state == State.SELECTED
    assert (Task.objects.count(), AuditEvent.objects.count()) == (tasks, events)
    after = AuditChain.objects.get(key=world.d1.code)
    assert (after.last_seq, after.last_hash) == (head.last_seq, head.last_hash)
    monkeypatch.setattr(flows, "step_complete", real)
    svc.project_approve(project=project.pk, acting_user=User.objects.get(pk=world.chief.pk))
    project.refresh_from_db()
    assert project.state == State.APPROVED


def test_a_chain_number_taken_between_the_read_and_the_event_is_never_written_twice(world, monkeypatch):
    """Another event of the district's chain, written in the same change after the project was
    read: PostgreSQL numbers the transition's event after it (its head is advanced with the
    step); SQLite, which reads the head with the project, refuses to write the number again
    and keeps nothing. Either way the chain verifies."""
    from workflow import audit, flows
    from workflow.models import AuditChain, AuditEvent, Project

    project = f.make_project(world.officer, world.entry)
    real = flows.step_complete

    def another_event_meanwhile(**arguments: Any) -> Any:
        audit.record(
            actor=audit.Actor(user=world.chief),
            action="comment",
            object_type="project",
            object_id=project.pk,
            district=world.d1,
        )
        return real(**arguments)

    monkeypatch.setattr(flows, "step_complete", another_event_meanwhile)
    head = AuditChain.objects.get(key=world.d1.code)
    events = AuditEvent.objects.count()
    chief = User.objects.get(pk=world.chief.pk)
    if connection.vendor == "postgresql":
        svc.project_approve(project=project.pk, acting_user=chief)
        numbers = list(
            AuditEvent.objects.filter(chain=world.d1.code, chain_seq__gt=head.last_seq)
            .order_by("chain_seq")
            .values_list("chain_seq", "action")
        )
        assert numbers == [(head.last_seq + 1, "comment"), (head.last_seq + 2, "approve")]
    else:
        with pytest.raises(RuntimeError, match="moved on"):
            svc.project_approve(project=project.pk, acting_user=chief)
        assert AuditEvent.objects.count() == events
        assert Project.objects.get(pk=project.pk).state == State.SELECTED
        after = AuditChain.objects.get(key=world.d1.code)
        assert (after.last_seq, after.last_hash) == (head.last_seq, head.last_hash)
    assert audit.verify() == []


def test_each_transition_stores_every_field_its_service_set(world):
    """A transition's UPDATE writes the state and the fields its service set, not every column:
    after each one the stored row is the project the service returned, field for field (a field
    set but left out of the UPDATE would be lost here)."""
    from workflow.models import Project

    def same_as_stored(returned: Any) -> None:
        stored = Project.objects.get(pk=returned.pk)
        for field in Project._meta.concrete_fields:
            assert getattr(stored, field.attname) == getattr(returned, field.attname), field.name

    def fresh(user: Any) -> Any:
        return User.objects.get(pk=user.pk)

    p = f.make_project(world.officer, world.entry).pk
    same_as_stored(svc.project_return(project=p, acting_user=fresh(world.chief), comment="แก้ไข"))
    same_as_stored(svc.project_resubmit(project=p, acting_user=fresh(world.officer)))
    same_as_stored(svc.project_approve(project=p, acting_user=fresh(world.chief)))
    implemented = svc.project_implement(project=p, acting_user=fresh(world.officer), record=implementation())
    same_as_stored(implemented)
    assert (implemented.activities_done, implemented.villages_reached) == ("อบรมและฝึกปฏิบัติ", 3)
    same_as_stored(svc.project_monitor(project=p, acting_user=fresh(world.inspector), findings="ครบถ้วน"))
    reported = svc.project_report(
        project=p,
        acting_user=fresh(world.officer),
        result_narrative="สำเร็จ",
        problems="ฝนตก",
        suggestions="เริ่มก่อนฤดูฝน",
    )
    same_as_stored(reported)
    assert (reported.problems, reported.suggestions) == ("ฝนตก", "เริ่มก่อนฤดูฝน")


@pytest.mark.parametrize("count", [1, 3, 51])
def test_rows_a_handler_writes_for_an_event_are_stored_with_it(world, monkeypatch, count):
    """Handlers may write rows that refer to the event before it is written (PostgreSQL: in the
    event's own statement, up to ``WITH_EVENT_MAX`` rows; more after it): every row is stored,
    with its key and the event's."""
    from django.db import transaction

    from notifications.models import Kind, Notification
    from workflow import audit, events, sql

    users = [f.user_with(f"reader{i}", Role.CENTRAL_PLANNER) for i in range(count)]
    written: list[Any] = []

    def handler(event: Any, context: Any) -> None:
        rows = [
            Notification(recipient=u, kind=Kind.SUBMITTED, event=event, text_th="ทดสอบ", text_en="test")
            for u in users
        ]
        sql.insert_referring(event, rows)
        written.extend(rows)

    monkeypatch.setattr(events, "_handlers", [handler])
    with transaction.atomic():
        event = events.publish(
            actor=audit.Actor(user=world.planner), action="comment", object_type="project", district=world.d1
        )
    assert event.pk is not None
    stored = Notification.objects.filter(event=event).order_by("pk")
    assert [(n.pk, n.recipient_id) for n in stored] == sorted((n.pk, n.recipient_id) for n in written)
    assert all(n.pk is not None and n.event_id == event.pk for n in written)
    assert audit.check().breaks == []


def test_the_rows_written_with_the_step_are_kept_and_the_event_names_them(world):
    """The spend lines and the monitoring record go in the step's statement (on PostgreSQL):
    each row is kept as given, and the event's payload names the record that was written."""
    from workflow.models import AuditEvent, MonitoringRecord, SpendLine

    p = f.make_project(world.officer, world.entry).pk
    svc.project_approve(project=p, acting_user=User.objects.get(pk=world.chief.pk))
    svc.project_implement(
        project=p, acting_user=User.objects.get(pk=world.officer.pk), record=implementation()
    )

    def lines() -> list[tuple[Any, ...]]:
        found = SpendLine.objects.filter(project=p).order_by("position")
        return list(found.values_list("position", "description", "category", "amount"))

    assert lines() == [
        (0, "วัสดุ", "activity_materials", Decimal("30000.00")),
        (1, "ค่าวิทยากร", "wages", Decimal("9000.00")),
    ]
    svc.project_return(project=p, acting_user=User.objects.get(pk=world.inspector.pk), comment="ขาดหลักฐาน")
    again = dataclasses.replace(
        implementation(), spend_lines=[LineInput("ค่าเอกสาร", "services", Decimal("1250.50"))]
    )
    svc.project_implement(project=p, acting_user=User.objects.get(pk=world.officer.pk), record=again)
    assert lines() == [(0, "ค่าเอกสาร", "services", Decimal("1250.50"))]
    svc.project_monitor(
        project=p,
        acting_user=User.objects.get(pk=world.inspector.pk),
        findings="ครบถ้วน",
        recommendations="ขยายผล",
    )
    record = MonitoringRecord.objects.get(project=p)
    assert (record.inspector_id, record.findings, record.recommendations) == (
        world.inspector.pk,
        "ครบถ้วน",
        "ขยายผล",
    )
    event = AuditEvent.objects.filter(project_id=p, action="monitor").get()
    assert event.payload["monitoring_record"] == record.pk

"""Who is told what about each change: rows written in the change's transaction, pushed after commit."""

from __future__ import annotations

import datetime
import logging
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from approvals.services import task_assign, task_claim, task_unclaim
from notifications import handlers, push
from notifications.models import Kind, Notification
from notifications.services import notify, preference_set
from tests import factories as f
from workflow import flows
from workflow.dates import format_date
from workflow.models import AuditEvent, Role
from workflow.services import projects as svc
from workflow.services.delegation import delegation_create

TODAY = timezone.localdate()


def told(**filters) -> dict[str, tuple[str, int | None]]:
    """username -> (kind, task id) of the notices matching ``filters``."""
    rows = Notification.objects.filter(**filters).select_related("recipient")
    result: dict[str, tuple[str, int | None]] = {}
    for n in rows:
        assert n.recipient.username not in result, f"{n.recipient.username} was told twice"
        result[n.recipient.username] = (n.kind, n.task_id)
    return result


def about(event_action: str, project=None) -> dict[str, tuple[str, int | None]]:
    filters = {"event__action": event_action}
    if project is not None:
        filters["project"] = project
    return told(**filters)


def one(user, action: str) -> Notification:
    return Notification.objects.get(recipient=user, event__action=action)


def implementation():
    return svc.ImplementationInput(
        spend_lines=[svc.LineInput("วัสดุ", "activity_materials", Decimal("39000.00"))],
        activities_done="อบรมอาชีพ 3 ครั้ง",
        villages_reached=3,
        households_reached=118,
    )


@pytest.fixture
def pushes(monkeypatch):
    """Every websocket message handed to the channel layer, in order (the real send still runs)."""
    sent: list[tuple[str, dict]] = []
    real = push.send

    def spy(messages):
        sent.extend(messages)
        return real(messages)

    monkeypatch.setattr(push, "send", spy)
    return sent


# --- A new task goes to everyone who may act on it ----------------------------------------------


def test_creating_a_project_tells_the_districts_chiefs_and_acting_officials_only(world):
    deputy = f.user_with("deputy", "district_officer", world.d1)
    delegation_create(
        acting_user=world.chief,
        district=world.d1,
        delegate=deputy,
        starts_on=TODAY,
        ends_on=TODAY + datetime.timedelta(days=7),
    )
    project = f.make_project(world.officer, world.entry)

    review = flows.open_step_task(project)
    assert about("create") == {"chief": (Kind.TASK_NEW, review.pk), "deputy": (Kind.TASK_NEW, review.pk)}
    notice = one(world.chief, "create")
    assert notice.project_id == project.pk and notice.read_at is None
    assert project.title in notice.text_en and "Mueang Chiang Mai" in notice.text_en
    assert "review" in notice.text_en
    assert project.title in notice.text_th and "เมืองเชียงใหม่" in notice.text_th
    # Not the officer who created it, not the other district's chief, nobody else at all.
    assert Notification.objects.count() == 2


def test_a_delegation_not_yet_started_gets_nothing(world):
    deputy = f.user_with("deputy", "district_officer", world.d1)
    delegation_create(
        acting_user=world.chief,
        district=world.d1,
        delegate=deputy,
        starts_on=TODAY + datetime.timedelta(days=1),
        ends_on=TODAY + datetime.timedelta(days=3),
    )
    f.make_project(world.officer, world.entry)
    assert about("create") == {"chief": (Kind.TASK_NEW, flows.open_step_task(world.entry.projects.get()).pk)}


def test_approval_tells_the_officers_of_their_new_task_and_the_creator_of_the_decision(world):
    project = f.make_project(world.officer, world.entry)
    svc.project_approve(project=project, acting_user=world.chief, comment="ดีมาก")

    implement = flows.open_step_task(project)
    assert flows.step_name(implement) == "implement"
    # One notice each: the creator's decision carries their new task too; the district's first
    # approval tells the province's provincial officer to record the disbursement.
    assert about("approve") == {
        "officer": (Kind.DECISION, implement.pk),
        "officer2": (Kind.TASK_NEW, implement.pk),
        "provincial": (Kind.DISBURSEMENT, None),
    }
    decision = one(world.officer, "approve")
    assert "approved by chief" in decision.text_en and "ดีมาก" in decision.text_en
    assert "ดีมาก" in decision.text_th
    assert "record the implementation" in one(world.officer2, "approve").text_en


def test_the_actor_is_never_told_about_their_own_act(world):
    project = f.make_project(world.officer, world.entry)
    svc.project_approve(project=project, acting_user=world.chief)
    # officer2 records the implementation of officer's project: officer hears, officer2 does not.
    svc.project_implement(project=project, acting_user=world.officer2, record=implementation())
    assert "officer2" not in about("implement")
    assert about("implement")["officer"][0] == Kind.DECISION
    assert not Notification.objects.filter(recipient=world.chief, event__action="approve").exists()
    assert not Notification.objects.filter(recipient=world.officer, event__action="create").exists()


def test_someone_with_two_hats_is_not_told_of_the_step_their_own_act_opened(world):
    both = f.user_with("both", Role.DISTRICT_CHIEF, world.d1)
    f.grant(both, Role.DISTRICT_OFFICER, world.d1)
    project = f.make_project(world.officer, world.entry)
    svc.project_approve(project=project, acting_user=both)  # the next step is an officer's: theirs too
    assert set(about("approve")) == {"officer", "officer2", "provincial"}


def test_implementation_reaches_the_regions_inspector_and_no_other(world):
    project = f.make_project(world.officer, world.entry)
    svc.project_approve(project=project, acting_user=world.chief)
    svc.project_implement(project=project, acting_user=world.officer, record=implementation())
    monitor = flows.open_step_task(project)
    assert about("implement") == {"inspector": (Kind.TASK_NEW, monitor.pk)}


def test_return_and_reject_tell_the_creator_with_the_comment(world):
    returned = f.make_project(world.officer, world.entry)
    svc.project_return(project=returned, acting_user=world.chief, comment="แก้งบประมาณหมวดค่าวัสดุ")
    revise = flows.open_step_task(returned)
    assert about("return") == {
        "officer": (Kind.RETURNED, revise.pk),
        "officer2": (Kind.TASK_NEW, revise.pk),
    }
    assert "แก้งบประมาณหมวดค่าวัสดุ" in one(world.officer, "return").text_th
    assert "returned for revision by chief" in one(world.officer, "return").text_en

    rejected = f.make_project(world.officer, world.entry2, amount="40000.00")
    svc.project_reject(project=rejected, acting_user=world.chief, comment="ซ้ำกับโครงการเดิม")
    assert about("reject") == {"officer": (Kind.REJECTED, None)}  # no step follows a rejection
    notice = one(world.officer, "reject")
    assert "ซ้ำกับโครงการเดิม" in notice.text_th and "ซ้ำกับโครงการเดิม" in notice.text_en
    assert "rejected by chief" in notice.text_en


def test_the_inspectors_return_and_monitoring(world):
    project = f.make_project(world.officer, world.entry)
    svc.project_approve(project=project, acting_user=world.chief)
    svc.project_implement(project=project, acting_user=world.officer, record=implementation())
    svc.project_return(project=project, acting_user=world.inspector, comment="ขอหลักฐานเพิ่ม")
    implement = flows.open_step_task(project)
    assert about("return") == {
        "officer": (Kind.RETURNED, implement.pk),
        "officer2": (Kind.TASK_NEW, implement.pk),
    }
    assert "returned for more work by inspector" in one(world.officer, "return").text_en

    svc.project_implement(project=project, acting_user=world.officer, record=implementation())
    svc.project_monitor(project=project, acting_user=world.inspector, findings="เรียบร้อย")
    report = flows.open_step_task(project)
    assert about("monitor") == {
        "officer": (Kind.DECISION, report.pk),
        "officer2": (Kind.TASK_NEW, report.pk),
    }


def test_submission_tells_every_central_planner(world):
    planner2 = f.user_with("planner2", Role.CENTRAL_PLANNER)
    project = f.make_project(world.officer, world.entry)
    svc.project_approve(project=project, acting_user=world.chief)
    svc.project_implement(project=project, acting_user=world.officer, record=implementation())
    svc.project_monitor(project=project, acting_user=world.inspector, findings="เรียบร้อย")
    svc.project_report(project=project, acting_user=world.officer, result_narrative="สำเร็จ")
    assert about("report") == {"chief": (Kind.TASK_NEW, flows.open_step_task(project).pk)}
    f.disburse(world.d1, "50000.00")

    svc.district_submit(district=world.d1, acting_user=world.chief, comment="ส่งครบ")

    assert about("district_submit") == {"planner": (Kind.SUBMITTED, None), "planner2": (Kind.SUBMITTED, None)}
    assert about("submit") == {"officer": (Kind.DECISION, None)}
    notice = one(planner2, "district_submit")
    assert "Mueang Chiang Mai submitted 1 project" in notice.text_en and "ส่งครบ" in notice.text_en
    assert "เมืองเชียงใหม่" in notice.text_th
    assert format_date(timezone.localdate(), "th") in notice.text_th  # Buddhist Era in Thai
    assert format_date(timezone.localdate(), "en") in notice.text_en


def test_an_assignee_is_told_of_the_task_they_were_given(world):
    project = f.make_project(world.officer, world.entry)
    svc.project_approve(project=project, acting_user=world.chief)
    implement = flows.open_step_task(project)
    task_assign(task=implement, acting_user=world.chief, assignee=world.officer2)
    assert about("task_assign") == {"officer2": (Kind.TASK_NEW, implement.pk)}
    assert "chief assigned you a task" in one(world.officer2, "task_assign").text_en


# --- Same transaction, push after commit ----------------------------------------------------------


class Boom(Exception):
    pass


def test_rows_are_written_in_the_changes_transaction(world):
    with pytest.raises(Boom), transaction.atomic():
        f.make_project(world.officer, world.entry)
        assert Notification.objects.filter(recipient=world.chief).count() == 1
        raise Boom
    assert Notification.objects.count() == 0
    assert AuditEvent.objects.filter(action="create").count() == 0


def test_pushes_go_out_only_after_commit(world, pushes, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        project = f.make_project(world.officer, world.entry)
    assert Notification.objects.filter(recipient=world.chief).exists()
    assert pushes == []  # nothing before commit

    for callback in callbacks:
        callback()
    notice = Notification.objects.get(recipient=world.chief)
    assert [group for group, _ in pushes] == [f"user.{world.chief.pk}"]
    message = pushes[0][1]
    assert message["type"] == "notification.push"
    payload = dict(message["notification"])
    assert datetime.datetime.fromisoformat(payload.pop("created_at")) == notice.created_at
    assert payload == {
        "id": notice.pk,
        "kind": "task_new",
        "project": project.pk,
        "task": flows.open_step_task(project).pk,
        "text_th": notice.text_th,
        "text_en": notice.text_en,
        "read": False,
        "read_at": None,
    }


def test_a_failed_push_never_fails_the_change(world, monkeypatch, caplog, django_capture_on_commit_callbacks):
    class DownLayer:
        async def group_send(self, group, message):
            raise ConnectionError("Redis is restarting")

    monkeypatch.setattr(push, "get_channel_layer", lambda: DownLayer())
    with caplog.at_level(logging.WARNING, logger="notifications.push"):
        with django_capture_on_commit_callbacks(execute=True):
            project = f.make_project(world.officer, world.entry)
            svc.project_approve(project=project, acting_user=world.chief)
        push.flush()  # the push loop tried the layer and gave up
    project.refresh_from_db()
    assert project.state == "approved"
    assert Notification.objects.filter(recipient=world.chief).count() == 1  # there for the catch-up
    assert "websocket push failed" in caplog.text


# --- Task updates: transient pushes to the task's candidates --------------------------------------


def task_updates(pushes) -> list[tuple[str, dict]]:
    return [(group, m) for group, m in pushes if m["type"] == "task.update"]


def test_claim_release_and_completion_reach_the_candidates_as_transient_updates(
    world, pushes, django_capture_on_commit_callbacks
):
    chief2 = f.user_with("chief2", Role.DISTRICT_CHIEF, world.d1)
    project = f.make_project(world.officer, world.entry)
    review = flows.open_step_task(project)
    stored = Notification.objects.count()
    pushes.clear()

    with django_capture_on_commit_callbacks(execute=True):
        task_claim(task=review, acting_user=world.chief)
    update = {
        "type": "task.update",
        "task_id": review.pk,
        "project_id": project.pk,
        "status": "ASSIGNED",
        "owner": world.chief.pk,
        "owner_name": "chief",
    }
    assert task_updates(pushes) == [(f"user.{world.chief.pk}", update), (f"user.{chief2.pk}", update)]
    assert Notification.objects.count() == stored  # not stored

    pushes.clear()
    with django_capture_on_commit_callbacks(execute=True):
        task_unclaim(task=review, acting_user=world.chief)
    released = {**update, "status": "NEW", "owner": None, "owner_name": ""}
    assert task_updates(pushes) == [(f"user.{world.chief.pk}", released), (f"user.{chief2.pk}", released)]

    pushes.clear()
    with django_capture_on_commit_callbacks(execute=True):
        svc.project_approve(project=project, acting_user=chief2)
    done = {**update, "status": "DONE", "owner": chief2.pk, "owner_name": "chief2"}
    assert task_updates(pushes) == [(f"user.{world.chief.pk}", done), (f"user.{chief2.pk}", done)]
    # Other districts' chiefs hear nothing.
    assert all(group != f"user.{world.other_chief.pk}" for group, _ in pushes)


# --- The timers' entry point and the cost of a fan-out --------------------------------------------


def test_notify_writes_one_row_per_recipient_and_pushes_after_commit(
    world, pushes, django_capture_on_commit_callbacks
):
    project = f.make_project(world.officer, world.entry)
    pushes.clear()
    with django_capture_on_commit_callbacks() as callbacks:
        rows = notify(
            recipients=[world.chief, world.chief.pk, world.officer2],
            kind=Kind.OVERDUE,
            project=project,
            text_th="เกินกำหนด",
            text_en="Overdue",
        )
    assert sorted(r.recipient_id for r in rows) == sorted([world.chief.pk, world.officer2.pk])
    assert pushes == []
    for callback in callbacks:
        callback()
    assert sorted(group for group, _ in pushes) == sorted(
        [f"user.{world.chief.pk}", f"user.{world.officer2.pk}"]
    )
    with pytest.raises(ValueError):
        notify(recipients=[world.chief], kind="gossip", project=None, text_th="x", text_en="x")


def test_fan_out_costs_the_same_queries_for_one_recipient_or_many(world):
    f.make_project(world.officer, world.entry)
    event = AuditEvent.objects.select_related("project__district", "actor", "acting_for").get(action="create")

    with CaptureQueriesContext(connection) as few:
        handlers.on_domain_event(event)
    for n in range(6):
        chief = f.user_with(f"chief_{n}", Role.DISTRICT_CHIEF, world.d1)
        preference_set(acting_user=chief, email_mode="immediate" if n % 2 else "digest")
    before = Notification.objects.count()
    with CaptureQueriesContext(connection) as many:
        handlers.on_domain_event(event)

    assert Notification.objects.count() - before == 7
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
    inserts = [q for q in many.captured_queries if "INSERT" in q["sql"].upper()]
    assert len(inserts) == 1

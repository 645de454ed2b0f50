"""A project taken from selected to submitted through the services, step by step."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests import factories as f
from workflow import audit, flows
from workflow.errors import Conflict, Forbidden, IllegalTransition, InvalidInput, NotFound
from workflow.models import AuditEvent, State
from workflow.services import projects as svc


def open_step(project):
    task = flows.open_step_task(project)
    return task.flow_task.name if task else None


def implementation():
    return svc.ImplementationInput(
        spend_lines=[svc.LineInput("วัสดุ", "activity_materials", Decimal("39000.00"))],
        activities_done="อบรมอาชีพ 3 ครั้ง",
        villages_reached=3,
        households_reached=118,
    )


def test_full_life_selected_to_submitted(world):
    project = f.make_project(world.officer, world.entry)
    assert project.state == State.SELECTED
    assert open_step(project) == "review"

    svc.project_approve(project=project, acting_user=world.chief, comment="ดีมาก")
    project.refresh_from_db()
    assert project.state == State.APPROVED
    assert open_step(project) == "implement"

    svc.project_implement(project=project, acting_user=world.officer, record=implementation())
    project.refresh_from_db()
    assert (project.state, open_step(project)) == (State.IMPLEMENTED, "monitor")

    svc.project_return(project=project, acting_user=world.inspector, comment="ขอหลักฐานเพิ่ม")
    project.refresh_from_db()
    assert (project.state, open_step(project)) == (State.APPROVED, "implement")

    svc.project_implement(project=project, acting_user=world.officer, record=implementation())
    svc.project_monitor(
        project=project, acting_user=world.inspector, findings="เรียบร้อย", recommendations="ขยายผล"
    )
    project.refresh_from_db()
    assert (project.state, open_step(project)) == (State.MONITORED, "report")

    svc.project_report(project=project, acting_user=world.officer, result_narrative="ผลสำเร็จตามเป้าหมาย")
    project.refresh_from_db()
    assert (project.state, open_step(project)) == (State.REPORTED, "submit")

    f.disburse(world.d1)
    submission = svc.district_submit(district=world.d1, acting_user=world.chief)
    project.refresh_from_db()
    assert project.state == State.SUBMITTED
    assert open_step(project) is None
    assert project.process.status == "DONE"
    assert list(submission.projects.all()) == [project]

    actions = list(AuditEvent.objects.filter(project=project).values_list("action", "from_state", "to_state"))
    assert actions == [
        ("create", "", "selected"),
        ("approve", "selected", "approved"),
        ("implement", "approved", "implemented"),
        ("return", "implemented", "approved"),
        ("implement", "approved", "implemented"),
        ("monitor", "implemented", "monitored"),
        ("report", "monitored", "reported"),
        ("submit", "reported", "submitted"),
    ]
    assert audit.verify() == []


def test_chief_return_lands_in_returned_and_officer_revises(world):
    project = f.make_project(world.officer, world.entry)
    svc.project_return(project=project, acting_user=world.chief, comment="ปรับเป้าหมาย")
    project.refresh_from_db()
    assert (project.state, open_step(project)) == (State.RETURNED, "revise")
    svc.project_update(
        project=project, acting_user=world.officer, data=svc.ProjectInput(target_households=200)
    )
    svc.project_resubmit(project=project, acting_user=world.officer)
    project.refresh_from_db()
    assert (project.state, open_step(project), project.target_households) == (State.SELECTED, "review", 200)


def test_reject_and_withdraw_end_the_flow(world):
    rejected = f.make_project(world.officer, world.entry)
    svc.project_reject(project=rejected, acting_user=world.chief, comment="ไม่สอดคล้องแผน")
    withdrawn = f.make_project(world.officer, world.entry2)
    svc.project_withdraw(project=withdrawn, acting_user=world.officer)
    for project, state in ((rejected, State.REJECTED), (withdrawn, State.WITHDRAWN)):
        project.refresh_from_db()
        assert project.state == state
        assert open_step(project) is None
        assert project.process.status == "DONE"


def test_comment_required_for_return_and_reject(world):
    project = f.make_project(world.officer, world.entry)
    with pytest.raises(InvalidInput):
        svc.project_return(project=project, acting_user=world.chief, comment="  ")
    with pytest.raises(InvalidInput):
        svc.project_reject(project=project, acting_user=world.chief, comment="")
    project.refresh_from_db()
    assert project.state == State.SELECTED


def test_creator_may_not_approve_own_project(world):
    f.grant(world.officer, "district_chief", world.d1)
    project = f.make_project(world.officer, world.entry)
    with pytest.raises(Forbidden) as caught:
        svc.project_approve(project=project, acting_user=world.officer)
    assert caught.value.code == "own_project"


def test_wrong_role_other_district_and_illegal_state(world):
    project = f.make_project(world.officer, world.entry)
    with pytest.raises(Forbidden):
        svc.project_approve(project=project, acting_user=world.officer2)
    with pytest.raises(NotFound):
        svc.project_approve(project=project, acting_user=world.other_chief)
    with pytest.raises(IllegalTransition):
        svc.project_monitor(project=project, acting_user=world.inspector, findings="x")
    svc.project_approve(project=project, acting_user=world.chief)
    with pytest.raises(IllegalTransition):
        svc.project_approve(project=project, acting_user=world.chief)


def test_submission_needs_every_live_project_reported(world):
    f.make_project(world.officer, world.entry)
    with pytest.raises(Conflict) as caught:
        svc.district_submit(district=world.d1, acting_user=world.chief)
    assert caught.value.code == "submission_not_ready"

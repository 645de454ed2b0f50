"""Acting officials: during the period the delegate holds the chief's role, recorded as acting for."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from tests import factories as f
from workflow.errors import Conflict, Forbidden, InvalidInput
from workflow.models import AuditEvent, State
from workflow.services import projects as svc
from workflow.services.delegation import delegation_create, delegation_revoke

TODAY = timezone.localdate()


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def delegate_to(world, user, start=TODAY, end=None):
    return delegation_create(
        acting_user=world.chief,
        district=world.d1,
        delegate=user,
        starts_on=start,
        ends_on=end or TODAY + datetime.timedelta(days=7),
    )


def test_acting_official_sees_and_does_the_chiefs_tasks_and_history_says_acting_for(world):
    project = f.make_project(world.officer, world.entry)
    deputy = f.user_with("deputy", "district_officer", world.d1)
    assert api(deputy).get("/api/v1/tasks/").json()["results"] == []  # an officer: no chief's task
    delegate_to(world, deputy)
    tasks = api(deputy).get("/api/v1/tasks/").json()["results"]
    assert [(t["step"], t["project"]["id"]) for t in tasks] == [("review", project.pk)]
    response = api(deputy).post(f"/api/v1/projects/{project.pk}/transitions/approve/", {"comment": "แทน"})
    assert response.status_code == 200
    event = AuditEvent.objects.get(action="approve")
    assert (event.actor_username, event.acting_for_username, event.role) == (
        "deputy",
        "chief",
        "district_chief",
    )
    created = AuditEvent.objects.get(action="delegation_create")
    assert created.chain == "5001" and created.payload["delegate"] == "deputy"


def test_outside_the_period_the_delegate_holds_nothing(world):
    project = f.make_project(world.officer, world.entry)
    deputy = f.user_with("deputy", "district_officer", world.d1)
    delegate_to(
        world, deputy, start=TODAY + datetime.timedelta(days=1), end=TODAY + datetime.timedelta(days=3)
    )
    assert api(deputy).get("/api/v1/tasks/").json()["results"] == []
    approve = api(deputy).post(f"/api/v1/projects/{project.pk}/transitions/approve/", {"comment": "แทน"})
    assert approve.status_code == 403


def test_ended_delegation_and_a_chief_who_left_grant_nothing(world):
    project = f.make_project(world.officer, world.entry)
    deputy = f.user_with("deputy", "district_officer", world.d1)
    delegation = delegate_to(world, deputy)
    delegation_revoke(acting_user=world.chief, delegation=delegation)
    assert api(deputy).get("/api/v1/tasks/").json()["results"] == []
    approve = api(deputy).post(f"/api/v1/projects/{project.pk}/transitions/approve/", {"comment": "แทน"})
    assert approve.status_code == 403
    assert AuditEvent.objects.filter(action="delegation_revoke").count() == 1

    second = f.user_with("deputy2", "district_officer", world.d1)
    delegate_to(world, second)
    world.chief.role_memberships.all().delete()
    assert api(second).get("/api/v1/tasks/").json()["results"] == []


def test_only_a_chief_in_their_own_right_may_delegate(world):
    deputy = f.user_with("deputy", "district_officer", world.d1)
    with pytest.raises(Forbidden):
        delegation_create(
            acting_user=world.officer, district=world.d1, delegate=deputy, starts_on=TODAY, ends_on=TODAY
        )
    delegate_to(world, deputy)
    with pytest.raises(Forbidden):  # an acting official cannot delegate further
        delegation_create(
            acting_user=deputy, district=world.d1, delegate=world.officer2, starts_on=TODAY, ends_on=TODAY
        )


def test_bad_ranges_self_unknown_user_and_overlaps_are_refused(world):
    with pytest.raises(InvalidInput) as caught:
        delegation_create(
            acting_user=world.chief,
            district=world.d1,
            delegate="ghost",
            starts_on=TODAY,
            ends_on=TODAY - datetime.timedelta(days=1),
        )
    assert {e["field"] for e in caught.value.errors} == {"delegate", "ends_on"}
    with pytest.raises(InvalidInput):
        delegation_create(
            acting_user=world.chief, district=world.d1, delegate=world.chief, starts_on=TODAY, ends_on=TODAY
        )
    delegate_to(world, world.officer2)
    with pytest.raises(Conflict):
        delegate_to(world, f.user_with("deputy", "district_officer", world.d1))


def test_acting_official_cannot_approve_a_project_they_created(world):
    project = f.make_project(world.officer, world.entry)
    delegate_to(world, world.officer)
    with pytest.raises(Forbidden) as caught:
        svc.project_approve(project=project, acting_user=world.officer)
    assert caught.value.code == "own_project"
    project.refresh_from_db()
    assert project.state == State.SELECTED


def test_users_holding_a_role_include_acting_officials_only_while_in_force(world):
    from workflow import access

    deputy = f.user_with("deputy", "district_officer", world.d1)
    assert list(access.users_holding("district_chief", world.d1)) == [world.chief]
    delegate_to(world, deputy)
    assert set(access.users_holding("district_chief", world.d1)) == {world.chief, deputy}
    assert list(access.users_holding("regional_inspector", world.d1)) == [world.inspector]
    assert list(access.users_holding("provincial_officer", world.d3)) == [world.other_provincial]
    assert list(access.users_holding("central_planner", world.d3)) == [world.planner]

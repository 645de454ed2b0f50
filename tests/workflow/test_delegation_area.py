"""The acting official is an official of the same district: nobody else may act for its chief."""

from __future__ import annotations

import datetime
import re
from types import SimpleNamespace
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from tests import factories as f
from workflow.api.problems import PROBLEM_CONTENT_TYPE
from workflow.errors import DomainError
from workflow.models import AuditEvent, Delegation, Role, State
from workflow.services.delegation import delegation_create

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
NEXT_WEEK = TODAY + datetime.timedelta(days=7)


def be(day: datetime.date) -> str:
    return f"{day.day:02d}/{day.month:02d}/{day.year + 543}"


def api(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def browser(user: Any, language: str = "th") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def name(world: SimpleNamespace, delegate: Any) -> Any:
    return delegation_create(
        acting_user=world.chief, district=world.d1, delegate=delegate, starts_on=TODAY, ends_on=NEXT_WEEK
    )


def test_an_officer_of_chom_thong_cannot_become_acting_chief_of_mueang_and_approve(world) -> None:
    project = f.make_project(world.officer, world.entry)  # Mueang Chiang Mai (5001)
    with pytest.raises(DomainError) as caught:
        name(world, world.other_officer)  # an officer of Chom Thong (5002)
    assert (caught.value.code, caught.value.status) == ("delegate_outside_area", 422)
    assert [e["field"] for e in caught.value.errors] == ["delegate"]
    assert not Delegation.objects.exists()
    assert not AuditEvent.objects.filter(action="delegation_create").exists()

    response = api(world.other_officer).post(
        f"/api/v1/projects/{project.pk}/transitions/approve/", {"comment": "แทนนายอำเภอ"}
    )
    assert response.status_code in (403, 404)
    project.refresh_from_db()
    assert project.state == State.SELECTED


@pytest.mark.parametrize("who", ["other_chief", "provincial", "inspector", "planner", "nobody"])
def test_nobody_without_a_district_role_there_may_act(world, who: str) -> None:
    with pytest.raises(DomainError) as caught:
        name(world, getattr(world, who))
    assert caught.value.code == "delegate_outside_area"


def test_an_official_whose_role_there_has_ended_may_not_act(world) -> None:
    former = f.user_with("former")
    membership = f.grant(former, Role.DISTRICT_OFFICER, world.d1)
    membership.valid_until = TODAY - datetime.timedelta(days=1)
    membership.save()
    with pytest.raises(DomainError) as caught:
        name(world, former)
    assert caught.value.code == "delegate_outside_area"


def test_an_officer_of_the_district_acts_and_approves(world) -> None:
    project = f.make_project(world.officer, world.entry)
    name(world, world.officer2)
    response = api(world.officer2).post(
        f"/api/v1/projects/{project.pk}/transitions/approve/", {"comment": "แทน"}
    )
    assert response.status_code == 200
    assert AuditEvent.objects.get(action="approve").acting_for_username == "chief"


def test_the_api_refuses_an_official_of_another_district(world) -> None:
    response = api(world.chief).post(
        "/api/v1/delegations/",
        {"district": "5001", "delegate": "other_officer", "starts_on": str(TODAY), "ends_on": str(NEXT_WEEK)},
        format="json",
    )
    assert (response.status_code, response["Content-Type"]) == (422, PROBLEM_CONTENT_TYPE)
    body = response.json()
    assert body["code"] == "delegate_outside_area" and body["errors"][0]["field"] == "delegate"
    assert not Delegation.objects.exists()


def test_the_api_names_an_official_of_the_district_lists_and_revokes(world) -> None:
    chief = api(world.chief)
    candidates = chief.get("/api/v1/delegations/candidates/", {"district": "5001"})
    assert candidates.status_code == 200
    assert {c["username"] for c in candidates.json()} == {"officer", "officer2"}
    created = chief.post(
        "/api/v1/delegations/",
        {"district": "5001", "delegate": "officer2", "starts_on": str(TODAY), "ends_on": str(NEXT_WEEK)},
        format="json",
    )
    assert created.status_code == 201, created.content
    assert (created.json()["delegate"], created.json()["district"]) == ("officer2", "5001")
    assert [d["delegate"] for d in chief.get("/api/v1/delegations/").json()] == ["officer2"]
    overlapping = chief.post(
        "/api/v1/delegations/",
        {"district": "5001", "delegate": "officer", "starts_on": str(TODAY), "ends_on": str(NEXT_WEEK)},
        format="json",
    )
    assert (overlapping.status_code, overlapping.json()["code"]) == (409, "delegation_overlaps")

    pk = created.json()["id"]
    assert api(world.other_chief).post(f"/api/v1/delegations/{pk}/revoke/").status_code == 404
    ended = chief.post(f"/api/v1/delegations/{pk}/revoke/")
    assert ended.status_code == 200 and ended.json()["revoked_at"]
    assert AuditEvent.objects.filter(action="delegation_revoke").count() == 1


@pytest.mark.parametrize("who", ["officer", "other_chief", "planner"])
def test_only_the_districts_chief_names_or_sees_candidates(world, who: str) -> None:
    client = api(getattr(world, who))
    candidates = client.get("/api/v1/delegations/candidates/", {"district": "5001"})
    created = client.post(
        "/api/v1/delegations/",
        {"district": "5001", "delegate": "officer2", "starts_on": str(TODAY), "ends_on": str(NEXT_WEEK)},
        format="json",
    )
    # Outside their areas the district does not exist for them (404); inside, their role may not (403).
    expected = 404 if who == "other_chief" else 403
    assert (candidates.status_code, created.status_code) == (expected, expected)
    assert not Delegation.objects.exists()


# --- The page -----------------------------------------------------------------------------------


def options_of(body: str, select: str) -> list[str]:
    found = re.search(rf'<select name="{select}"[^>]*>(.*?)</select>', body, re.S)
    assert found, f"no select {select}"
    return re.findall(r'<option value="([^"]*)"', found.group(1))


def test_the_page_offers_only_the_districts_officials(world) -> None:
    body = browser(world.chief).get("/delegation/").content.decode()
    assert options_of(body, "delegate") == ["", "officer", "officer2"]  # not the chief, nobody elsewhere
    assert 'name="delegate" type="text"' not in body and "<datalist" not in body


def test_posting_someone_of_another_district_is_refused_beside_the_field(world) -> None:
    response = browser(world.chief).post(
        "/delegation/",
        {"district": "5001", "delegate": "other_officer", "starts_on": be(TODAY), "ends_on": be(NEXT_WEEK)},
    )
    assert response.status_code == 422
    assert 'id="id_delegate_error"' in response.content.decode()
    assert not Delegation.objects.exists()


def test_a_chief_of_two_districts_cannot_cross_them(world) -> None:
    f.grant(world.chief, Role.DISTRICT_CHIEF, world.d2)
    client = browser(world.chief, "en")
    body = client.get("/delegation/").content.decode()
    assert set(options_of(body, "delegate")) == {"", "officer", "officer2", "other_officer", "other_chief"}
    assert "<optgroup" in body  # grouped by district
    crossed = client.post(
        "/delegation/",
        {"district": "5001", "delegate": "other_officer", "starts_on": be(TODAY), "ends_on": be(NEXT_WEEK)},
    )
    assert crossed.status_code == 422
    assert "only its officers and its chief may act for its chief" in crossed.content.decode()
    assert not Delegation.objects.exists()
    fine = client.post(
        "/delegation/",
        {"district": "5002", "delegate": "other_officer", "starts_on": be(TODAY), "ends_on": be(NEXT_WEEK)},
    )
    assert fine.status_code == 302
    assert Delegation.objects.get().district_id == "5002"

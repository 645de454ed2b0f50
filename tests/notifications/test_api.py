"""The notifications API: my notices only, catch-up by id, read, unread count, preferences."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from notifications.models import Kind, Notification, NotificationPreference
from notifications.services import notify
from tests import factories as f

PROBLEM = "application/problem+json"


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def tell(user, text: str, kind: str = Kind.REMINDER) -> Notification:
    (row,) = notify(recipients=[user], kind=kind, project=None, text_th=f"ไทย {text}", text_en=text)
    return row


@pytest.fixture
def inbox(world):
    """Three notices for the chief (the middle one read), one for the other district's chief."""
    first = tell(world.chief, "first")
    second = tell(world.chief, "second")
    third = tell(world.chief, "third")
    foreign = tell(world.other_chief, "not yours")
    Notification.objects.filter(pk=second.pk).update(read_at=second.created_at)
    return first, second, third, foreign


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [n["id"] for n in response.json()["results"]]


def test_list_is_mine_newest_first_and_paginated(world, inbox):
    first, second, third, _foreign = inbox
    response = api(world.chief).get("/api/v1/notifications/")
    assert ids(response) == [third.pk, second.pk, first.pk]
    body = response.json()
    assert body["count"] == 3 and "next" in body
    latest = body["results"][0]
    assert latest["text_en"] == "third" and latest["text_th"] == "ไทย third"
    assert (latest["kind"], latest["read"], latest["read_at"], latest["project"]) == (
        "reminder",
        False,
        None,
        None,
    )
    assert ids(api(world.chief).get("/api/v1/notifications/?page_size=2")) == [third.pk, second.pk]


def test_after_gives_the_newer_ones_oldest_first(world, inbox):
    first, second, third, _foreign = inbox
    assert ids(api(world.chief).get(f"/api/v1/notifications/?after={first.pk}")) == [second.pk, third.pk]
    assert ids(api(world.chief).get(f"/api/v1/notifications/?after={third.pk}")) == []
    assert ids(api(world.chief).get("/api/v1/notifications/?after=0")) == [first.pk, second.pk, third.pk]


def test_unread_filter(world, inbox):
    first, second, third, _foreign = inbox
    assert ids(api(world.chief).get("/api/v1/notifications/?unread=true")) == [third.pk, first.pk]
    assert ids(api(world.chief).get("/api/v1/notifications/?unread=false")) == [second.pk]


def test_bad_parameters_are_problems(world):
    response = api(world.chief).get("/api/v1/notifications/?after=yesterday")
    assert response.status_code == 422
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == "invalid_input"
    assert response.json()["errors"][0]["field"] == "after"


def test_mark_one_read_and_the_unread_count(world, inbox):
    first, _second, third, _foreign = inbox
    client = api(world.chief)
    assert client.get("/api/v1/notifications/unread-count/").json() == {"unread_count": 2}

    response = client.post(f"/api/v1/notifications/{first.pk}/read/")
    assert response.status_code == 200
    assert response.json()["id"] == first.pk and response.json()["read"] is True
    first.refresh_from_db()
    assert first.read_at is not None
    assert client.get("/api/v1/notifications/unread-count/").json() == {"unread_count": 1}
    assert ids(client.get("/api/v1/notifications/?unread=true")) == [third.pk]

    again = client.post(f"/api/v1/notifications/{first.pk}/read/")  # idempotent
    assert again.status_code == 200 and again.json()["read_at"] == response.json()["read_at"]


def test_another_users_notice_is_not_found(world, inbox):
    *_mine, foreign = inbox
    response = api(world.chief).post(f"/api/v1/notifications/{foreign.pk}/read/")
    assert response.status_code == 404
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == "not_found"
    foreign.refresh_from_db()
    assert foreign.read_at is None
    assert foreign.pk not in ids(api(world.chief).get("/api/v1/notifications/?after=0"))
    assert api(world.chief).post("/api/v1/notifications/999999/read/").status_code == 404


def test_read_all_marks_only_mine(world, inbox):
    *_mine, foreign = inbox
    response = api(world.chief).post("/api/v1/notifications/read-all/")
    assert response.status_code == 200
    assert response.json() == {"marked": 2, "unread_count": 0}
    assert api(world.chief).get("/api/v1/notifications/unread-count/").json() == {"unread_count": 0}
    foreign.refresh_from_db()
    assert foreign.read_at is None
    assert api(world.other_chief).get("/api/v1/notifications/unread-count/").json() == {"unread_count": 1}


def test_email_preference_defaults_to_digest_and_can_be_changed(world):
    client = api(world.officer)
    assert client.get("/api/v1/notifications/preferences/").json() == {"email_mode": "digest"}
    assert not NotificationPreference.objects.filter(user=world.officer).exists()

    response = client.put("/api/v1/notifications/preferences/", {"email_mode": "immediate"}, format="json")
    assert response.status_code == 200 and response.json() == {"email_mode": "immediate"}
    assert client.get("/api/v1/notifications/preferences/").json() == {"email_mode": "immediate"}
    assert NotificationPreference.objects.get(user=world.officer).email_mode == "immediate"
    # Someone else's setting is untouched.
    assert api(world.chief).get("/api/v1/notifications/preferences/").json() == {"email_mode": "digest"}

    bad = client.put("/api/v1/notifications/preferences/", {"email_mode": "pigeon"}, format="json")
    assert bad.status_code == 422
    assert bad["Content-Type"] == PROBLEM
    assert bad.json()["code"] == "invalid_input"
    assert bad.json()["errors"][0]["field"] == "email_mode"
    assert NotificationPreference.objects.get(user=world.officer).email_mode == "immediate"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/notifications/"),
        ("get", "/api/v1/notifications/unread-count/"),
        ("post", "/api/v1/notifications/read-all/"),
        ("post", "/api/v1/notifications/1/read/"),
        ("get", "/api/v1/notifications/preferences/"),
        ("put", "/api/v1/notifications/preferences/"),
    ],
)
def test_anonymous_gets_401_problem(db, method, path):
    response = getattr(api(), method)(path)
    assert response.status_code == 401
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == "not_authenticated"


def test_a_real_change_shows_up_in_the_list(world):
    project = f.make_project(world.officer, world.entry)
    (notice,) = api(world.chief).get("/api/v1/notifications/").json()["results"]
    assert notice["kind"] == "task_new" and notice["project"] == project.pk and notice["task"] is not None
    assert api(world.officer).get("/api/v1/notifications/").json()["results"] == []


def test_the_socket_shows_a_notice_as_the_api_does(world, inbox):
    """A push carries each notice as the list shows it: the same keys and values, read or not,
    with or without a project and a task, in the active time zone and in UTC."""
    from django.utils import timezone

    from notifications import push

    project = f.make_project(world.officer, world.entry)
    listed = api(world.chief).get("/api/v1/notifications/?limit=50").json()["results"]
    rows = {n.pk: n for n in Notification.objects.filter(recipient=world.chief)}
    assert any(n["read"] for n in listed) and any(n["project"] == project.pk and n["task"] for n in listed)
    assert {n["id"] for n in listed} == set(rows)
    for notice in listed:
        assert push.notification_payload(rows[notice["id"]]) == notice
    with timezone.override("UTC"):
        utc = api(world.chief).get("/api/v1/notifications/?limit=50").json()["results"]
        assert utc[0]["created_at"].endswith("Z")
        assert [push.notification_payload(rows[n["id"]]) for n in utc] == utc

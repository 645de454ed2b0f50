"""Logging in and out, throttling, the password change, the language switch and CSRF."""

from __future__ import annotations

import pytest
from django.test import Client

from tests import factories as f


def test_home_sends_anonymous_to_login_and_users_to_their_inbox(world):
    response = Client().get("/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    client = Client()
    client.force_login(world.chief)
    assert client.get("/")["Location"] == "/inbox/"


def test_login_with_the_form_and_wrong_password_message(world):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    wrong = client.post("/accounts/login/", {"username": "chief", "password": "nope"})
    assert wrong.status_code == 200
    assert "didn&#x27;t match" in wrong.content.decode() or "didn't match" in wrong.content.decode()
    right = client.post("/accounts/login/", {"username": "chief", "password": f.PASSWORD})
    assert right.status_code == 302 and right["Location"] == "/inbox/"


def test_repeated_failed_logins_are_throttled(world, settings):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": "chief", "password": "wrong"})
    locked = client.post("/accounts/login/", {"username": "chief", "password": f.PASSWORD})
    assert locked.status_code == 429
    assert "Too many failed logins" in locked.content.decode()
    # another person (another username) is not locked out by chief's failures
    other = Client().post("/accounts/login/", {"username": "officer", "password": f.PASSWORD})
    assert other.status_code == 302


def test_logout_is_a_post_and_ends_the_session(world):
    client = Client()
    client.force_login(world.chief)
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/inbox/").status_code == 302


def test_password_change(world):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(world.chief)
    assert client.get("/accounts/password_change/").status_code == 200
    response = client.post(
        "/accounts/password_change/",
        {
            "old_password": f.PASSWORD,
            "new_password1": "a-new-long-passphrase-2570",
            "new_password2": "a-new-long-passphrase-2570",
        },
    )
    assert response.status_code == 302
    world.chief.refresh_from_db()
    assert world.chief.check_password("a-new-long-passphrase-2570")


def test_thai_by_default_and_the_switch_to_english(world):
    client = Client()
    client.force_login(world.chief)
    thai = client.get("/delegation/").content.decode()
    assert '<html lang="th">' in thai
    client.post("/i18n/setlang/", {"language": "en", "next": "/delegation/"})
    english = client.get("/delegation/").content.decode()
    assert '<html lang="en">' in english and "Acting officials" in english


@pytest.mark.parametrize("path", ["/delegation/", "/i18n/setlang/"])
def test_forms_need_the_csrf_token(world, path):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.chief)
    assert client.post(path, {"language": "en"}).status_code == 403

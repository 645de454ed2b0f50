"""When the database cannot be reached: 503 with Retry-After, problem+json on the API, a Thai page
on the pages; never a 500 or a traceback (issue 12). The outage is simulated: the connection's
``ensure_connection`` raises what Django raises when PostgreSQL refuses or drops a connection.
``drills/outage.py`` does it for real, restarting a PostgreSQL server under a running service.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from unittest import mock

import psycopg
import pytest
from django.conf import settings
from django.db import InterfaceError, OperationalError, connection
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests import factories as f
from workflow.models import Project, State


def _refused() -> None:
    """What ``ensure_connection`` raises when the server refuses (down, restarting)."""
    try:
        raise psycopg.OperationalError(
            'connection failed: connection to server at "127.0.0.1", port 5432 failed: Connection refused'
        )
    except psycopg.OperationalError as exc:
        raise OperationalError(str(exc)) from exc


def _crashed() -> None:
    """What a query raises when the server restarts after another backend crashed (SQLSTATE 57P02)."""
    try:
        raise psycopg.errors.CrashShutdown(
            "terminating connection because of crash of another server process"
        )
    except psycopg.Error as exc:
        raise OperationalError(str(exc)) from exc


def _closed() -> None:
    raise InterfaceError("connection already closed")


def _locked() -> None:
    """A statement that failed on a reachable database: not an outage."""
    try:
        raise psycopg.errors.DeadlockDetected("deadlock detected")
    except psycopg.Error as exc:
        raise OperationalError(str(exc)) from exc


@contextlib.contextmanager
def database_down(failure=_refused) -> Iterator[None]:
    with mock.patch.object(connection, "ensure_connection", side_effect=failure):
        yield


def _api(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.mark.parametrize("failure", [_refused, _crashed, _closed], ids=["refused", "crashed", "closed"])
def test_the_api_answers_503_problem_json_with_retry_after(world, failure):
    client = _api(world.officer)
    with database_down(failure):
        response = client.get("/api/v1/projects/")
    assert response.status_code == 503
    assert response["Content-Type"] == "application/problem+json"
    assert int(response["Retry-After"]) > 0
    body = response.json()
    assert body["code"] == "database_unavailable" and body["status"] == 503
    assert "Traceback" not in response.content.decode()


def test_a_transition_during_the_outage_is_503_and_changes_nothing(world):
    project = f.make_project(world.officer, world.entry)
    client = _api(world.chief)
    with database_down():
        response = client.post(
            f"/api/v1/projects/{project.pk}/transitions/approve/", {"comment": "ok"}, format="json"
        )
    assert response.status_code == 503
    assert response.json()["code"] == "database_unavailable"
    assert Project.objects.get(pk=project.pk).state == State.SELECTED
    # Once the database is back, the same request succeeds without anything restarted.
    again = client.post(
        f"/api/v1/projects/{project.pk}/transitions/approve/", {"comment": "ok"}, format="json"
    )
    assert again.status_code == 200 and again.json()["state"] == State.APPROVED


def test_a_failed_statement_is_not_an_outage(world):
    """Only a connection refused or lost is 503; a statement that failed stays a 500 server_error."""
    client = _api(world.officer)
    with database_down(_locked):
        response = client.get("/api/v1/projects/")
    assert response.status_code == 500
    assert response.json()["code"] == "server_error"
    assert "Retry-After" not in response


def test_a_page_answers_the_thai_503_page(world):
    client = Client(HTTP_ACCEPT_LANGUAGE="th", raise_request_exception=False)
    client.force_login(world.officer)
    with database_down():
        response = client.get("/inbox/")
    body = response.content.decode()
    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0
    assert response["Content-Type"].startswith("text/html")
    assert "ระบบไม่พร้อมให้บริการชั่วคราว" in body and 'id="error-page"' in body
    assert "Traceback" not in body and "connection failed" not in body


def test_the_503_page_follows_the_chosen_language(world):
    client = Client(raise_request_exception=False)
    client.force_login(world.officer)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with database_down(_crashed):
        response = client.get("/inbox/")
    assert response.status_code == 503
    assert "The service is unavailable for a moment" in response.content.decode()


def test_postgresql_connections_give_up_quickly_and_the_pool_wait_is_a_setting():
    """A database host that does not answer costs a request 2 s (libpq's minimum), not minutes;
    with a pool, how long a request waits for a connection is the operator's choice."""
    from tests.test_settings import settings_in_subprocess

    url = {"DATABASE_URL": "postgres://u@127.0.0.1:5432/db"}
    options = "settings.DATABASES['default']['OPTIONS']"
    assert "'connect_timeout': 2" in settings_in_subprocess(url, options)
    pooled = settings_in_subprocess(
        {**url, "DATABASE_POOL_SIZE": "4", "DATABASE_POOL_TIMEOUT": "1.5"}, options
    )
    assert "'timeout': 1.5" in pooled and "'max_size': 4" in pooled

"""API tokens (``FixedTokenAuthentication``): the holder is the user, others are 401."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient


def _client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_a_token_is_its_users_and_costs_one_statement(world):
    token = Token.objects.create(user=world.officer)
    with CaptureQueriesContext(connection) as queries:
        response = _client(token.key).get("/api/v1/notifications/unread-count/")
    assert response.status_code == 200
    token_reads = [q["sql"] for q in queries.captured_queries if "authtoken_token" in q["sql"]]
    assert len(token_reads) == 1


def test_unknown_long_and_inactive_tokens_are_401_problems(world):
    token = Token.objects.create(user=world.chief)
    for key in ("0" * 40, token.key + "x" * 500, "'; DROP TABLE authtoken_token; --"):
        response = _client(key).get("/api/v1/projects/")
        assert response.status_code == 401
        assert response["Content-Type"] == "application/problem+json"
        assert response.json()["code"] == "authentication_failed"
    world.chief.is_active = False
    world.chief.save()
    assert _client(token.key).get("/api/v1/projects/").status_code == 401
    assert Token.objects.filter(key=token.key).exists()

"""A NUL character in a query parameter is refused before any view runs (Schemathesis found it
answering 500 on PostgreSQL, whose text columns cannot hold one), and an over-long username at the
token endpoint is a 422 naming the field (it reached the lock-out records' column and failed)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_the_api_answers_422_naming_the_parameter(world: Any) -> None:
    client = APIClient()
    client.force_authenticate(world.chief)
    response = client.get("/api/v1/delegations/candidates/?district=%40%00%C2%AD%07")
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "invalid_input"
    assert body["errors"] == [
        {"field": "district", "code": "control_character", "message": body["errors"][0]["message"]}
    ]
    # The same parameter without the NUL is read as usual.
    assert client.get("/api/v1/delegations/candidates/?district=5001").status_code == 200


def test_a_page_answers_a_thai_400(world: Any) -> None:
    client = Client()
    client.force_login(world.auditor)
    response = client.get("/audit/?actor=chief%00")
    assert response.status_code == 400
    page = response.content.decode()
    assert "ข้อความมีอักขระควบคุม" in page, page
    assert client.get("/audit/?actor=chief").status_code == 200


def test_an_over_long_username_at_the_token_endpoint_is_422(world: Any) -> None:
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": "u" * 300, "password": "x"}, format="json"
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["username"]

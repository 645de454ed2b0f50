"""Production-safe by default (issue 12): DEBUG off, a deploy check that passes with production
settings, throttles and lock-outs keyed on the real client, and every API error as problem+json
(400 unreadable or too deep, 413 too large, 429 throttled or locked out, 500 unforeseen)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.test import RequestFactory, override_settings
from rest_framework.test import APIClient

from config.client import client_address
from config.settings import local_secret_key
from tests import factories as f
from workflow.models import AuditEvent, Project

ROOT = Path(__file__).resolve().parents[1]
PRODUCTION = {
    "HTTPS": "true",
    "TRUSTED_PROXIES": "1",
    "SECRET_KEY": "x" * 20 + "production-secret-key-for-the-check-only-0123456789",
    "ALLOWED_HOSTS": "rolemodel.example.go.th",
}


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    # As a deployment starts it: not with the browser tests' DJANGO_ALLOW_ASYNC_UNSAFE.
    unset = {"DEBUG", "HTTPS", "TRUSTED_PROXIES", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    clean = {k: v for k, v in os.environ.items() if k not in unset}
    clean.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env={**clean, **env}, capture_output=True, text=True
    )


def test_deploy_check_is_clean_with_production_settings_and_warns_without_them():
    production = _manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert production.returncode == 0, production.stdout + production.stderr

    local = _manage("check", "--deploy", "--fail-level", "WARNING", SECRET_KEY=PRODUCTION["SECRET_KEY"])
    assert local.returncode != 0
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in local.stderr


def test_debug_is_off_unless_the_environment_turns_it_on():
    script = "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)"
    env = {k: v for k, v in os.environ.items() if k != "DEBUG"}
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    off = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True)
    on = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env={**env, "DEBUG": "1"}, capture_output=True, text=True
    )
    assert (off.stdout.strip(), on.stdout.strip()) == ("False", "True")


def test_the_local_secret_key_is_made_once_readable_by_its_owner_only(tmp_path):
    path = tmp_path / ".secret_key"
    first = local_secret_key(path)
    assert len(first) >= 50
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert local_secret_key(path) == first  # the next process reads the same key


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "203.0.113.7", "10.0.0.5"),  # no proxy trusted: the header is the client's own words
        (1, "203.0.113.7", "203.0.113.7"),
        (1, "198.51.100.1, 203.0.113.7", "203.0.113.7"),  # the forged left part is not believed
        (2, "198.51.100.1, 203.0.113.7, 10.0.0.9", "203.0.113.7"),
        (1, "", "10.0.0.5"),
    ],
)
def test_the_client_address_believes_only_the_trusted_proxies(proxies, forwarded, expected):
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR=forwarded)
    with override_settings(TRUSTED_PROXIES=proxies):
        assert client_address(request) == expected


@pytest.fixture
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


def test_a_new_forwarded_for_per_request_does_not_escape_the_token_throttle(db, fresh_cache):
    client = APIClient()
    answers = []
    for attempt in range(22):
        response = client.post(
            "/api/v1/auth/token/",
            {"username": f"user{attempt}", "password": "guess"},
            format="json",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{attempt}",
        )
        answers.append(response.status_code)
    assert answers[:20] == [400] * 20
    assert answers[20:] == [429, 429]
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "throttled"
    assert int(response["Retry-After"]) > 0


def test_the_api_lock_out_is_problem_json_429(world, fresh_cache):
    client = APIClient()
    answers = [
        client.post(
            "/api/v1/auth/token/", {"username": "chief", "password": "wrong"}, format="json"
        ).status_code
        for _ in range(5)
    ]
    assert answers == [400, 400, 400, 400, 429]  # the fifth failure locks the account
    locked = client.post("/api/v1/auth/token/", {"username": "chief", "password": f.PASSWORD}, format="json")
    assert locked.status_code == 429
    assert locked["Content-Type"] == "application/problem+json"
    assert locked.json()["code"] == "locked_out"
    assert locked["Retry-After"] == "900"
    assert "token" not in locked.json()


def _create(world, body: str) -> Any:
    client = APIClient()
    client.force_authenticate(world.officer)
    return client.generic("POST", "/api/v1/projects/", body, content_type="application/json")


def test_a_json_body_over_one_megabyte_is_413_and_creates_nothing(world):
    padding = "ก" * (400 * 1024)  # three bytes each in UTF-8
    response = _create(world, json.dumps({"title": padding}, ensure_ascii=False))
    assert response.status_code == 413
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "body_too_large"
    assert Project.objects.count() == 0


@pytest.mark.parametrize("depth", [40, 100_000])
def test_a_deeply_nested_body_is_400_and_creates_nothing(world, depth):
    events = AuditEvent.objects.count()
    response = _create(world, "[" * depth + "]" * depth)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "too_deep"
    assert (Project.objects.count(), AuditEvent.objects.count()) == (0, events)


def test_unreadable_json_is_400_problem_json(world):
    response = _create(world, '{"title": ')
    assert (response.status_code, response.json()["code"]) == (400, "parse_error")


def test_a_request_over_the_api_limit_is_refused_unread(world):
    client = APIClient()
    client.force_authenticate(world.officer)
    with override_settings(API_MAX_BODY_BYTES=1024):
        response = client.post("/api/v1/projects/", {"title": "x" * 2000}, format="json")
    assert response.status_code == 413
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "body_too_large"
    assert Project.objects.count() == 0


def test_an_unforeseen_error_is_500_problem_json_without_a_traceback(world, monkeypatch):
    from workflow.api import views

    def broken(*args, **kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(views.ProvinceListApi, "get_queryset", broken)
    client = APIClient()
    client.force_authenticate(world.officer)
    response = client.get("/api/v1/areas/provinces/")
    assert response.status_code == 500
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "server_error"
    assert "database on fire" not in response.content.decode()


def test_an_unknown_api_address_is_404_problem_json(world):
    client = APIClient()
    client.force_authenticate(world.officer)
    response = client.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "not_found"


def test_a_control_character_in_any_text_is_422_naming_the_field(world):
    body = {
        "title": "โครงการ\x07ทดสอบ",
        "budget_lines": [{"description": "วัสดุ\x1b[31m", "category": "activity_materials", "amount": "1.00"}],
        "comment": "บรรทัดแรก\nบรรทัดสอง\tแท็บ",  # line breaks and tabs are text
    }
    response = _create(world, json.dumps(body, ensure_ascii=False))
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    errors = {(e["field"], e["code"]) for e in response.json()["errors"]}
    assert errors == {("title", "control_character"), ("budget_lines[0].description", "control_character")}
    assert Project.objects.count() == 0

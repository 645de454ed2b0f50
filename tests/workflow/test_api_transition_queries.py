"""What a transition costs over the API, and that its cheap answer is the same answer.

``POST /api/v1/projects/{id}/transitions/{name}/`` adds to the service's own statements
(``test_transition_statements.py`` holds those to 16) only the token look-up before it and
one read for the detail after it (``serializers.detail_parts``: the project's lines, files and
records, and the district's budget figures its rule results need). No pre-check read when the
body is usable, no statement repeated, the user's grants read once, and the same count however
much the project and its district hold. The detail is rendered without DRF's field binding and the ORM's prefetches
(``serializers.project_detail``); it must equal ``ProjectDetailSerializer``'s rendering field
for field, in both languages, after every kind of transition and on GET, PATCH and POST.

Each request uses a fresh token client, so that the user and the grants are read inside the
measured request. Savepoints are the test's own transaction showing through. No timing here.
"""

from __future__ import annotations

import datetime
import json
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from rest_framework.authtoken.models import Token
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.test import APIClient, APIRequestFactory

from tests import factories as f
from workflow import selectors, sql
from workflow.api import serializers as s
from workflow.models import Project, Role, State
from workflow.services import projects as svc

User = get_user_model()
SERVICE_BUDGET = 16  # the service's own statements (test_transition_statements.py)

IMPLEMENTATION = {
    "spend_lines": [
        {"description": "วัสดุฝึกปฏิบัติ", "category": "activity_materials", "amount": "8000.50"},
        {"description": "ค่าวิทยากร", "category": "wages", "amount": "3000.00"},
    ],
    "activities_done": "อบรมอาชีพ 3 ครั้ง",
    "villages_reached": 3,
    "households_reached": 110,
}


def client_of(user: Any, language: str = "th") -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE=language)
    token, _created = Token.objects.get_or_create(user_id=user.pk)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def sql_of(queries: list[dict[str, Any]]) -> list[str]:
    return [q["sql"] for q in queries if "SAVEPOINT" not in q["sql"]]


@contextmanager
def measured(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, list[str]]]:
    """The statements of one request: before the service, the service's own, and after it."""
    parts: dict[str, list[str]] = {}
    marks: dict[str, int] = {}
    real = svc.project_transition

    def service(**arguments: Any) -> Any:
        marks["start"] = len(captured.captured_queries)
        try:
            return real(**arguments)
        finally:
            marks["end"] = len(captured.captured_queries)

    monkeypatch.setattr(svc, "project_transition", service)
    with CaptureQueriesContext(connection) as captured:
        yield parts
    monkeypatch.setattr(svc, "project_transition", real)
    queries = captured.captured_queries
    parts["before"] = sql_of(queries[: marks["start"]])
    parts["service"] = sql_of(queries[marks["start"] : marks["end"]])
    parts["after"] = sql_of(queries[marks["end"] :])
    parts["all"] = sql_of(queries)


def transition(
    monkeypatch: pytest.MonkeyPatch, user: Any, pk: int, name: str, body: dict[str, Any]
) -> tuple[dict[str, list[str]], Any]:
    client = client_of(user)
    with measured(monkeypatch) as parts:
        response = client.post(f"/api/v1/projects/{pk}/transitions/{name}/", body, format="json")
    assert response.status_code == 200, response.content
    return parts, response


def assert_within_budget(label: str, parts: dict[str, list[str]]) -> int:
    everything = parts["all"]
    repeated = [text[:120] for text, n in Counter(everything).items() if n > 1]
    assert not repeated, f"{label} repeats: {repeated}"
    assert len(parts["before"]) == 1 and "authtoken_token" in parts["before"][0], (
        f"{label}: before the service only the token look-up, not {parts['before']}"
    )
    assert len(parts["after"]) == 1, f"{label}: the detail is one read, not {parts['after']}"
    assert len(parts["service"]) <= SERVICE_BUDGET, f"{label}: {len(parts['service'])} in the service"
    assert len(everything) <= SERVICE_BUDGET + 2
    # On their own, or with the project (PostgreSQL: its statement's ``WITH g`` part).
    grants = [q for q in everything if "SELECT 'm', m.\"role\"" in q]
    assert len(grants) == 1, f"{label}: the user's grants read {len(grants)} times"
    return len(everything)


def project_in(officer: Any, entry: Any, subdistricts: list[str], amount: str = "50000.00") -> Project:
    return svc.project_create(
        acting_user=officer, bank_entry=entry, data=f.good_input(subdistricts, amount=amount)
    )


def evidence_for(project: Project, officer: Any) -> int:
    upload = SimpleUploadedFile("receipt.pdf", b"%PDF-1.4 receipt", content_type="application/pdf")
    return int(
        svc.evidence_add(project=project.pk, acting_user=officer, uploaded=upload, caption="ใบเสร็จ").pk
    )


def test_every_kind_of_transition_costs_the_service_plus_two_statements(world, monkeypatch):
    p = f.make_project(world.officer, world.entry)
    steps: list[tuple[str, Any, str, dict[str, Any]]] = [
        ("return for revision", world.chief, "return", {"comment": "แก้ไขงบประมาณ"}),
        ("resubmit", world.officer, "resubmit", {}),
        ("approve", world.chief, "approve", {"comment": "อนุมัติ"}),
        ("implement", world.officer, "implement", IMPLEMENTATION),
        ("return for more work", world.inspector, "return", {"comment": "ขาดหลักฐาน"}),
        ("implement again", world.officer, "implement", IMPLEMENTATION),
        ("monitor", world.inspector, "monitor", {"findings": "ครบถ้วน", "recommendations": "ขยายผล"}),
        ("report", world.officer, "report", {"result_narrative": "ประชาชนมีรายได้เพิ่มขึ้น"}),
    ]
    counts = {}
    for label, user, name, body in steps:
        parts, response = transition(monkeypatch, user, p.pk, name, body)
        counts[label] = assert_within_budget(label, parts)
        assert response.json()["id"] == p.pk
    q = f.make_project(world.officer2, world.entry2, amount="20000.00")
    parts, response = transition(monkeypatch, world.chief, q.pk, "reject", {"comment": "ซ้ำซ้อน"})
    counts["reject"] = assert_within_budget("reject", parts)
    assert response.json()["state"] == State.REJECTED
    r = f.make_project(world.officer, world.entry2, amount="20000.00")
    parts, response = transition(monkeypatch, world.officer, r.pk, "withdraw", {})
    counts["withdraw"] = assert_within_budget("withdraw", parts)
    assert response.json()["state"] == State.WITHDRAWN
    assert max(counts.values()) <= SERVICE_BUDGET + 2


@pytest.mark.parametrize("name", ["approve", "implement", "monitor"])
def test_the_count_does_not_grow_with_what_the_project_and_district_hold(world, monkeypatch, name):
    entries = iter(f.bank_entry(world.subs["500101"], f"X-{n}") for n in range(2))
    steps: list[tuple[str, Any, dict[str, Any]]] = [
        ("approve", world.chief, {}),
        ("implement", world.officer, IMPLEMENTATION),
        ("monitor", world.inspector, {"findings": "ครบถ้วน"}),
    ]

    def one(more: bool) -> int:
        p = project_in(world.officer, next(entries), ["500103", "500101", "500102"], amount="20000.00")
        for step, user, body in steps:
            if step == name:
                parts, _response = transition(monkeypatch, user, p.pk, step, body)
                return assert_within_budget(step, parts)
            client_of(user).post(f"/api/v1/projects/{p.pk}/transitions/{step}/", body, format="json")
            if more and step == "approve":
                for _ in range(3):
                    evidence_for(p, world.officer)
        raise AssertionError(name)

    small = one(more=False)
    for i in range(4):
        f.user_with(f"more_chief{i}", Role.DISTRICT_CHIEF, world.d1)
        f.user_with(f"more_inspector{i}", Role.REGIONAL_INSPECTOR, world.region)
    for n in range(3):
        f.make_project(world.officer2, f.bank_entry(world.subs["500102"], f"Y-{n}"), amount="11000.00")
    assert one(more=True) == small


def test_a_project_detail_read_costs_four_statements_or_three(world):
    p = f.make_project(world.officer, world.entry)
    evidence_for_approved = f.make_project(world.officer2, world.entry2, amount="20000.00")
    svc.project_approve(project=evidence_for_approved.pk, acting_user=world.chief)
    evidence_for(evidence_for_approved, world.officer2)
    for project in (p, evidence_for_approved):
        client = client_of(world.chief)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(f"/api/v1/projects/{project.pk}/")
        assert response.status_code == 200
        statements = sql_of(captured.captured_queries)
        # the token, the grants, the project (access-checked), the rest of the detail; the
        # grants in the project's statement where they are read with it (PostgreSQL)
        if sql.reads_grants_with_project(connection.vendor):
            assert len(statements) == 3, statements
            token, read, detail = statements
            assert read.startswith("WITH g (") and "SELECT 'm', m.\"role\"" in read
        else:
            assert len(statements) == 4, statements
            token, grants, read, detail = statements
            assert grants.startswith("SELECT 'm', m.")
        assert "authtoken_token" in token
        assert "workflow_project" in read and "workflow_monitoringrecord" in detail


# --- The same answer -------------------------------------------------------------------------


def reference(user: Any, pk: int, language: str) -> Any:
    """The detail as ``ProjectDetailSerializer`` renders it (the API's answer before the change)."""
    request = Request(APIRequestFactory().get("/"))
    request.user = User.objects.get(pk=user.pk)
    project = (
        selectors.project_base_queryset()
        .filter(pk=pk)
        .prefetch_related("spend_lines", "evidence_files__uploaded_by")
        .get()
    )
    with translation.override(language):
        data = s.ProjectDetailSerializer(project, context={"request": request}).data
        return json.loads(JSONRenderer().render(data))


def assert_same(response: Any, user: Any, language: str) -> None:
    body = response.json()
    expected = reference(user, body["id"], language)
    assert list(body) == list(expected)
    for key in expected:
        assert body[key] == expected[key], key


@pytest.mark.parametrize("language", ["th", "en"])
def test_the_answer_equals_the_serializers_after_every_kind_of_transition(world, language):
    world.edition.budget_cap = "200000.00"
    world.edition.save()
    # Others in the district hold and spend budget: the rules' figures show it.
    f.make_project(world.officer2, f.bank_entry(world.subs["500102"], "O-1"), amount="30000.00")
    spending = f.make_project(world.officer2, f.bank_entry(world.subs["500103"], "O-2"), amount="25000.00")
    svc.project_approve(project=spending.pk, acting_user=world.chief)
    svc.project_implement(
        project=spending.pk,
        acting_user=world.officer2,
        record=svc.ImplementationInput(
            spend_lines=[svc.LineInput("วัสดุ", "activity_materials", "24000.75")],
            activities_done="อบรม",
            villages_reached=2,
            households_reached=40,
        ),
    )
    p = project_in(world.officer, world.entry, ["500102", "500101"])

    def step(user: Any, name: str, body: dict[str, Any]) -> Any:
        response = client_of(user, language).post(
            f"/api/v1/projects/{p.pk}/transitions/{name}/", body, format="json"
        )
        assert response.status_code == 200, response.content
        assert_same(response, user, language)
        return response

    step(world.chief, "return", {"comment": "แก้ไขงบประมาณ"})
    step(world.officer, "resubmit", {})
    step(world.chief, "approve", {"comment": "อนุมัติ"})
    files = [evidence_for(p, world.officer), evidence_for(p, world.officer)]
    step(world.officer, "implement", dict(IMPLEMENTATION, evidence=files))
    step(world.inspector, "return", {"comment": "ขาดหลักฐาน"})
    step(world.officer, "implement", IMPLEMENTATION)
    step(world.inspector, "monitor", {"findings": "ครบถ้วน", "recommendations": "ขยายผล"})
    response = step(world.officer, "report", {"result_narrative": "ประชาชนมีรายได้เพิ่มขึ้น"})
    detail = response.json()
    assert detail["state"] == State.REPORTED
    assert [e["file"].startswith("http://testserver/") for e in detail["evidence_files"]] == [True, True]
    assert [m["findings"] for m in detail["monitoring"]] == ["ครบถ้วน"]
    # The monitoring record's time in the same zone as the project's own times (Asia/Bangkok).
    offset = detail["created_at"][-6:]
    assert offset == "+07:00"
    assert [m["created_at"][-6:] for m in detail["monitoring"]] == [offset]
    assert detail["subdistricts"] == ["500101", "500102"]
    assert detail["spend_lines"][0]["amount"] == "8000.50"

    rejected = f.make_project(world.officer2, world.entry2, amount="20000.00")
    response = client_of(world.chief, language).post(
        f"/api/v1/projects/{rejected.pk}/transitions/reject/", {"comment": "ซ้ำซ้อน"}, format="json"
    )
    assert_same(response, world.chief, language)
    withdrawn = f.make_project(world.officer, world.entry2, amount="20000.00")
    response = client_of(world.officer, language).post(
        f"/api/v1/projects/{withdrawn.pk}/transitions/withdraw/", {}, format="json"
    )
    assert_same(response, world.officer, language)

    for reader in (world.chief, world.officer2, world.inspector, world.provincial, world.planner):
        for pk in (p.pk, rejected.pk, withdrawn.pk):
            response = client_of(reader, language).get(f"/api/v1/projects/{pk}/")
            assert response.status_code == 200
            assert_same(response, reader, language)


def test_the_answer_equals_the_serializers_on_create_update_and_read(world):
    today = timezone.localdate()
    body = {
        "bank_entry": world.entry.pk,
        "title": "โครงการจัดทำฝายชะลอน้ำ",
        "dimension": "environment",
        "subdistricts": ["500102", "500101"],
        "target_villages": 2,
        "target_households": 80,
        "start_date": today.isoformat(),
        "end_date": (today + datetime.timedelta(days=30)).isoformat(),
        "primary_objective": "development",
        "budget_lines": [
            {"description": "วัสดุก่อสร้างฝาย", "category": "activity_materials", "amount": "60000.10"},
            {"description": "ค่าแรงอาสาสมัคร", "category": "wages", "amount": "20000"},
        ],
        "do_checklist": {
            "fits_district_plan": True,
            "feasible": True,
            "area_ready": True,
            "permitted": True,
        },
    }
    officer = client_of(world.officer)
    created = officer.post("/api/v1/projects/", body, format="json")
    assert created.status_code == 201, created.content
    assert_same(created, world.officer, "th")
    pk = created.json()["id"]
    patched = officer.patch(
        f"/api/v1/projects/{pk}/",
        {"title": "ฝายชะลอน้ำ", "target_households": 95, "budget_lines": body["budget_lines"][:1]},
        format="json",
    )
    assert patched.status_code == 200, patched.content
    assert_same(patched, world.officer, "th")
    assert patched.json()["target_households"] == 95
    assert patched.json()["budget"] == "60000.10"
    read = client_of(world.chief).get(f"/api/v1/projects/{pk}/")
    assert_same(read, world.chief, "th")
    assert read.json()["available_transitions"] == ["approve", "return", "reject"]


# --- The order of the answers ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("user_attr", "status", "code"),
    [("auditor", 403, "forbidden"), ("other_chief", 404, "not_found"), ("chief", 400, "parse_error")],
)
def test_a_body_that_cannot_be_read_is_judged_after_role_and_area(world, user_attr, status, code):
    """Without the pre-check on the usable path, a body that cannot even be parsed still comes
    after 404 and 403, as before."""
    p = f.make_project(world.officer, world.entry)
    response = client_of(getattr(world, user_attr)).post(
        f"/api/v1/projects/{p.pk}/transitions/approve/", "{not json", content_type="application/json"
    )
    assert (response.status_code, response.json()["code"]) == (status, code)
    p.refresh_from_db()
    assert p.state == State.SELECTED


def test_a_usable_body_for_the_wrong_state_is_409_with_nothing_written(world):
    p = f.make_project(world.officer, world.entry)
    response = client_of(world.officer).post(
        f"/api/v1/projects/{p.pk}/transitions/implement/", IMPLEMENTATION, format="json"
    )
    assert (response.status_code, response.json()["code"]) == (409, "illegal_transition")
    p.refresh_from_db()
    assert p.state == State.SELECTED and not p.spend_lines.exists()

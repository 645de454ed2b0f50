"""Parts 1 and 2 of the report book over the API: GET the part (or its starting copy), PUT it."""

from __future__ import annotations

import datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from rest_framework.test import APIClient

from reports import parts
from reports.models import DistrictProfile, DriveReport, ProfileFact
from workflow.models import AuditEvent, Edition

pytestmark = pytest.mark.django_db

PROFILE = "/api/v1/districts/5001/profile/"
DRIVE = "/api/v1/districts/5001/drive-report/"
PROBLEM = "application/problem+json"


def api(user: Any) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def w(world: SimpleNamespace) -> SimpleNamespace:
    old_edition = Edition.objects.create(
        code="2569", title="2569", budget_cap=Decimal("150000"), deadline=datetime.date(2026, 8, 31)
    )
    world.old = DistrictProfile.objects.create(
        district=world.d1,
        edition=old_edition,
        population=52000,
        area_sq_km=Decimal("712.50"),
        digits="arabic",
    )
    ProfileFact.objects.create(profile=world.old, table="ประชากร", label="ชาย", value="25,100", unit="คน")
    return world


def profile_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "updated_at": None,
        "population": 53000,
        "households": 17500,
        "villages": 85,
        "area_sq_km": "712.50",
        "general": "ตั้งอยู่ริมแม่น้ำปิง",
        "economy": "ปลูกข้าวและลำไย",
        "problems_needs": "ขาดแคลนน้ำ",
        "potential": "วิสาหกิจชุมชน",
        "notes": "",
        "digits": "thai",
        "facts": [{"table": "ประชากร", "label": "รวม", "value": "53,000", "unit": "คน"}],
    }
    body.update(overrides)
    return body


def drive_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "updated_at": None,
        "narrative": "ขับเคลื่อนผ่านทีมตำบล",
        "team_narrative": "",
        "team": [{"name": "นายสมชาย ใจดี", "office": "ปลัดอำเภอ", "team_role": "หัวหน้าทีม"}],
        "meetings": [{"date": "2027-03-02", "topic": "คัดเลือกโครงการ", "resolution": ""}],
        "activities": [{"date": None, "title": "ลงพื้นที่สำรวจ", "participants": 45, "result": ""}],
    }
    body.update(overrides)
    return body


# --- GET ------------------------------------------------------------------------------------


def test_get_answers_the_starting_copy_when_nothing_is_saved(w):
    response = api(w.officer).get(PROFILE)
    assert response.status_code == 200
    data = response.json()
    assert data["saved"] is False and data["can_edit"] is True and data["updated_at"] is None
    assert data["edition"] == "2570" and data["copied_from_edition"] == "2569"
    assert data["population"] == 52000 and data["area_sq_km"] == "712.50" and data["digits"] == "arabic"
    assert data["facts"] == [{"table": "ประชากร", "label": "ชาย", "value": "25,100", "unit": "คน"}]
    assert data["subdistrict_count"] == 3
    assert [s["code"] for s in data["subdistricts"]] == ["500101", "500102", "500103"]
    assert not DistrictProfile.objects.filter(edition=w.edition).exists()


def test_readers_get_the_parts_but_may_not_edit(world):
    for name in ("planner", "inspector", "provincial", "auditor"):
        client = api(getattr(world, name))
        profile = client.get(PROFILE)
        assert profile.status_code == 200 and profile.json()["can_edit"] is False
        drive = client.get(DRIVE)
        assert drive.status_code == 200 and drive.json()["saved"] is False


@pytest.mark.parametrize("url", [PROFILE, DRIVE])
def test_anonymous_and_out_of_area_callers(world, url):
    response = api(None).get(url)
    assert response.status_code == 401 and response["Content-Type"] == PROBLEM
    assert api(None).put(url, {}, format="json").status_code == 401
    for name in ("other_officer", "other_inspector", "nobody"):
        response = api(getattr(world, name)).get(url)
        assert response.status_code == 404 and response.json()["code"] == "not_found"
        response = api(getattr(world, name)).put(url, {"population": "not a number"}, format="json")
        assert response.status_code == 404, "404 before the body is read"


# --- PUT part 1 -----------------------------------------------------------------------------


def test_put_creates_the_profile_then_needs_the_version_it_read(w):
    client = api(w.officer)
    created = client.put(PROFILE, profile_body(), format="json")

    assert created.status_code == 200
    data = created.json()
    assert data["saved"] is True and data["updated_by"] == "officer"
    assert data["copied_from_edition"] == "2569" and data["population"] == 53000
    assert data["facts"] == [{"table": "ประชากร", "label": "รวม", "value": "53,000", "unit": "คน"}]
    profile = DistrictProfile.objects.get(edition=w.edition)
    assert profile.copied_from == w.old and profile.digits == "thai"
    assert AuditEvent.objects.filter(action="profile_update", district_id="5001").count() == 1

    stale = client.put(PROFILE, profile_body(population=1), format="json")
    assert stale.status_code == 409 and stale["Content-Type"] == PROBLEM
    assert stale.json()["code"] == "stale_edit"

    updated = api(w.chief).put(
        PROFILE, profile_body(population=54000, updated_at=data["updated_at"]), format="json"
    )
    assert updated.status_code == 200 and updated.json()["population"] == 54000
    old_version = client.put(PROFILE, profile_body(updated_at=data["updated_at"]), format="json")
    assert old_version.status_code == 409 and old_version.json()["code"] == "stale_edit"
    assert DistrictProfile.objects.get(edition=w.edition).population == 54000


def test_put_names_each_invalid_field_and_saves_nothing(w):
    body = profile_body(
        population=-1,
        area_sq_km="1.234",
        facts=[{"label": "ชาย", "value": "1"}, {"label": "หญิง", "value": ""}],
    )
    response = api(w.officer).put(PROFILE, body, format="json")

    assert response.status_code == 422 and response["Content-Type"] == PROBLEM
    problem = response.json()
    assert problem["code"] == "invalid_input"
    assert {(e["field"], e["code"]) for e in problem["errors"]} == {
        ("population", "min_value"),
        ("area_sq_km", "invalid"),
        ("facts[1].value", "required"),
    }
    assert not DistrictProfile.objects.filter(edition=w.edition).exists()
    assert not AuditEvent.objects.filter(action="profile_update").exists()


def test_put_with_a_malformed_type_is_refused_by_field(world):
    response = api(world.officer).put(PROFILE, profile_body(villages="many", digits="roman"), format="json")
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"villages", "digits"}


@pytest.mark.parametrize("name", ["planner", "inspector", "provincial", "auditor", "admin"])
def test_readers_may_not_put(world, name):
    response = api(getattr(world, name)).put(PROFILE, {"population": "bad"}, format="json")
    assert response.status_code == 403 and response.json()["code"] == "forbidden"
    assert api(getattr(world, name)).put(DRIVE, drive_body(), format="json").status_code == 403
    assert not DistrictProfile.objects.exists() and not DriveReport.objects.exists()


def test_without_an_open_edition_the_parts_answer_409(world):
    Edition.objects.update(is_active=False)
    for url in (PROFILE, DRIVE):
        response = api(world.officer).get(url)
        assert response.status_code == 409 and response.json()["code"] == "no_active_edition"
    response = api(world.officer).put(PROFILE, profile_body(), format="json")
    assert response.status_code == 409 and response.json()["code"] == "no_active_edition"


# --- Part 2 ---------------------------------------------------------------------------------


def test_put_and_get_part_2(world):
    response = api(world.chief).put(DRIVE, drive_body(), format="json")

    assert response.status_code == 200
    data = response.json()
    assert data["saved"] is True and data["updated_by"] == "chief"
    assert data["meetings"] == [{"date": "2027-03-02", "topic": "คัดเลือกโครงการ", "resolution": ""}]
    assert data["activities"][0]["participants"] == 45 and data["activities"][0]["date"] is None
    assert data["team"][0]["name"] == "นายสมชาย ใจดี"
    event = AuditEvent.objects.get(action="drive_report_update")
    assert event.object_type == "drive_report" and event.actor == world.chief

    read = api(world.inspector).get(DRIVE).json()
    assert read["narrative"] == "ขับเคลื่อนผ่านทีมตำบล" and read["can_edit"] is False
    assert read["updated_at"] == data["updated_at"]

    again = api(world.officer).put(
        DRIVE, drive_body(meetings=[], updated_at=data["updated_at"]), format="json"
    )
    assert again.status_code == 200 and again.json()["meetings"] == []


def test_part_2_rows_are_validated_by_field(world):
    body = drive_body(
        meetings=[{"topic": "ไม่มีวันที่"}],
        team=[{"name": ""}],
        activities=[{"title": "อบรม", "participants": -4}],
    )
    response = api(world.officer).put(DRIVE, body, format="json")
    assert response.status_code == 422
    assert {(e["field"], e["code"]) for e in response.json()["errors"]} == {
        ("meetings[0].date", "required"),
        ("team[0].name", "required"),
        ("activities[0].participants", "min_value"),
    }
    assert not DriveReport.objects.exists()


def test_the_version_round_trips_exactly(world):
    saved = parts.drive_report_update(
        district="5001", acting_user=world.officer, data=parts.DriveReportInput()
    )
    version = api(world.officer).get(DRIVE).json()["updated_at"]
    response = api(world.officer).put(DRIVE, drive_body(updated_at=version), format="json")
    assert response.status_code == 200
    assert DriveReport.objects.get().updated_at > saved.updated_at

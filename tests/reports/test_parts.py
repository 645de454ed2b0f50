"""Parts 1 and 2 of the report book: the services and selectors (reports.parts)."""

from __future__ import annotations

import datetime
import threading
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.utils import timezone

from reports import parts
from reports.models import (
    DistrictProfile,
    DriveActivity,
    DriveMeeting,
    DriveReport,
    DriveTeamMember,
    ProfileFact,
)
from workflow import audit
from workflow.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound
from workflow.models import AuditEvent, Delegation, Edition, Role

pytestmark = pytest.mark.django_db


def earlier_edition(code: str = "2569", year: int = 2026) -> Edition:
    return Edition.objects.create(
        code=code,
        title=f"Edition {code}",
        budget_cap=Decimal("150000.00"),
        deadline=datetime.date(year, 8, 31),
        is_active=False,
    )


def stored_profile(district: Any, edition: Edition, **values: Any) -> DistrictProfile:
    defaults: dict[str, Any] = {
        "population": 52000,
        "households": 17000,
        "villages": 84,
        "area_sq_km": Decimal("712.50"),
        "economy": "ปลูกข้าวและลำไย",
        "problems_needs": "ขาดแคลนน้ำในฤดูแล้ง",
        "potential": "วิสาหกิจชุมชนเข้มแข็ง",
        "digits": "arabic",
    }
    defaults.update(values)
    return DistrictProfile.objects.create(district=district, edition=edition, **defaults)


@pytest.fixture
def w(world: SimpleNamespace) -> SimpleNamespace:
    """District 5001 with a profile (and two table rows) from edition 2569."""
    world.old_edition = earlier_edition()
    world.old = stored_profile(world.d1, world.old_edition)
    ProfileFact.objects.create(
        profile=world.old, position=0, table="ประชากร", label="ชาย", value="25,100", unit="คน"
    )
    ProfileFact.objects.create(
        profile=world.old, position=1, table="ประชากร", label="หญิง", value="26,900", unit="คน"
    )
    return world


def profile_input(**overrides: Any) -> parts.ProfileInput:
    data = parts.ProfileInput(
        population=53000,
        households=17500,
        villages=85,
        area_sq_km=Decimal("712.50"),
        general="ตั้งอยู่ริมแม่น้ำปิง",
        economy="ปลูกข้าวและลำไย",
        problems_needs="ขาดแคลนน้ำในฤดูแล้ง",
        potential="วิสาหกิจชุมชนเข้มแข็ง",
        notes="",
        digits="thai",
        facts=[
            parts.FactInput(table="ประชากร", label="ชาย", value="25,500", unit="คน"),
            parts.FactInput(table="ประชากร", label="หญิง", value="27,500", unit="คน"),
        ],
    )
    for key, value in overrides.items():
        setattr(data, key, value)
    return data


def drive_input(**overrides: Any) -> parts.DriveReportInput:
    data = parts.DriveReportInput(
        narrative="ขับเคลื่อนผ่านทีมตำบลร่วมกับกำนันและผู้ใหญ่บ้าน",
        team_narrative="ปลัดอำเภอประจำตำบลเป็นหัวหน้าทีม",
        team=[parts.TeamMemberInput(name="นายสมชาย ใจดี", office="ปลัดอำเภอ", team_role="หัวหน้าทีม")],
        meetings=[
            parts.MeetingInput(date=datetime.date(2027, 3, 2), topic="คัดเลือกโครงการ", resolution="เลือกฝาย")
        ],
        activities=[
            parts.ActivityInput(
                title="ลงพื้นที่สำรวจ", date=datetime.date(2027, 4, 10), participants=45, result="ได้ข้อมูลครบ"
            )
        ],
    )
    for key, value in overrides.items():
        setattr(data, key, value)
    return data


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


def field_errors(exc: DomainError) -> dict[str, str]:
    return {e["field"]: e["code"] for e in exc.errors}


# --- Part 1: the starting copy -----------------------------------------------------------------


def test_new_edition_starts_from_the_previous_editions_copy_without_saving_it(w):
    older = earlier_edition("2568", 2025)
    stored_profile(w.d1, older, population=1, economy="ของเก่ากว่า")
    stored_profile(w.d2, w.old_edition, population=999, economy="อำเภออื่น")

    district, edition, profile = parts.profile_for_edit(w.officer, "5001")

    assert (district, edition) == (w.d1, w.edition)
    assert profile.pk is None
    assert profile.copied_from == w.old
    assert (profile.population, profile.villages, profile.area_sq_km) == (52000, 84, Decimal("712.50"))
    assert (profile.economy, profile.digits) == ("ปลูกข้าวและลำไย", "arabic")
    facts = parts.profile_facts(profile)
    assert [(x.table, x.label, x.value, x.unit) for x in facts] == [
        ("ประชากร", "ชาย", "25,100", "คน"),
        ("ประชากร", "หญิง", "26,900", "คน"),
    ]
    assert all(x.pk is None for x in facts)
    assert DistrictProfile.objects.filter(edition=w.edition).count() == 0
    assert ProfileFact.objects.count() == 2


def test_a_later_editions_profile_is_not_a_starting_copy(world):
    later = Edition.objects.create(
        code="2571", title="later", budget_cap=Decimal("1"), deadline=datetime.date(2028, 8, 31)
    )
    stored_profile(world.d1, later)
    _district, _edition, profile = parts.profile_for_edit(world.officer, "5001")
    assert profile.pk is None and profile.copied_from is None and profile.population is None
    assert parts.profile_facts(profile) == []


def test_the_saved_profile_of_the_edition_is_returned_once_it_exists(w):
    saved = parts.district_profile_update(district=w.d1, acting_user=w.officer, data=profile_input())
    _district, _edition, profile = parts.profile_for_edit(w.chief, "5001")
    assert profile.pk == saved.pk and profile.population == 53000
    assert [x.value for x in parts.profile_facts(profile)] == ["25,500", "27,500"]


def test_first_save_creates_the_profile_from_the_copy_with_one_audit_event(w):
    profile = parts.district_profile_update(
        district="5001",
        acting_user=w.officer,
        data=profile_input(facts=[parts.FactInput("ตำบล", "6", "", "")]),
    )

    profile.refresh_from_db()
    assert profile.edition == w.edition and profile.copied_from == w.old
    assert profile.updated_by == w.officer and profile.digits == "thai"
    assert [(x.label, x.value, x.position) for x in profile.facts.all()] == [("ตำบล", "6", 0)]
    assert w.old.facts.count() == 2, "the earlier edition's rows are not touched"
    [event] = events("profile_update")
    assert event.object_type == "profile" and event.object_id == str(profile.pk)
    assert event.district_id == "5001" and event.actor == w.officer
    assert event.role == Role.DISTRICT_OFFICER and event.area_code == "5001"
    assert event.payload["created"] is True and event.payload["copied_from"] == w.old.pk
    assert event.payload["edition"] == "2570"
    assert set(event.payload["changed"]) >= {"population", "economy", "facts"}
    assert audit.verify(district_code="5001") == []


def test_a_second_save_lists_only_the_changed_fields_and_replaces_the_rows(w):
    first = parts.district_profile_update(district=w.d1, acting_user=w.officer, data=profile_input())
    data = profile_input(
        population=54000,
        facts=[parts.FactInput(table="ประชากร", label="รวม", value="54,000", unit="คน")],
        updated_at=first.updated_at,
    )
    second = parts.district_profile_update(district=w.d1, acting_user=w.chief, data=data)

    assert second.pk == first.pk
    assert [x.label for x in second.facts.all()] == ["รวม"]
    assert ProfileFact.objects.filter(profile=first).count() == 1
    event = events("profile_update")[-1]
    assert event.payload["changed"] == ["population", "facts"]
    assert event.payload["created"] is False
    assert event.actor == w.chief and event.role == Role.DISTRICT_CHIEF


def test_saving_without_a_change_records_nothing(w):
    first = parts.district_profile_update(district=w.d1, acting_user=w.officer, data=profile_input())
    again = parts.district_profile_update(
        district=w.d1, acting_user=w.officer, data=profile_input(updated_at=first.updated_at)
    )
    assert again.updated_at == first.updated_at
    assert len(events("profile_update")) == 1


def test_profile_without_an_earlier_edition_starts_empty(world):
    _district, _edition, profile = parts.profile_for_edit(world.officer, "5001")
    assert profile.pk is None and profile.copied_from is None
    saved = parts.district_profile_update(
        district=world.d1, acting_user=world.officer, data=parts.ProfileInput(population=10)
    )
    assert saved.copied_from is None and saved.population == 10
    assert events("profile_update")[0].payload["changed"] == ["population"]


# --- Part 1: validation ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"population": -1}, "population", "min_value"),
        ({"households": -5}, "households", "min_value"),
        ({"villages": 3_000_000_000}, "villages", "max_value"),
        ({"area_sq_km": Decimal("12.345")}, "area_sq_km", "invalid"),
        ({"area_sq_km": Decimal("-1")}, "area_sq_km", "invalid"),
        ({"area_sq_km": Decimal("100000000.00")}, "area_sq_km", "invalid"),
        ({"digits": "roman"}, "digits", "invalid_choice"),
        ({"economy": "ก" * (parts.MAX_TEXT + 1)}, "economy", "max_length"),
    ],
)
def test_invalid_profile_fields_are_named_and_nothing_is_saved(w, overrides, field, code):
    with pytest.raises(InvalidInput) as caught:
        parts.district_profile_update(district=w.d1, acting_user=w.officer, data=profile_input(**overrides))
    assert field_errors(caught.value) == {field: code}
    assert not DistrictProfile.objects.filter(edition=w.edition).exists()
    assert events("profile_update") == []


def test_table_rows_need_an_item_and_a_value_each_error_names_its_row(w):
    facts = [
        parts.FactInput(label="ชาย", value="1"),
        parts.FactInput(label="หญิง", value="2"),
        parts.FactInput(label="รวม", value="  "),
        parts.FactInput(label="", value="4", unit="ห" * 51),
    ]
    with pytest.raises(InvalidInput) as caught:
        parts.district_profile_update(district=w.d1, acting_user=w.officer, data=profile_input(facts=facts))
    assert field_errors(caught.value) == {
        "facts[2].value": "required",
        "facts[3].label": "required",
        "facts[3].unit": "max_length",
    }
    assert caught.value.code == "invalid_input" and caught.value.status == 422
    assert not DistrictProfile.objects.filter(edition=w.edition).exists()


def test_a_valid_area_is_kept_with_two_decimals(world):
    saved = parts.district_profile_update(
        district=world.d1, acting_user=world.officer, data=parts.ProfileInput(area_sq_km=Decimal("12.5"))
    )
    saved.refresh_from_db()
    assert saved.area_sq_km == Decimal("12.50") and str(saved.area_sq_km) == "12.50"


def test_the_change_and_its_audit_event_are_one_transaction(w, monkeypatch):
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the audit table is unavailable")

    monkeypatch.setattr(parts.audit.sql, "append_event", broken)  # the event's write fails
    with pytest.raises(RuntimeError):
        parts.district_profile_update(district=w.d1, acting_user=w.officer, data=profile_input())
    with pytest.raises(RuntimeError):
        parts.drive_report_update(district=w.d1, acting_user=w.officer, data=drive_input())
    assert not DistrictProfile.objects.filter(edition=w.edition).exists()
    assert not DriveReport.objects.exists()
    assert ProfileFact.objects.count() == 2


# --- Who may do what ------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["officer", "officer2", "chief"])
def test_the_districts_officers_and_chief_may_edit_both_parts(world, name):
    user = getattr(world, name)
    assert parts.may_edit(user, world.d1)
    parts.district_profile_update(district="5001", acting_user=user, data=parts.ProfileInput(villages=3))
    parts.drive_report_update(district="5001", acting_user=user, data=drive_input())
    assert events("profile_update")[0].actor == user
    assert events("drive_report_update")[0].actor == user


@pytest.mark.parametrize("name", ["provincial", "inspector", "planner", "auditor", "admin"])
def test_those_who_watch_the_district_may_read_but_not_edit(world, name):
    user = getattr(world, name)
    district, _edition, profile = parts.profile_for_edit(user, "5001")
    assert district == world.d1 and profile.pk is None
    assert parts.drive_report_for_edit(user, "5001")[2].pk is None
    assert not parts.may_edit(user, world.d1)
    with pytest.raises(Forbidden):
        parts.edit_precheck(user, "5001")
    with pytest.raises(Forbidden):
        parts.district_profile_update(district="5001", acting_user=user, data=parts.ProfileInput())
    with pytest.raises(Forbidden):
        parts.drive_report_update(district="5001", acting_user=user, data=drive_input())
    assert not DistrictProfile.objects.exists() and not DriveReport.objects.exists()


@pytest.mark.parametrize(
    "name", ["other_officer", "other_chief", "other_provincial", "other_inspector", "nobody"]
)
def test_a_district_outside_the_users_area_does_not_exist_for_them(world, name):
    user = getattr(world, name)
    with pytest.raises(NotFound):
        parts.profile_for_edit(user, "5001")
    with pytest.raises(NotFound):
        parts.drive_report_for_edit(user, "5001")
    with pytest.raises(NotFound):
        parts.district_profile_update(district="5001", acting_user=user, data=parts.ProfileInput())
    with pytest.raises(NotFound):
        parts.drive_report_update(district="5001", acting_user=user, data=drive_input())
    assert not DistrictProfile.objects.exists() and not DriveReport.objects.exists()


def test_anonymous_and_unknown_districts_are_not_found(world):
    with pytest.raises(NotFound):
        parts.profile_for_edit(AnonymousUser(), "5001")
    with pytest.raises(NotFound):
        parts.district_profile_update(district="5001", acting_user=AnonymousUser(), data=parts.ProfileInput())
    with pytest.raises(NotFound):
        parts.profile_for_edit(world.officer, "9999")


def test_an_acting_chief_edits_and_the_history_names_the_chief(world):
    today = timezone.localdate()
    Delegation.objects.create(
        delegator=world.chief,
        delegate=world.nobody,
        role=Role.DISTRICT_CHIEF,
        district=world.d1,
        starts_on=today,
        ends_on=today + datetime.timedelta(days=3),
    )
    parts.district_profile_update(
        district="5001", acting_user=world.nobody, data=parts.ProfileInput(villages=1)
    )
    [event] = events("profile_update")
    assert event.actor == world.nobody and event.acting_for == world.chief


def test_without_an_open_edition_both_parts_answer_a_conflict(world):
    Edition.objects.update(is_active=False)
    for call in (
        lambda: parts.profile_for_edit(world.officer, "5001"),
        lambda: parts.drive_report_for_edit(world.officer, "5001"),
        lambda: parts.district_profile_update(
            district="5001", acting_user=world.officer, data=parts.ProfileInput()
        ),
        lambda: parts.drive_report_update(district="5001", acting_user=world.officer, data=drive_input()),
    ):
        with pytest.raises(Conflict) as caught:
            call()
        assert caught.value.code == "no_active_edition"


# --- Concurrent edits -------------------------------------------------------------------------


def test_a_form_loaded_before_someone_elses_save_is_stale(w):
    first = parts.district_profile_update(district=w.d1, acting_user=w.officer, data=profile_input())
    loaded = first.updated_at
    parts.district_profile_update(
        district=w.d1,
        acting_user=w.chief,
        data=profile_input(facts=[parts.FactInput(label="ใหม่", value="1")], updated_at=loaded),
    )

    with pytest.raises(Conflict) as caught:
        parts.district_profile_update(
            district=w.d1, acting_user=w.officer2, data=profile_input(population=1, updated_at=loaded)
        )
    assert caught.value.code == "stale_edit" and caught.value.status == 409
    profile = DistrictProfile.objects.get(edition=w.edition)
    assert profile.population == 53000 and [x.label for x in profile.facts.all()] == ["ใหม่"]
    assert len(events("profile_update")) == 2


def test_two_people_starting_from_the_copy_cannot_both_create_it(w):
    parts.district_profile_update(district=w.d1, acting_user=w.chief, data=profile_input(villages=90))
    with pytest.raises(Conflict) as caught:
        parts.district_profile_update(district=w.d1, acting_user=w.officer, data=profile_input(villages=91))
    assert caught.value.code == "stale_edit"
    assert DistrictProfile.objects.get(edition=w.edition).villages == 90


def test_a_form_that_claims_a_version_that_was_never_saved_is_stale(world):
    with pytest.raises(Conflict) as caught:
        parts.drive_report_update(
            district=world.d1,
            acting_user=world.officer,
            data=drive_input(updated_at=datetime.datetime(2027, 1, 1, tzinfo=datetime.UTC)),
        )
    assert caught.value.code == "stale_edit"
    assert not DriveReport.objects.exists()


def test_a_stale_part_2_keeps_the_other_persons_rows(world):
    first = parts.drive_report_update(district=world.d1, acting_user=world.officer, data=drive_input())
    parts.drive_report_update(
        district=world.d1,
        acting_user=world.chief,
        data=drive_input(
            team=[*drive_input().team, parts.TeamMemberInput(name="นางสาวสมศรี")], updated_at=first.updated_at
        ),
    )
    with pytest.raises(Conflict):
        parts.drive_report_update(
            district=world.d1,
            acting_user=world.officer,
            data=drive_input(team=[], updated_at=first.updated_at),
        )
    assert DriveTeamMember.objects.count() == 2


# --- Part 2 -----------------------------------------------------------------------------------


def test_part_2_is_saved_with_its_rows_in_order_and_one_audit_event(world):
    data = drive_input(
        meetings=[
            parts.MeetingInput(date=datetime.date(2027, 3, 2), topic="ครั้งที่ ๑"),
            parts.MeetingInput(date=datetime.date(2027, 2, 1), topic="ครั้งที่ ๒", resolution="รับทราบ"),
        ]
    )
    report = parts.drive_report_update(district="5001", acting_user=world.officer, data=data)

    _district, _edition, loaded = parts.drive_report_for_edit(world.inspector, "5001")
    assert loaded.pk == report.pk and loaded.narrative.startswith("ขับเคลื่อน")
    rows = parts.drive_rows(loaded)
    assert [m.topic for m in rows.meetings] == ["ครั้งที่ ๑", "ครั้งที่ ๒"]
    assert [m.date for m in rows.meetings] == [datetime.date(2027, 3, 2), datetime.date(2027, 2, 1)]
    assert [(a.title, a.participants) for a in rows.activities] == [("ลงพื้นที่สำรวจ", 45)]
    assert [t.name for t in rows.team] == ["นายสมชาย ใจดี"]
    [event] = events("drive_report_update")
    assert event.object_type == "drive_report" and event.object_id == str(report.pk)
    assert event.district_id == "5001"
    assert event.payload["created"] is True
    assert set(event.payload["changed"]) == {"narrative", "team_narrative", "team", "meetings", "activities"}
    assert (event.payload["meetings"], event.payload["team"], event.payload["activities"]) == (2, 1, 1)


def test_part_2_rows_are_replaced_and_only_changes_are_listed(world):
    first = parts.drive_report_update(district="5001", acting_user=world.officer, data=drive_input())
    parts.drive_report_update(
        district="5001",
        acting_user=world.officer,
        data=drive_input(activities=[], updated_at=first.updated_at),
    )
    assert DriveActivity.objects.count() == 0 and DriveMeeting.objects.count() == 1
    assert events("drive_report_update")[-1].payload["changed"] == ["activities"]
    again = DriveReport.objects.get()
    parts.drive_report_update(
        district="5001",
        acting_user=world.officer,
        data=drive_input(activities=[], updated_at=again.updated_at),
    )
    assert len(events("drive_report_update")) == 2


def test_part_2_rows_are_validated_and_each_error_names_its_row(world):
    data = drive_input(
        team=[parts.TeamMemberInput(name="นายก"), parts.TeamMemberInput(name=" ", office="ปลัด")],
        meetings=[
            parts.MeetingInput(date=datetime.date(2027, 1, 5), topic="ก"),
            parts.MeetingInput(date=None, topic=""),
        ],
        activities=[parts.ActivityInput(title="อบรม", participants=-3)],
        narrative="ข" * (parts.MAX_TEXT + 1),
    )
    with pytest.raises(InvalidInput) as caught:
        parts.drive_report_update(district="5001", acting_user=world.officer, data=data)
    assert field_errors(caught.value) == {
        "narrative": "max_length",
        "team[1].name": "required",
        "meetings[1].date": "required",
        "meetings[1].topic": "required",
        "activities[0].participants": "min_value",
    }
    assert not DriveReport.objects.exists() and events("drive_report_update") == []


def test_too_many_rows_are_refused(world):
    data = drive_input(team=[parts.TeamMemberInput(name=f"คนที่ {i}") for i in range(parts.MAX_ROWS + 1)])
    with pytest.raises(InvalidInput) as caught:
        parts.drive_report_update(district="5001", acting_user=world.officer, data=data)
    assert field_errors(caught.value) == {"team": "too_many"}


# --- Real concurrency -------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_saves_from_the_same_form_one_wins_the_other_is_told(world):
    first = parts.district_profile_update(district="5001", acting_user=world.officer, data=profile_input())
    loaded = first.updated_at
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def save(user: Any, label: str) -> None:
        try:
            barrier.wait(timeout=30)
            parts.district_profile_update(
                district="5001",
                acting_user=user,
                data=profile_input(facts=[parts.FactInput(label=label, value="1")], updated_at=loaded),
            )
            outcomes.append("saved")
        except Conflict as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=save, args=(world.officer, "officer")),
        threading.Thread(target=save, args=(world.chief, "chief")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(outcomes) == ["saved", "stale_edit"]
    labels = list(ProfileFact.objects.filter(profile=first).values_list("label", flat=True))
    assert labels in (["officer"], ["chief"])
    assert len(events("profile_update")) == 2
    assert audit.verify(district_code="5001") == []

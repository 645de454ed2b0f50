"""Parts 1 and 2 of the report book: what the district office fills in, per edition.

* Part 1 (ส่วนที่ ๑): the district profile (``DistrictProfile`` and its small tables,
  ``ProfileFact``). A district that has no profile for the active edition yet starts from a
  copy of its most recent earlier edition's profile.
* Part 2 (ส่วนที่ ๒): how the Tambon Smart Team project was driven in the district
  (``DriveReport`` with its team, meetings and activities).

Selectors answer 404 outside the user's area (``selectors.district_get_visible``); the
services check ``access.book_edit_grant`` (the district's officers and chief, acting officials
included) and answer 403 otherwise.

Decisions:

* **Which edition.** Both parts are edited for the active edition only (409
  ``no_active_edition`` when none is open). Edition codes are fiscal years (``2564``), so
  "earlier" editions are those with a smaller code, as in the book (``reports.book``); the
  most recent of them that has a profile of the district is the one copied.
* **The starting copy.** The copy is never stored by reading it: ``profile_for_edit`` returns an
  *unsaved* profile whose ``copied_from`` names the earlier profile, and ``profile_facts`` gives
  its rows as unsaved copies. The first save creates the row with ``copied_from`` set (also
  when saved unchanged: saving is how the office confirms the copy is still true).
* **Concurrent edits.** A save locks the district row (the same lock the budget checks use),
  then compares the ``updated_at`` the form was loaded with against the stored one. A form
  loaded before someone else's save, or loaded when nothing was saved yet while someone has
  saved since, answers 409 ``stale_edit``: nothing is saved and the person reloads. Each save
  replaces the rows of the part as a whole, so no row is ever lost without the writer having
  seen it.
* **A save that changes nothing** (the row exists and every field and row is the same) writes
  nothing and records nothing: the history lists changes only, and the version the form holds
  stays valid. The first save always writes and records.
* **Audit.** One event per save, in the save's transaction: ``profile_update`` /
  ``drive_report_update`` with the changed field names (rows count as one field each: ``facts``,
  ``team``, ``meetings``, ``activities``), whether the row was created, the edition, and the
  earlier profile copied. Values are not copied into the event; the row holds them. Saves after
  the edition's deadline are marked late, like the projects' actions.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from workflow import access, audit, events, selectors
from workflow.audit_actions import AuditAction
from workflow.errors import Conflict, FieldError, Forbidden, InvalidInput
from workflow.models import District, Edition, Subdistrict

from .models import (
    Digits,
    DistrictProfile,
    DriveActivity,
    DriveMeeting,
    DriveReport,
    DriveTeamMember,
    ProfileFact,
)

MAX_TEXT = 20000
MAX_ROWS = 200
MAX_COUNT = 2_147_483_647  # a PositiveIntegerField's upper bound on every database
MAX_AREA = Decimal("99999999.99")  # max_digits=10, decimal_places=2
CENT = Decimal("0.01")

PROFILE_FIELDS = (
    "population",
    "households",
    "villages",
    "area_sq_km",
    "general",
    "economy",
    "problems_needs",
    "potential",
    "notes",
    "preface",
    "office_address",
    "digits",
)
PROFILE_COUNTS = ("population", "households", "villages")
PROFILE_TEXTS = ("general", "economy", "problems_needs", "potential", "notes")
MAX_ADDRESS = 500  # the district office's address, a few lines at the head of the covering letter
# Added after the API was published: a save that leaves them out (``None``) keeps what is stored
# (or, on a first save, the starting copy's), so that older clients do not erase them.
PROFILE_KEPT_WHEN_LEFT_OUT = ("preface", "office_address")
DRIVE_FIELDS = ("narrative", "team_narrative")


# --- Inputs ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class FactInput:
    """A row of a small table of part 1: an item and its value (and unit) under a heading."""

    label: str
    value: str
    table: str = ""
    unit: str = ""


@dataclass
class ProfileInput:
    """Part 1 as the office sends it; the whole part is replaced on save.

    ``updated_at`` is the version the form was loaded from: the stored profile's
    ``updated_at``, or ``None`` when no profile was saved for the edition yet.
    """

    population: int | None = None
    households: int | None = None
    villages: int | None = None
    area_sq_km: Decimal | None = None
    general: str = ""
    economy: str = ""
    problems_needs: str = ""
    potential: str = ""
    notes: str = ""
    preface: str | None = None  # the book's preface (คำนำ); None: keep the stored one
    office_address: str | None = None  # the office's address (covering letter); None: keep
    digits: str = Digits.THAI
    facts: Sequence[FactInput] = ()
    updated_at: datetime.datetime | None = None


@dataclass(frozen=True)
class TeamMemberInput:
    name: str
    office: str = ""
    team_role: str = ""


@dataclass(frozen=True)
class MeetingInput:
    date: datetime.date | None
    topic: str
    resolution: str = ""


@dataclass(frozen=True)
class ActivityInput:
    title: str
    date: datetime.date | None = None
    participants: int | None = None
    result: str = ""


@dataclass
class DriveReportInput:
    """Part 2 as the office sends it; the whole part is replaced on save (see ``ProfileInput``)."""

    narrative: str = ""
    team_narrative: str = ""
    team: Sequence[TeamMemberInput] = ()
    meetings: Sequence[MeetingInput] = ()
    activities: Sequence[ActivityInput] = ()
    updated_at: datetime.datetime | None = None


# --- Selectors ------------------------------------------------------------------------------


def _no_edition() -> Conflict:
    return Conflict(_("No programme edition is open."), "no_active_edition")


def _target(user: Any, code: str) -> tuple[District, Edition]:
    district = selectors.district_get_visible(user, code)
    edition = selectors.active_edition()
    if edition is None:
        raise _no_edition()
    return district, edition


def may_edit(user: Any, district: District) -> bool:
    """Whether the user may change parts 1 and 2 of the district's book."""
    return access.book_edit_grant(access.principal_for(user), district) is not None


def edit_precheck(user: Any, code: str) -> District:
    """404 outside the user's area, 403 for those who may only read (before parsing a body)."""
    district = selectors.district_get_visible(user, code)
    if not may_edit(user, district):
        raise Forbidden(_("Only the district's officers and chief may change the report book."))
    return district


def subdistricts_of(district: District) -> QuerySet[Subdistrict]:
    """The district's subdistricts (from the areas; not typed in the profile)."""
    return Subdistrict.objects.filter(district=district).order_by("code")


def previous_profile(district: District, edition: Edition) -> DistrictProfile | None:
    """The district's profile of its most recent edition before ``edition`` (by edition code)."""
    return (
        DistrictProfile.objects.filter(district=district, edition__code__lt=edition.code)
        .select_related("edition")
        .order_by("-edition__code")
        .first()
    )


def _copy_of(district: District, edition: Edition, previous: DistrictProfile | None) -> DistrictProfile:
    profile = DistrictProfile(district=district, edition=edition, copied_from=previous)
    if previous is not None:
        for name in PROFILE_FIELDS:
            setattr(profile, name, getattr(previous, name))
    return profile


def profile_for_edit(user: Any, code: str) -> tuple[District, Edition, DistrictProfile]:
    """The district's profile for the active edition, or an unsaved copy to start from.

    The copy (``pk`` is ``None``) carries the earlier edition's values and names it in
    ``copied_from``; ``profile_facts`` gives its rows.
    """
    district, edition = _target(user, code)
    profile = (
        DistrictProfile.objects.filter(district=district, edition=edition)
        .select_related("updated_by", "copied_from__edition")
        .first()
    )
    if profile is None:
        profile = _copy_of(district, edition, previous_profile(district, edition))
    return district, edition, profile


def profile_facts(profile: DistrictProfile) -> list[ProfileFact]:
    """The profile's rows; for an unsaved copy, unsaved copies of the earlier profile's rows."""
    if profile.pk is not None:
        return list(profile.facts.all())
    if profile.copied_from_id is None:
        return []
    return [
        ProfileFact(
            position=fact.position, table=fact.table, label=fact.label, value=fact.value, unit=fact.unit
        )
        for fact in ProfileFact.objects.filter(profile_id=profile.copied_from_id).order_by("position", "id")
    ]


def drive_report_for_edit(user: Any, code: str) -> tuple[District, Edition, DriveReport]:
    """The district's part 2 for the active edition, or an unsaved empty one."""
    district, edition = _target(user, code)
    report = (
        DriveReport.objects.filter(district=district, edition=edition).select_related("updated_by").first()
    )
    if report is None:
        report = DriveReport(district=district, edition=edition)
    return district, edition, report


@dataclass(frozen=True)
class DriveRows:
    team: list[DriveTeamMember]
    meetings: list[DriveMeeting]
    activities: list[DriveActivity]


def drive_rows(report: DriveReport) -> DriveRows:
    if report.pk is None:
        return DriveRows([], [], [])
    return DriveRows(list(report.team.all()), list(report.meetings.all()), list(report.activities.all()))


# --- Validation -----------------------------------------------------------------------------


def _text(errors: list[FieldError], where: str, value: Any, limit: int) -> str:
    if not isinstance(value, str):
        errors.append(FieldError(where, "invalid", _("Enter text.")))
        return ""
    text = value.strip()
    if len(text) > limit:
        errors.append(
            FieldError(
                where,
                "max_length",
                _("Enter at most %(limit)s characters (it has %(count)s).")
                % {"limit": limit, "count": len(text)},
            )
        )
    return text


def _required(errors: list[FieldError], where: str, text: str, message: Any) -> None:
    if not text:
        errors.append(FieldError(where, "required", message))


def _count(errors: list[FieldError], where: str, value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        errors.append(FieldError(where, "invalid", _("Enter a whole number.")))
        return None
    if value < 0:
        errors.append(FieldError(where, "min_value", _("Enter a number of at least 0.")))
    elif value > MAX_COUNT:
        errors.append(FieldError(where, "max_value", _("The number is too large.")))
    return value


def _area(errors: list[FieldError], where: str, value: Any) -> Decimal | None:
    if value is None:
        return None
    try:
        area = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        errors.append(FieldError(where, "invalid", _("Enter the area in square kilometres.")))
        return None
    if not area.is_finite() or area < 0 or area > MAX_AREA or area != area.quantize(CENT):
        errors.append(
            FieldError(
                where,
                "invalid",
                _("Enter a non-negative area in square kilometres with at most two decimals."),
            )
        )
        return None
    return area.quantize(CENT)


def _rows(errors: list[FieldError], name: str, rows: Sequence[Any]) -> None:
    if len(rows) > MAX_ROWS:
        errors.append(
            FieldError(name, "too_many", _("At most %(limit)s rows, please.") % {"limit": MAX_ROWS})
        )


@dataclass(frozen=True)
class _Profile:
    values: dict[str, Any]
    facts: list[tuple[str, str, str, str]]  # (table, label, value, unit)


def _clean_profile(data: ProfileInput) -> _Profile:
    errors: list[FieldError] = []
    values: dict[str, Any] = {}
    for name in PROFILE_COUNTS:
        values[name] = _count(errors, name, getattr(data, name))
    values["area_sq_km"] = _area(errors, "area_sq_km", data.area_sq_km)
    for name in PROFILE_TEXTS:
        values[name] = _text(errors, name, getattr(data, name), MAX_TEXT)
    if data.preface is not None:
        values["preface"] = _text(errors, "preface", data.preface, MAX_TEXT)
    if data.office_address is not None:
        values["office_address"] = _text(errors, "office_address", data.office_address, MAX_ADDRESS)
    if data.digits not in Digits.values:
        errors.append(FieldError("digits", "invalid_choice", _("Choose Thai or Arabic digits.")))
    values["digits"] = data.digits
    _rows(errors, "facts", data.facts)
    facts: list[tuple[str, str, str, str]] = []
    for index, fact in enumerate(data.facts):
        where = f"facts[{index}]"
        table = _text(errors, f"{where}.table", fact.table, 200)
        label = _text(errors, f"{where}.label", fact.label, 300)
        value = _text(errors, f"{where}.value", fact.value, 300)
        unit = _text(errors, f"{where}.unit", fact.unit, 50)
        _required(errors, f"{where}.label", label, _("Name the item."))
        _required(errors, f"{where}.value", value, _("Enter the value."))
        facts.append((table, label, value, unit))
    if errors:
        raise InvalidInput(errors)
    return _Profile(values, facts)


@dataclass(frozen=True)
class _Drive:
    values: dict[str, str]
    team: list[tuple[str, str, str]]  # (name, office, team_role)
    meetings: list[tuple[datetime.date, str, str]]  # (date, topic, resolution)
    activities: list[tuple[datetime.date | None, str, int | None, str]]  # (date, title, participants, result)


def _date(errors: list[FieldError], where: str, value: Any, *, required: bool) -> datetime.date | None:
    if value is None:
        if required:
            errors.append(FieldError(where, "required", _("Enter the date.")))
        return None
    if isinstance(value, datetime.datetime) or not isinstance(value, datetime.date):
        errors.append(FieldError(where, "invalid", _("Enter a date.")))
        return None
    return value


def _clean_drive(data: DriveReportInput) -> _Drive:
    errors: list[FieldError] = []
    values = {name: _text(errors, name, getattr(data, name), MAX_TEXT) for name in DRIVE_FIELDS}
    _rows(errors, "team", data.team)
    _rows(errors, "meetings", data.meetings)
    _rows(errors, "activities", data.activities)
    team: list[tuple[str, str, str]] = []
    for index, member in enumerate(data.team):
        where = f"team[{index}]"
        name = _text(errors, f"{where}.name", member.name, 300)
        _required(errors, f"{where}.name", name, _("Enter the member's name."))
        team.append(
            (
                name,
                _text(errors, f"{where}.office", member.office, 300),
                _text(errors, f"{where}.team_role", member.team_role, 300),
            )
        )
    meetings: list[tuple[datetime.date, str, str]] = []
    for index, meeting in enumerate(data.meetings):
        where = f"meetings[{index}]"
        day = _date(errors, f"{where}.date", meeting.date, required=True)
        topic = _text(errors, f"{where}.topic", meeting.topic, 500)
        _required(errors, f"{where}.topic", topic, _("Enter the meeting's topic."))
        resolution = _text(errors, f"{where}.resolution", meeting.resolution, MAX_TEXT)
        if day is not None:
            meetings.append((day, topic, resolution))
    activities: list[tuple[datetime.date | None, str, int | None, str]] = []
    for index, activity in enumerate(data.activities):
        where = f"activities[{index}]"
        day = _date(errors, f"{where}.date", activity.date, required=False)
        title = _text(errors, f"{where}.title", activity.title, 500)
        _required(errors, f"{where}.title", title, _("Name the activity."))
        participants = _count(errors, f"{where}.participants", activity.participants)
        result = _text(errors, f"{where}.result", activity.result, MAX_TEXT)
        activities.append((day, title, participants, result))
    if errors:
        raise InvalidInput(errors)
    return _Drive(values, team, meetings, activities)


# --- Services -------------------------------------------------------------------------------


def _editor(acting_user: Any, district: District | str) -> tuple[access.Grant, District, Edition]:
    code = district.code if isinstance(district, District) else district
    visible = selectors.district_get_visible(acting_user, code)
    grant = access.book_edit_grant(access.principal_for(acting_user), visible)
    if grant is None:
        raise Forbidden(_("Only the district's officers and chief may change the report book."))
    edition = selectors.active_edition()
    if edition is None:
        raise _no_edition()
    return grant, visible, edition


def _stale() -> Conflict:
    return Conflict(
        _(
            "Someone else saved this part after you opened it. Reload the page to see their "
            "changes, then make yours again."
        ),
        "stale_edit",
    )


def _check_fresh(stored: datetime.datetime | None, loaded: datetime.datetime | None) -> None:
    """``stored``: the saved row's ``updated_at`` (None: no row); ``loaded``: the form's."""
    if stored is None and loaded is None:
        return
    if stored is None or loaded is None or stored != loaded:
        raise _stale()


def _record(
    *,
    grant: access.Grant,
    acting_user: Any,
    action: AuditAction,
    object_type: str,
    object_id: int,
    district: District,
    edition: Edition,
    payload: dict[str, Any],
) -> None:
    events.publish(
        actor=audit.Actor(
            user=acting_user, role=grant.role, area_code=grant.area_code, acting_for=grant.acting_for
        ),
        action=action,
        object_type=object_type,
        object_id=object_id,
        district=district,
        is_late=timezone.localdate() > edition.deadline,
        payload={"edition": edition.code, **payload},
    )


def _changed(before: dict[str, Any], after: dict[str, Any], names: Sequence[str]) -> list[str]:
    return [name for name in names if before.get(name) != after.get(name)]


@transaction.atomic
def district_profile_update(
    *, district: District | str, acting_user: Any, data: ProfileInput
) -> DistrictProfile:
    """Save part 1 of the district's book for the active edition (the whole part at once)."""
    grant, visible, edition = _editor(acting_user, district)
    clean = _clean_profile(data)
    locked = selectors.district_for_update(visible.code)
    profile = DistrictProfile.objects.select_for_update().filter(district=locked, edition=edition).first()
    _check_fresh(profile.updated_at if profile else None, data.updated_at)
    created = profile is None
    if profile is None:
        # Changes of a first save are counted from an empty profile, not from the copy.
        before = {name: getattr(DistrictProfile(), name) for name in PROFILE_FIELDS}
        facts_before: list[tuple[str, str, str, str]] = []
        profile = DistrictProfile(
            district=locked, edition=edition, copied_from=previous_profile(locked, edition)
        )
    else:
        before = {name: getattr(profile, name) for name in PROFILE_FIELDS}
        facts_before = [(f.table, f.label, f.value, f.unit) for f in profile.facts.all()]
    kept_from = profile if not created else profile.copied_from
    for name in PROFILE_KEPT_WHEN_LEFT_OUT:
        if name not in clean.values:
            clean.values[name] = getattr(kept_from, name) if kept_from is not None else ""
    changed = _changed(before, clean.values, PROFILE_FIELDS)
    if facts_before != clean.facts:
        changed.append("facts")
    if not created and not changed:
        return profile
    for name, value in clean.values.items():
        setattr(profile, name, value)
    profile.updated_by = acting_user
    profile.save()
    if not created:
        profile.facts.all().delete()
    ProfileFact.objects.bulk_create(
        ProfileFact(profile=profile, position=i, table=t, label=label, value=value, unit=unit)
        for i, (t, label, value, unit) in enumerate(clean.facts)
    )
    _record(
        grant=grant,
        acting_user=acting_user,
        action=AuditAction.PROFILE_UPDATE,
        object_type="profile",
        object_id=profile.pk,
        district=locked,
        edition=edition,
        payload={
            "changed": changed,
            "created": created,
            "copied_from": profile.copied_from_id,
            "facts": len(clean.facts),
        },
    )
    return profile


def _replace_rows(report: DriveReport, clean: _Drive, *, created: bool) -> None:
    if not created:
        report.team.all().delete()
        report.meetings.all().delete()
        report.activities.all().delete()
    DriveTeamMember.objects.bulk_create(
        DriveTeamMember(report=report, position=i, name=name, office=office, team_role=role)
        for i, (name, office, role) in enumerate(clean.team)
    )
    DriveMeeting.objects.bulk_create(
        DriveMeeting(report=report, position=i, date=day, topic=topic, resolution=resolution)
        for i, (day, topic, resolution) in enumerate(clean.meetings)
    )
    DriveActivity.objects.bulk_create(
        DriveActivity(report=report, position=i, date=day, title=title, participants=n, result=result)
        for i, (day, title, n, result) in enumerate(clean.activities)
    )


def _rows_of(report: DriveReport) -> dict[str, list[tuple[Any, ...]]]:
    return {
        "team": [(m.name, m.office, m.team_role) for m in report.team.all()],
        "meetings": [(m.date, m.topic, m.resolution) for m in report.meetings.all()],
        "activities": [(a.date, a.title, a.participants, a.result) for a in report.activities.all()],
    }


@transaction.atomic
def drive_report_update(*, district: District | str, acting_user: Any, data: DriveReportInput) -> DriveReport:
    """Save part 2 of the district's book for the active edition (the whole part at once)."""
    grant, visible, edition = _editor(acting_user, district)
    clean = _clean_drive(data)
    locked = selectors.district_for_update(visible.code)
    report = DriveReport.objects.select_for_update().filter(district=locked, edition=edition).first()
    _check_fresh(report.updated_at if report else None, data.updated_at)
    created = report is None
    if report is None:
        report = DriveReport(district=locked, edition=edition)
        before: dict[str, Any] = {name: "" for name in DRIVE_FIELDS}
        rows_before: dict[str, list[tuple[Any, ...]]] = {"team": [], "meetings": [], "activities": []}
    else:
        before = {name: getattr(report, name) for name in DRIVE_FIELDS}
        rows_before = _rows_of(report)
    changed = _changed(before, clean.values, DRIVE_FIELDS)
    rows_after: dict[str, list[tuple[Any, ...]]] = {
        "team": list(clean.team),
        "meetings": list(clean.meetings),
        "activities": list(clean.activities),
    }
    changed.extend(
        name for name in ("team", "meetings", "activities") if rows_before[name] != rows_after[name]
    )
    if not created and not changed:
        return report
    for name, value in clean.values.items():
        setattr(report, name, value)
    report.updated_by = acting_user
    report.save()
    _replace_rows(report, clean, created=created)
    _record(
        grant=grant,
        acting_user=acting_user,
        action=AuditAction.DRIVE_REPORT_UPDATE,
        object_type="drive_report",
        object_id=report.pk,
        district=locked,
        edition=edition,
        payload={
            "changed": changed,
            "created": created,
            "team": len(clean.team),
            "meetings": len(clean.meetings),
            "activities": len(clean.activities),
        },
    )
    return report

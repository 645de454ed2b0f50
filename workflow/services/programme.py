"""Programme editions (created and changed by admins) and their Role Model districts
(designated by central planners and admins); every change audited."""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .. import access, audit, events
from ..audit_actions import AuditAction
from ..errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound
from ..models import District, Edition, Project, RoleModelDistrict
from ..models.programme import Dimension, default_dimensions

EDITABLE = (
    "code",
    "title",
    "budget_cap",
    "deadline",
    "is_active",
    "dimensions",
    "central_email",
    "progress_reminder_days",
)
# Working days an approved project may go without a progress update before its officer is reminded.
MAX_PROGRESS_REMINDER_DAYS = 60


def _admin(acting_user: Any) -> tuple[access.Principal, access.Grant]:
    principal = access.principal_for(acting_user)
    grant = access.admin_grant(principal)
    if grant is None:
        raise Forbidden(_("Only administrators may change programme editions."))
    return principal, grant


def _validate(values: dict[str, Any]) -> None:
    errors: list[FieldError] = []
    cap = values.get("budget_cap")
    if cap is not None and (not isinstance(cap, Decimal) or cap < 0):
        errors.append(FieldError("budget_cap", "invalid", _("Enter a non-negative amount.")))
    if "deadline" in values and not isinstance(values["deadline"], datetime.date):
        errors.append(FieldError("deadline", "invalid", _("Enter a date.")))
    dims = values.get("dimensions")
    if dims is not None and (not dims or any(d not in Dimension.values for d in dims)):
        errors.append(FieldError("dimensions", "invalid", _("Choose from the programme's dimensions.")))
    days = values.get("progress_reminder_days")
    if days is not None and (not isinstance(days, int) or not 1 <= days <= MAX_PROGRESS_REMINDER_DAYS):
        errors.append(
            FieldError(
                "progress_reminder_days",
                "invalid",
                _("Enter a number of working days from 1 to %(max)s.") % {"max": MAX_PROGRESS_REMINDER_DAYS},
            )
        )
    if "code" in values and not str(values["code"]).strip():
        errors.append(FieldError("code", "required", _("Give the edition a code.")))
    if errors:
        raise InvalidInput(errors)


def _snapshot(edition: Edition) -> dict[str, Any]:
    return {name: getattr(edition, name) for name in EDITABLE}


def _save(edition: Edition) -> None:
    if edition.is_active:
        Edition.objects.exclude(pk=edition.pk).filter(is_active=True).update(is_active=False)
    try:
        with transaction.atomic():
            edition.save()
    except IntegrityError:
        raise Conflict(_("An edition with this code already exists."), "edition_code_taken") from None


@transaction.atomic
def edition_create(*, acting_user: Any, values: dict[str, Any]) -> Edition:
    principal, grant = _admin(acting_user)
    missing = [name for name in ("code", "title", "budget_cap", "deadline") if values.get(name) in (None, "")]
    if missing:
        raise InvalidInput([FieldError(name, "required", _("This field is required.")) for name in missing])
    _validate(values)
    edition = Edition(**{k: v for k, v in values.items() if k in EDITABLE})
    if not edition.dimensions:
        edition.dimensions = default_dimensions()
    _save(edition)
    events.publish(
        actor=audit.Actor(user=principal.user, role=grant.role, area_code=grant.area_code),
        action=AuditAction.EDITION_CREATE,
        object_type="edition",
        object_id=edition.code,
        payload={"after": _snapshot(edition)},
    )
    return edition


@transaction.atomic
def edition_update(*, acting_user: Any, edition: Edition | int, values: dict[str, Any]) -> Edition:
    principal, grant = _admin(acting_user)
    try:
        locked = Edition.objects.select_for_update().get(
            pk=edition.pk if isinstance(edition, Edition) else edition
        )
    except Edition.DoesNotExist:
        raise NotFound() from None
    _validate(values)
    before = _snapshot(locked)
    if "code" in values and values["code"] != locked.code and locked.projects.exists():
        raise Conflict(_("The code of an edition with projects cannot change."), "edition_in_use")
    for name, value in values.items():
        if name in EDITABLE:
            setattr(locked, name, value)
    _save(locked)
    after = _snapshot(locked)
    changed = {k: {"from": before[k], "to": after[k]} for k in EDITABLE if before[k] != after[k]}
    if changed:
        events.publish(
            actor=audit.Actor(user=principal.user, role=grant.role, area_code=grant.area_code),
            action=AuditAction.EDITION_UPDATE,
            object_type="edition",
            object_id=locked.code,
            payload={"changed": changed},
        )
    return locked


# --- Role Model districts (อำเภอต้นแบบ) of an edition -------------------------------------------


@dataclass(frozen=True)
class DesignationChange:
    """An edition's designated districts after a change, and what the change added and removed."""

    edition: Edition
    codes: list[str]
    added: list[str]
    removed: list[str]


def designated_codes(edition: Edition | int) -> list[str]:
    """The codes of the districts designated for ``edition``, sorted."""
    pk = edition.pk if isinstance(edition, Edition) else edition
    return list(
        RoleModelDistrict.objects.filter(edition_id=pk)
        .order_by("district_id")
        .values_list("district_id", flat=True)
    )


def normalise_codes(codes: Iterable[Any]) -> list[str]:
    """Codes as given, stripped, blanks and repeats dropped, in the order first given."""
    return list(dict.fromkeys(str(code).strip() for code in codes if str(code).strip()))


def district_codes_from_csv(raw: bytes) -> list[str]:
    """District codes from an uploaded CSV: the first column, or the column named ``district_code``
    (or ``code``) when the first line names the columns. UTF-8 (with or without BOM)."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput(
            [FieldError("file", "invalid_encoding", _("Save the file as CSV in UTF-8."))]
        ) from None
    rows = [row for row in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in row)]
    if not rows:
        return []
    column = 0
    header = [cell.strip().lower() for cell in rows[0]]
    named = next((header.index(name) for name in ("district_code", "code") if name in header), None)
    if named is not None:
        column, rows = named, rows[1:]
    elif not header[0].isdigit():
        rows = rows[1:]  # a header naming the column otherwise
    return normalise_codes(row[column] for row in rows if len(row) > column)


@dataclass(frozen=True)
class DesignationProblems:
    """Why a list of codes cannot become an edition's Role Model districts (each None when fine)."""

    invalid: InvalidInput | None = None  # unknown codes, Bangkok's khet (422, naming them)
    busy: Conflict | None = None  # districts left out that have live projects (409)

    @property
    def messages(self) -> list[str]:
        found: list[str] = [str(item["message"]) for item in (self.invalid.errors if self.invalid else [])]
        return found + ([str(self.busy.message)] if self.busy else [])


def designation_problems(*, edition: Edition | None, district_codes: Sequence[str]) -> DesignationProblems:
    """Check ``district_codes`` (normalised) as the new list of ``edition`` (None: a new edition)."""
    codes = list(district_codes)
    found = dict(District.objects.filter(code__in=codes).values_list("code", "is_programme_district"))
    unknown = [code for code in codes if code not in found]
    khet = [code for code in codes if found.get(code) is False]
    errors: list[FieldError] = []
    named: list[list[str]] = []
    if unknown:
        errors.append(
            FieldError(
                "districts",
                "unknown_district",
                _("Unknown district codes: %(codes)s") % {"codes": ", ".join(unknown)},
            )
        )
        named.append(unknown)
    if khet:
        errors.append(
            FieldError(
                "districts",
                "not_programme_district",
                _("Bangkok's khet are not programme districts: %(codes)s") % {"codes": ", ".join(khet)},
            )
        )
        named.append(khet)
    invalid = None
    if errors:
        invalid = InvalidInput(errors, _("Some district codes cannot be designated."))
        for item, codes_named in zip(invalid.errors, named, strict=True):
            item["codes"] = codes_named
    busy = None
    if edition is not None and edition.pk is not None:
        left_out = sorted(set(designated_codes(edition)) - set(codes))
        kept = sorted(
            Project.objects.committed()
            .filter(edition=edition, district_id__in=left_out)
            .values_list("district_id", flat=True)
            .distinct()
        )
        if kept:
            busy = Conflict(
                _("These districts have live projects in the edition and stay designated: %(codes)s")
                % {"codes": ", ".join(kept)},
                "district_has_projects",
            )
    return DesignationProblems(invalid=invalid, busy=busy)


def _designator(acting_user: Any) -> tuple[access.Principal, access.Grant]:
    principal = access.principal_for(acting_user)
    grant = access.designate_grant(principal)
    if grant is None:
        raise Forbidden(_("Only central planners and administrators designate Role Model districts."))
    return principal, grant


@transaction.atomic
def edition_districts_replace(
    *, acting_user: Any, edition: Edition | int, district_codes: Sequence[str]
) -> DesignationChange:
    """Replace the edition's Role Model districts with ``district_codes`` (one audit event).

    Every code must name a DOPA district (not one of Bangkok's khet); a district that has a live
    project in the edition stays designated (409 ``district_has_projects``). Nothing changes
    when any code is refused.
    """
    principal, grant = _designator(acting_user)
    try:
        locked = Edition.objects.select_for_update().get(
            pk=edition.pk if isinstance(edition, Edition) else edition
        )
    except (Edition.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None
    codes = normalise_codes(district_codes)
    problems = designation_problems(edition=locked, district_codes=codes)
    if problems.invalid:
        raise problems.invalid
    if problems.busy:
        raise problems.busy
    current = set(designated_codes(locked))
    wanted = set(codes)
    added, removed = sorted(wanted - current), sorted(current - wanted)
    if removed:
        RoleModelDistrict.objects.filter(edition=locked, district_id__in=removed).delete()
    if added:
        now = timezone.now()
        RoleModelDistrict.objects.bulk_create(
            [
                RoleModelDistrict(
                    edition=locked, district_id=code, designated_by=acting_user, designated_at=now
                )
                for code in added
            ]
        )
    if added or removed:
        events.publish(
            actor=audit.Actor(user=principal.user, role=grant.role, area_code=grant.area_code),
            action=AuditAction.EDITION_DISTRICTS_REPLACE,
            object_type="edition",
            object_id=locked.code,
            payload={"added": added, "removed": removed, "count": len(wanted)},
        )
    return DesignationChange(edition=locked, codes=sorted(wanted), added=added, removed=removed)

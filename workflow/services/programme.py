"""Programme editions: created and changed by admins, every change audited."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from .. import access, audit, events
from ..audit_actions import AuditAction
from ..errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound
from ..models import Edition
from ..models.programme import Dimension, default_dimensions

EDITABLE = ("code", "title", "budget_cap", "deadline", "is_active", "dimensions", "central_email")


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

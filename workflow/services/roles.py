"""Granting and revoking roles over areas; each change is audited in the area's chain."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from .. import access, audit, events
from ..audit_actions import AuditAction
from ..errors import FieldError, Forbidden, InvalidInput, NotFound
from ..models import COUNTRY_CODE, AreaKind, District, InspectionRegion, Province, Role, RoleMembership
from ..models.roles import ROLE_AREA_KIND
from .system import SYSTEM_USERNAME


def _area_for(role: str, area_code: str) -> dict[str, Any]:
    """The membership's area columns for ``role`` over ``area_code`` (or an error naming it)."""
    kind = ROLE_AREA_KIND.get(role)
    if kind is None:
        raise InvalidInput([FieldError("role", "invalid_choice", _("Unknown role."))])
    code = area_code.strip()
    if kind == AreaKind.COUNTRY:
        if code.upper() != COUNTRY_CODE:
            raise InvalidInput(
                [FieldError("area", "wrong_area_kind", _("This role is held over the country: use TH."))]
            )
        return {}
    if kind == AreaKind.DISTRICT:
        district = District.objects.filter(code=code).first()
        if district is None:
            raise InvalidInput(
                [FieldError("area", "wrong_area_kind", _("This role is held over a DOPA district code."))]
            )
        if not district.is_programme_district:
            raise InvalidInput(
                [
                    FieldError(
                        "area", "not_programme_district", _("Bangkok's khet are not programme districts.")
                    )
                ]
            )
        return {"district": district}
    if kind == AreaKind.PROVINCE:
        province = Province.objects.filter(code=code).first()
        if province is None:
            raise InvalidInput(
                [FieldError("area", "wrong_area_kind", _("This role is held over a province code."))]
            )
        return {"province": province}
    region = InspectionRegion.objects.filter(code=code).first()
    if region is None:
        raise InvalidInput(
            [FieldError("area", "wrong_area_kind", _("This role is held over an inspection region code."))]
        )
    return {"region": region}


def _refuse_outside_area(acting_user: Any, area: dict[str, Any]) -> None:
    """No one grants or revokes roles above their own area (the system, for commands, anywhere)."""
    grant = access.admin_grant(access.principal_for(acting_user))
    if grant is not None and not access.admin_covers_area(grant, area):
        raise Forbidden(_("An administrator grants and revokes roles only inside their own area."))


def _chain_district(membership: RoleMembership) -> District | None:
    return membership.district


def _actor_for_admin(acting_user: Any) -> audit.Actor:
    principal = access.principal_for(acting_user)
    grant = access.admin_grant(principal)
    if grant is None and getattr(acting_user, "username", "") != SYSTEM_USERNAME:
        raise Forbidden(_("Only administrators may grant or revoke roles."))
    return audit.Actor(
        user=acting_user, role=grant.role if grant else "", area_code=grant.area_code if grant else ""
    )


@transaction.atomic
def role_grant(
    *,
    acting_user: Any,
    user: Any,
    role: str,
    area_code: str,
    valid_from: datetime.date | None = None,
    valid_until: datetime.date | None = None,
) -> RoleMembership:
    actor = _actor_for_admin(acting_user)
    area = _area_for(role, area_code)
    _refuse_outside_area(acting_user, area)
    if valid_from and valid_until and valid_from > valid_until:
        raise InvalidInput(
            [FieldError("valid_until", "invalid", _("The end of validity is before its start."))]
        )
    existing = RoleMembership.objects.filter(user=user, role=role, **area).filter(
        valid_from=valid_from, valid_until=valid_until
    )
    membership = existing.first()
    if membership is not None:
        return membership
    membership = RoleMembership.objects.create(
        user=user, role=role, valid_from=valid_from, valid_until=valid_until, granted_by=acting_user, **area
    )
    events.publish(
        actor=actor,
        action=AuditAction.ROLE_GRANT,
        object_type="role_membership",
        object_id=membership.pk,
        district=membership.district,
        payload={
            "user": user.username,
            "role": role,
            "area": membership.area_code,
            "valid_from": valid_from,
            "valid_until": valid_until,
        },
    )
    access.forget(user)
    return membership


@transaction.atomic
def role_revoke(*, acting_user: Any, user: Any, role: str, area_code: str) -> int:
    """Remove the user's memberships of ``role`` over the area; returns how many."""
    actor = _actor_for_admin(acting_user)
    area = _area_for(role, area_code)
    _refuse_outside_area(acting_user, area)
    memberships = list(RoleMembership.objects.filter(user=user, role=role, **area).select_related("district"))
    if not memberships:
        raise NotFound(_("The user does not hold this role over this area."))
    for membership in memberships:
        events.publish(
            actor=actor,
            action=AuditAction.ROLE_REVOKE,
            object_type="role_membership",
            object_id=membership.pk,
            district=membership.district,
            payload={"user": user.username, "role": role, "area": membership.area_code},
        )
        membership.delete()
    access.forget(user)
    return len(memberships)


@transaction.atomic
def user_create(*, acting_user: Any, username: str, password: str | None, email: str = "") -> Any:
    _actor_for_admin(acting_user)
    User = get_user_model()
    if User.objects.filter(username=username).exists():
        raise InvalidInput([FieldError("username", "taken", _("This username is taken."))])
    user = User.objects.create_user(username=username, password=password, email=email)
    return user


ROLE_CODES = [r.value for r in Role]

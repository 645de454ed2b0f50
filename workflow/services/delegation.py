"""Acting officials (รักษาราชการแทน): a district chief names who holds the chief's role for a while."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .. import access, audit, events, selectors
from ..audit_actions import AuditAction
from ..errors import Conflict, DomainError, FieldError, Forbidden, InvalidInput, NotFound
from ..models import Delegation, District, Role, RoleMembership

# The roles held over one district: only their holders may act for the district's chief.
DISTRICT_ROLES = (Role.DISTRICT_OFFICER, Role.DISTRICT_CHIEF)
OUTSIDE_AREA = "delegate_outside_area"


def _district_officials(district_codes: list[str], day: datetime.date) -> QuerySet[RoleMembership]:
    """Memberships of a district role over these districts, valid on ``day`` (in their own right)."""
    return RoleMembership.objects.filter(
        access.memberships_valid_on(day), role__in=DISTRICT_ROLES, district_id__in=district_codes
    )


def delegation_candidates(*, district_codes: list[str], exclude_user: Any = None) -> dict[str, list[Any]]:
    """For each district, the active users holding a district role there today, by name.

    What the delegation page offers; ``delegation_create`` refuses anyone else.
    """
    memberships = (
        _district_officials(district_codes, timezone.localdate())
        .filter(user__is_active=True)
        .select_related("user")
        .order_by("district_id", "user__first_name", "user__last_name", "user__username")
    )
    if exclude_user is not None:
        memberships = memberships.exclude(user=exclude_user)
    found: dict[str, list[Any]] = {code: [] for code in district_codes}
    for membership in memberships:
        users = found[str(membership.district_id)]
        if membership.user not in users:
            users.append(membership.user)
    return found


def _chief_grant(acting_user: Any, district: District | str) -> tuple[access.Grant, District]:
    code = district.code if isinstance(district, District) else district
    visible = selectors.district_get_visible(acting_user, code)
    grant = access.may_delegate(access.principal_for(acting_user), visible)
    if grant is None:
        raise Forbidden(_("Only the district's chief may name an acting official."))
    return grant, visible


@transaction.atomic
def delegation_create(
    *,
    acting_user: Any,
    district: District | str,
    delegate: Any,
    starts_on: datetime.date,
    ends_on: datetime.date,
) -> Delegation:
    grant, target = _chief_grant(acting_user, district)
    errors: list[FieldError] = []
    User = get_user_model()
    if isinstance(delegate, str):
        found = User.objects.filter(username=delegate, is_active=True).first()
        if found is None:
            errors.append(
                FieldError("delegate", "unknown_user", _("There is no active user with this username."))
            )
        delegate = found
    if delegate is not None and delegate.pk == acting_user.pk:
        errors.append(FieldError("delegate", "self", _("Choose someone other than yourself.")))
    elif delegate is not None:
        # The acting official is an official of the same district (officer or chief there),
        # on the first day they would act: never someone of another district or province.
        first_day = max(starts_on, timezone.localdate())
        if not _district_officials([target.code], first_day).filter(user=delegate).exists():
            errors.append(
                FieldError(
                    "delegate",
                    OUTSIDE_AREA,
                    _(
                        "Choose an official of the district: only its officers and its chief may act for its chief."
                    ),
                )
            )
    if starts_on > ends_on:
        errors.append(FieldError("ends_on", "invalid", _("The end date is before the start date.")))
    if ends_on < timezone.localdate():
        errors.append(FieldError("ends_on", "past", _("The period has already ended.")))
    if any(error.code == OUTSIDE_AREA for error in errors):
        raise DomainError(
            _("The acting official must be an official of the same district."),
            OUTSIDE_AREA,
            422,
            [error.as_dict() for error in errors],
        )
    if errors:
        raise InvalidInput(errors)
    overlapping = Delegation.objects.filter(
        delegator=acting_user,
        district=target,
        revoked_at__isnull=True,
        starts_on__lte=ends_on,
        ends_on__gte=starts_on,
    )
    if overlapping.exists():
        raise Conflict(
            _("Another acting official is already named for part of this period."), "delegation_overlaps"
        )
    delegation = Delegation.objects.create(
        delegator=acting_user,
        delegate=delegate,
        role=Role.DISTRICT_CHIEF,
        district=target,
        starts_on=starts_on,
        ends_on=ends_on,
    )
    events.publish(
        actor=audit.Actor(user=acting_user, role=grant.role, area_code=grant.area_code),
        action=AuditAction.DELEGATION_CREATE,
        object_type="delegation",
        object_id=delegation.pk,
        district=target,
        payload={
            "delegate": delegate.get_username(),
            "role": delegation.role,
            "starts_on": starts_on,
            "ends_on": ends_on,
        },
    )
    access.forget(delegate)
    return delegation


@transaction.atomic
def delegation_revoke(*, acting_user: Any, delegation: Delegation | int) -> Delegation:
    pk = delegation.pk if isinstance(delegation, Delegation) else delegation
    try:
        locked = Delegation.objects.select_for_update().select_related("district", "delegate").get(pk=pk)
    except Delegation.DoesNotExist:
        raise NotFound() from None
    grant, target = _chief_grant(acting_user, locked.district)
    if locked.delegator_id != acting_user.pk:
        raise NotFound()
    if locked.revoked_at is not None:
        return locked
    locked.revoked_at = timezone.now()
    locked.save(update_fields=["revoked_at"])
    events.publish(
        actor=audit.Actor(user=acting_user, role=grant.role, area_code=grant.area_code),
        action=AuditAction.DELEGATION_REVOKE,
        object_type="delegation",
        object_id=locked.pk,
        district=target,
        payload={"delegate": locked.delegate.get_username()},
    )
    return locked

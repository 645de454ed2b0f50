"""Changes made in the admin site to objects no other service owns; each change is audited.

Role memberships and programme editions have their own services (``roles``, ``programme``);
everything else an administrator edits in the admin (inspection regions, bank entries, area
names, user accounts) is saved here, together with an ``admin_change`` or ``admin_delete``
event in the same transaction. The event goes to the object's district chain when the object
belongs to a district, else to the national chain.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

from .. import access, audit, events
from ..audit_actions import AuditAction
from ..errors import Forbidden
from ..models import District

# Never written into the trail, only the fact that they changed.
SENSITIVE_FIELDS = frozenset({"password"})
HIDDEN = "(changed)"
_REPR_MAX = 200


def _actor(acting_user: Any) -> audit.Actor:
    grant = access.admin_grant(access.principal_for(acting_user))
    if grant is None:
        raise Forbidden(_("Only administrators may change this."))
    return audit.Actor(user=acting_user, role=grant.role, area_code=grant.area_code)


def district_of(obj: models.Model) -> District | None:
    """The district an object belongs to (its chain), or None for national objects."""
    if isinstance(obj, District):
        return obj
    if getattr(obj, "district_id", None):
        return obj.district  # type: ignore[attr-defined]
    if getattr(obj, "subdistrict_id", None):
        return obj.subdistrict.district  # type: ignore[attr-defined]
    return None


def _value(obj: models.Model, field: models.Field[Any, Any]) -> Any:
    if field.name in SENSITIVE_FIELDS:
        return HIDDEN
    return getattr(obj, field.attname)


def _m2m_pks(obj: models.Model, name: str) -> list[Any]:
    return sorted(str(pk) for pk in getattr(obj, name).values_list("pk", flat=True))


def _concrete(model: type[models.Model], name: str) -> models.Field[Any, Any] | None:
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:  # a form field that is not a model field
        return None
    if getattr(field, "concrete", False) and not field.many_to_many:
        return field  # type: ignore[return-value]
    return None


def _label(obj: models.Model) -> str:
    return str(obj)[:_REPR_MAX]


@transaction.atomic
def admin_object_save(
    *,
    acting_user: Any,
    obj: models.Model,
    changed_fields: Iterable[str],
    is_new: bool,
    m2m: Mapping[str, Iterable[Any]] | None = None,
) -> models.Model:
    """Save ``obj`` (and set the many-to-many values in ``m2m``) and record what changed.

    ``changed_fields`` names the fields the administrator changed (a form's ``changed_data``);
    names that are not fields of the model are ignored. Sensitive fields are recorded as
    changed without their values.
    """
    actor = _actor(acting_user)
    model = type(obj)
    names = list(dict.fromkeys(changed_fields))
    before: models.Model | None = None
    if not is_new and obj.pk is not None:
        before = model._default_manager.filter(pk=obj.pk).first()
    m2m = dict(m2m or {})
    m2m_before = {name: _m2m_pks(before, name) for name in m2m} if before is not None else {}
    obj.save()
    for name, values in m2m.items():
        getattr(obj, name).set(list(values))
    changed: dict[str, Any] = {}
    for name in names:
        field = _concrete(model, name)
        if field is None:
            continue
        after_value = _value(obj, field)
        if before is None:
            changed[field.name] = after_value
        else:
            changed[field.name] = {"from": _value(before, field), "to": after_value}
    for name in m2m:
        after_pks = _m2m_pks(obj, name)
        if before is None:
            changed[name] = after_pks
        elif m2m_before.get(name) != after_pks:
            changed[name] = {"from": m2m_before.get(name, []), "to": after_pks}
    events.publish(
        actor=actor,
        action=AuditAction.ADMIN_CHANGE,
        object_type=model._meta.label_lower,
        object_id=obj.pk,
        district=district_of(obj),
        payload={"object": _label(obj), "is_new": is_new, "changed": changed},
    )
    return obj


@transaction.atomic
def admin_object_delete(*, acting_user: Any, obj: models.Model) -> None:
    """Delete ``obj`` and record it (with its last values) in the trail.

    Objects still referred to (``PROTECT``) raise ``ProtectedError`` and nothing is recorded.
    """
    actor = _actor(acting_user)
    model = type(obj)
    values = {field.name: _value(obj, field) for field in model._meta.concrete_fields}
    pk = obj.pk
    events.publish(
        actor=actor,
        action=AuditAction.ADMIN_DELETE,
        object_type=model._meta.label_lower,
        object_id=pk,
        district=district_of(obj),
        payload={"object": _label(obj), "values": values},
    )
    obj.delete()

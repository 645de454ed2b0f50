"""The province's disbursement of a district's allocation (ตั้งจ่าย ณ ที่ทำการปกครองจังหวัด).

The provincial officer of the district's province records each tranche paid to a Role Model
district of the active edition: the amount (never taking the district's total past the
edition's cap), the date, the reference document and a note. Each record is audited in its
own transaction, under the district's lock, so that simultaneous tranches cannot pass the cap
together; the district's officers and chief are told once it is committed.
"""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .. import access, audit, events, selectors
from ..audit_actions import AuditAction
from ..errors import Conflict, DomainError, FieldError, Forbidden, InvalidInput
from ..models import Disbursement, District, Edition, RoleModelDistrict
from ..rules import money

CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("999999999999.99")
REFERENCE_MAX = 100


def _amount(value: Any) -> tuple[Decimal | None, FieldError | None]:
    """The amount in baht with at most two decimals (satang), above zero."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, FieldError("amount", "required", _("Enter the amount disbursed in baht."))
    try:
        amount = Decimal(str(value).replace(",", "").strip())
    except (InvalidOperation, TypeError, ValueError):
        return None, FieldError("amount", "invalid", _("Enter an amount in baht."))
    if not amount.is_finite() or amount <= 0 or amount > MAX_AMOUNT or amount != amount.quantize(CENT):
        return None, FieldError(
            "amount", "invalid", _("Enter an amount above zero with at most two decimals.")
        )
    return amount.quantize(CENT), None


def _date(value: datetime.date | str | None) -> tuple[datetime.date | None, FieldError | None]:
    """A date, or its ISO text (``YYYY-MM-DD``) as an API client sends it."""
    if isinstance(value, datetime.datetime):
        return value.date(), None
    if isinstance(value, datetime.date):
        return value, None
    if value is None or not str(value).strip():
        return None, FieldError("paid_on", "required", _("Enter the date of the disbursement."))
    try:
        return datetime.date.fromisoformat(str(value).strip()), None
    except ValueError:
        return None, FieldError("paid_on", "invalid", _("Enter the date as YYYY-MM-DD."))


def _validate(
    amount: Any, paid_on: datetime.date | None, reference: str
) -> tuple[Decimal | None, list[FieldError]]:
    """Every field's error at once (``paid_on`` already parsed; ``None``: reported by the caller)."""
    value, error = _amount(amount)
    errors = [error] if error else []
    if paid_on is not None and paid_on > timezone.localdate():
        errors.append(
            FieldError(
                "paid_on", "date_in_future", _("The date of the disbursement cannot be in the future.")
            )
        )
    if not reference.strip():
        errors.append(FieldError("reference", "required", _("Enter the number of the reference document.")))
    elif len(reference.strip()) > REFERENCE_MAX:
        errors.append(
            FieldError(
                "reference",
                "max_length",
                _("The reference document number has at most %(n)s characters.") % {"n": REFERENCE_MAX},
            )
        )
    return value, errors


def disbursement_errors(*, amount: Any, paid_on: datetime.date | None, reference: str) -> list[FieldError]:
    """The fields' own checks, without the database (a page reports them together with its own
    parsing errors, in one round); ``paid_on`` ``None``: the caller reports it."""
    return _validate(amount, paid_on, reference)[1]


def _not_participating(edition: Edition, district: District) -> DomainError:
    return DomainError(
        _("%(district)s is not a Role Model district of edition %(edition)s: it receives no allocation.")
        % {"district": district.name_th, "edition": edition.code},
        "not_participating",
        422,
    )


def _over_cap(edition: Edition, disbursed: Decimal, amount: Decimal) -> DomainError:
    left = max(Decimal("0.00"), edition.budget_cap - disbursed)
    message = _(
        "The district's disbursements may not exceed its allocation of %(cap)s baht: %(disbursed)s baht "
        "is already disbursed, so at most %(left)s baht can still be recorded."
    ) % {"cap": money(edition.budget_cap), "disbursed": money(disbursed), "left": money(left)}
    return DomainError(
        message,
        "disbursement_over_cap",
        422,
        [FieldError("amount", "disbursement_over_cap", message).as_dict()],
    )


@transaction.atomic
def district_disbursement_record(
    *,
    acting_user: Any,
    district: District | str,
    amount: Decimal | str,
    paid_on: datetime.date | str | None,
    reference: str,
    note: str = "",
) -> Disbursement:
    """Record one tranche of the district's allocation for the active edition.

    404 when the district is not visible to the user; 403 unless they are a provincial officer
    of its province; 422 for invalid fields (all of them at once), a district that is not a
    Role Model district of the edition (``not_participating``) or a total above the edition's
    cap (``disbursement_over_cap``); 409 when no edition is open.
    """
    principal = access.principal_for(acting_user)
    code = district.code if isinstance(district, District) else str(district)
    visible = selectors.district_get_visible(acting_user, code)
    grant = access.disburse_grant(principal, visible)
    if grant is None:
        raise Forbidden(
            _("Only the provincial office of the district's province records its disbursement."), "forbidden"
        )
    edition = selectors.active_edition()
    if edition is None:
        raise Conflict(_("No programme edition is open."), "no_active_edition")
    day, date_error = _date(paid_on)
    value, errors = _validate(amount, day, reference or "")
    if date_error is not None:
        errors.insert(1 if len(errors) and errors[0].field == "amount" else 0, date_error)
    if errors or value is None or day is None:
        raise InvalidInput(errors)
    if not RoleModelDistrict.objects.filter(edition=edition, district_id=code).exists():
        raise _not_participating(edition, visible)
    # Every tranche of the district queues here: the total read below is the one written against.
    locked = selectors.district_for_update(code)
    disbursed = selectors.disbursed_total(district_code=code, edition_id=edition.pk)
    if disbursed + value > edition.budget_cap:
        raise _over_cap(edition, disbursed, value)
    row = Disbursement.objects.create(
        edition=edition,
        district=locked,
        amount=value,
        paid_on=day,
        reference=reference.strip(),
        note=note.strip(),
        recorded_by=acting_user,
    )
    total = selectors.baht(disbursed + value)
    events.publish(
        actor=audit.Actor(
            user=principal.user, role=grant.role, area_code=grant.area_code, acting_for=grant.acting_for
        ),
        action=AuditAction.DISBURSEMENT_RECORD,
        object_type="disbursement",
        object_id=row.pk,
        district=locked,
        comment=row.note,
        payload={
            "edition": edition.code,
            "amount": str(value),
            "paid_on": day.isoformat(),
            "reference": row.reference,
            "disbursed_total": str(total),
            "cap": str(edition.budget_cap),
        },
    )
    return row

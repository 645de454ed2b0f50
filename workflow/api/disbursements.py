"""The province's disbursements to a district: ``GET|POST /api/v1/districts/{code}/disbursements/``.

``GET``: the district's tranches in an edition (default the active one) with their total, the
cap and what is left, for whoever may see the district. ``POST``: the provincial officer of
the district's province records a tranche (``workflow.services.money``); 201 with the row.
Errors are problems with stable codes: ``disbursement_over_cap``, ``not_participating``,
``invalid_input`` (``date_in_future`` on ``paid_on``), ``forbidden``, ``not_found``.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from workflow import selectors
from workflow.errors import NotFound
from workflow.models import Disbursement, Edition
from workflow.services import money as money_svc


def _money(help_text: str = "") -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=14, decimal_places=2, help_text=help_text or None)


class DisbursementSerializer(serializers.ModelSerializer[Disbursement]):
    district = serializers.CharField(source="district_id", read_only=True)
    edition = serializers.CharField(source="edition.code", read_only=True)
    recorded_by = serializers.CharField(source="recorded_by.username", read_only=True)

    class Meta:
        model = Disbursement
        fields = [
            "id",
            "district",
            "edition",
            "amount",
            "paid_on",
            "reference",
            "note",
            "recorded_by",
            "recorded_at",
        ]
        read_only_fields = fields


class DisbursementListSerializer(serializers.Serializer[Any]):
    district = serializers.CharField()
    edition = serializers.CharField()
    cap = _money("the edition's cap per district")
    disbursed = _money("the total of the tranches")
    remaining = _money("what can still be disbursed")
    results = DisbursementSerializer(many=True)


class DisbursementInputSerializer(serializers.Serializer[Any]):
    """The body (documentation): the service checks it after the access check, every field's
    error at once (amount above zero in satang at most and within the cap, ``YYYY-MM-DD`` not in
    the future, a reference of at most 100 characters)."""

    amount = serializers.CharField(help_text="baht, at most two decimals, e.g. 75000.00")
    paid_on = serializers.DateField(help_text="the date of the disbursement (not in the future)")
    reference = serializers.CharField(
        max_length=100, allow_blank=True, help_text="the reference document's number"
    )
    note = serializers.CharField(required=False, allow_blank=True, default="")


def _text(value: Any) -> str:
    """A body's value as text (numbers too: ``75000`` is ``"75000"``); absent: empty."""
    return "" if value is None or isinstance(value, dict | list | bool) else str(value)


def _edition(request: Request) -> Edition | None:
    code = request.query_params.get("edition")
    if not code:
        return None
    edition = Edition.objects.filter(code=code).first()
    if edition is None:
        raise NotFound(_("No such edition."))
    return edition


class DistrictDisbursementsApi(APIView):
    """The district's disbursements; POST: the provincial officer records a tranche."""

    @extend_schema(
        responses=DisbursementListSerializer,
        parameters=[OpenApiParameter("edition", str, description="edition code (default: the active one)")],
        operation_id="districts_disbursements_list",
    )
    def get(self, request: Request, code: str) -> Response:
        ledger = selectors.district_disbursements(request.user, code, edition=_edition(request))
        return Response(
            DisbursementListSerializer(
                {
                    "district": ledger.district.code,
                    "edition": ledger.edition.code,
                    "cap": ledger.cap,
                    "disbursed": ledger.total,
                    "remaining": ledger.remaining,
                    "results": ledger.rows,
                }
            ).data
        )

    @extend_schema(
        request=DisbursementInputSerializer,
        responses={201: DisbursementSerializer},
        operation_id="districts_disbursements_create",
    )
    def post(self, request: Request, code: str) -> Response:
        data = request.data if isinstance(request.data, dict) else {}
        row = money_svc.district_disbursement_record(
            acting_user=request.user,
            district=code,
            amount=_text(data.get("amount")),
            paid_on=_text(data.get("paid_on")),
            reference=_text(data.get("reference")),
            note=_text(data.get("note")),
        )
        return Response(DisbursementSerializer(row).data, status=status.HTTP_201_CREATED)

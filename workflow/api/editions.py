"""An edition's Role Model districts (อำเภอต้นแบบ): ``GET|PUT /api/v1/editions/{id}/districts/``.

The body and the answer are a JSON list of DOPA district codes. ``PUT`` replaces the list
(``workflow.services.programme.edition_districts_replace``: central planners and admins only,
one audit event naming what was added and removed). Any signed-in user may read the list:
an edition and its districts are national facts.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from workflow.errors import FieldError, InvalidInput, NotFound
from workflow.models import Edition
from workflow.services import programme as programme_svc

CODES: serializers.ListSerializer[Any] = serializers.ListSerializer(child=serializers.CharField(max_length=4))


def _edition(pk: Any) -> Edition:
    try:
        return Edition.objects.get(pk=pk)
    except (Edition.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def _codes(data: Any) -> list[str]:
    """The body: a list of district codes (or ``{"districts": [...]}``), each a string."""
    if isinstance(data, dict) and set(data) == {"districts"}:
        data = data["districts"]
    if not isinstance(data, list) or not all(isinstance(code, str) for code in data):
        raise InvalidInput(
            [FieldError("districts", "not_a_list", _('Send a JSON list of district codes, e.g. ["5001"].'))]
        )
    return data


class EditionDistrictsApi(APIView):
    """The edition's Role Model districts: read by anyone signed in, replaced by central planners."""

    @extend_schema(responses=CODES, operation_id="editions_districts_list")
    def get(self, request: Request, pk: int) -> Response:
        return Response(programme_svc.designated_codes(_edition(pk)))

    @extend_schema(request=CODES, responses=CODES, operation_id="editions_districts_replace")
    def put(self, request: Request, pk: int) -> Response:
        change = programme_svc.edition_districts_replace(
            acting_user=request.user, edition=pk, district_codes=_codes(request.data)
        )
        return Response(change.codes)

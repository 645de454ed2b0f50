"""Acting officials (รักษาราชการแทน) through the API, as on the page ``/delegation/``.

``GET /api/v1/delegations/``: the delegations the caller gave. ``POST``: a district chief names
an acting official of the same district (``workflow.services.delegation``): 201; an official of
another district is refused (422 ``delegate_outside_area``), an overlapping period is 409
``delegation_overlaps``, anyone but the district's chief 403. ``GET
/api/v1/delegations/candidates/?district=5001``: whom the chief may name. ``POST
/api/v1/delegations/{id}/revoke/``: ends it (the chief who gave it; others 404).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from workflow import access, selectors
from workflow.errors import FieldError, Forbidden, InvalidInput
from workflow.models import Delegation
from workflow.services import delegation as delegation_svc


class DelegationSerializer(serializers.ModelSerializer[Delegation]):
    district = serializers.CharField(source="district_id", read_only=True)
    delegator = serializers.CharField(source="delegator.username", read_only=True)
    delegate = serializers.CharField(source="delegate.username", read_only=True)

    class Meta:
        model = Delegation
        fields = ["id", "district", "role", "delegator", "delegate", "starts_on", "ends_on", "revoked_at"]
        read_only_fields = fields


class DelegationInputSerializer(serializers.Serializer[Any]):
    district = serializers.CharField(max_length=10, help_text="the DOPA code of the chief's district")
    delegate = serializers.CharField(
        max_length=150, help_text="the username of an officer or the chief of the same district"
    )
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()


class CandidateSerializer(serializers.Serializer[Any]):
    username = serializers.CharField()
    name = serializers.CharField()


class DelegationListApi(APIView):
    @extend_schema(responses=DelegationSerializer(many=True), operation_id="delegations_list")
    def get(self, request: Request) -> Response:
        return Response(DelegationSerializer(selectors.delegations_given(request.user), many=True).data)

    @extend_schema(
        request=DelegationInputSerializer,
        responses={201: DelegationSerializer},
        operation_id="delegations_create",
    )
    def post(self, request: Request) -> Response:
        body = DelegationInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        created = delegation_svc.delegation_create(
            acting_user=request.user,
            district=data["district"],
            delegate=data["delegate"],
            starts_on=data["starts_on"],
            ends_on=data["ends_on"],
        )
        return Response(DelegationSerializer(created).data, status=status.HTTP_201_CREATED)


class DelegationCandidatesApi(APIView):
    @extend_schema(
        responses=CandidateSerializer(many=True),
        parameters=[OpenApiParameter("district", str, required=True, description="DOPA district code")],
        operation_id="delegations_candidates",
    )
    def get(self, request: Request) -> Response:
        code = str(request.query_params.get("district") or "")[:10]
        if not code:
            raise InvalidInput([FieldError("district", "required", _("Give the district's code."))])
        district = selectors.district_get_visible(request.user, code)
        if access.may_delegate(access.principal_for(request.user), district) is None:
            raise Forbidden(_("Only the district's chief may name an acting official."))
        found = delegation_svc.delegation_candidates(
            district_codes=[district.code], exclude_user=request.user
        )
        users = found.get(district.code, [])
        return Response(
            CandidateSerializer(
                [
                    {"username": u.get_username(), "name": u.get_full_name() or u.get_username()}
                    for u in users
                ],
                many=True,
            ).data
        )


class DelegationRevokeApi(APIView):
    @extend_schema(request=None, responses=DelegationSerializer, operation_id="delegations_revoke")
    def post(self, request: Request, pk: int) -> Response:
        ended = delegation_svc.delegation_revoke(acting_user=request.user, delegation=pk)
        return Response(DelegationSerializer(ended).data)

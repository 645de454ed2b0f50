"""Parts 1 and 2 of the report book over the API.

``GET|PUT /api/v1/districts/{code}/profile/`` and ``GET|PUT /api/v1/districts/{code}/drive-report/``.

GET answers the part of the active edition; when none is saved yet it answers the form's
starting point (for part 1 the copy of the district's most recent earlier edition) with
``"saved": false``. PUT replaces the whole part (fields left out are emptied, rows left out
removed) and must send back the ``updated_at`` it read (``null`` when nothing was saved yet):
if someone saved in between, it answers 409 ``stale_edit`` and changes nothing. Part 1's
``preface`` (the book's คำนำ) and ``office_address`` (printed on the covering letter) came later:
a PUT that leaves them out keeps what is stored.
404 outside the caller's areas, 403 for those who may only read, 409 ``no_active_edition``,
422 ``invalid_input`` with each field named (``facts[2].value``).
"""

from __future__ import annotations

from typing import Any

from django.urls import URLPattern, path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from workflow.models import District, Edition

from .. import parts
from ..models import Digits, DistrictProfile, DriveReport

# --- Shapes ---------------------------------------------------------------------------------


def _text(**kwargs: Any) -> serializers.CharField:
    """Text as sent: blank allowed; lengths and required rows are the service's to judge."""
    return serializers.CharField(
        required=False, allow_blank=True, default="", trim_whitespace=False, **kwargs
    )


class ProfileFactSerializer(serializers.Serializer):
    table = _text(help_text="heading of the small table the row belongs to")
    # DRF takes declared fields off the class, so "label" does not clash with Field.label.
    label = _text(help_text="the item (required)")  # type: ignore[assignment]
    value = _text(help_text="its value (required)")
    unit = _text()


class ProfileSubdistrictSerializer(serializers.Serializer):
    code = serializers.CharField()
    name_th = serializers.CharField()
    name_en = serializers.CharField()


class BookPartStateSerializer(serializers.Serializer):
    district = serializers.CharField()
    district_name = serializers.CharField()
    edition = serializers.CharField()
    saved = serializers.BooleanField(
        help_text="false: nothing saved for the edition yet; this is the starting copy"
    )
    can_edit = serializers.BooleanField(help_text="whether the caller may PUT")
    updated_at = serializers.DateTimeField(
        allow_null=True, help_text="send it back with PUT (null when nothing was saved yet)"
    )
    updated_by = serializers.CharField(allow_null=True)


class DistrictProfileSerializer(BookPartStateSerializer):
    copied_from_edition = serializers.CharField(
        allow_null=True, help_text="the earlier edition this profile was (or will be) copied from"
    )
    population = serializers.IntegerField(allow_null=True)
    households = serializers.IntegerField(allow_null=True)
    villages = serializers.IntegerField(allow_null=True)
    area_sq_km = serializers.DecimalField(max_digits=10, decimal_places=2, allow_null=True)
    general = serializers.CharField()
    economy = serializers.CharField()
    problems_needs = serializers.CharField()
    potential = serializers.CharField()
    notes = serializers.CharField()
    preface = serializers.CharField(help_text="the book's preface (คำนำ)")
    office_address = serializers.CharField(help_text="the district office's address (covering letter)")
    digits = serializers.ChoiceField(choices=Digits.choices)
    facts = ProfileFactSerializer(many=True)
    subdistrict_count = serializers.IntegerField(help_text="from the areas, not editable")
    subdistricts = ProfileSubdistrictSerializer(many=True)


class DistrictProfileWriteSerializer(serializers.Serializer):
    updated_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    population = serializers.IntegerField(required=False, allow_null=True, default=None)
    households = serializers.IntegerField(required=False, allow_null=True, default=None)
    villages = serializers.IntegerField(required=False, allow_null=True, default=None)
    area_sq_km = serializers.DecimalField(
        max_digits=None, decimal_places=None, required=False, allow_null=True, default=None
    )
    general = _text()
    economy = _text()
    problems_needs = _text()
    potential = _text()
    notes = _text()
    # Left out: the stored value is kept (see the module's note).
    preface = serializers.CharField(
        required=False, allow_blank=True, trim_whitespace=False, help_text="left out: kept as stored"
    )
    office_address = serializers.CharField(
        required=False, allow_blank=True, trim_whitespace=False, help_text="left out: kept as stored"
    )
    digits = serializers.ChoiceField(choices=Digits.choices, required=False, default=Digits.THAI)
    facts = ProfileFactSerializer(many=True, required=False, default=list)

    def to_input(self) -> parts.ProfileInput:
        data = dict(self.validated_data)
        facts = [parts.FactInput(**dict(row)) for row in data.pop("facts", [])]
        return parts.ProfileInput(**data, facts=facts)


class DriveTeamMemberSerializer(serializers.Serializer):
    name = _text(help_text="required")
    office = _text()
    team_role = _text()


class DriveMeetingSerializer(serializers.Serializer):
    date = serializers.DateField(required=False, allow_null=True, default=None, help_text="required")
    topic = _text(help_text="required")
    resolution = _text()


class DriveActivitySerializer(serializers.Serializer):
    date = serializers.DateField(required=False, allow_null=True, default=None)
    title = _text(help_text="required")
    participants = serializers.IntegerField(required=False, allow_null=True, default=None)
    result = _text()


class DriveReportSerializer(BookPartStateSerializer):
    narrative = serializers.CharField()
    team_narrative = serializers.CharField()
    team = DriveTeamMemberSerializer(many=True)
    meetings = DriveMeetingSerializer(many=True)
    activities = DriveActivitySerializer(many=True)


class DriveReportWriteSerializer(serializers.Serializer):
    updated_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    narrative = _text()
    team_narrative = _text()
    team = DriveTeamMemberSerializer(many=True, required=False, default=list)
    meetings = DriveMeetingSerializer(many=True, required=False, default=list)
    activities = DriveActivitySerializer(many=True, required=False, default=list)

    def to_input(self) -> parts.DriveReportInput:
        data = dict(self.validated_data)
        return parts.DriveReportInput(
            narrative=data["narrative"],
            team_narrative=data["team_narrative"],
            team=[parts.TeamMemberInput(**dict(row)) for row in data["team"]],
            meetings=[parts.MeetingInput(**dict(row)) for row in data["meetings"]],
            activities=[parts.ActivityInput(**dict(row)) for row in data["activities"]],
            updated_at=data["updated_at"],
        )


# --- Bodies ---------------------------------------------------------------------------------


def _state(
    user: Any, district: District, edition: Edition, obj: DistrictProfile | DriveReport
) -> dict[str, Any]:
    saved = obj.pk is not None
    return {
        "district": district.code,
        "district_name": district.name_th,
        "edition": edition.code,
        "saved": saved,
        "can_edit": parts.may_edit(user, district),
        "updated_at": obj.updated_at if saved else None,
        "updated_by": obj.updated_by.get_username() if saved and obj.updated_by else None,
    }


def _profile_body(
    user: Any, district: District, edition: Edition, profile: DistrictProfile
) -> dict[str, Any]:
    subdistricts = list(parts.subdistricts_of(district))
    copied = profile.copied_from
    body = {
        **_state(user, district, edition, profile),
        "copied_from_edition": copied.edition.code if copied is not None else None,
        **{name: getattr(profile, name) for name in parts.PROFILE_FIELDS},
        "facts": parts.profile_facts(profile),
        "subdistrict_count": len(subdistricts),
        "subdistricts": subdistricts,
    }
    return dict(DistrictProfileSerializer(body).data)


def _drive_body(user: Any, district: District, edition: Edition, report: DriveReport) -> dict[str, Any]:
    rows = parts.drive_rows(report)
    body = {
        **_state(user, district, edition, report),
        "narrative": report.narrative,
        "team_narrative": report.team_narrative,
        "team": rows.team,
        "meetings": rows.meetings,
        "activities": rows.activities,
    }
    return dict(DriveReportSerializer(body).data)


# --- Views ----------------------------------------------------------------------------------


class DistrictProfileApi(APIView):
    """Part 1 of the district's report book (the district profile) for the active edition."""

    @extend_schema(responses=DistrictProfileSerializer)
    def get(self, request: Request, code: str) -> Response:
        district, edition, profile = parts.profile_for_edit(request.user, code)
        return Response(_profile_body(request.user, district, edition, profile))

    @extend_schema(request=DistrictProfileWriteSerializer, responses=DistrictProfileSerializer)
    def put(self, request: Request, code: str) -> Response:
        parts.edit_precheck(request.user, code)  # 404 and 403 before looking at the body
        body = DistrictProfileWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        parts.district_profile_update(district=code, acting_user=request.user, data=body.to_input())
        district, edition, profile = parts.profile_for_edit(request.user, code)
        return Response(_profile_body(request.user, district, edition, profile))


class DistrictDriveReportApi(APIView):
    """Part 2 of the district's report book (how the project was driven) for the active edition."""

    @extend_schema(responses=DriveReportSerializer)
    def get(self, request: Request, code: str) -> Response:
        district, edition, report = parts.drive_report_for_edit(request.user, code)
        return Response(_drive_body(request.user, district, edition, report))

    @extend_schema(request=DriveReportWriteSerializer, responses=DriveReportSerializer)
    def put(self, request: Request, code: str) -> Response:
        parts.edit_precheck(request.user, code)
        body = DriveReportWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        parts.drive_report_update(district=code, acting_user=request.user, data=body.to_input())
        district, edition, report = parts.drive_report_for_edit(request.user, code)
        return Response(_drive_body(request.user, district, edition, report))


urls: list[URLPattern] = [
    path("districts/<str:code>/profile/", DistrictProfileApi.as_view(), name="api-district-profile"),
    path(
        "districts/<str:code>/drive-report/",
        DistrictDriveReportApi.as_view(),
        name="api-district-drive-report",
    ),
]

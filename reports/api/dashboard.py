"""``GET /api/v1/dashboard/``: the progress dashboard's figures as JSON.

The same selector as the page (``reports.dashboard.dashboard_for``): 401 anonymous, 403
(``forbidden``) without a dashboard role, 404 (``not_found``) for a province outside the
caller's area, 422 (``invalid_input``, field ``edition``) for an unknown edition.
"""

from __future__ import annotations

from typing import Any

from django.urls import URLPattern, path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ..dashboard import Dashboard, GroupRow, dashboard_for


def _money(**kwargs: Any) -> serializers.DecimalField:
    """Baht with two decimals (a string in JSON, as everywhere in the API)."""
    return serializers.DecimalField(max_digits=16, decimal_places=2, **kwargs)


class DashboardEditionSerializer(serializers.Serializer):
    code = serializers.CharField()
    title = serializers.CharField()
    budget_cap = _money(help_text="cap per district (THB)")
    deadline = serializers.DateField()
    is_active = serializers.BooleanField()


class DashboardAreaSerializer(serializers.Serializer):
    code = serializers.CharField()
    name_th = serializers.CharField()
    name_en = serializers.CharField()


class DashboardScopeSerializer(serializers.Serializer):
    country = serializers.BooleanField(help_text="the caller's area is the whole country")
    regions = serializers.ListField(child=serializers.CharField(), help_text="inspection regions' names")
    provinces = DashboardAreaSerializer(many=True, help_text="every province of the caller's area")
    province = DashboardAreaSerializer(allow_null=True, help_text="the province drilled into, if any")
    group_by = serializers.ChoiceField(choices=["province", "district"])


class DashboardGroupSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="DOPA code of the province or district; empty for the totals")
    name_th = serializers.CharField()
    name_en = serializers.CharField()
    districts = serializers.IntegerField(help_text="the edition's Role Model districts")
    not_started = serializers.IntegerField(help_text="Role Model districts without a live project")
    states = serializers.DictField(child=serializers.IntegerField(), help_text="projects per state")
    projects = serializers.IntegerField()
    live_projects = serializers.IntegerField(help_text="not rejected or withdrawn")
    cap = _money()
    committed = _money()
    disbursed = _money()
    spent = _money()
    remaining = _money()
    committed_percent = serializers.DecimalField(max_digits=8, decimal_places=1, allow_null=True)
    open_tasks = serializers.IntegerField()
    overdue_tasks = serializers.IntegerField()
    overdue_by_step = serializers.DictField(child=serializers.IntegerField())
    books_expected = serializers.IntegerField(help_text="the Role Model districts: each sends one book")
    books_received = serializers.IntegerField(help_text="districts that submitted (any version)")
    books_late = serializers.IntegerField(help_text="districts whose first version came after the deadline")
    books_missing = serializers.IntegerField()
    books_acknowledged = serializers.IntegerField()


class DashboardDimensionSerializer(serializers.Serializer):
    dimension = serializers.CharField(help_text="code; empty when a project has none")
    name = serializers.CharField(help_text="in the caller's language")
    projects = serializers.IntegerField(help_text="live projects")
    budget = _money()


class DashboardSubmissionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    district = serializers.CharField()
    district_name_th = serializers.CharField()
    district_name_en = serializers.CharField()
    province = serializers.CharField()
    version = serializers.IntegerField()
    submitted_at = serializers.DateTimeField()
    is_late = serializers.BooleanField()
    acknowledged = serializers.BooleanField()


class DashboardSerializer(serializers.Serializer):
    edition = DashboardEditionSerializer(allow_null=True)
    today = serializers.DateField()
    scope = DashboardScopeSerializer()
    groups = DashboardGroupSerializer(many=True)
    totals = DashboardGroupSerializer()
    dimensions = DashboardDimensionSerializer(many=True)
    recent_submissions = DashboardSubmissionSerializer(many=True)


def _area(area: Any) -> dict[str, str] | None:
    if area is None:
        return None
    return {"code": area.code, "name_th": area.name_th, "name_en": area.name_en}


def _group(row: GroupRow) -> dict[str, Any]:
    return {
        "code": row.area.code,
        "name_th": row.area.name_th,
        "name_en": row.area.name_en,
        "districts": row.districts,
        "not_started": row.not_started,
        "states": row.states,
        "projects": row.projects,
        "live_projects": row.live_projects,
        "cap": row.cap,
        "committed": row.committed,
        "disbursed": row.disbursed,
        "spent": row.spent,
        "remaining": row.remaining,
        "committed_percent": row.committed_percent,
        "open_tasks": row.open_tasks,
        "overdue_tasks": row.overdue_tasks,
        "overdue_by_step": row.overdue_by_step,
        "books_expected": row.books_expected,
        "books_received": row.books_received,
        "books_late": row.books_late,
        "books_missing": row.books_missing,
        "books_acknowledged": row.books_acknowledged,
    }


def dashboard_data(board: Dashboard) -> dict[str, Any]:
    scope = board.scope
    return {
        "edition": board.edition,
        "today": board.today,
        "scope": {
            "country": scope.country,
            "regions": list(scope.regions),
            "provinces": [_area(p) for p in scope.provinces],
            "province": _area(scope.province) if scope.drilled else None,
            "group_by": scope.group_by,
        },
        "groups": [_group(row) for row in board.groups],
        "totals": _group(board.totals),
        "dimensions": [
            {"dimension": d.code, "name": d.label, "projects": d.projects, "budget": d.budget}
            for d in board.dimensions
        ],
        "recent_submissions": [
            {
                "id": s.id,
                "district": s.district.code,
                "district_name_th": s.district.name_th,
                "district_name_en": s.district.name_en,
                "province": s.province.code,
                "version": s.version,
                "submitted_at": s.submitted_at,
                "is_late": s.is_late,
                "acknowledged": s.acknowledged,
            }
            for s in board.recent
        ],
    }


class DashboardApi(APIView):
    """Progress over the caller's area: projects per state, budget against caps, overdue tasks,
    report books received against expected, and the mix of dimensions."""

    @extend_schema(
        responses=DashboardSerializer,
        parameters=[
            OpenApiParameter("edition", str, description="edition code (default: the active edition)"),
            OpenApiParameter(
                "province", str, description="DOPA province code: one row per district of that province"
            ),
        ],
    )
    def get(self, request: Request) -> Response:
        board = dashboard_for(
            request.user,
            edition=request.query_params.get("edition", "").strip()[:20],
            province=request.query_params.get("province", "").strip()[:10],
        )
        return Response(DashboardSerializer(dashboard_data(board)).data)


urls: list[URLPattern] = [
    path("dashboard/", DashboardApi.as_view(), name="api-dashboard"),
]

"""The REST API: views parse, call a selector or service, and render. Nothing else."""

from __future__ import annotations

from typing import Any

import django_filters
from django.contrib.auth import authenticate
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from config.client import client_address
from workflow import selectors, transitions
from workflow.api.filters import StrictBooleanFilter
from workflow.audit_actions import file_index
from workflow.errors import DomainError, NotFound
from workflow.models import (
    AuditEvent,
    BankEntry,
    District,
    DistrictSubmission,
    Edition,
    Project,
    Province,
    Subdistrict,
)
from workflow.models.projects import FINAL_STATES
from workflow.services import programme as programme_svc
from workflow.services import projects as project_svc

from . import serializers as s


class TokenThrottle(AnonRateThrottle):
    """20 tries a minute per client address: the socket's, or the nearest trusted proxy's view
    (``config.client``); a forged ``X-Forwarded-For`` does not make a new client."""

    rate = "20/min"

    def get_ident(self, request: Request) -> str:
        return client_address(request)


class TokenApi(APIView):
    """Exchange a username and password for an API token."""

    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []
    throttle_classes = [TokenThrottle]

    @extend_schema(request=s.TokenRequestSerializer, responses=s.TokenSerializer)
    def post(self, request: Request) -> Response:
        body = s.TokenRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        user = authenticate(
            request._request,
            username=body.validated_data["username"],
            password=body.validated_data["password"],
        )
        if user is None or not user.is_active:
            raise DomainError(_("Wrong username or password."), "invalid_credentials", 400)
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})


# --- Areas, editions, bank ----------------------------------------------------------


class ProvinceListApi(generics.ListAPIView):
    serializer_class = s.ProvinceSerializer
    queryset = Province.objects.order_by("code")


class DistrictFilter(django_filters.FilterSet):
    province = django_filters.CharFilter(field_name="province_id")
    is_programme_district = StrictBooleanFilter(field_name="is_programme_district")

    class Meta:
        model = District
        fields = ["province", "is_programme_district"]


class DistrictListApi(generics.ListAPIView):
    serializer_class = s.DistrictSerializer
    queryset = District.objects.order_by("code")
    filterset_class = DistrictFilter


class SubdistrictFilter(django_filters.FilterSet):
    district = django_filters.CharFilter(field_name="district_id")

    class Meta:
        model = Subdistrict
        fields = ["district"]


class SubdistrictListApi(generics.ListAPIView):
    serializer_class = s.SubdistrictSerializer
    queryset = Subdistrict.objects.order_by("code")
    filterset_class = SubdistrictFilter


class EditionListApi(generics.ListCreateAPIView):
    serializer_class = s.EditionSerializer
    queryset = Edition.objects.order_by("-code")

    @extend_schema(request=s.EditionWriteSerializer, responses={201: s.EditionSerializer})
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = s.EditionWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        edition = programme_svc.edition_create(acting_user=request.user, values=dict(body.validated_data))
        return Response(s.EditionSerializer(edition).data, status=status.HTTP_201_CREATED)


class EditionDetailApi(generics.RetrieveAPIView):
    serializer_class = s.EditionSerializer
    queryset = Edition.objects.all()

    @extend_schema(request=s.EditionWriteSerializer, responses=s.EditionSerializer)
    def patch(self, request: Request, pk: int) -> Response:
        body = s.EditionWriteSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        edition = programme_svc.edition_update(
            acting_user=request.user, edition=pk, values=dict(body.validated_data)
        )
        return Response(s.EditionSerializer(edition).data)


class BankFilter(django_filters.FilterSet):
    district = django_filters.CharFilter(field_name="subdistrict__district_id")
    subdistrict = django_filters.CharFilter(field_name="subdistrict_id")
    dimension = django_filters.CharFilter(field_name="dimension")
    q = django_filters.CharFilter(method="search")

    class Meta:
        model = BankEntry
        fields = ["district", "subdistrict", "dimension"]

    def search(self, queryset: QuerySet[BankEntry], name: str, value: str) -> QuerySet[BankEntry]:
        return queryset.filter(
            Q(title__icontains=value) | Q(description__icontains=value) | Q(code__iexact=value)
        )


class BankListApi(generics.ListAPIView):
    """The Tambon Project Bank, searchable by district, subdistrict, dimension and text."""

    serializer_class = s.BankEntrySerializer
    queryset = BankEntry.objects.select_related("subdistrict__district").order_by("code")
    filterset_class = BankFilter


# --- Projects ----------------------------------------------------------------------------


class ProjectFilter(django_filters.FilterSet):
    state = django_filters.CharFilter(field_name="state")
    district = django_filters.CharFilter(field_name="district_id")
    province = django_filters.CharFilter(field_name="district__province_id")
    edition = django_filters.CharFilter(field_name="edition__code")
    overdue = StrictBooleanFilter(method="filter_overdue")

    class Meta:
        model = Project
        fields = ["state", "district", "province", "edition"]

    def filter_overdue(self, queryset: QuerySet[Project], name: str, value: bool | None) -> QuerySet[Project]:
        """Overdue: not finished (submitted, rejected or withdrawn) by its edition's deadline."""
        if value is None:
            return queryset
        late = Q(edition__deadline__lt=timezone.localdate()) & ~Q(state__in=FINAL_STATES)
        return queryset.filter(late) if value else queryset.exclude(late)


class ProjectListApi(generics.ListCreateAPIView):
    serializer_class = s.ProjectSerializer
    filterset_class = ProjectFilter

    def get_queryset(self) -> QuerySet[Project]:
        if getattr(self, "swagger_fake_view", False):
            return Project.objects.none()
        return selectors.project_list_visible(self.request.user).order_by("-id")

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        rows = list(page if page is not None else queryset)
        committed = selectors.committed_by_district({(p.district_id, p.edition_id) for p in rows})
        data = s.ProjectSerializer(rows, many=True, context={"request": request, "committed": committed}).data
        return self.get_paginated_response(data)

    @extend_schema(request=s.ProjectWriteSerializer, responses={201: s.ProjectDetailSerializer})
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = s.ProjectWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        if "bank_entry" not in body.validated_data:
            raise ValidationError({"bank_entry": ["This field is required."]}, code="required")
        project = project_svc.project_create(
            acting_user=request.user, bank_entry=body.validated_data["bank_entry"], data=body.to_input()
        )
        return Response(_read_and_render(request, project.pk), status=status.HTTP_201_CREATED)


def _render_detail(request: Request, project: Project) -> dict[str, Any]:
    """``ProjectDetailSerializer``'s shape for a project read by a selector or service (with its
    district and edition): one more statement for the rest (``serializers.detail_parts``)."""
    return s.project_detail(project, s.detail_parts(project), request)


def _read_and_render(request: Request, pk: Any) -> dict[str, Any]:
    """The visible project (404 otherwise) as it stands, rendered: two statements."""
    return _render_detail(request, selectors.project_for_transition(request.user, pk))


class ProjectDetailApi(APIView):
    @extend_schema(responses=s.ProjectDetailSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(_read_and_render(request, pk))

    @extend_schema(request=s.ProjectWriteSerializer, responses=s.ProjectDetailSerializer)
    def patch(self, request: Request, pk: int) -> Response:
        selectors.project_get_visible(request.user, pk)  # 404 before looking at the body
        body = s.ProjectWriteSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        if "bank_entry" in body.validated_data:
            raise DomainError(_("The bank entry of a project cannot change."), "bank_entry_fixed", 422)
        project = project_svc.project_update(acting_user=request.user, project=pk, data=body.to_input())
        return Response(_read_and_render(request, project.pk))


class ProjectTransitionApi(APIView):
    """Take a transition: approve, return, reject, withdraw, resubmit, implement, monitor, report."""

    @extend_schema(
        request=s.TransitionSerializer,
        responses=s.ProjectDetailSerializer,
        parameters=[
            OpenApiParameter(
                "name",
                str,
                OpenApiParameter.PATH,
                enum=list(transitions.PROJECT_ACTIONS),
                description="transition",
            )
        ],
    )
    def post(self, request: Request, pk: int, name: str) -> Response:
        if name not in transitions.PROJECT_ACTIONS:
            raise DomainError(_("Unknown transition."), "unknown_transition", 404)
        body = self._body(request, pk, name)
        v = body.validated_data
        project = project_svc.project_transition(
            action=name, project=pk, acting_user=request.user, comment=v.get("comment", ""), **body.inputs()
        )
        # The project as the transition left it (locked, with its district and edition).
        return Response(_render_detail(request, project))

    @staticmethod
    def _body(request: Request, pk: int, name: str) -> s.TransitionSerializer:
        """The parsed body. 404, 403 and 409 come before a bad body: the service checks them
        before anything else, so the pre-check (one more read) is only needed when the body
        cannot be used."""
        try:
            body = s.TransitionSerializer(data=request.data, context={"transition": name})
            valid = body.is_valid()
        except Exception:
            project_svc.transition_precheck(project=pk, acting_user=request.user, action=name)
            raise
        if not valid:
            project_svc.transition_precheck(project=pk, acting_user=request.user, action=name)
            raise ValidationError(body.errors)
        return body


class ProjectCommentsApi(generics.ListAPIView):
    serializer_class = s.AuditEventSerializer

    def get_queryset(self) -> QuerySet[AuditEvent]:
        if getattr(self, "swagger_fake_view", False):
            return AuditEvent.objects.none()
        return (
            selectors.project_history(self.request.user, self.kwargs["pk"])
            .filter(action="comment")
            .order_by("id")
        )

    @extend_schema(request=s.CommentSerializer, responses={201: s.AuditEventSerializer})
    def post(self, request: Request, pk: int) -> Response:
        body = s.CommentSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        event = project_svc.project_comment(
            project=pk, acting_user=request.user, comment=body.validated_data["comment"]
        )
        return Response(s.AuditEventSerializer(event).data, status=status.HTTP_201_CREATED)


class ProjectEvidenceApi(APIView):
    """Upload an evidence file (multipart: ``file``, ``caption``, ``kind``)."""

    @extend_schema(
        request={"multipart/form-data": s.EvidenceSerializer}, responses={201: s.EvidenceSerializer}
    )
    def post(self, request: Request, pk: int) -> Response:
        selectors.project_get_visible(request.user, pk)
        uploaded = request.FILES.get("file")
        if uploaded is None:
            raise ValidationError({"file": ["This field is required."]}, code="required")
        kind = request.data.get("kind", "evidence")
        if kind not in ("evidence", "monitoring_photo"):
            raise ValidationError({"kind": ["Unknown kind."]}, code="invalid_choice")
        evidence = project_svc.evidence_add(
            project=pk,
            acting_user=request.user,
            uploaded=uploaded,
            caption=request.data.get("caption", ""),
            kind=kind,
        )
        return Response(s.EvidenceSerializer(evidence).data, status=status.HTTP_201_CREATED)


class LabelledHistoryApi(generics.ListAPIView):
    """A page of events is serialized with the stored files it refers to read once (their
    captions and the caller's download links: ``payload_details``), not once per event."""

    def get_serializer(self, *args: Any, **kwargs: Any) -> Any:
        if args and isinstance(args[0], list):
            context = dict(kwargs.pop("context", None) or self.get_serializer_context())
            context["audit_files"] = file_index(args[0], self.request.user)
            kwargs["context"] = context
        return super().get_serializer(*args, **kwargs)


class ProjectHistoryApi(LabelledHistoryApi):
    serializer_class = s.AuditEventSerializer

    def get_queryset(self) -> QuerySet[AuditEvent]:
        if getattr(self, "swagger_fake_view", False):
            return AuditEvent.objects.none()
        return (
            selectors.project_history(self.request.user, self.kwargs["pk"])
            .select_related("project")
            .order_by("id")
        )


class HistoryFilter(django_filters.FilterSet):
    """Parses the query string; ``selectors.history_filter`` (shared with /audit/) filters."""

    district = django_filters.CharFilter(method="_parsed_only")
    province = django_filters.CharFilter(method="_parsed_only")
    actor = django_filters.CharFilter(method="_parsed_only")
    action = django_filters.CharFilter(method="_parsed_only")
    project = django_filters.NumberFilter(method="_parsed_only")
    since = django_filters.IsoDateTimeFilter(method="_parsed_only", help_text="inclusive")
    until = django_filters.IsoDateTimeFilter(method="_parsed_only", help_text="exclusive")

    class Meta:
        model = AuditEvent
        fields: list[str] = []

    def _parsed_only(self, queryset: QuerySet[AuditEvent], name: str, value: Any) -> QuerySet[AuditEvent]:
        return queryset

    def filter_queryset(self, queryset: QuerySet[AuditEvent]) -> QuerySet[AuditEvent]:
        data = self.form.cleaned_data
        project = data.get("project")
        return selectors.history_filter(
            queryset,
            district=data.get("district") or None,
            province=data.get("province") or None,
            actor=data.get("actor") or None,
            action=data.get("action") or None,
            project=int(project) if project is not None else None,
            since=data.get("since"),
            until=data.get("until"),
        )


class HistoryApi(LabelledHistoryApi):
    """The whole audit trail (auditors, central planners, admins)."""

    serializer_class = s.AuditEventSerializer
    filterset_class = HistoryFilter

    def get_queryset(self) -> QuerySet[AuditEvent]:
        if getattr(self, "swagger_fake_view", False):
            return AuditEvent.objects.none()
        return selectors.history_visible(self.request.user).select_related("project")


# --- Districts -----------------------------------------------------------------------


def _edition_for(request: Request) -> Edition:
    code = request.query_params.get("edition")
    edition = Edition.objects.filter(code=code).first() if code else selectors.active_edition()
    if edition is None:
        raise NotFound(_("No such edition."))
    return edition


class DistrictBudgetApi(APIView):
    """The district's budget in an edition, whatever the state of its report book: the cap, the
    approved budgets of its live projects (committed), what is left, what they spent (their
    spend lines) and what the province disbursed."""

    class DistrictBudgetSerializer(s.BudgetSerializer):
        spent = s.serializers.DecimalField(max_digits=14, decimal_places=2)
        # The province's tranches to the district (``/districts/{code}/disbursements/``).
        disbursed = s.serializers.DecimalField(max_digits=14, decimal_places=2)

    @extend_schema(
        responses=DistrictBudgetSerializer,
        parameters=[OpenApiParameter("edition", str, description="edition code")],
    )
    def get(self, request: Request, code: str) -> Response:
        district = selectors.district_get_visible(request.user, code)
        edition = _edition_for(request)
        budget = selectors.budget_of(district_code=district.code, edition=edition)
        return Response(
            self.DistrictBudgetSerializer(
                {
                    "district": district.code,
                    "edition": edition.code,
                    "cap": budget.cap,
                    "committed": budget.committed,
                    "remaining": budget.remaining,
                    "spent": budget.spent,
                    "disbursed": budget.disbursed,
                }
            ).data
        )


class DistrictSubmissionApi(generics.ListAPIView):
    """The district's submissions; POST: the chief submits every reported project at once."""

    serializer_class = s.SubmissionSerializer

    def get_queryset(self) -> QuerySet[DistrictSubmission]:
        if getattr(self, "swagger_fake_view", False):
            return DistrictSubmission.objects.none()
        return selectors.district_submissions(self.request.user, self.kwargs["code"])

    @extend_schema(request=s.SubmitSerializer, responses={201: s.SubmissionSerializer})
    def post(self, request: Request, code: str) -> Response:
        body = s.SubmitSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        submission = project_svc.district_submit(
            district=code,
            acting_user=request.user,
            comment=body.validated_data["comment"],
            letter_number=body.validated_data["letter_number"],
            letter_date=body.validated_data["letter_date"],
        )
        return Response(s.SubmissionSerializer(submission).data, status=status.HTTP_201_CREATED)

"""``/api/v1/projects/{id}/progress/``: the timeline while a project runs.

``GET`` lists the officer's progress updates and the chief's and the inspector's supervision
notes, in order (whoever may see the project; 404 otherwise). ``POST`` adds one: a progress
update (``kind`` ``progress``, the default: ``as_of``, ``percent_done``, ``text``, up to five
``photos`` in a multipart body) or a supervision note (``kind`` ``supervision``: ``text``,
``recommendations``, optional ``as_of``). JSON or multipart. Errors: 403 ``forbidden`` (another
role), 404, 409 ``not_running`` (the project is not approved), 422 ``invalid_input`` listing
every field at once. The view parses and calls ``workflow.services.progress``; nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.fields import SkipField
from rest_framework.request import Request
from rest_framework.response import Response

from workflow import selectors
from workflow.errors import FieldError, InvalidInput
from workflow.models import EvidenceFile, ProgressUpdate, Role
from workflow.services import progress as svc

from .problems import _flatten

Kind = ProgressUpdate.Kind
# The OpenAPI schema's name for these choices (``SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]``).
ProgressKind = ProgressUpdate.Kind


class ProgressPhotoSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(help_text="The photo through the project page (session login).")

    class Meta:
        model = EvidenceFile
        fields = ["id", "file", "url", "caption", "sha256", "uploaded_at"]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField())
    def get_url(self, obj: EvidenceFile) -> str:
        url = reverse("evidence-download", args=[obj.project_id, obj.pk])
        request = self.context.get("request")
        return str(request.build_absolute_uri(url)) if request is not None else url


class ProgressUpdateSerializer(serializers.ModelSerializer):
    """One entry of the timeline: a progress update (with its percent and photos) or a
    supervision note (with its recommendations)."""

    kind = serializers.ChoiceField(choices=Kind.choices, read_only=True)
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    author = serializers.CharField(source="author.username", read_only=True)
    author_name = serializers.SerializerMethodField()
    author_role_label = serializers.SerializerMethodField()
    photos = ProgressPhotoSerializer(many=True, read_only=True)

    class Meta:
        model = ProgressUpdate
        fields = [
            "id",
            "project",
            "kind",
            "kind_label",
            "as_of",
            "percent_done",
            "text",
            "recommendations",
            "author",
            "author_name",
            "author_role",
            "author_role_label",
            "photos",
            "created_at",
        ]
        read_only_fields = fields

    def get_author_name(self, obj: ProgressUpdate) -> str:
        return str(obj.author.get_full_name() or "").strip() or str(obj.author.get_username())

    def get_author_role_label(self, obj: ProgressUpdate) -> str:
        try:
            return str(Role(obj.author_role).label)
        except ValueError:
            return obj.author_role


class ProgressWriteSerializer(serializers.Serializer):
    """A progress update (``kind=progress``) or a supervision note (``kind=supervision``)."""

    kind = serializers.ChoiceField(choices=Kind.choices, default=Kind.PROGRESS)
    as_of = serializers.DateField(
        required=False,
        allow_null=True,
        help_text="The date the entry describes (not in the future). Required for progress; "
        "a supervision note without it is dated today.",
    )
    percent_done = serializers.IntegerField(
        required=False, allow_null=True, help_text="0 to 100. Required for progress; not for supervision."
    )
    text = serializers.CharField(
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        help_text="Required, at most 5,000 characters.",
    )
    recommendations = serializers.CharField(
        required=False, allow_blank=True, help_text="Supervision notes only; at most 5,000 characters."
    )
    photos = serializers.ListField(
        child=serializers.FileField(),
        required=False,
        help_text="Progress only, multipart: at most 5 JPEG, PNG or WebP photos (told by their content), "
        "each within the upload limit (UPLOAD_MAX_MB, 10 MB by default).",
    )

    def parse(self) -> tuple[dict[str, Any], list[FieldError]]:
        """Each field on its own: the values that parsed, and every field's error (one round)."""
        values: dict[str, Any] = {}
        errors: list[FieldError] = []
        if not isinstance(self.initial_data, Mapping):
            return values, [FieldError("", "invalid", _("Send the entry's fields as an object."))]
        for name, field in self.fields.items():
            try:
                values[name] = field.run_validation(field.get_value(self.initial_data))
            except SkipField:
                continue
            except ValidationError as exc:
                errors += [
                    FieldError(e["field"], e["code"], e["message"]) for e in _flatten(exc.detail, name)
                ]
        return values, errors


def _failed(errors: list[FieldError]) -> set[str]:
    return {e.field.split("[", 1)[0] for e in errors}


def _input_errors(kind: str, values: dict[str, Any], failed: set[str]) -> list[FieldError]:
    """The service's checks on the fields that parsed (those that did not are reported already),
    and what a supervision note does not take."""
    if kind == Kind.PROGRESS:
        errors = svc.progress_input_errors(
            as_of=values.get("as_of"),
            percent_done=values.get("percent_done"),
            text=values.get("text", ""),
            photos=values.get("photos", []),
        )
    else:
        errors = svc.supervision_input_errors(
            text=values.get("text", ""),
            recommendations=values.get("recommendations", ""),
            as_of=values.get("as_of"),
        )
        if values.get("percent_done") is not None or "percent_done" in failed:
            errors.append(
                FieldError("percent_done", "not_allowed", _("A supervision note has no percent done."))
            )
        if values.get("photos"):
            errors.append(FieldError("photos", "not_allowed", _("Photos go with a progress update.")))
    return [e for e in errors if e.field.split("[", 1)[0] not in failed]


class ProjectProgressApi(generics.ListAPIView):
    """The progress timeline of a running project; POST adds a progress update or a supervision note."""

    serializer_class = ProgressUpdateSerializer

    def get_queryset(self) -> QuerySet[ProgressUpdate]:
        if getattr(self, "swagger_fake_view", False):
            return ProgressUpdate.objects.none()
        return selectors.progress_timeline(self.request.user, self.kwargs["pk"])

    @extend_schema(
        description="The project's progress updates and supervision notes, in the order of the date they "
        "describe (then as posted), with their photos. Whoever may see the project; 404 otherwise.",
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        description="Add a progress update (`kind=progress`, the default: an officer of the project's "
        "district; `as_of`, `percent_done`, `text` and up to five `photos` in a multipart body) or a "
        "supervision note (`kind=supervision`: the district's chief, acting officials included, or the "
        "region's inspector; `text`, optional `recommendations` and `as_of`), while the project is "
        "approved. Audited (`progress_add`, `supervision_add`); the project's state and task do not change.",
        request={
            "application/json": ProgressWriteSerializer,
            "multipart/form-data": ProgressWriteSerializer,
        },
        responses={
            201: ProgressUpdateSerializer,
            403: OpenApiResponse(description="problem `forbidden`: the user's role may not add this kind"),
            404: OpenApiResponse(description="problem `not_found`: the project is outside the user's areas"),
            409: OpenApiResponse(description="problem `not_running`: the project is not approved"),
            422: OpenApiResponse(description="problem `invalid_input`: every invalid field, at once"),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        values, errors = ProgressWriteSerializer(data=request.data).parse()
        kind = values.get("kind")
        if kind is None:  # an unknown kind: 404 outside the user's areas, else 422
            selectors.project_get_visible(request.user, pk)
            raise InvalidInput(errors)
        failed = _failed(errors)
        if errors or (
            kind == Kind.SUPERVISION and (values.get("photos") or values.get("percent_done") is not None)
        ):
            # 404, 403 and 409 before what is wrong with the input; then every field at once.
            svc.progress_precheck(project=pk, acting_user=request.user, kind=kind)
            raise InvalidInput(errors + _input_errors(kind, values, failed))
        if kind == Kind.PROGRESS:
            update = svc.project_progress_add(
                project=pk,
                acting_user=request.user,
                as_of=values.get("as_of"),
                percent_done=values.get("percent_done"),
                text=values.get("text", ""),
                photos=values.get("photos", []),
            )
        else:
            update = svc.project_supervision_add(
                project=pk,
                acting_user=request.user,
                text=values.get("text", ""),
                recommendations=values.get("recommendations", ""),
                as_of=values.get("as_of"),
            )
        data = ProgressUpdateSerializer(update, context={"request": request}).data
        return Response(data, status=status.HTTP_201_CREATED)

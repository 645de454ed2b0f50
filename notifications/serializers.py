"""How notices and preferences look in the API and on the socket."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import empty

from .models import EmailMode, Kind, Notification, NotificationPreference


# An inline enum: a named one would collide with other models' ``kind`` enums in the schema.
@extend_schema_field({"type": "string", "enum": list(Kind.values)})
class KindField(serializers.CharField):
    pass


@extend_schema_field({"type": "string", "enum": list(EmailMode.values)})
class EmailModeField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=EmailMode.choices, **kwargs)


class NotificationSerializer(serializers.ModelSerializer):
    kind = KindField(read_only=True)
    project = serializers.IntegerField(source="project_id", read_only=True, allow_null=True)
    task = serializers.IntegerField(source="task_id", read_only=True, allow_null=True)
    read = serializers.BooleanField(source="is_read", read_only=True)

    class Meta:
        model = Notification
        fields = ["id", "kind", "project", "task", "text_th", "text_en", "created_at", "read", "read_at"]
        read_only_fields = fields


class OptionalBooleanField(serializers.BooleanField):
    """A query's true/false: left out or empty, no filter (DRF would read a missing checkbox as
    false); anything else but true/false (1/0) is 422, "null" included."""

    default_empty_html = empty

    def to_internal_value(self, data: Any) -> Any:  # True, False, or None (no filter)
        if data == "":
            return None
        return super().to_internal_value(data)


class NotificationListQuerySerializer(serializers.Serializer):
    after = serializers.IntegerField(required=False, min_value=0)
    unread = OptionalBooleanField(required=False)


class UnreadCountSerializer(serializers.Serializer):
    unread_count = serializers.IntegerField()


class ReadAllSerializer(serializers.Serializer):
    marked = serializers.IntegerField()
    unread_count = serializers.IntegerField()


class PreferenceSerializer(serializers.ModelSerializer):
    email_mode = EmailModeField()

    class Meta:
        model = NotificationPreference
        fields = ["email_mode"]

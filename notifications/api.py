"""Notifications API: my notices (catch-up by id), read, unread count, e-mail preference."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from . import selectors, services
from .models import Notification
from .serializers import (
    NotificationListQuerySerializer,
    NotificationSerializer,
    PreferenceSerializer,
    ReadAllSerializer,
    UnreadCountSerializer,
)


@extend_schema(
    parameters=[
        OpenApiParameter(
            "after",
            OpenApiTypes.INT,
            description="Only notices with a greater id, oldest first (catch-up).",
        ),
        OpenApiParameter("unread", OpenApiTypes.BOOL, description="Only unread (true) or read (false)."),
    ]
)
class NotificationListApi(generics.ListAPIView):
    """My notices: newest first, or oldest first after a given id."""

    serializer_class = NotificationSerializer

    def get_queryset(self) -> QuerySet[Notification]:
        if getattr(self, "swagger_fake_view", False):
            return Notification.objects.none()
        query = NotificationListQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return selectors.notification_list_for(
            self.request.user,
            after=query.validated_data.get("after"),
            unread=query.validated_data.get("unread"),
        )


class NotificationReadApi(APIView):
    @extend_schema(request=None, responses=NotificationSerializer)
    def post(self, request: Request, pk: int) -> Response:
        notification = services.notification_mark_read(notification=pk, acting_user=request.user)
        return Response(NotificationSerializer(notification).data)


class NotificationReadAllApi(APIView):
    @extend_schema(request=None, responses=ReadAllSerializer)
    def post(self, request: Request) -> Response:
        marked = services.notification_mark_all_read(acting_user=request.user)
        return Response({"marked": marked, "unread_count": selectors.unread_count(request.user)})


class NotificationUnreadCountApi(APIView):
    @extend_schema(responses=UnreadCountSerializer)
    def get(self, request: Request) -> Response:
        return Response({"unread_count": selectors.unread_count(request.user)})


class NotificationPreferenceApi(APIView):
    @extend_schema(responses=PreferenceSerializer)
    def get(self, request: Request) -> Response:
        return Response(PreferenceSerializer(selectors.preference_of(request.user)).data)

    @extend_schema(request=PreferenceSerializer, responses=PreferenceSerializer)
    def put(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = PreferenceSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        preference = services.preference_set(
            acting_user=request.user, email_mode=body.validated_data["email_mode"]
        )
        return Response(PreferenceSerializer(preference).data)

"""Tasks API: my tasks and the ones I may claim; claim and unclaim."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from viewflow.workflow.models import Task

from . import selectors, services
from .serializers import TaskSerializer


class TaskListApi(generics.ListAPIView):
    serializer_class = TaskSerializer

    def get_queryset(self) -> QuerySet[Task]:
        if getattr(self, "swagger_fake_view", False):
            return Task.objects.none()
        return selectors.task_list_for(self.request.user)


class TaskClaimApi(APIView):
    @extend_schema(request=None, responses=TaskSerializer)
    def post(self, request: Request, pk: int) -> Response:
        services.task_claim(task=pk, acting_user=request.user)
        return Response(TaskSerializer(_reload(request, pk)).data)


class TaskUnclaimApi(APIView):
    @extend_schema(request=None, responses=TaskSerializer)
    def post(self, request: Request, pk: int) -> Response:
        services.task_unclaim(task=pk, acting_user=request.user)
        return Response(TaskSerializer(_reload(request, pk)).data)


def _reload(request: Request, pk: Any) -> Task:
    return selectors.task_base_queryset().get(pk=pk)

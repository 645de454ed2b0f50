from __future__ import annotations

import functools
from typing import Any

from rest_framework import serializers
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from workflow import flows, selectors

from . import selectors as tasks


class TaskProjectSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    state = serializers.CharField()
    district = serializers.CharField(source="district_id")
    district_name = serializers.CharField(source="district.name_th")
    province = serializers.CharField(source="district.province_id")
    edition = serializers.CharField(source="edition.code")
    budget = serializers.SerializerMethodField()

    def get_budget(self, obj: Any) -> str:
        return str(selectors.project_budget(obj))


class TaskSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    step = serializers.SerializerMethodField()
    role = serializers.SerializerMethodField()
    status = serializers.CharField()
    owner = serializers.SerializerMethodField()
    claimable = serializers.SerializerMethodField()
    created = serializers.DateTimeField()
    due_date = serializers.SerializerMethodField()
    overdue = serializers.SerializerMethodField()
    project = serializers.SerializerMethodField()

    def _project(self, task: Task) -> Any:
        return task.process.projectprocess.project

    def get_step(self, task: Task) -> str:
        return flows.step_name(task)

    def get_role(self, task: Task) -> str:
        return flows.STEP_ROLE[flows.step_name(task)]

    def get_owner(self, task: Task) -> str | None:
        return task.owner.get_username() if task.owner_id else None

    def get_claimable(self, task: Task) -> bool:
        return bool(task.status == STATUS.NEW)

    def get_due_date(self, task: Task) -> str:
        return tasks.task_due_date(task).isoformat()

    def get_overdue(self, task: Task) -> bool:
        return tasks.task_is_overdue(task)

    def get_project(self, task: Task) -> dict[str, Any]:
        # One nested serializer for the whole list: binding its fields again for every row
        # cost more than everything else on the page.
        return dict(_project_serializer().to_representation(self._project(task)))


@functools.cache
def _project_serializer() -> TaskProjectSerializer:
    return TaskProjectSerializer()

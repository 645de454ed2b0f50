"""Inbox and queue: the tasks a user holds, and the tasks their roles may claim in their areas."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from workflow import access, flows
from workflow.errors import NotFound

PROJECT = "process__projectprocess__project__"


def _scope(principal: access.Principal) -> Q:
    """Tasks of steps that one of the user's roles performs, in that role's areas."""
    scope = Q(pk__in=[])
    for role in sorted({g.role for g in principal.grants}):
        steps = flows.steps_for_role(role)
        if steps:
            scope |= Q(flow_task__in=steps) & principal.project_q([role], prefix=PROJECT)
    return scope


def task_base_queryset() -> QuerySet[Task]:
    return (
        Task.objects.filter(flow_task_type="HUMAN")
        .select_related(
            "owner",
            f"{PROJECT}district__province",
            f"{PROJECT}edition",
        )
        .prefetch_related(f"{PROJECT}budget_lines")
    )


def task_list_for(user: Any) -> QuerySet[Task]:
    """Assigned to me, or claimable by me, for my roles and areas (open tasks only)."""
    principal = access.principal_for(user)
    mine = Q(owner=user, status__in=[STATUS.ASSIGNED, STATUS.STARTED])
    claimable = Q(status=STATUS.NEW)
    return task_base_queryset().filter(_scope(principal) & (mine | claimable)).order_by("created", "id")


def task_get_visible(user: Any, pk: Any, *, for_update: bool = False) -> Task:
    """An open or closed task of a step the user's roles perform in their areas (else 404)."""
    principal = access.principal_for(user)
    qs = Task.objects.filter(flow_task_type="HUMAN").filter(_scope(principal))
    if for_update:
        qs = qs.select_for_update(of=("self",))
    try:
        return qs.select_related(f"{PROJECT}district__province", f"{PROJECT}edition", "owner").get(pk=pk)
    except (Task.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None

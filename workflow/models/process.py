"""viewflow's process row for a project: it says only whose turn it is."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from viewflow.workflow.models import Process

from .projects import Project


class ProjectProcess(Process):
    project: models.OneToOneField[Project, Project] = models.OneToOneField(
        Project, on_delete=models.PROTECT, related_name="process", verbose_name=_("project")
    )

    class Meta:
        default_permissions = ("add", "change", "delete", "view", "manage")
        verbose_name = _("project process")
        verbose_name_plural = _("project processes")

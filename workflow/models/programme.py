"""Programme editions: one per fiscal year, each with its own cap, deadline and dimensions."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

GUIDELINE_CENTRAL_EMAIL = "dopa.areaplan@gmail.com"


class Dimension(models.TextChoices):
    ECONOMY = "economy", _("Economy")
    SOCIAL = "social", _("Society, public health and quality of life")
    ENVIRONMENT = "environment", _("Natural resources and environment")
    SECURITY = "security", _("Security and public order")
    ADMINISTRATION = "administration", _("Administration and participation in the area")
    OTHER = "other", _("Other development dimension")


def default_dimensions() -> list[str]:
    return [choice.value for choice in Dimension]


def default_step_lead_days() -> dict[str, int]:
    """Working days each step keeps for itself, counted back from the deadline (submit is last)."""
    return {"submit": 3, "report": 5, "monitor": 10, "implement": 30, "review": 5}


def default_escalation() -> dict[str, int]:
    """Reminders before a due date, and working days between escalation levels once overdue."""
    return {"remind_before": 3, "escalate_every": 5}


class EditionQuerySet(models.QuerySet["Edition"]):
    def active(self) -> EditionQuerySet:
        return self.filter(is_active=True)


class Edition(models.Model):
    code = models.CharField(_("code"), max_length=20, unique=True)
    title = models.CharField(_("title"), max_length=300)
    budget_cap = models.DecimalField(_("budget cap per district (THB)"), max_digits=14, decimal_places=2)
    deadline = models.DateField(_("deadline"))
    is_active = models.BooleanField(_("active"), default=False)
    dimensions = models.JSONField(_("dimensions"), default=default_dimensions)
    central_email = models.EmailField(_("central e-mail address"), default=GUIDELINE_CENTRAL_EMAIL)
    step_lead_days = models.JSONField(_("working days per step"), default=default_step_lead_days)
    escalation = models.JSONField(_("reminders and escalation (working days)"), default=default_escalation)
    progress_reminder_days = models.PositiveSmallIntegerField(
        _("working days without a progress update before the officer is reminded"), default=10
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = EditionQuerySet.as_manager()

    class Meta:
        ordering = ["-code"]
        verbose_name = _("programme edition")
        verbose_name_plural = _("programme editions")
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"],
                condition=models.Q(is_active=True),
                name="edition_one_active",
            ),
            models.CheckConstraint(
                condition=models.Q(budget_cap__gte=Decimal("0")), name="edition_cap_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class Holiday(models.Model):
    """A public holiday: not a working day when due dates are counted."""

    date = models.DateField(_("date"), unique=True)
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        ordering = ["date"]
        verbose_name = _("public holiday")
        verbose_name_plural = _("public holidays")

    def __str__(self) -> str:
        from workflow.dates import format_date

        return f"{format_date(self.date)} {self.name}"


class RoleModelDistrict(models.Model):
    """A district designated as a Role Model district (อำเภอต้นแบบ) of an edition.

    The programme runs in these districts only: they select projects, their caps make the
    national budget and each of them is expected to send one report book. Changed through
    ``workflow.services.programme.edition_districts_replace`` (audited).
    """

    edition = models.ForeignKey(
        Edition, on_delete=models.CASCADE, related_name="designations", verbose_name=_("edition")
    )
    district = models.ForeignKey(
        "workflow.District",
        on_delete=models.PROTECT,
        related_name="designations",
        verbose_name=_("district"),
    )
    designated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("designated by"),
    )
    designated_at = models.DateTimeField(_("designated"), default=timezone.now)

    class Meta:
        ordering = ["edition", "district"]
        verbose_name = _("Role Model district")
        verbose_name_plural = _("Role Model districts")
        constraints = [
            models.UniqueConstraint(fields=["edition", "district"], name="role_model_district_once"),
        ]

    def __str__(self) -> str:
        return f"{self.edition_id} {self.district_id}"

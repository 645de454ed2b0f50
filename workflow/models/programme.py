"""Programme editions: one per fiscal year, each with its own cap, deadline and dimensions."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
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

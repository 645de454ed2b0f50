"""Roles held by users over areas (who may see and do what is decided in ``workflow.access``)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .areas import District, InspectionRegion, Province


class Role(models.TextChoices):
    DISTRICT_OFFICER = "district_officer", _("District officer")
    DISTRICT_CHIEF = "district_chief", _("District chief")
    PROVINCIAL_OFFICER = "provincial_officer", _("Provincial officer")
    REGIONAL_INSPECTOR = "regional_inspector", _("Regional inspector")
    CENTRAL_PLANNER = "central_planner", _("Central planner")
    AUDITOR = "auditor", _("Auditor")
    ADMIN = "admin", _("Administrator")


class AreaKind(models.TextChoices):
    DISTRICT = "district", _("District")
    PROVINCE = "province", _("Province")
    REGION = "region", _("Inspection region")
    COUNTRY = "country", _("Country")


ROLE_AREA_KIND: dict[str, str] = {
    Role.DISTRICT_OFFICER: AreaKind.DISTRICT,
    Role.DISTRICT_CHIEF: AreaKind.DISTRICT,
    Role.PROVINCIAL_OFFICER: AreaKind.PROVINCE,
    Role.REGIONAL_INSPECTOR: AreaKind.REGION,
    Role.CENTRAL_PLANNER: AreaKind.COUNTRY,
    Role.AUDITOR: AreaKind.COUNTRY,
    Role.ADMIN: AreaKind.COUNTRY,
}


def _area_condition() -> models.Q:
    """Exactly the area column that the role's kind names is set; the others are empty."""
    by_kind = {
        AreaKind.DISTRICT: models.Q(district__isnull=False, province__isnull=True, region__isnull=True),
        AreaKind.PROVINCE: models.Q(district__isnull=True, province__isnull=False, region__isnull=True),
        AreaKind.REGION: models.Q(district__isnull=True, province__isnull=True, region__isnull=False),
        AreaKind.COUNTRY: models.Q(district__isnull=True, province__isnull=True, region__isnull=True),
    }
    condition = models.Q()
    for role, kind in ROLE_AREA_KIND.items():
        condition |= models.Q(role=role) & by_kind[AreaKind(kind)]
    return condition


class RoleMembership(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="role_memberships",
        verbose_name=_("user"),
    )
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)
    district = models.ForeignKey(
        District, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("district")
    )
    province = models.ForeignKey(
        Province, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("province")
    )
    region = models.ForeignKey(
        InspectionRegion, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("inspection region")
    )
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("granted by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("role membership")
        verbose_name_plural = _("role memberships")
        constraints = [
            models.CheckConstraint(condition=_area_condition(), name="membership_area_matches_role"),
            models.CheckConstraint(
                condition=models.Q(valid_from__isnull=True)
                | models.Q(valid_until__isnull=True)
                | models.Q(valid_from__lte=models.F("valid_until")),
                name="membership_valid_range",
            ),
        ]
        indexes = [models.Index(fields=["role", "district"]), models.Index(fields=["user", "role"])]

    def __str__(self) -> str:
        return f"{self.user} {self.role} {self.area_code}"

    @property
    def area_kind(self) -> str:
        return ROLE_AREA_KIND[self.role]

    @property
    def area_code(self) -> str:
        if self.district_id:
            return str(self.district_id)
        if self.province_id:
            return str(self.province_id)
        if self.region_id:
            return str(self.region_id)
        return "TH"


class Delegation(models.Model):
    """รักษาราชการแทน: an acting official holds a chief's role over the district for a date range."""

    delegator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="delegations_given",
        verbose_name=_("official"),
    )
    delegate = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="delegations_held",
        verbose_name=_("acting official"),
    )
    role = models.CharField(_("role"), max_length=30, choices=Role.choices, default=Role.DISTRICT_CHIEF)
    district = models.ForeignKey(District, on_delete=models.PROTECT, verbose_name=_("district"))
    starts_on = models.DateField(_("from date"))
    ends_on = models.DateField(_("until"))
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-starts_on", "-id"]
        verbose_name = _("delegation")
        verbose_name_plural = _("delegations")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(starts_on__lte=models.F("ends_on")), name="delegation_range"
            ),
            models.CheckConstraint(
                condition=~models.Q(delegator=models.F("delegate")), name="delegation_not_to_self"
            ),
        ]
        indexes = [models.Index(fields=["delegate", "starts_on", "ends_on"])]

    def __str__(self) -> str:
        return f"{self.delegate} for {self.delegator} ({self.starts_on}–{self.ends_on})"

"""Thailand's administrative areas with official DOPA codes, and inspection regions."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

BANGKOK_PROVINCE_CODE = "10"
COUNTRY_CODE = "TH"


class Province(models.Model):
    code = models.CharField(_("DOPA code"), max_length=2, primary_key=True)
    name_th = models.CharField(_("Thai name"), max_length=150)
    name_en = models.CharField(_("English name"), max_length=150, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("province")
        verbose_name_plural = _("provinces")

    def __str__(self) -> str:
        return self.name_th


class DistrictQuerySet(models.QuerySet["District"]):
    def programme(self) -> DistrictQuerySet:
        """Districts (amphoe) that take part in the programme: Bangkok's khet do not."""
        return self.filter(is_programme_district=True)


class District(models.Model):
    code = models.CharField(_("DOPA code"), max_length=4, primary_key=True)
    province = models.ForeignKey(
        Province, on_delete=models.PROTECT, related_name="districts", verbose_name=_("province")
    )
    name_th = models.CharField(_("Thai name"), max_length=150)
    name_en = models.CharField(_("English name"), max_length=150, blank=True)
    is_programme_district = models.BooleanField(
        _("programme district"),
        default=True,
        help_text=_("False for Bangkok's khet, which are not DOPA districts."),
    )

    objects = DistrictQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("district")
        verbose_name_plural = _("districts")

    def __str__(self) -> str:
        return self.name_th


class Subdistrict(models.Model):
    code = models.CharField(_("DOPA code"), max_length=6, primary_key=True)
    district = models.ForeignKey(
        District, on_delete=models.PROTECT, related_name="subdistricts", verbose_name=_("district")
    )
    name_th = models.CharField(_("Thai name"), max_length=150)
    name_en = models.CharField(_("English name"), max_length=150, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=5, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("subdistrict")
        verbose_name_plural = _("subdistricts")

    def __str__(self) -> str:
        return self.name_th


class InspectionRegion(models.Model):
    """เขตตรวจราชการ: a named set of provinces covered by a DOPA regional inspector."""

    code = models.CharField(_("region code"), max_length=20, primary_key=True)
    name = models.CharField(_("name"), max_length=200)
    provinces = models.ManyToManyField(
        Province, related_name="regions", blank=True, verbose_name=_("provinces")
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("inspection region")
        verbose_name_plural = _("inspection regions")

    def __str__(self) -> str:
        return self.name

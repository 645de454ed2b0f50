"""The Tambon Project Bank (คลังข้อมูลโครงการเพื่อการพัฒนาพื้นที่ระดับตำบล)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from .areas import Subdistrict
from .programme import Dimension


class BankEntry(models.Model):
    code = models.CharField(_("code"), max_length=50, unique=True)
    subdistrict = models.ForeignKey(
        Subdistrict, on_delete=models.PROTECT, related_name="bank_entries", verbose_name=_("subdistrict")
    )
    title = models.CharField(_("title"), max_length=500)
    description = models.TextField(_("description"), blank=True)
    dimension = models.CharField(_("dimension"), max_length=20, choices=Dimension.choices)
    estimated_budget = models.DecimalField(_("estimated budget (THB)"), max_digits=14, decimal_places=2)
    source_year = models.PositiveIntegerField(_("source year (CE)"), null=True, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("project bank entry")
        verbose_name_plural = _("project bank entries")
        indexes = [models.Index(fields=["dimension"])]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

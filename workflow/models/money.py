"""The province's disbursement of a district's allocation ("ตั้งจ่าย ณ ที่ทำการปกครองจังหวัด")."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .areas import District
from .programme import Edition


class Disbursement(models.Model):
    """Money the provincial office paid to a district for an edition (one or more tranches).

    The district's disbursed total never passes the edition's cap; written only through
    ``workflow.services.money.district_disbursement_record`` (audited, under the district's lock).
    """

    edition = models.ForeignKey(
        Edition, on_delete=models.PROTECT, related_name="disbursements", verbose_name=_("edition")
    )
    district = models.ForeignKey(
        District, on_delete=models.PROTECT, related_name="disbursements", verbose_name=_("district")
    )
    amount = models.DecimalField(_("amount (THB)"), max_digits=14, decimal_places=2)
    paid_on = models.DateField(_("date of disbursement"))
    reference = models.CharField(_("reference document number"), max_length=100)
    note = models.TextField(_("note"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        ordering = ["paid_on", "id"]
        verbose_name = _("disbursement")
        verbose_name_plural = _("disbursements")
        indexes = [models.Index(fields=["edition", "district"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gt=Decimal("0")), name="disbursement_amount_positive"
            )
        ]

    def __str__(self) -> str:
        return f"{self.district_id} {self.edition_id} {self.amount}"

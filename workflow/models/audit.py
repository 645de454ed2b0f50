"""The append-only audit trail: one event per change, hash-chained per district."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditChain(models.Model):
    """The head of one hash chain (a district code, or ``TH`` for national events).

    Appending locks only this row, so districts never wait for each other.
    """

    key = models.CharField(_("chain"), max_length=20, primary_key=True)
    last_seq = models.PositiveBigIntegerField(_("last sequence number"), default=0)
    last_hash = models.CharField(_("last hash"), max_length=64, default="")

    class Meta:
        verbose_name = _("audit chain")
        verbose_name_plural = _("audit chains")

    def __str__(self) -> str:
        return f"{self.key} @{self.last_seq}"


class AuditEvent(models.Model):
    chain = models.CharField(_("chain"), max_length=20)
    chain_seq = models.PositiveBigIntegerField(_("sequence in chain"))
    created_at = models.DateTimeField(_("time"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("actor's account"),
    )
    actor_username = models.CharField(_("actor"), max_length=150)
    acting_for = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("account acted for"),
        db_index=False,  # ``audit_acting_for``: only the events of a delegate, not every event
    )
    acting_for_username = models.CharField(_("acting for"), max_length=150, blank=True)
    role = models.CharField(_("role"), max_length=30, blank=True)
    area_code = models.CharField(_("area"), max_length=20, blank=True)
    action = models.CharField(_("action"), max_length=50)
    object_type = models.CharField(_("object type"), max_length=50)
    object_id = models.CharField(_("object ID"), max_length=50, blank=True)
    # The district's, the province's and the project's look-ups go through the indexes in
    # ``Meta`` (and ``rm_audit_district_id``, migration 0006): the foreign keys' own indexes
    # (with a text-pattern twin for a code) would be written with every event and never read.
    district = models.ForeignKey(
        "workflow.District",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("district"),
        db_index=False,
    )
    province = models.ForeignKey(
        "workflow.Province",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("province"),
        db_index=False,
    )
    project = models.ForeignKey(
        "workflow.Project",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="events",
        verbose_name=_("project"),
        db_index=False,
    )
    from_state = models.CharField(_("from"), max_length=20, blank=True)
    to_state = models.CharField(_("to"), max_length=20, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    is_late = models.BooleanField(_("late"), default=False)
    rule_results = models.JSONField(_("rule results"), default=list, blank=True)
    budget = models.JSONField(_("budget"), default=dict, blank=True)
    payload = models.JSONField(_("details"), default=dict, blank=True)
    prev_hash = models.CharField(_("previous hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64)
    # The id of the key whose HMAC-SHA256 ``hash`` is (``AUDIT_HASH_KEYS``); NULL for an event
    # hashed with plain SHA-256 before keyed hashes (accepted only where the settings allow it).
    hash_key = models.CharField(_("hash key"), max_length=16, null=True, blank=True)  # noqa: DJ001

    class Meta:
        ordering = ["id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        constraints = [models.UniqueConstraint(fields=["chain", "chain_seq"], name="audit_chain_seq_unique")]
        # ``(action, id)`` and ``(district, id)`` are migration 0006's; the actor's is its key's.
        indexes = [
            models.Index(fields=["district", "created_at"]),
            models.Index(fields=["project", "id"]),
            models.Index(fields=["province"], name="audit_province"),
            models.Index(fields=["created_at"]),
            models.Index(
                fields=["acting_for"], name="audit_acting_for", condition=models.Q(acting_for__isnull=False)
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.action} {self.object_type}:{self.object_id}"

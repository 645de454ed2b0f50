"""Notification rows (the truth of who was told what) and each user's e-mail preference.

The websocket push is only a hint: a client that missed it catches up from these rows by id.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    TASK_NEW = "task_new", _("New task")
    DECISION = "decision", _("Decision")
    RETURNED = "returned", _("Returned")
    REJECTED = "rejected", _("Rejected")
    SUBMITTED = "submitted", _("District submission")
    RECEIVED = "received", _("Report book received")
    OVERDUE = "overdue", _("Overdue")
    REMINDER = "reminder", _("Reminder")
    ESCALATION = "escalation", _("Escalation")
    PROGRESS = "progress", _("Progress and supervision")
    DISBURSEMENT = "disbursement", _("Disbursement")


class EmailMode(models.TextChoices):
    IMMEDIATE = "immediate", _("Immediately")
    DIGEST = "digest", _("Daily digest")
    OFF = "off", _("Never")


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("recipient"),
        db_index=False,  # the (recipient, id) and (recipient, read_at) indexes lead with it
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    project = models.ForeignKey(
        "workflow.Project",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("project"),
    )
    task_id = models.BigIntegerField(_("task"), null=True, blank=True)
    # The event that caused the notice. Audit events are append-only in the database (triggers
    # refuse DELETE on every backend), so the reference cannot dangle; no database constraint,
    # so that deleting test data in any order stays possible, and no Django-side PROTECT
    # collector in front of the trigger's own refusal.
    event = models.ForeignKey(
        "workflow.AuditEvent",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("audit event"),
        db_index=False,  # nothing looks notices up by their event, and no event is ever deleted
    )
    text_th = models.TextField(_("text (Thai)"))
    text_en = models.TextField(_("text (English)"))
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            # Catch-up (id > after) and every list of one user's notices.
            models.Index(fields=["recipient", "id"], name="notif_recipient_id"),
            # Unread count and the digest.
            models.Index(fields=["recipient", "read_at"], name="notif_recipient_read"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind} → {self.recipient_id}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class NotificationPreference(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_preference",
        verbose_name=_("user"),
    )
    email_mode = models.CharField(
        _("e-mail"), max_length=10, choices=EmailMode.choices, default=EmailMode.DIGEST
    )
    last_digest_at = models.DateTimeField(_("last digest"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.email_mode}"


class TimerMark(models.Model):
    """A reminder or escalation that has been sent: its key is unique, so it is sent once."""

    key = models.CharField(_("key"), max_length=100, unique=True)
    created_at = models.DateTimeField(_("time sent"), auto_now_add=True)

    class Meta:
        verbose_name = _("sent reminder")
        verbose_name_plural = _("sent reminders")

    def __str__(self) -> str:
        return self.key

"""Notices and e-mail preferences in the admin. A notice is its recipient's: looked at here
(did the chief get told?), never changed. A preference changed here is audited like every other
change in the admin (``services.admin_changes``)."""

from django.contrib import admin

from workflow.admin import AuditedAdmin, ReadOnlyAdmin

from .models import Notification, NotificationPreference


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["id", "recipient", "kind", "project", "created_at", "read_at"]
    list_filter = ["kind"]
    search_fields = ["recipient__username", "text_th", "text_en"]
    raw_id_fields = ["recipient", "project", "event"]
    readonly_fields = ["recipient", "kind", "project", "task_id", "event", "text_th", "text_en", "created_at"]
    ordering = ["-id"]


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(AuditedAdmin):
    list_display = ["user", "email_mode", "last_digest_at"]
    list_filter = ["email_mode"]
    search_fields = ["user__username"]
    raw_id_fields = ["user"]

"""Notices and e-mail preferences in the admin. A notice is its recipient's: looked at here
(did the chief get told?), never changed. A preference changed here is audited like every other
change in the admin (``services.admin_changes``)."""

from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from workflow.admin import AuditedAdmin, ReadOnlyAdmin, event_label, record_number

from .models import Notification, NotificationPreference


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = [record_number, "recipient", "kind", "project", "created_at", "read_at"]
    list_filter = ["kind"]
    search_fields = ["recipient__username", "text_th", "text_en"]
    raw_id_fields = ["recipient", "project", "event"]
    readonly_fields = [
        "recipient",
        "kind",
        "project",
        "task_id",
        "event_name",
        "thai_text",
        "english_text",
        "created_at",
        "read_at",
    ]
    fields = tuple(readonly_fields)

    @admin.display(description=Notification._meta.get_field("text_th").verbose_name)
    def thai_text(self, obj: Notification) -> str:
        return format_html('<span lang="th">{}</span>', obj.text_th)

    @admin.display(description=Notification._meta.get_field("text_en").verbose_name)
    def english_text(self, obj: Notification) -> str:
        return format_html('<span lang="en">{}</span>', obj.text_en)

    @admin.display(description=_("audit event"))
    def event_name(self, obj: Notification) -> str:
        return event_label(obj.event) if obj.event is not None else ""

    ordering = ["-id"]

    def object_label(self, obj: Notification) -> str:
        return gettext("Notice no. %(number)s to %(user)s: %(kind)s") % {
            "number": obj.pk,
            "user": obj.recipient,
            "kind": obj.get_kind_display(),
        }


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(AuditedAdmin):
    list_display = ["user", "email_mode", "last_digest_at"]
    list_filter = ["email_mode"]
    search_fields = ["user__username"]
    raw_id_fields = ["user"]

    def object_label(self, obj: NotificationPreference) -> str:
        return f"{obj.user}: {obj.get_email_mode_display()}"

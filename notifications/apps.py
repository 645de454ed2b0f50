from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Register the domain-event handler that writes notification rows in the same
        # transaction as the change and pushes them after commit.
        from workflow import events

        from . import handlers, progress

        events.register(handlers.on_domain_event)
        events.register(progress.on_domain_event)

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkflowConfig(AppConfig):
    name = "workflow"
    verbose_name = _("Role Model workflow")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.urls import register_converter

        from config.converters import IdConverter

        # The flow class registers itself with viewflow at import time.
        from . import flows  # noqa: F401

        # Before any module declares a route: ids in addresses are ``<id:pk>`` (1 to 18 digits).
        register_converter(IdConverter, "id")

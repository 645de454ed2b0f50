from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkflowConfig(AppConfig):
    name = "workflow"
    verbose_name = _("Role Model workflow")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The flow class registers itself with viewflow at import time.
        from . import flows  # noqa: F401

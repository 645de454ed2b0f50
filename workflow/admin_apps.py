"""``django.contrib.admin`` with the service's own site (the documented ``default_site`` way).

Listed in ``INSTALLED_APPS`` instead of ``django.contrib.admin``, so that ``admin.site`` (every
app's ``admin.py``, ``config/urls.py``) is ``workflow.admin_site.RoleModelAdminSite``. A module
of its own: it is imported while the app registry is populated, before models can be.

Once every app's ``admin.py`` is loaded (``ready``), the admin's lists and read-only fields
show dates as our pages do (``workflow.admin_site.install_display``: BE in Thai), and
the apps whose name is not translatable (django-axes names itself "Axes") get a name from our
catalogue.
"""

from django.apps import apps
from django.contrib.admin.apps import AdminConfig
from django.utils.translation import gettext_lazy as _

# Apps whose AppConfig has no translatable name; the admin's index and breadcrumbs show these.
APP_NAMES = {
    "axes": _("Login attempts"),
}


class RoleModelAdminConfig(AdminConfig):
    default_site = "workflow.admin_site.RoleModelAdminSite"

    def ready(self) -> None:
        super().ready()
        from workflow.admin_site import install_display

        install_display()
        for label, name in APP_NAMES.items():
            config = apps.app_configs.get(label)
            if config is not None:
                config.verbose_name = name

"""``django.contrib.admin`` with the service's own site (the documented ``default_site`` way).

Listed in ``INSTALLED_APPS`` instead of ``django.contrib.admin``, so that ``admin.site`` (every
app's ``admin.py``, ``config/urls.py``) is ``workflow.admin_site.RoleModelAdminSite``. A module
of its own: it is imported while the app registry is populated, before models can be.
"""

from django.contrib.admin.apps import AdminConfig


class RoleModelAdminConfig(AdminConfig):
    default_site = "workflow.admin_site.RoleModelAdminSite"

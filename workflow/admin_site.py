"""The admin site of the service: the ``admin`` role (ผู้ดูแลระบบ) opens it, not ``is_staff``.

* ``RoleModelAdminSite.has_permission`` (``access.may_enter_admin``): an active user who is a
  superuser or holds the ``admin`` role today (its membership's ``valid_from``/``valid_until``).
  The grants are read again on every request (``access.principal_for`` on the request's freshly
  loaded user), so a revocation or an expiry takes effect on the user's next request.
  ``is_staff`` plays no part: it is not a role, and no one would see it change in the trail of
  roles.
* ``AdminRoleLoginForm``: the admin's login page lets in exactly those people.
* ``AdminRoleBackend``: the Django model permissions a role administrator has, exactly
  ``access.ADMIN_ROLE_PERMISSIONS`` (what the admin pages need and nothing else). Listed in
  ``AUTHENTICATION_BACKENDS`` after ``ModelBackend``. Superusers keep Django's own rule.

``workflow.admin_apps.RoleModelAdminConfig`` makes this site ``admin.site``.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.admin import AdminSite
from django.contrib.admin.forms import AdminAuthenticationForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from workflow import access


class AdminRoleLoginForm(AdminAuthenticationForm):
    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "invalid_login": _(
            "Please enter the correct %(username)s and password of an administrator "
            "(the admin role). Note that both fields may be case-sensitive."
        ),
    }

    def confirm_login_allowed(self, user: Any) -> None:
        # Instead of AdminAuthenticationForm's is_staff: an active account holding the admin role.
        if not user.is_active or not access.may_enter_admin(access.principal_for(user)):
            raise forms.ValidationError(
                self.error_messages["invalid_login"],
                code="invalid_login",
                params={"username": self.username_field.verbose_name},
            )


class RoleModelAdminSite(AdminSite):
    site_header = _("Role Model Workflow: administration")
    site_title = _("Role Model Workflow administration")
    index_title = _("Roles, areas, programme and project bank")
    login_form = AdminRoleLoginForm

    def has_permission(self, request: HttpRequest) -> bool:
        return access.may_enter_admin(access.principal_for(request.user))


class AdminRoleBackend:
    """Grants the admin pages' permissions to holders of the ``admin`` role; authenticates no one."""

    def authenticate(self, request: HttpRequest | None, **credentials: Any) -> None:
        return None

    def get_user(self, user_id: Any) -> None:
        return None

    def _permissions(self, user_obj: Any) -> frozenset[str]:
        return access.admin_role_permissions(access.principal_for(user_obj))

    def get_user_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        return set()

    def get_group_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        return set()

    def get_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        return set(self._permissions(user_obj)) if obj is None else set()

    def has_perm(self, user_obj: Any, perm: str, obj: Any = None) -> bool:
        return obj is None and perm in self._permissions(user_obj)

    def has_module_perms(self, user_obj: Any, app_label: str) -> bool:
        return any(perm.startswith(f"{app_label}.") for perm in self._permissions(user_obj))

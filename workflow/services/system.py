"""The account that changes made by management commands and background jobs are recorded under."""

from __future__ import annotations

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.utils.translation import gettext as _

from workflow.errors import NotFound

SYSTEM_USERNAME = "system"


def system_user() -> User:
    """The inactive ``system`` user (created on first use), who can never log in."""
    user, _created = User.objects.get_or_create(
        username=SYSTEM_USERNAME,
        defaults={"is_active": False, "password": make_password(None)},
    )
    return user


def acting_user_for(username: str | None) -> User:
    """The user named by a command's ``--actor`` option, or the system user when none is given."""
    if not username:
        return system_user()
    try:
        return User.objects.get(username=username)
    except User.DoesNotExist as exc:
        raise NotFound(_('There is no user named "%(username)s".') % {"username": username}) from exc

"""Reading notices: only ever the recipient's own rows, by the (recipient, id) index."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from workflow.errors import NotFound

from .models import EmailMode, Notification, NotificationPreference

CATCH_UP_LIMIT = 500


def _own(user: Any) -> QuerySet[Notification]:
    if user is None or not user.is_authenticated:
        return Notification.objects.none()
    return Notification.objects.filter(recipient_id=user.pk)


def notification_list_for(
    user: Any, *, after: int | None = None, unread: bool | None = None
) -> QuerySet[Notification]:
    """My notices: with ``after``, those with a greater id, oldest first; else newest first."""
    qs = _own(user)
    if unread is True:
        qs = qs.filter(read_at__isnull=True)
    elif unread is False:
        qs = qs.filter(read_at__isnull=False)
    if after is not None:
        return qs.filter(id__gt=after).order_by("id")
    return qs.order_by("-id")


def catch_up(user: Any, *, after: int, limit: int | None = None) -> tuple[list[Notification], bool]:
    """Up to ``limit`` (500) of my notices with id > ``after``, oldest first, and whether more remain."""
    limit = limit or CATCH_UP_LIMIT
    rows = list(_own(user).filter(id__gt=after).order_by("id")[: limit + 1])
    return rows[:limit], len(rows) > limit


def unread_count(user: Any) -> int:
    return _own(user).filter(read_at__isnull=True).count()


def notification_get_own(user: Any, pk: Any, *, for_update: bool = False) -> Notification:
    """One of my notices; another user's (or none) is 404, never 403."""
    qs = _own(user)
    if for_update:
        qs = qs.select_for_update()
    try:
        return qs.get(pk=int(pk))
    except (Notification.DoesNotExist, TypeError, ValueError):
        raise NotFound() from None


def preference_of(user: Any) -> NotificationPreference:
    """The user's preference, or the default (digest) unsaved when they never chose."""
    found = NotificationPreference.objects.filter(user_id=user.pk).first()
    return found or NotificationPreference(user_id=user.pk, email_mode=EmailMode.DIGEST)

"""What every page's header needs about notices: the unread count and the newest id.

Both are lazy: a page that does not show them (a fragment, an e-mail) runs no query, and a
page that does runs one small indexed query for each.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from . import selectors


def _newest_id(user: Any) -> int:
    """The id of my newest notice (0 when I have none): where ``live.js`` starts listening."""
    newest = selectors.notification_list_for(user).values_list("id", flat=True).first()
    return int(newest or 0)


def notices(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "unread_count": SimpleLazyObject(lambda: selectors.unread_count(user)),
        "notices_last_id": SimpleLazyObject(lambda: _newest_id(user)),
    }

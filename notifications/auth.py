"""Websocket authentication for API clients: ``Authorization: Token <key>`` on the handshake.

Browsers authenticate with their session (Channels' ``AuthMiddlewareStack``, outside this
middleware); a client that sends a token header is authenticated by the token alone, and a
wrong or inactive token leaves it anonymous (the consumer then closes with 4401).
"""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from django.contrib.auth.models import AnonymousUser
from rest_framework.authtoken.models import Token

KEYWORD = b"token"


def token_from_headers(headers: Any) -> bytes | None:
    """The key of an ``Authorization: Token <key>`` header, ``b""`` if malformed, else None."""
    for name, value in headers or []:
        if name.lower() != b"authorization":
            continue
        parts = value.split()
        if not parts or parts[0].lower() != KEYWORD:
            return None  # another scheme: not ours
        return parts[1] if len(parts) == 2 else b""
    return None


@database_sync_to_async
def user_for_token(key: bytes) -> Any:
    if not key:
        return AnonymousUser()
    try:
        token = Token.objects.select_related("user").get(key=key.decode("latin1"))
    except Token.DoesNotExist:
        return AnonymousUser()
    return token.user if token.user.is_active else AnonymousUser()


class TokenAuthMiddleware(BaseMiddleware):
    """Sets ``scope["user"]`` from a token header when there is one."""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> Any:
        key = token_from_headers(scope.get("headers"))
        if key is not None:
            scope = dict(scope)
            scope["user"] = await user_for_token(key)
        return await super().__call__(scope, receive, send)

"""Token authentication through one fixed statement (``workflow.sql.token_user``).

DRF's ``TokenAuthentication`` finds the token with the ORM (``select_related("user")``): the same
join, built and compiled on every request. The answer is the same: the user, or 401 for an
unknown token or an inactive user (DRF's own messages). ``request.auth`` is the key.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from workflow import sql


class FixedTokenAuthentication(TokenAuthentication):
    def authenticate_credentials(self, key: str) -> tuple[Any, str]:
        user = sql.token_user(key[:40])  # a token is 40 characters; a longer one matches nothing
        if user is None or len(key) > 40:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return user, key

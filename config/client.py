"""The client's address, as the lock-outs and the throttles key on it: one rule for both.

With ``TRUSTED_PROXIES = 0`` (the default) the socket's address is the client's and any
``X-Forwarded-For`` is ignored: a client cannot pick a new address per request. With N trusted
proxies in front, the address is the N-th from the right of ``X-Forwarded-For``, the one the
nearest proxy saw (what the client wrote to the left of it is not believed).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings


def client_address(request: Any) -> str:
    remote = str(request.META.get("REMOTE_ADDR") or "")
    proxies = int(getattr(settings, "TRUSTED_PROXIES", 0))
    forwarded = str(request.META.get("HTTP_X_FORWARDED_FOR") or "")
    if proxies <= 0 or not forwarded:
        return remote
    addresses = [part.strip() for part in forwarded.split(",") if part.strip()]
    if not addresses:
        return remote
    return addresses[-min(proxies, len(addresses))]

"""Domain events: every audit event is one. Other apps register handlers at start-up.

Handlers run inside the transaction of the change, in registration order; they write their
own rows (notifications) and schedule anything that leaves the process with
``transaction.on_commit``. Nothing here hides in a Django signal.
"""

from __future__ import annotations

from collections.abc import Callable

from .models import AuditEvent

Handler = Callable[[AuditEvent], None]
_handlers: list[Handler] = []


def register(handler: Handler) -> Handler:
    if handler not in _handlers:
        _handlers.append(handler)
    return handler


def dispatch(event: AuditEvent) -> None:
    for handler in _handlers:
        handler(event)

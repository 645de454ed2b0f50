"""The innermost middleware: it keeps the whole middleware stack synchronous under ASGI."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest


class SynchronousStack:
    """Does nothing to the request; it only cannot run asynchronously.

    Under ASGI Django runs each middleware that can run asynchronously on the event loop, and
    such a middleware written as ``MiddlewareMixin`` then sends each of its ``process_request``
    and ``process_response`` to a worker thread and back: a dozen hand-overs between threads
    for every request (every view here is synchronous), each waiting for the interpreter's
    lock. Last in ``MIDDLEWARE``, this makes Django adapt once, here, and run every middleware
    above it synchronously in the one thread that also runs the view.
    """

    sync_capable = True
    async_capable = False

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> Any:
        return self.get_response(request)

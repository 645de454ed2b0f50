"""The API refuses a body over its limit before anything reads it: 413 problem+json.

Django's own limit (``DATA_UPLOAD_MAX_MEMORY_SIZE``) is met only while a form is parsed and
answers with an HTML 400; a JSON body has none. This middleware looks at ``Content-Length``
of every ``/api/`` request first (a body without one is bounded by the parsers), so a 50 MB
upload is refused unread, in the client's language, with a stable code.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from .problems import PROBLEM_CONTENT_TYPE

API_PREFIX = "/api/"


def problem_response(status: int, code: str, title: str, detail: str = "") -> HttpResponse:
    """A problem+json answer made without DRF (outside a view: middleware, lock-outs)."""
    body: dict[str, Any] = {
        "type": f"urn:rolemodel:problem:{code}",
        "title": title,
        "status": status,
        "code": code,
    }
    if detail:
        body["detail"] = detail
    return HttpResponse(
        json.dumps(body, ensure_ascii=False), status=status, content_type=PROBLEM_CONTENT_TYPE
    )


def _too_large(request: HttpRequest) -> HttpResponse | None:
    if not request.path.startswith(API_PREFIX):
        return None
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return problem_response(400, "bad_request", _("The request's Content-Length is not a number."))
    limit = int(settings.API_MAX_BODY_BYTES)
    if length > limit:
        return problem_response(
            413,
            "body_too_large",
            _("The request is too large."),
            _("A request may carry at most %(limit)s MB.") % {"limit": limit // (1024 * 1024)},
        )
    return None


class ApiBodyLimitMiddleware:
    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if self.is_async:
            return self.__acall__(request)
        refused = _too_large(request)
        return refused if refused is not None else self.get_response(request)

    async def __acall__(self, request: HttpRequest) -> HttpResponse:
        refused = _too_large(request)
        if refused is not None:
            return refused
        response: Awaitable[HttpResponse] = self.get_response(request)
        return await response

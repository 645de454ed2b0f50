"""The API refuses a body over its limit before anything reads it: 413 problem+json.

Django's own limit (``DATA_UPLOAD_MAX_MEMORY_SIZE``) is met only while a form is parsed and
answers with an HTML 400; a JSON body has none. This middleware looks at ``Content-Length``
of every ``/api/`` request first (a body without one is bounded by the parsers), so a 50 MB
upload is refused unread, in the client's language, with a stable code.

It also answers 503 with ``Retry-After`` when a view cannot reach the database (``process_exception``):
problem+json ``database_unavailable`` under ``/api/``, the Thai page ``503.html`` elsewhere.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.template import loader
from django.utils.translation import gettext as _

from .problems import DATABASE_RETRY_AFTER_SECONDS, PROBLEM_CONTENT_TYPE, is_database_unavailable

API_PREFIX = "/api/"
logger = logging.getLogger("workflow.api")


def problem_response(
    status: int, code: str, title: str, detail: str = "", errors: list[dict[str, str]] | None = None
) -> HttpResponse:
    """A problem+json answer made without DRF (outside a view: middleware, lock-outs)."""
    body: dict[str, Any] = {
        "type": f"urn:rolemodel:problem:{code}",
        "title": title,
        "status": status,
        "code": code,
    }
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    return HttpResponse(
        json.dumps(body, ensure_ascii=False), status=status, content_type=PROBLEM_CONTENT_TYPE
    )


def database_unavailable_response(request: HttpRequest) -> HttpResponse:
    """503 with ``Retry-After`` when the database cannot be reached: problem+json
    ``database_unavailable`` under ``/api/``, the Thai (or English) page elsewhere. Made without
    the database: the page is rendered without the request's context processors (they read it)."""
    if request.path.startswith(API_PREFIX):
        response = problem_response(
            503,
            "database_unavailable",
            _("The service is unavailable for a moment"),
            _("The database cannot be reached just now. Try again in a few seconds."),
        )
    else:
        response = HttpResponse(loader.get_template("503.html").render({}), status=503)
    response["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
    return response


def _nul_in_query(request: HttpRequest) -> HttpResponse | None:
    """A NUL character in a query parameter (no text column can hold one; PostgreSQL refuses the
    statement): 422 naming the parameter in the API, 400 on the pages, before any view runs."""
    if "%00" not in request.META.get("QUERY_STRING", "") and "\x00" not in request.path:
        return None
    names = [
        name for name, values in request.GET.lists() if "\x00" in name or any("\x00" in v for v in values)
    ]
    if not names and "\x00" not in request.path:
        return None
    message = _("The text holds a control character; only line breaks and tabs are allowed.")
    if request.path.startswith(API_PREFIX):
        return problem_response(
            422,
            "invalid_input",
            _("Some fields are not valid."),
            errors=[
                {"field": name.replace("\x00", ""), "code": "control_character", "message": str(message)}
                for name in names or ["path"]
            ],
        )
    return HttpResponseBadRequest(loader.get_template("400.html").render({"message": message}))


def _refused(request: HttpRequest) -> HttpResponse | None:
    return _nul_in_query(request) or _too_large(request)


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
        refused = _refused(request)
        return refused if refused is not None else self.get_response(request)

    async def __acall__(self, request: HttpRequest) -> HttpResponse:
        refused = _refused(request)
        if refused is not None:
            return refused
        response: Awaitable[HttpResponse] = self.get_response(request)
        return await response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        """A view that could not reach the database (restarting, unreachable) answers 503 with
        ``Retry-After``, never a 500; every other error goes on as before. (The API's DRF views
        answer the same through ``problems.exception_handler``.)"""
        if is_database_unavailable(exception):
            logger.warning("database unavailable in %s: %s", request.path, exception)
            return database_unavailable_response(request)
        return None

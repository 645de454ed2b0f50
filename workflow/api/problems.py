"""RFC 9457 problem details for every API error, each with a stable ``code``."""

from __future__ import annotations

import logging
import sys
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation, TooManyFieldsSent, TooManyFilesSent
from django.db import InterfaceError as DatabaseInterfaceError
from django.db import OperationalError as DatabaseOperationalError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from workflow.errors import DomainError

PROBLEM_CONTENT_TYPE = "application/problem+json"
logger = logging.getLogger("workflow.api")

_DRF_CODES = {
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.PermissionDenied: "forbidden",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "throttled",
    exceptions.ParseError: "parse_error",
}


def problem(status_code: int, code: str, title: str, detail: str = "", **extra: Any) -> Response:
    body: dict[str, Any] = {
        "type": f"urn:rolemodel:problem:{code}",
        "title": title,
        "status": status_code,
        "code": code,
    }
    if detail:
        body["detail"] = detail
    body.update(extra)
    response = Response(body, status=status_code, content_type=PROBLEM_CONTENT_TYPE)
    return response


# How long a client is asked to wait when the database cannot be reached (a restart takes seconds).
DATABASE_RETRY_AFTER_SECONDS = 5
# PostgreSQL's SQLSTATEs of a connection refused or lost: class 08 (connection exception), and the
# server shutting down (57P01), crashed and restarting (57P02) or not accepting yet (57P03).
_CONNECTION_LOST_SQLSTATES = ("57P01", "57P02", "57P03")


def is_database_unavailable(exc: BaseException | None) -> bool:
    """Whether ``exc`` says the database cannot be reached (refused, lost, restarting, the pool
    empty), not that a statement failed: only those answer 503 ``database_unavailable``."""
    if isinstance(exc, DatabaseInterfaceError):
        return True  # the connection is closed or broken
    if not isinstance(exc, DatabaseOperationalError):
        return False
    cause = exc.__cause__
    sqlstate = getattr(cause, "sqlstate", None)
    if sqlstate:
        return str(sqlstate).startswith("08") or sqlstate in _CONNECTION_LOST_SQLSTATES
    if cause is not None and type(cause).__module__.startswith(("psycopg", "psycopg_pool")):
        # Raised by the client with no answer from a server: connecting failed, the connection
        # broke, or the pool had no connection to give within its timeout.
        return True
    return "unable to open database" in str(exc)  # SQLite: the file is not there


def database_unavailable_problem() -> Response:
    """503 problem+json ``database_unavailable`` with ``Retry-After``."""
    response = problem(
        503,
        "database_unavailable",
        _("The service is unavailable for a moment"),
        _("The database cannot be reached just now. Try again in a few seconds."),
    )
    response["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
    return response


def _flatten(detail: Any, prefix: str = "") -> list[dict[str, Any]]:
    """Turn DRF's nested validation errors into a flat list of {field, code, message}."""
    items: list[dict[str, Any]] = []
    if isinstance(detail, dict):
        for key, value in detail.items():
            if isinstance(key, int):  # a ListSerializer's errors keyed by position
                path = f"{prefix}[{key}]"
            elif key in ("non_field_errors", ""):
                path = prefix
            else:
                path = f"{prefix}.{key}" if prefix else str(key)
            items.extend(_flatten(value, path))
    elif isinstance(detail, list):
        if detail and all(isinstance(d, exceptions.ErrorDetail) for d in detail):
            for d in detail:
                items.append({"field": prefix, "code": d.code or "invalid", "message": str(d)})
        else:
            for index, value in enumerate(detail):
                if value:
                    items.extend(_flatten(value, f"{prefix}[{index}]"))
    elif isinstance(detail, exceptions.ErrorDetail):
        items.append({"field": prefix, "code": detail.code or "invalid", "message": str(detail)})
    else:
        items.append({"field": prefix, "code": "invalid", "message": str(detail)})
    return items


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Every error of a view as problem+json: ours, DRF's, Django's, and the unforeseen (500)."""
    if isinstance(exc, DomainError):
        set_rollback()
        extra: dict[str, Any] = {}
        if exc.errors:
            extra["errors"] = exc.errors
        response = problem(exc.status, exc.code, str(exc.message), **extra)
        retry_after = getattr(exc, "retry_after", None)  # e.g. 503 render_busy
        if retry_after:
            response["Retry-After"] = str(int(retry_after))
        return response
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if isinstance(exc, exceptions.ValidationError):
        set_rollback()
        return problem(
            status.HTTP_422_UNPROCESSABLE_ENTITY,
            "invalid_input",
            _("Some fields are not valid."),
            errors=_flatten(exc.detail),
        )
    if isinstance(exc, (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent)):
        set_rollback()
        return problem(413, "body_too_large", _("The request is too large."))
    if isinstance(exc, (SuspiciousOperation, RecursionError)):
        set_rollback()
        return problem(400, "bad_request", _("The request cannot be read."))
    if isinstance(exc, exceptions.APIException):
        set_rollback()
        codes = exc.get_codes()
        fallback = codes if isinstance(codes, str) else "error"
        # A code of its own (``too_deep``) wins over the class's (``parse_error``).
        own = codes if isinstance(codes, str) and codes != exc.default_code else None
        code = own or next((c for k, c in _DRF_CODES.items() if isinstance(exc, k)), fallback)
        headers: dict[str, str] = {}
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header  # type: ignore[attr-defined]
        if getattr(exc, "wait", None):
            headers["Retry-After"] = str(int(exc.wait))  # type: ignore[attr-defined]
        response = problem(exc.status_code, str(code), str(exc.detail))
        for key, value in headers.items():
            response[key] = value
        return response
    if is_database_unavailable(exc):
        # Not a bug: the database is restarting or unreachable; the client may try again.
        set_rollback()
        logger.warning("database unavailable in %s: %s", getattr(context.get("request"), "path", "?"), exc)
        return database_unavailable_problem()
    # Unforeseen: logged with its traceback for the operator; the client learns it was ours.
    set_rollback()
    request = context.get("request")
    logger.error(
        "unhandled error in %s", getattr(request, "path", "?"), exc_info=(type(exc), exc, exc.__traceback__)
    )
    return problem(500, "server_error", _("Something went wrong on our side; nothing was changed."))


def axes_lockout(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """django-axes' lock-out: 429 problem+json on the API, the Thai/English page elsewhere."""
    from django.shortcuts import render

    from .middleware import API_PREFIX, problem_response

    if request.path.startswith(API_PREFIX):
        response = problem_response(
            429,
            "locked_out",
            _("Too many failed logins"),
            _(
                "This account is locked for 15 minutes after repeated failed logins. Try again later, or ask an administrator."
            ),
        )
        response["Retry-After"] = str(int(float(settings.AXES_COOLOFF_TIME) * 3600))
        return response
    return render(request, "registration/locked_out.html", status=429)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Django's 404 (no URL matched): problem+json under ``/api/``, the site's page elsewhere."""
    from django.views import defaults

    from .middleware import API_PREFIX, problem_response

    if request.path.startswith(API_PREFIX):
        return problem_response(404, "not_found", _("Not found."))
    return defaults.page_not_found(request, exception or Http404())


def server_error(request: HttpRequest) -> HttpResponse:
    """An error outside any API view (a middleware's): problem+json under ``/api/``."""
    from django.views import defaults

    from .middleware import API_PREFIX, database_unavailable_response, problem_response

    # Under WSGI the error being handled is still at hand (under ASGI Django handles it in
    # another thread: views' errors are caught by the middleware's ``process_exception``).
    if is_database_unavailable(sys.exc_info()[1]):
        return database_unavailable_response(request)
    if request.path.startswith(API_PREFIX):
        return problem_response(
            500, "server_error", _("Something went wrong on our side; nothing was changed.")
        )
    return defaults.server_error(request)

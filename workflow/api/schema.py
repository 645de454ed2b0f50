"""The OpenAPI schema states the errors too: every operation lists the problem answers it may
give, each an RFC 9457 ``application/problem+json`` body (``Problem``) with a stable ``code``.

``ProblemAutoSchema`` adds them by what the operation is, on top of what its view declares
with ``@extend_schema(responses=...)`` (a view's own description of a status wins; a declared
error status without a body gets the problem body):

- signed in (every operation but the token exchange): 401 and 403;
- path or query parameters, or a body (which may name a district, a bank entry): 404 (no such
  object, outside the caller's areas, or a page past the last);
- a request body: 400 (unreadable, nested too deeply), 413 (over the size limit), 415 (a media
  type the operation does not read) and 422 (invalid fields, each named);
- query parameters: 422 (an invalid filter or page size);
- a change (POST, PUT, PATCH, DELETE) by a signed-in user: 409 (the object's state does not allow
  it now, or someone changed it at the same moment);
- a throttled operation: 429 with ``Retry-After``;
- every operation: 503 ``database_unavailable`` with ``Retry-After``.

It is every API view's schema (``DEFAULT_SCHEMA_CLASS`` in config/settings.py); ``tests/test_schemathesis_drill.py``
checks every answer against the schema, so a view that sets another schema fails there.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers
from rest_framework.permissions import AllowAny

PROBLEM_MEDIA_TYPE = "application/problem+json"
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


class ProblemErrorSerializer(serializers.Serializer[Any]):
    """One invalid field or broken rule of a 422."""

    field = serializers.CharField(
        help_text="The field's path, e.g. `budget_lines[0].amount` (empty: the body)."
    )
    code = serializers.CharField(help_text="A stable code, e.g. `required`, `too_long`, `max_value`.")
    message = serializers.CharField(help_text="In the request's language.")
    message_th = serializers.CharField(required=False, help_text="A guideline rule's message in Thai.")
    message_en = serializers.CharField(required=False, help_text="A guideline rule's message in English.")
    clause = serializers.CharField(required=False, help_text="The guideline's clause a rule quotes.")


class ProblemSerializer(serializers.Serializer[Any]):
    """An error of the API (RFC 9457 problem details)."""

    type = serializers.CharField(help_text="`urn:rolemodel:problem:<code>`")
    title = serializers.CharField(help_text="What went wrong, in the request's language.")
    status = serializers.IntegerField(help_text="The HTTP status, repeated.")
    code = serializers.CharField(help_text="A stable code a client may act on, e.g. `illegal_transition`.")
    detail = serializers.CharField(required=False, help_text="More about this occurrence.")
    errors = ProblemErrorSerializer(  # type: ignore[assignment]  # a field named "errors"
        many=True, required=False, help_text="422: every invalid field or broken rule at once."
    )


RETRY_AFTER = {
    "Retry-After": {
        "schema": {"type": "integer"},
        "description": "Seconds to wait before trying again.",
    }
}

DESCRIPTIONS: dict[int, str] = {
    400: "problem `parse_error`, `too_deep` or `bad_request`: the body cannot be read "
    "(not JSON, nested too deeply, a bad Content-Length), or `invalid_credentials`",
    401: "problem `not_authenticated` or `authentication_failed`: no valid token or session",
    403: "problem `forbidden` (or a more precise code): the caller's role may not do this here",
    404: "problem `not_found`: no such object (in the path, the query or the body), outside the caller's "
    "areas, or a page past the last",
    409: "problem: the object's state does not allow this now (e.g. `illegal_transition`, "
    "`concurrent_transition`, `stale_edit`), nothing was changed",
    413: "problem `body_too_large`: the request is over the size limit",
    415: "problem `unsupported_media_type`: the body's media type is not one the operation reads",
    422: "problem `invalid_input` (every invalid field in `errors`) or a rule of the programme",
    429: "problem `throttled` or `locked_out`: too many requests or failed logins; see Retry-After",
    503: "problem `database_unavailable` (or `render_busy`): try again after Retry-After",
}


class ProblemAutoSchema(AutoSchema):
    def get_operation(self, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        responses: dict[str, Any] = operation.setdefault("responses", {})
        for code in self._problem_statuses(operation):
            responses.setdefault(str(code), {"description": DESCRIPTIONS[code]})
        problem = self.resolve_serializer(ProblemSerializer, "response")
        for status, response in responses.items():
            if status.startswith(("4", "5")) and not response.get("content"):
                response["content"] = {PROBLEM_MEDIA_TYPE: {"schema": problem.ref}}
                if status in ("429", "503"):
                    response.setdefault("headers", RETRY_AFTER)
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def _problem_statuses(self, operation: dict[str, Any]) -> list[int]:
        parameters = operation.get("parameters", [])
        in_path = any(p.get("in") == "path" for p in parameters)
        in_query = any(p.get("in") == "query" for p in parameters)
        has_body = "requestBody" in operation
        signed_in = not any(
            isinstance(p, type) and issubclass(p, AllowAny)
            for p in getattr(self.view, "permission_classes", [])
        )
        statuses = [503]
        if signed_in:
            statuses += [401, 403]
            if self.method in WRITE_METHODS:
                statuses.append(409)
        if in_path or in_query or has_body:
            statuses.append(404)
        if has_body:
            statuses += [400, 413, 415, 422]
        if in_query:
            statuses.append(422)
        if getattr(self.view, "throttle_classes", None):
            statuses.append(429)
        return sorted(set(statuses))

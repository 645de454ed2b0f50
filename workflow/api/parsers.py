"""JSON with limits: a body over ``API_JSON_MAX_BYTES`` is 413, one nested deeper than
``API_JSON_MAX_DEPTH`` (or too deep for the decoder) is 400 — never a 500 — and a text holding
a control character other than a newline or a tab is 422 naming its field (such a character
breaks the documents the text goes into: the DOCX book, the CSV exports)."""

from __future__ import annotations

import json
import re
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import exceptions, parsers


class BodyTooLarge(exceptions.APIException):
    status_code = 413
    default_code = "body_too_large"
    default_detail = "The request is too large."


# C0 controls but tab, newline and carriage return; DEL and the C1 controls.
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def control_character_paths(value: Any) -> list[str]:
    """The paths (``title``, ``budget_lines[0].description``) of texts holding a control character."""
    found: list[str] = []
    stack: list[tuple[Any, str]] = [(value, "")]
    while stack:
        item, path = stack.pop()
        if isinstance(item, str):
            if CONTROL.search(item):
                found.append(path)
        elif isinstance(item, dict):
            for key, child in item.items():
                stack.append((child, f"{path}.{key}" if path else str(key)))
                if isinstance(key, str) and CONTROL.search(key):
                    found.append(path or str(key))
        elif isinstance(item, list):
            stack.extend((child, f"{path}[{index}]") for index, child in enumerate(item))
    return sorted(set(found))


def _depth(value: Any) -> int:
    """How deeply ``value`` nests lists and objects (iterative: no recursion to exhaust)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in children)
    return deepest


class JSONParser(parsers.JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        limit = int(settings.API_JSON_MAX_BYTES)
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise BodyTooLarge(
                _("A JSON body may carry at most %(limit)s KB.") % {"limit": limit // 1024}, "body_too_large"
            )
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            data = json.loads(raw.decode(encoding), parse_constant=_refuse_constant)
        except RecursionError:
            raise exceptions.ParseError(_("The JSON body is nested too deeply."), "too_deep") from None
        except (ValueError, UnicodeDecodeError) as exc:
            raise exceptions.ParseError(_("The body is not valid JSON."), "parse_error") from exc
        if _depth(data) > int(settings.API_JSON_MAX_DEPTH):
            raise exceptions.ParseError(_("The JSON body is nested too deeply."), "too_deep")
        paths = control_character_paths(data)
        if paths:
            message = _("The text holds a control character; only line breaks and tabs are allowed.")
            raise exceptions.ValidationError(
                {path or "body": [exceptions.ErrorDetail(message, "control_character")] for path in paths}
            )
        return data


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")

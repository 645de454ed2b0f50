"""Domain errors. Each carries a stable ``code``; the API maps them to RFC 9457 problems."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _


@dataclass
class FieldError:
    field: str
    code: str
    message: Any  # str or a lazy translation

    def as_dict(self) -> dict[str, Any]:
        return {"field": self.field, "code": self.code, "message": str(self.message)}


@dataclass
class DomainError(Exception):
    """Base of every error a service raises on purpose."""

    message: Any = ""
    code: str = "error"
    status: int = 400
    errors: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(str(self.message))

    def __str__(self) -> str:
        return str(self.message)


class NotFound(DomainError):
    def __init__(self, message: Any = None) -> None:
        super().__init__(message or _("Not found."), "not_found", 404)


class Forbidden(DomainError):
    def __init__(self, message: Any = None, code: str = "forbidden") -> None:
        super().__init__(message or _("You may not do this."), code, 403)


class IllegalTransition(DomainError):
    def __init__(self, message: Any = None) -> None:
        super().__init__(
            message or _("This action is not possible in the project's current state."),
            "illegal_transition",
            409,
        )


class ConcurrentChange(DomainError):
    def __init__(self, message: Any = None) -> None:
        super().__init__(
            message or _("Someone else changed this project at the same moment. Reload and try again."),
            "concurrent_transition",
            409,
        )


class Conflict(DomainError):
    def __init__(self, message: Any, code: str) -> None:
        super().__init__(message, code, 409)


class InvalidInput(DomainError):
    """Input that is malformed; lists each field's error."""

    def __init__(self, errors: list[FieldError], message: Any = None) -> None:
        super().__init__(
            message or _("Some fields are not valid."),
            "invalid_input",
            422,
            [e.as_dict() for e in errors],
        )


class RuleViolation(DomainError):
    """One or more of the guideline's rules failed; every failure is listed."""

    def __init__(self, failures: list[dict[str, Any]]) -> None:
        super().__init__(_("The project breaks the programme guideline."), "rule_violation", 422, failures)

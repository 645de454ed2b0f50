"""Errors of the report book, with stable codes (the API answers them as problem+json)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from workflow.errors import DomainError


class BookRenderError(DomainError):
    """The PDF could not be made here (renderer or fonts missing, or it failed)."""

    def __init__(self, message: Any = None, code: str = "book_renderer_failed") -> None:
        super().__init__(message or _("The report book could not be made. Try again later."), code, 503)

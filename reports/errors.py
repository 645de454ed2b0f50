"""Errors of the report book, with stable codes (the API answers them as problem+json)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from workflow.errors import DomainError


class BookRenderError(DomainError):
    """The PDF could not be made here (renderer or fonts missing, or it failed)."""

    def __init__(self, message: Any = None, code: str = "book_renderer_failed") -> None:
        super().__init__(message or _("The report book could not be made. Try again later."), code, 503)


class RenderBusy(DomainError):
    """Every render slot of this server process stayed taken for the whole wait: try again."""

    def __init__(self, retry_after: int = 10) -> None:
        super().__init__(
            _("Many report books are being made right now. Try again in a moment."), "render_busy", 503
        )
        self.retry_after = retry_after


class BookTooLong(DomainError):
    """The book would be longer than its page budget (``REPORT_BOOK_MAX_PAGES``): not made."""

    def __init__(self, pages: int, limit: int) -> None:
        super().__init__(
            _(
                "The report book would have %(pages)s pages, more than the %(limit)s pages allowed. "
                "Shorten the longest texts or remove lines, then try again."
            )
            % {"pages": pages, "limit": limit},
            "book_too_long",
            422,
        )
        self.pages = pages
        self.limit = limit

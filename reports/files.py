"""The book as files in HTTP responses: one place for the names, types and headers that the
pages and the API both send."""

from __future__ import annotations

from collections.abc import Callable

from django.http import FileResponse, HttpResponse

from workflow.errors import NotFound
from workflow.models import District, DistrictSubmission, Edition

from .book import Book, book_build
from .docx import render_docx
from .models import CoveringLetter
from .render import cached_by_token, draft_pdf, draft_token, render_slot

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _draft_name(district: District, edition: Edition, suffix: str) -> str:
    return f"report-book-{district.code}-{edition.code}-draft.{suffix}"


def draft_pdf_response(
    district: District, edition: Edition, build: Callable[[], Book] | None = None
) -> HttpResponse:
    """The district's draft book as a PDF shown in the browser, from the drafts' cache when
    unchanged — without reading the book when nothing audited has changed since this process
    last composed it (``render.draft_token``). ``build`` reads the book (default: the draft of
    ``district`` and ``edition``). Raises ``BookRenderError``, ``RenderBusy``, ``BookTooLong``."""
    token = draft_token(district, edition)  # before the book is read: see render's note
    rendered = cached_by_token(token)
    if rendered is None:
        book = build() if build is not None else book_build(district=district, edition=edition, draft=True)
        rendered = draft_pdf(book, token=token)
    response = HttpResponse(rendered.content, content_type=PDF)
    response["Content-Disposition"] = f'inline; filename="{_draft_name(district, edition, "pdf")}"'
    response["X-Page-Count"] = str(rendered.pages)
    return response


def draft_docx_response(book: Book) -> HttpResponse:
    """The draft book as a DOCX; built in one of the process's render slots (``RenderBusy``)."""
    with render_slot():
        content = render_docx(book)
    response = HttpResponse(content, content_type=DOCX)
    response["Content-Disposition"] = (
        f'attachment; filename="{_draft_name(book.district, book.edition, "docx")}"'
    )
    return response


def stored_book_response(submission: DistrictSubmission) -> FileResponse:
    """The stored PDF of a submitted version, byte for byte (``NotFound`` if it has none)."""
    book = getattr(submission, "book", None)
    if book is None:
        raise NotFound()
    try:
        handle = book.pdf.open("rb")
    except OSError as exc:
        raise NotFound() from exc
    name = f"report-book-{submission.district_id}-{submission.edition.code}-v{submission.version}.pdf"
    response = FileResponse(handle, content_type=PDF, filename=name)
    response["X-Content-SHA256"] = book.sha256
    return response


def stored_letter_response(submission: DistrictSubmission, kind: str) -> FileResponse:
    """The stored covering letter of a submitted version, ``kind`` "pdf" or "docx", byte for
    byte (``NotFound`` if the submission has none: those made before letters were kept)."""
    letter = CoveringLetter.objects.filter(submission=submission).first()
    if letter is None or kind not in ("pdf", "docx"):
        raise NotFound()
    stored = letter.pdf if kind == "pdf" else letter.docx
    try:
        handle = stored.open("rb")
    except OSError as exc:
        raise NotFound() from exc
    name = f"covering-letter-{submission.district_id}-{submission.edition.code}-v{submission.version}.{kind}"
    response = FileResponse(
        handle, content_type=PDF if kind == "pdf" else DOCX, filename=name, as_attachment=kind == "docx"
    )
    response["X-Content-SHA256"] = letter.sha256 if kind == "pdf" else letter.docx_sha256
    return response

"""The report book's part in the district's submission.

``submission_document`` runs inside ``district_submit``'s transaction: it composes the final
book, stores the print made of exactly that book once, and returns its fingerprint for the
submission's audit event. The print itself is made outside the transaction: with none yet,
it raises ``events.DocumentNotReady`` (see ``reports.services.report_book_store``).
``on_domain_event`` sends the stored book to the edition's central address after commit.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from workflow.models import AuditEvent, DistrictSubmission

from .book import is_image


def submission_document(submission: DistrictSubmission) -> dict[str, Any]:
    from .services import report_book_store

    book = report_book_store(submission=submission, acting_user=submission.submitted_by)
    return {
        "book": {
            "name": book.pdf.name,
            "sha256": book.sha256,
            "size": book.size,
            "pages": book.pages,
        }
    }


def letter_document(submission: DistrictSubmission) -> dict[str, Any]:
    """The covering letter (หนังสือนำส่ง), stored with the book the same way (PDF and DOCX)."""
    from .services import covering_letter_store

    letter = covering_letter_store(submission=submission, acting_user=submission.submitted_by)
    return {
        "letter": {
            "name": letter.pdf.name,
            "sha256": letter.sha256,
            "size": letter.size,
            "pages": letter.pages,
            "docx_sha256": letter.docx_sha256,
            "number": submission.letter_number,
            "date": submission.letter_date.isoformat() if submission.letter_date else None,
        }
    }


def on_domain_event(event: AuditEvent, context: Any = None) -> None:
    if event.action == "evidence_add":
        _scale_photo_after_commit(event)
        return
    if event.action != "district_submit":
        return
    submission_id = int(event.object_id)

    def send() -> None:
        from .mail import send_book_to_centre

        send_book_to_centre(submission_id=submission_id)

    transaction.on_commit(send, robust=True)


def _scale_photo_after_commit(event: AuditEvent) -> None:
    """Scale an uploaded photo for the book once, after the upload commits (books reuse it)."""
    payload = event.payload or {}
    name, sha256 = str(payload.get("name", "")), str(payload.get("sha256", ""))
    if not name or not sha256 or not is_image(name):
        return

    def scale() -> None:
        from .pdf import scaled_photo

        scaled_photo(name, sha256)

    transaction.on_commit(scale, robust=True)

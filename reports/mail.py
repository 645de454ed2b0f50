"""The submitted book goes to the edition's central address, as the guideline asks.

Each attempt is recorded (``BookDelivery``); ``manage.py send_report_books`` sends again every
book whose e-mail has not gone yet, so a mail server that is down loses nothing.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from workflow.dates import format_date
from workflow.models import DistrictSubmission

from .models import BookDelivery, ReportBook

log = logging.getLogger(__name__)


def _message(submission: DistrictSubmission, book: ReportBook) -> EmailMessage:
    with translation.override("th"):
        values = {
            "district": submission.district.name_th,
            "province": submission.district.province.name_th,
            "version": submission.version,
            "edition": submission.edition.title,
            "date": format_date(timezone.localdate(submission.submitted_at), "th"),
            "sha": book.sha256,
            "pages": book.pages,
        }
        subject = (
            _("Report book of %(district)s District, %(province)s Province (version %(version)s)") % values
        )
        body = (
            _(
                "%(district)s District, %(province)s Province submits its report on driving the Role "
                "Model district (%(edition)s), version %(version)s, on %(date)s.\n\n"
                "The book is attached (%(pages)s pages). SHA-256 of the file: %(sha)s\n"
            )
            % values
        )
        if submission.is_late:
            body += _("This book was submitted after the deadline.") + "\n"
        if submission.comment:
            body += "\n" + _("Comment from the district:") + "\n" + submission.comment + "\n"
    message = EmailMessage(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[submission.edition.central_email],
    )
    with book.pdf.open("rb") as handle:
        message.attach(book.pdf.name.rsplit("/", 1)[-1], handle.read(), "application/pdf")
    return message


def send_book_to_centre(*, submission_id: int) -> bool:
    """E-mail the stored PDF and record the attempt; returns whether it went."""
    submission = (
        DistrictSubmission.objects.select_related("district__province", "edition", "submitted_by", "book")
        .filter(pk=submission_id)
        .first()
    )
    book: Any = getattr(submission, "book", None) if submission else None
    if submission is None or book is None or not submission.edition.central_email:
        return False
    error = ""
    try:
        _message(submission, book).send()
    except Exception as exc:
        log.exception(
            "report book %s could not be e-mailed to %s", submission.pk, submission.edition.central_email
        )
        error = f"{type(exc).__name__}: {exc}"[:500]
    BookDelivery.objects.create(
        book=book,
        address=submission.edition.central_email,
        attempted_at=timezone.now(),
        sent=not error,
        error=error,
    )
    return not error


def books_not_yet_sent() -> list[int]:
    """Submissions whose book has no successful e-mail yet, oldest first."""
    return list(
        DistrictSubmission.objects.filter(book__isnull=False)
        .exclude(book__deliveries__sent=True)
        .order_by("submitted_at", "id")
        .values_list("pk", flat=True)
    )

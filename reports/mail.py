"""The submitted book goes to the edition's central address, as the guideline asks."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import translation
from django.utils.translation import gettext as _

from workflow.dates import format_date
from workflow.models import DistrictSubmission

log = logging.getLogger(__name__)


def send_book_to_centre(*, submission_id: int) -> bool:
    """E-mail the stored PDF; returns whether it went. Runs after the submission commits."""
    submission = (
        DistrictSubmission.objects.select_related("district__province", "edition", "submitted_by", "book")
        .filter(pk=submission_id)
        .first()
    )
    book = getattr(submission, "book", None) if submission else None
    if submission is None or book is None or not submission.edition.central_email:
        return False
    with translation.override("th"):
        values = {
            "district": submission.district.name_th,
            "province": submission.district.province.name_th,
            "version": submission.version,
            "edition": submission.edition.title,
            "date": format_date(submission.submitted_at.date(), "th"),
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
    try:
        message.send()
    except OSError:
        log.exception(
            "report book %s could not be e-mailed to %s", submission.pk, submission.edition.central_email
        )
        return False
    return True

"""Changes the report book makes: the stored book of a submission, and its receipt."""

from __future__ import annotations

import hashlib
from typing import Any

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from workflow import access, audit, events
from workflow.audit_actions import AuditAction
from workflow.errors import Conflict, Forbidden
from workflow.models import DistrictSubmission

from . import selectors
from .book import book_build
from .models import ReportBook, SubmissionReceipt
from .pdf import render_pdf

BOOK_LANGUAGE = "th"  # the submitted book is the official Thai document


@transaction.atomic
def report_book_store(*, submission: DistrictSubmission, acting_user: Any) -> ReportBook:
    """Make the final PDF of ``submission`` and store it once (inside ``district_submit``).

    Not called by users directly: the district's submission calls it after checking that
    ``acting_user`` may submit, and its audit event records the book's fingerprint.
    """
    if acting_user is None or submission.submitted_by_id != acting_user.pk:
        raise ValueError("the book is stored by the official who submits it")
    with translation.override(BOOK_LANGUAGE):
        book = book_build(
            district=submission.district, edition=submission.edition, draft=False, submission=submission
        )
        rendered = render_pdf(book)
    digest = hashlib.sha256(rendered.content).hexdigest()
    name = "%(district)s-%(edition)s-v%(version)s-%(sha)s.pdf" % {
        "district": submission.district_id,
        "edition": submission.edition.code,
        "version": submission.version,
        "sha": digest[:16],
    }
    book_row = ReportBook(
        submission=submission,
        sha256=digest,
        size=len(rendered.content),
        pages=rendered.pages,
        generated_at=book.generated_at,
    )
    book_row.pdf.save(name, ContentFile(rendered.content), save=False)
    book_row.save(force_insert=True)
    return book_row


@transaction.atomic
def submission_acknowledge(
    *, submission: DistrictSubmission | int, acting_user: Any, comment: str = ""
) -> SubmissionReceipt:
    """A central planner records that the district's submitted book has arrived."""
    pk = submission.pk if isinstance(submission, DistrictSubmission) else submission
    visible = selectors.submission_get_visible(acting_user, pk)
    principal = access.principal_for(acting_user)
    grant = access.acknowledge_grant(principal, visible.district)
    if grant is None:
        raise Forbidden(_("Only the central planners acknowledge receipt of a report book."))
    locked = DistrictSubmission.objects.select_for_update().select_related("district", "edition").get(pk=pk)
    if SubmissionReceipt.objects.filter(submission=locked).exists():
        raise Conflict(_("This report book's receipt is already acknowledged."), "already_acknowledged")
    try:
        with transaction.atomic():
            receipt = SubmissionReceipt.objects.create(
                submission=locked,
                acknowledged_by=acting_user,
                acknowledged_at=timezone.now(),
                comment=comment,
            )
    except IntegrityError as exc:  # a concurrent click got there first
        raise Conflict(
            _("This report book's receipt is already acknowledged."), "already_acknowledged"
        ) from exc
    book = ReportBook.objects.filter(submission=locked).first()
    events.publish(
        actor=audit.Actor(
            user=acting_user, role=grant.role, area_code=grant.area_code, acting_for=grant.acting_for
        ),
        action=AuditAction.SUBMISSION_ACKNOWLEDGE,
        object_type="submission",
        object_id=locked.pk,
        district=locked.district,
        comment=comment,
        payload={
            "version": locked.version,
            "edition": locked.edition.code,
            "sha256": book.sha256 if book else "",
        },
    )
    return receipt

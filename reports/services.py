"""Changes the report book makes: the stored book of a submission, its covering letter, its
receipt, and the book's settings (the emblem) an administrator keeps."""

from __future__ import annotations

import functools
import hashlib
from typing import Any

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from workflow import access, audit, events, uploads
from workflow.audit_actions import AuditAction
from workflow.errors import Conflict, FieldError, Forbidden, InvalidInput
from workflow.models import DistrictSubmission

from . import render, selectors
from .book import book_build
from .letter import letter_build, letter_source, render_letter_docx
from .models import BookSettings, CoveringLetter, ReportBook, SubmissionReceipt
from .pdf import compose

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
        book.generated_at = submission.submitted_at  # fixed once: every pass composes the same book
        source = compose(book)
    # Chromium never runs here, under the submission's lock: the print is made between two
    # passes of the submission (``events.DocumentNotReady``), and kept only if what the book
    # prints now is exactly what was printed (same key).
    rendered = render.take_prepared(source.key)
    if rendered is None:
        raise events.DocumentNotReady(functools.partial(render.prepare_final, source))
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


@transaction.atomic
def covering_letter_store(*, submission: DistrictSubmission, acting_user: Any) -> CoveringLetter:
    """Make the covering letter of ``submission`` (PDF and DOCX) and store it once, with the book.

    Like ``report_book_store``: called by the district's submission only, inside its
    transaction; the PDF is printed between the submission's passes with no lock held
    (``events.DocumentNotReady``) and stored only if it prints exactly this letter.
    """
    if acting_user is None or submission.submitted_by_id != acting_user.pk:
        raise ValueError("the covering letter is stored by the official who submits it")
    with translation.override(BOOK_LANGUAGE):
        letter = letter_build(submission=submission)
        source = letter_source(letter)
        docx = render_letter_docx(letter)
    rendered = render.take_prepared(source.key)  # as the book's (one store of prints, by key)
    if rendered is None:
        raise events.DocumentNotReady(functools.partial(render.prepare_final, source))
    digest = hashlib.sha256(rendered.content).hexdigest()
    stem = "%(district)s-%(edition)s-v%(version)s-letter-%(sha)s" % {
        "district": submission.district_id,
        "edition": submission.edition.code,
        "version": submission.version,
        "sha": digest[:16],
    }
    row = CoveringLetter(
        submission=submission,
        sha256=digest,
        docx_sha256=hashlib.sha256(docx).hexdigest(),
        size=len(rendered.content),
        pages=rendered.pages,
        generated_at=submission.submitted_at,
    )
    row.pdf.save(f"{stem}.pdf", ContentFile(rendered.content), save=False)
    row.docx.save(f"{stem}.docx", ContentFile(docx), save=False)
    row.save(force_insert=True)
    return row


EMBLEM_TYPES = (uploads.JPEG, uploads.PNG)  # what Chromium and Word both print


@transaction.atomic
def book_settings_update(*, acting_user: Any, emblem: Any = None, clear_emblem: bool = False) -> BookSettings:
    """An administrator sets (or clears) the emblem printed on the book's cover and at the head
    of the covering letter. Told by its content: PNG or JPEG only. Audited (``admin_change``)."""
    grant = access.admin_grant(access.principal_for(acting_user))
    if grant is None:
        raise Forbidden(_("Only administrators may change this."))
    if emblem is not None:
        problems = uploads.upload_errors("emblem", [emblem], allowed=EMBLEM_TYPES, max_count=1)
        if problems:
            raise InvalidInput(problems)
    elif not clear_emblem:
        raise InvalidInput([FieldError("emblem", "required", _("Choose the emblem's image file."))])
    row = BookSettings.objects.select_for_update().filter(pk=BookSettings.SINGLETON).first()
    created = row is None
    if row is None:
        row = BookSettings(pk=BookSettings.SINGLETON)
    before = {"emblem": row.emblem.name or "", "emblem_sha256": row.emblem_sha256}
    if emblem is not None:
        digest = hashlib.sha256()
        for chunk in emblem.chunks():
            digest.update(chunk)
        emblem.seek(0)
        row._sniffed = uploads.sniff(emblem)  # type: ignore[attr-defined]  # its stored extension
        row.emblem = emblem
        row.emblem_sha256 = digest.hexdigest()
    else:
        row.emblem = ""
        row.emblem_sha256 = ""
    row.updated_by = acting_user
    row.updated_at = timezone.now()
    row.save()
    after = {"emblem": row.emblem.name or "", "emblem_sha256": row.emblem_sha256}
    events.publish(
        actor=audit.Actor(user=acting_user, role=grant.role, area_code=grant.area_code),
        action=AuditAction.ADMIN_CHANGE,
        object_type=BookSettings._meta.label_lower,
        object_id=row.pk,
        payload={
            "object": str(row),
            "is_new": created,
            "changed": {
                name: {"from": before[name], "to": after[name]}
                for name in before
                if before[name] != after[name]
            },
        },
    )
    return row

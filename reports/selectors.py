"""Reading the report book: always through the user's areas (404 outside them)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from workflow import selectors as wf
from workflow.errors import Conflict, NotFound
from workflow.models import District, DistrictSubmission, Edition, Project, State
from workflow.models.projects import RELEASED_STATES

from .book import Book, book_build


def book_for_preview(user: Any, code: str, *, edition_code: str | None = None) -> Book:
    """The district's book as it stands now, marked draft (any user who may see the district)."""
    district, edition = preview_target(user, code, edition_code=edition_code)
    return book_build(district=district, edition=edition, draft=True)


def preview_target(user: Any, code: str, *, edition_code: str | None = None) -> tuple[District, Edition]:
    """The district (any user who may see it; 404 outside) and the edition of its draft book,
    without reading the book (``files.draft_pdf_response`` reads it only when it must)."""
    return wf.district_get_visible(user, code), _edition(edition_code)


def _edition(code: str | None) -> Edition:
    if code:
        edition = Edition.objects.filter(code=code).first()
        if edition is None:
            raise NotFound()
        return edition
    active = wf.active_edition()
    if active is None:
        raise Conflict(_("No programme edition is open."), "no_active_edition")
    return active


def district_books(user: Any, code: str) -> tuple[District, QuerySet[DistrictSubmission]]:
    """The district and its submitted books, newest first, with their receipts."""
    district = wf.district_get_visible(user, code)
    submissions = (
        DistrictSubmission.objects.filter(district=district)
        .select_related(
            "edition", "submitted_by", "acting_for", "book", "letter", "receipt", "receipt__acknowledged_by"
        )
        .order_by("-submitted_at", "-version")
    )
    return district, submissions


def submission_get_visible(user: Any, pk: Any) -> DistrictSubmission:
    """One submission of a district the user may see (404 otherwise)."""
    submission = (
        DistrictSubmission.objects.filter(pk=pk)
        .select_related("district__province", "edition", "submitted_by", "book", "letter", "receipt")
        .first()
    )
    if submission is None:
        raise NotFound()
    wf.district_get_visible(user, submission.district_id)
    return submission


def book_progress(district: District, edition: Edition) -> dict[str, int]:
    """How far part 3 is: live projects of the district, how many reported and submitted."""
    counts: dict[str, int] = (
        Project.objects.filter(district=district, edition=edition)
        .exclude(state__in=RELEASED_STATES)
        .aggregate(
            live=Count("id"),
            reported=Count("id", filter=Q(state=State.REPORTED)),
            submitted=Count("id", filter=Q(state=State.SUBMITTED)),
        )
    )
    return counts

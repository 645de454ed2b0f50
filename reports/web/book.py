"""The district's report book page: its parts, a draft preview, the submitted versions."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from workflow import access
from workflow import selectors as wf
from workflow.errors import DomainError, NotFound
from workflow.models import District, Edition

from .. import files, selectors, services
from ..book import book_build
from .parts import area_name


class AcknowledgeForm(forms.Form):
    comment = forms.CharField(
        label=gettext_lazy("Note (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


@login_required
def district_book(request: HttpRequest, code: str) -> HttpResponse:
    try:
        district, submissions = selectors.district_books(request.user, code)
    except NotFound as exc:
        raise Http404 from exc
    principal = access.principal_for(request.user)
    edition = wf.active_edition()
    counts = selectors.book_progress(district, edition) if edition is not None else {}
    return render(
        request,
        "reports/book_page.html",
        {
            "district": district,
            "edition": edition,
            "counts": counts,
            "submissions": list(submissions),
            "may_edit": access.book_edit_grant(principal, district) is not None,
            "may_submit": access.submit_grant(principal, district) is not None,
            "may_acknowledge": access.acknowledge_grant(principal, district) is not None,
            "acknowledge_form": AcknowledgeForm(),
        },
    )


def _target(request: HttpRequest, code: str) -> tuple[District, Edition]:
    try:
        return selectors.preview_target(request.user, code, edition_code=request.GET.get("edition") or None)
    except NotFound as exc:
        raise Http404 from exc


def _preview(request: HttpRequest, code: str) -> Any:
    district, edition = _target(request, code)
    return book_build(district=district, edition=edition, draft=True)


def _unavailable(request: HttpRequest, exc: DomainError) -> HttpResponse:
    response = render(request, "reports/book_unavailable.html", {"message": str(exc)}, status=exc.status)
    retry_after = getattr(exc, "retry_after", None)  # 503: every render slot busy (RenderBusy)
    if retry_after:
        response["Retry-After"] = str(int(retry_after))
    return response


@login_required
def book_preview_pdf(request: HttpRequest, code: str) -> HttpResponse:
    try:
        return files.draft_pdf_response(*_target(request, code))
    except DomainError as exc:  # no open edition, or the renderer failed (BookRenderError)
        return _unavailable(request, exc)


@login_required
def book_preview_docx(request: HttpRequest, code: str) -> HttpResponse:
    try:
        return files.draft_docx_response(_preview(request, code))
    except DomainError as exc:
        return _unavailable(request, exc)


@login_required
def submission_book(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The stored PDF of one submitted version, exactly as it was sent."""
    try:
        return files.stored_book_response(selectors.submission_get_visible(request.user, pk))
    except NotFound as exc:
        raise Http404 from exc


@login_required
@require_POST
def submission_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        submission = selectors.submission_get_visible(request.user, pk)
    except NotFound as exc:
        raise Http404 from exc
    form = AcknowledgeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The note is too long."))
        return redirect("district-book", code=submission.district_id)
    try:
        services.submission_acknowledge(
            submission=submission.pk, acting_user=request.user, comment=form.cleaned_data["comment"]
        )
    except NotFound as exc:
        raise Http404 from exc
    except DomainError as exc:
        if exc.status == 403:
            return render(
                request,
                "approvals/action_denied.html",
                {"project": None, "message": str(exc)},
                status=403,
            )
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("Receipt of version %(version)s of %(district)s's book is acknowledged.")
            % {"version": submission.version, "district": area_name(submission.district)},
        )
    return redirect(request.POST.get("next") or "district-book", code=submission.district_id)


urls: list[URLPattern] = [
    path("districts/<str:code>/book/", district_book, name="district-book"),
    path("districts/<str:code>/book/preview.pdf", book_preview_pdf, name="district-book-pdf"),
    path("districts/<str:code>/book/preview.docx", book_preview_docx, name="district-book-docx"),
    path("submissions/<id:pk>/book.pdf", submission_book, name="submission-book"),
    path("submissions/<id:pk>/acknowledge/", submission_acknowledge, name="submission-acknowledge"),
]

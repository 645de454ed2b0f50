"""The covering letter (หนังสือนำส่ง) of a submitted version, as stored: PDF and DOCX.

Whoever may see the district downloads it (404 otherwise, and for a submission made before
covering letters were kept), next to the book on the district's book page and on its
submission page.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponseBase
from django.urls import URLPattern, path

from workflow.errors import NotFound

from .. import files, selectors


def _letter(request: HttpRequest, pk: int, kind: str) -> HttpResponseBase:
    try:
        return files.stored_letter_response(selectors.submission_get_visible(request.user, pk), kind)
    except NotFound as exc:
        raise Http404 from exc


@login_required
def submission_letter_pdf(request: HttpRequest, pk: int) -> HttpResponseBase:
    return _letter(request, pk, "pdf")


@login_required
def submission_letter_docx(request: HttpRequest, pk: int) -> HttpResponseBase:
    return _letter(request, pk, "docx")


urls: list[URLPattern] = [
    path("submissions/<id:pk>/letter.pdf", submission_letter_pdf, name="submission-letter-pdf"),
    path("submissions/<id:pk>/letter.docx", submission_letter_docx, name="submission-letter-docx"),
]

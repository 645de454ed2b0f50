"""The covering letter (หนังสือนำส่ง) over the API: ``GET /submissions/{id}/letter.pdf`` and
``.docx``, the stored files byte for byte (``X-Content-SHA256``), with the same access as the
book: whoever may see the district; 404 outside it or when the submission has no letter."""

from __future__ import annotations

from django.http import HttpResponseBase
from django.urls import URLPattern, path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.views import APIView

from .. import files, selectors


class SubmissionLetterPdfApi(APIView):
    """The stored covering letter of one submitted version, as PDF."""

    @extend_schema(responses={(200, files.PDF): OpenApiResponse(OpenApiTypes.BINARY)})
    def get(self, request: Request, pk: int) -> HttpResponseBase:
        return files.stored_letter_response(selectors.submission_get_visible(request.user, pk), "pdf")


class SubmissionLetterDocxApi(APIView):
    """The stored covering letter of one submitted version, as an editable DOCX."""

    @extend_schema(responses={(200, files.DOCX): OpenApiResponse(OpenApiTypes.BINARY)})
    def get(self, request: Request, pk: int) -> HttpResponseBase:
        return files.stored_letter_response(selectors.submission_get_visible(request.user, pk), "docx")


urls: list[URLPattern] = [
    path(
        "submissions/<id:pk>/letter.pdf", SubmissionLetterPdfApi.as_view(), name="api-submission-letter-pdf"
    ),
    path(
        "submissions/<id:pk>/letter.docx",
        SubmissionLetterDocxApi.as_view(),
        name="api-submission-letter-docx",
    ),
]

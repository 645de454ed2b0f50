"""The report book over the API: the draft book of a district, the submitted books, receipts."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse, HttpResponseBase
from django.urls import URLPattern, path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from workflow.models import DistrictSubmission

from .. import files, selectors, services
from ..models import ReportBook, SubmissionReceipt

EDITION = OpenApiParameter("edition", str, description="edition code (default: the active edition)")


class BookFileSerializer(serializers.ModelSerializer[ReportBook]):
    class Meta:
        model = ReportBook
        fields = ["sha256", "size", "pages", "generated_at"]


class LetterFileSerializer(serializers.Serializer[Any]):
    """The covering letter (หนังสือนำส่ง) stored with the book."""

    number = serializers.CharField(help_text="its number, e.g. มท ๐๓๑๘.๑/๑๒๓ (blank: left to be written in)")
    date = serializers.DateField()
    sha256 = serializers.CharField(help_text="of the PDF")
    docx_sha256 = serializers.CharField()
    pages = serializers.IntegerField()
    pdf_url = serializers.CharField()
    docx_url = serializers.CharField()


class ReceiptSerializer(serializers.ModelSerializer[SubmissionReceipt]):
    acknowledged_by = serializers.CharField(source="acknowledged_by.username")

    class Meta:
        model = SubmissionReceipt
        fields = ["acknowledged_by", "acknowledged_at", "comment"]


class SubmittedBookSerializer(serializers.ModelSerializer[DistrictSubmission]):
    edition = serializers.CharField(source="edition.code")
    submitted_by = serializers.CharField(source="submitted_by.username")
    book = serializers.SerializerMethodField()
    receipt = serializers.SerializerMethodField()
    pdf_url = serializers.SerializerMethodField()
    letter = serializers.SerializerMethodField()

    class Meta:
        model = DistrictSubmission
        fields = [
            "id",
            "district",
            "edition",
            "version",
            "submitted_by",
            "submitted_at",
            "is_late",
            "comment",
            "book",
            "receipt",
            "pdf_url",
            "letter",
        ]

    @extend_schema_field(BookFileSerializer(allow_null=True))
    def get_book(self, obj: DistrictSubmission) -> dict[str, Any] | None:
        book = getattr(obj, "book", None)
        return BookFileSerializer(book).data if book else None

    @extend_schema_field(LetterFileSerializer(allow_null=True))
    def get_letter(self, obj: DistrictSubmission) -> dict[str, Any] | None:
        letter = getattr(obj, "letter", None)
        if letter is None:
            return None
        return dict(
            LetterFileSerializer(
                {
                    "number": obj.letter_number,
                    "date": obj.letter_date or obj.submitted_at.date(),
                    "sha256": letter.sha256,
                    "docx_sha256": letter.docx_sha256,
                    "pages": letter.pages,
                    "pdf_url": f"/api/v1/submissions/{obj.pk}/letter.pdf",
                    "docx_url": f"/api/v1/submissions/{obj.pk}/letter.docx",
                }
            ).data
        )

    @extend_schema_field(ReceiptSerializer(allow_null=True))
    def get_receipt(self, obj: DistrictSubmission) -> dict[str, Any] | None:
        receipt = getattr(obj, "receipt", None)
        return ReceiptSerializer(receipt).data if receipt else None

    @extend_schema_field(OpenApiTypes.STR)
    def get_pdf_url(self, obj: DistrictSubmission) -> str | None:
        if getattr(obj, "book", None) is None:
            return None
        return f"/api/v1/submissions/{obj.pk}/book.pdf"


class AcknowledgeSerializer(serializers.Serializer[Any]):
    comment = serializers.CharField(allow_blank=True, required=False, default="", max_length=2000)


class ReportBookPdfApi(APIView):
    """The district's book as it stands now (draft), as PDF; anyone who may see the district."""

    @extend_schema(
        parameters=[EDITION],
        responses={(200, files.PDF): OpenApiResponse(OpenApiTypes.BINARY, description="the draft book")},
    )
    def get(self, request: Request, code: str) -> HttpResponse:
        district, edition = selectors.preview_target(
            request.user, code, edition_code=request.query_params.get("edition")
        )
        return files.draft_pdf_response(district, edition)


class ReportBookDocxApi(APIView):
    """The district's book as it stands now (draft), as an editable DOCX."""

    @extend_schema(
        parameters=[EDITION],
        responses={(200, files.DOCX): OpenApiResponse(OpenApiTypes.BINARY, description="the draft book")},
    )
    def get(self, request: Request, code: str) -> HttpResponse:
        book = selectors.book_for_preview(
            request.user, code, edition_code=request.query_params.get("edition")
        )
        return files.draft_docx_response(book)


class DistrictBooksApi(APIView):
    """The district's submitted books, newest first, with their SHA-256 and receipts."""

    @extend_schema(responses=SubmittedBookSerializer(many=True))
    def get(self, request: Request, code: str) -> Response:
        _district, submissions = selectors.district_books(request.user, code)
        return Response(SubmittedBookSerializer(submissions, many=True).data)


class SubmissionBookApi(APIView):
    """The stored PDF of one submitted version, byte for byte as submitted."""

    @extend_schema(responses={(200, files.PDF): OpenApiResponse(OpenApiTypes.BINARY)})
    def get(self, request: Request, pk: int) -> HttpResponseBase:
        return files.stored_book_response(selectors.submission_get_visible(request.user, pk))


class SubmissionAcknowledgeApi(APIView):
    """A central planner acknowledges receipt of a submitted book (once)."""

    @extend_schema(request=AcknowledgeSerializer, responses={201: SubmittedBookSerializer})
    def post(self, request: Request, pk: int) -> Response:
        body = AcknowledgeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.submission_acknowledge(
            submission=pk, acting_user=request.user, comment=body.validated_data["comment"]
        )
        submission = selectors.submission_get_visible(request.user, pk)
        return Response(SubmittedBookSerializer(submission).data, status=status.HTTP_201_CREATED)


urls: list[URLPattern] = [
    path("districts/<str:code>/report-book.pdf", ReportBookPdfApi.as_view(), name="api-report-book-pdf"),
    path("districts/<str:code>/report-book.docx", ReportBookDocxApi.as_view(), name="api-report-book-docx"),
    path("districts/<str:code>/books/", DistrictBooksApi.as_view(), name="api-district-books"),
    path("submissions/<id:pk>/book.pdf", SubmissionBookApi.as_view(), name="api-submission-book"),
    path(
        "submissions/<id:pk>/acknowledge/",
        SubmissionAcknowledgeApi.as_view(),
        name="api-submission-acknowledge",
    ),
]

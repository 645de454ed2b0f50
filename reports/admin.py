"""Submitted report books in the admin, read only: a district's submission makes them and no one
changes them. Here an administrator sees every stored book, its fingerprint, its receipt and
each attempt to e-mail it to the centre (a failed one shows its error; `send_report_books`
sends it again)."""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from workflow.admin import ReadOnlyAdmin, ReadOnlyInline

from .models import BookDelivery, ReportBook, SubmissionReceipt


class BookDeliveryInline(ReadOnlyInline):
    model = BookDelivery
    fields = ("attempted_at", "address", "sent", "error")
    readonly_fields = fields
    ordering = ("attempted_at",)


@admin.register(ReportBook)
class ReportBookAdmin(ReadOnlyAdmin):
    list_display = ("district", "edition", "version", "late", "generated_at", "pages", "download")
    list_filter = ("submission__edition", "submission__is_late")
    list_select_related = ("submission__district", "submission__edition")
    search_fields = ("submission__district__code", "submission__district__name_th", "sha256")
    ordering = ("-generated_at",)
    fields = ("submission", "sha256", "size", "pages", "generated_at", "download")
    readonly_fields = fields
    inlines = (BookDeliveryInline,)

    @admin.display(description=_("district"), ordering="submission__district")
    def district(self, book: ReportBook) -> str:
        return f"{book.submission.district_id} {book.submission.district}"

    @admin.display(description=_("edition"), ordering="submission__edition")
    def edition(self, book: ReportBook) -> str:
        return str(book.submission.edition)

    @admin.display(description=_("version"), ordering="submission__version")
    def version(self, book: ReportBook) -> int:
        return book.submission.version

    @admin.display(description=_("late"), boolean=True, ordering="submission__is_late")
    def late(self, book: ReportBook) -> bool:
        return book.submission.is_late

    @admin.display(description=_("PDF"))
    def download(self, book: ReportBook) -> str:
        # The access-checked download, never the media file's own address.
        url = reverse("submission-book", args=[book.submission_id])
        return format_html('<a href="{}">{}</a>', url, _("Download"))


@admin.register(SubmissionReceipt)
class SubmissionReceiptAdmin(ReadOnlyAdmin):
    list_display = ("submission", "acknowledged_by", "acknowledged_at")
    list_select_related = ("submission__district", "submission__edition", "acknowledged_by")
    search_fields = ("submission__district__code", "submission__district__name_th")
    ordering = ("-acknowledged_at",)
    fields = ("submission", "acknowledged_by", "acknowledged_at", "comment")
    readonly_fields = fields

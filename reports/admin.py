"""Submitted report books in the admin, read only: a district's submission makes them and no one
changes them. Here an administrator sees every stored book, its fingerprint, its receipt and
each attempt to e-mail it to the centre (a failed one shows its error; `send_report_books`
sends it again), and each stored covering letter.

The book's settings (one row: the emblem on the cover and at the head of the covering letter)
are the one thing changed here, through ``services.book_settings_update`` (PNG or JPEG told by
content, audited)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from workflow import uploads
from workflow.admin import ReadOnlyAdmin, ReadOnlyInline, is_admin, submission_label
from workflow.admin_site import LocalizedAdmin
from workflow.errors import DomainError
from workflow.templatetags.rolemodel import thaidate

from . import services
from .models import BookDelivery, BookSettings, CoveringLetter, ReportBook, SubmissionReceipt


class BookDeliveryInline(ReadOnlyInline):
    model = BookDelivery
    fields = ("attempted_at", "address", "sent", "error")
    readonly_fields = fields
    ordering = ("attempted_at",)

    def object_label(self, delivery: BookDelivery) -> str:
        return f"{delivery.address} {'✓' if delivery.sent else '✗'}"


@admin.register(ReportBook)
class ReportBookAdmin(ReadOnlyAdmin):
    list_display = ("district", "edition", "version", "late", "generated_at", "pages", "download")
    list_filter = ("submission__edition", "submission__is_late")
    list_select_related = ("submission__district", "submission__edition")
    search_fields = ("submission__district__code", "submission__district__name_th", "sha256")
    ordering = ("-generated_at",)
    fields = ("submission_name", "sha256", "size", "pages", "generated_at", "download")
    readonly_fields = fields
    inlines = (BookDeliveryInline,)

    @admin.display(description=_("submission"), ordering="submission")
    def submission_name(self, book: ReportBook) -> str:
        return submission_label(book.submission)

    def object_label(self, book: ReportBook) -> str:
        return submission_label(book.submission)

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
    list_display = ("submission_name", "acknowledged_by", "acknowledged_at")
    list_select_related = ("submission__district", "submission__edition", "acknowledged_by")
    search_fields = ("submission__district__code", "submission__district__name_th")
    ordering = ("-acknowledged_at",)
    fields = ("submission_name", "acknowledged_by", "acknowledged_at", "comment")
    readonly_fields = fields

    @admin.display(description=_("submission"), ordering="submission")
    def submission_name(self, receipt: SubmissionReceipt) -> str:
        return submission_label(receipt.submission)

    def object_label(self, receipt: SubmissionReceipt) -> str:
        return f"{submission_label(receipt.submission)} ✓"


@admin.register(CoveringLetter)
class CoveringLetterAdmin(ReadOnlyAdmin):
    list_display = ("submission_name", "number", "date", "generated_at", "pages", "download")
    list_select_related = ("submission__district", "submission__edition")
    search_fields = (
        "submission__district__code",
        "submission__district__name_th",
        "submission__letter_number",
    )
    ordering = ("-generated_at",)
    fields = (
        "submission_name",
        "number",
        "date",
        "sha256",
        "docx_sha256",
        "size",
        "pages",
        "generated_at",
        "download",
    )
    readonly_fields = fields

    @admin.display(description=_("covering letter's number"), ordering="submission__letter_number")
    def number(self, letter: CoveringLetter) -> str:
        return letter.submission.letter_number

    @admin.display(description=_("covering letter's date"), ordering="submission__letter_date")
    def date(self, letter: CoveringLetter) -> str:
        return thaidate(letter.submission.letter_date)

    @admin.display(description=_("submission"), ordering="submission")
    def submission_name(self, letter: CoveringLetter) -> str:
        return submission_label(letter.submission)

    def object_label(self, letter: CoveringLetter) -> str:
        return submission_label(letter.submission)

    @admin.display(description=_("PDF"))
    def download(self, letter: CoveringLetter) -> str:
        url = reverse("submission-letter-pdf", args=[letter.submission_id])
        return format_html('<a href="{}">{}</a>', url, _("Download"))


class BookSettingsForm(forms.ModelForm):
    class Meta:
        model = BookSettings
        fields = ("emblem",)

    def clean_emblem(self) -> Any:
        """PNG or JPEG, told by its content (the service checks again)."""
        emblem = self.cleaned_data.get("emblem")
        if not emblem and self.instance.pk is None:
            raise forms.ValidationError(_("Choose the emblem's image file."))
        if isinstance(emblem, UploadedFile):
            problems = uploads.upload_errors("emblem", [emblem], allowed=services.EMBLEM_TYPES, max_count=1)
            if problems:
                raise forms.ValidationError([str(p.message) for p in problems])
        return emblem


@admin.register(BookSettings)
class BookSettingsAdmin(LocalizedAdmin):
    """One row: added once, changed, never deleted; saved through the audited service."""

    form = BookSettingsForm
    list_display = ("__str__", "emblem", "updated_by", "updated_at")
    readonly_fields = ("emblem_sha256", "updated_by", "updated_at")
    fields = ("emblem", "emblem_sha256", "updated_by", "updated_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return (
            super().has_add_permission(request)
            and is_admin(request)
            and not BookSettings.objects.filter(pk=BookSettings.SINGLETON).exists()
        )

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and is_admin(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: BookSettings, form: Any, change: bool) -> None:
        emblem = form.cleaned_data.get("emblem")
        if not isinstance(emblem, UploadedFile) and emblem is not False:
            return  # kept as it is: nothing to save, nothing to record
        try:
            saved = services.book_settings_update(
                acting_user=request.user,
                emblem=emblem if isinstance(emblem, UploadedFile) else None,
                clear_emblem=emblem is False,
            )
        except DomainError as exc:
            if exc.status == 403:
                raise PermissionDenied(str(exc)) from exc
            raise
        obj.pk = saved.pk

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        return  # no related rows

"""The report book's own data: the district profile (part 1), how the project was driven
(part 2), the stored book of each submission and the centre's receipt of it.

Part 3 is not stored here: it is read from the projects, their lines, monitoring records,
photos and the audit events when the book is built.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from workflow.models import District, DistrictSubmission, Edition


class Digits(models.TextChoices):
    THAI = "thai", _("Thai digits (๑๒๓)")
    ARABIC = "arabic", _("Arabic digits (123)")


class DistrictProfile(models.Model):
    """Part 1: basic data of the district and key data for area development, per edition."""

    district = models.ForeignKey(
        District, on_delete=models.PROTECT, related_name="profiles", verbose_name=_("district")
    )
    edition = models.ForeignKey(
        Edition, on_delete=models.PROTECT, related_name="profiles", verbose_name=_("edition")
    )
    population = models.PositiveIntegerField(_("population"), null=True, blank=True)
    households = models.PositiveIntegerField(_("households"), null=True, blank=True)
    villages = models.PositiveIntegerField(_("villages"), null=True, blank=True)
    area_sq_km = models.DecimalField(
        _("area (km²)"),
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
    )
    general = models.TextField(_("general information"), blank=True)
    economy = models.TextField(_("economy"), blank=True)
    problems_needs = models.TextField(_("problems and needs"), blank=True)
    potential = models.TextField(_("potential"), blank=True)
    notes = models.TextField(_("other information"), blank=True)
    # The book's preface (คำนำ), printed before the contents, and the district office's address
    # printed at the head of the covering letter (หนังสือนำส่ง).
    preface = models.TextField(_("preface"), blank=True)
    office_address = models.TextField(_("address of the district office"), blank=True)
    digits = models.CharField(
        _("digits in the book"), max_length=10, choices=Digits.choices, default=Digits.THAI
    )
    copied_from = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("copied from"),
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("updated by"),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("district profile")
        verbose_name_plural = _("district profiles")
        constraints = [
            models.UniqueConstraint(fields=["district", "edition"], name="profile_one_per_edition"),
            models.CheckConstraint(
                condition=models.Q(area_sq_km__gte=Decimal("0")) | models.Q(area_sq_km__isnull=True),
                name="profile_area_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.district_id} {self.edition_id}"


class ProfileFact(models.Model):
    """A row of a small table in part 1 (label, value, unit), grouped under a heading."""

    profile = models.ForeignKey(
        DistrictProfile, on_delete=models.CASCADE, related_name="facts", verbose_name=_("district profile")
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    table = models.CharField(_("table"), max_length=200, blank=True)
    label = models.CharField(_("item"), max_length=300)
    value = models.CharField(_("value"), max_length=300)
    unit = models.CharField(_("unit"), max_length=50, blank=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("profile fact")
        verbose_name_plural = _("profile facts")

    def __str__(self) -> str:
        return f"{self.label}: {self.value}"


class DriveReport(models.Model):
    """Part 2: how the Tambon Smart Team project was driven in the district, per edition."""

    district = models.ForeignKey(
        District, on_delete=models.PROTECT, related_name="drive_reports", verbose_name=_("district")
    )
    edition = models.ForeignKey(
        Edition, on_delete=models.PROTECT, related_name="drive_reports", verbose_name=_("edition")
    )
    narrative = models.TextField(_("how the project was driven"), blank=True)
    team_narrative = models.TextField(_("the team and how it worked"), blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("updated by"),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("report on driving the project")
        verbose_name_plural = _("reports on driving the project")
        constraints = [
            models.UniqueConstraint(fields=["district", "edition"], name="drive_report_one_per_edition"),
        ]

    def __str__(self) -> str:
        return f"{self.district_id} {self.edition_id}"


class DriveTeamMember(models.Model):
    report = models.ForeignKey(
        DriveReport, on_delete=models.CASCADE, related_name="team", verbose_name=_("report")
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    name = models.CharField(_("name"), max_length=300)
    office = models.CharField(_("position or office"), max_length=300, blank=True)
    team_role = models.CharField(_("role in the team"), max_length=300, blank=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("team member")
        verbose_name_plural = _("team members")

    def __str__(self) -> str:
        return self.name


class DriveMeeting(models.Model):
    report = models.ForeignKey(
        DriveReport, on_delete=models.CASCADE, related_name="meetings", verbose_name=_("report")
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    date = models.DateField(_("date"))
    topic = models.CharField(_("topic"), max_length=500)
    resolution = models.TextField(_("resolution"), blank=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")

    def __str__(self) -> str:
        return self.topic


class DriveActivity(models.Model):
    report = models.ForeignKey(
        DriveReport, on_delete=models.CASCADE, related_name="activities", verbose_name=_("report")
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    date = models.DateField(_("date"), null=True, blank=True)
    title = models.CharField(_("activity"), max_length=500)
    participants = models.PositiveIntegerField(_("participants"), null=True, blank=True)
    result = models.TextField(_("result"), blank=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("activity")
        verbose_name_plural = _("activities")

    def __str__(self) -> str:
        return self.title


class ReportBook(models.Model):
    """The final PDF of one submission. Written once, inside the submission; never changed."""

    submission = models.OneToOneField(
        DistrictSubmission, on_delete=models.PROTECT, related_name="book", verbose_name=_("submission")
    )
    pdf = models.FileField(_("PDF"), upload_to="books/%Y/")
    sha256 = models.CharField(_("SHA-256 fingerprint"), max_length=64)
    size = models.PositiveIntegerField(_("size in bytes"))
    pages = models.PositiveIntegerField(_("pages"))
    generated_at = models.DateTimeField(_("generated"))

    class Meta:
        verbose_name = _("submitted report book")
        verbose_name_plural = _("submitted report books")

    def __str__(self) -> str:
        return f"{self.submission} {self.sha256[:12]}"

    def save(self, *args: object, **kwargs: object) -> None:
        # A submitted book never changes: a correction is a new submission with its own book.
        if self.pk is not None and not self._state.adding:
            raise ValueError("a submitted report book cannot be changed")
        super().save(*args, **kwargs)  # type: ignore[arg-type]


class SubmissionReceipt(models.Model):
    """The Academic and Planning Division acknowledges that a submitted book arrived."""

    submission = models.OneToOneField(
        DistrictSubmission, on_delete=models.PROTECT, related_name="receipt", verbose_name=_("submission")
    )
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("acknowledged by"),
    )
    acknowledged_at = models.DateTimeField(_("acknowledged"))
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        verbose_name = _("receipt of a report book")
        verbose_name_plural = _("receipts of report books")

    def __str__(self) -> str:
        return f"{self.submission} ✓"


class BookDelivery(models.Model):
    """One attempt to e-mail a submitted book to the centre (append-only: the record of sending)."""

    book = models.ForeignKey(
        ReportBook, on_delete=models.PROTECT, related_name="deliveries", verbose_name=_("report book")
    )
    address = models.EmailField(_("address"))
    attempted_at = models.DateTimeField(_("attempted"))
    sent = models.BooleanField(_("sent"), default=False)
    error = models.CharField(_("error"), max_length=500, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("e-mail of a report book")
        verbose_name_plural = _("e-mails of report books")

    def __str__(self) -> str:
        return f"{self.book_id} → {self.address} {'✓' if self.sent else '✗'}"


class CoveringLetter(models.Model):
    """The covering letter (หนังสือนำส่ง) of one submission, as PDF and DOCX, stored with the book.

    Written once, inside the submission; never changed. Its number and date are the
    submission's (``DistrictSubmission.letter_number``, ``letter_date``).
    """

    submission = models.OneToOneField(
        DistrictSubmission, on_delete=models.PROTECT, related_name="letter", verbose_name=_("submission")
    )
    pdf = models.FileField(_("PDF"), upload_to="letters/%Y/")
    docx = models.FileField(_("DOCX"), upload_to="letters/%Y/")
    sha256 = models.CharField(_("SHA-256 fingerprint"), max_length=64)
    docx_sha256 = models.CharField(_("SHA-256 fingerprint of the DOCX"), max_length=64)
    size = models.PositiveIntegerField(_("size in bytes"))
    pages = models.PositiveIntegerField(_("pages"))
    generated_at = models.DateTimeField(_("generated"))

    class Meta:
        verbose_name = _("covering letter")
        verbose_name_plural = _("covering letters")

    def __str__(self) -> str:
        return f"{self.submission} {self.sha256[:12]}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None and not self._state.adding:
            raise ValueError("a submitted covering letter cannot be changed")
        super().save(*args, **kwargs)  # type: ignore[arg-type]


def emblem_name(instance: Any, filename: str) -> str:
    """``upload_to`` of the emblem: a random name with the extension of its real type."""
    kind = getattr(instance, "_sniffed", None)
    extension = kind.extension if kind is not None else "bin"
    return f"book-settings/emblem-{uuid.uuid4().hex}.{extension}"


class BookSettings(models.Model):
    """The report book's settings an administrator keeps (one row): the emblem on the book's
    cover and at the head of the covering letter (the Garuda, ครุฑ, or the department's)."""

    SINGLETON = 1

    emblem = models.ImageField(
        _("emblem"),
        upload_to=emblem_name,
        blank=True,
        help_text=_("PNG or JPEG, printed on the book's cover and at the head of the covering letter."),
    )
    emblem_sha256 = models.CharField(_("SHA-256 fingerprint of the emblem"), max_length=64, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("updated by"),
    )
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        verbose_name = _("report book settings")
        verbose_name_plural = _("report book settings")
        constraints = [models.CheckConstraint(condition=models.Q(pk=1), name="book_settings_singleton")]

    def __str__(self) -> str:
        return str(_("Report book settings"))

    @classmethod
    def current(cls) -> BookSettings | None:
        """The one row, or ``None`` while an administrator has not saved any."""
        return cls.objects.filter(pk=cls.SINGLETON).first()

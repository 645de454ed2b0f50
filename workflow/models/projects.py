"""Role Model projects: the business state lives in ``Project.state`` (django-fsm-2)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from ..uploads import stored_name
from .areas import District, Subdistrict
from .bank import BankEntry
from .programme import Dimension, Edition


class State(models.TextChoices):
    SELECTED = "selected", _("Selected")
    RETURNED = "returned", _("Returned for revision")
    APPROVED = "approved", _("Approved")
    IMPLEMENTED = "implemented", _("Implemented")
    MONITORED = "monitored", _("Monitored")
    REPORTED = "reported", _("Reported")
    SUBMITTED = "submitted", _("Submitted")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


# Projects in these states no longer hold any of the district's budget.
RELEASED_STATES = (State.REJECTED, State.WITHDRAWN)
EDITABLE_STATES = (State.SELECTED, State.RETURNED)
FINAL_STATES = (State.SUBMITTED, State.REJECTED, State.WITHDRAWN)


class PrimaryObjective(models.TextChoices):
    DEVELOPMENT = "development", _("Area development")
    TRAINING = "training", _("Education, training or study visits")


class TrainingKind(models.TextChoices):
    OCCUPATION = "occupation", _("Occupational training")
    SECURITY = "security", _("Security training")
    OTHER = "other", _("Other training")


class LineCategory(models.TextChoices):
    ACTIVITY_MATERIALS = "activity_materials", _("Materials for activities")
    SERVICES = "services", _("Services")
    WAGES = "wages", _("Wages")
    TRAINING = "training", _("Training")
    HANDOUTS = "handouts", _("Materials or equipment handed out to people")
    ROUTINE_EQUIPMENT = "routine_equipment", _("Durable goods for an agency's routine work")
    BUILDING_WORKS = "building_works", _("Building, repair or renovation of premises")
    OTHER = "other", _("Other")


class ProjectQuerySet(models.QuerySet["Project"]):
    def committed(self) -> ProjectQuerySet:
        """Projects whose budget counts against the district's cap."""
        return self.exclude(state__in=RELEASED_STATES)


class Project(ConcurrentTransitionMixin, models.Model):
    edition = models.ForeignKey(
        Edition, on_delete=models.PROTECT, related_name="projects", verbose_name=_("edition")
    )
    # Looked up through the (district, edition, state) index: an index of its own would only be
    # another to write at every change of state.
    district = models.ForeignKey(
        District,
        on_delete=models.PROTECT,
        related_name="projects",
        verbose_name=_("district"),
        db_index=False,
    )
    bank_entry = models.ForeignKey(
        BankEntry, on_delete=models.PROTECT, related_name="projects", verbose_name=_("project bank entry")
    )
    title = models.CharField(_("title"), max_length=500)
    dimension = models.CharField(_("dimension"), max_length=20, choices=Dimension.choices, blank=True)
    dimension_other = models.CharField(_("other dimension"), max_length=300, blank=True)
    subdistricts = models.ManyToManyField(
        Subdistrict, related_name="projects", blank=True, verbose_name=_("subdistricts")
    )
    target_villages = models.PositiveIntegerField(_("target villages"), default=0)
    target_households = models.PositiveIntegerField(_("target households"), default=0)
    start_date = models.DateField(_("start date"), null=True, blank=True)
    end_date = models.DateField(_("end date"), null=True, blank=True)
    primary_objective = models.CharField(
        _("primary objective"),
        max_length=20,
        choices=PrimaryObjective.choices,
        default=PrimaryObjective.DEVELOPMENT,
    )
    training_kind = models.CharField(
        _("kind of training"), max_length=20, choices=TrainingKind.choices, blank=True
    )
    training_target_local = models.BooleanField(
        _("training targets the people of the project's area"), default=False
    )
    do_fits_district_plan = models.BooleanField(_("fits the district development plan"), default=False)
    do_feasible = models.BooleanField(_("feasible within budget and time"), default=False)
    do_area_ready = models.BooleanField(_("area is ready"), default=False)
    do_permitted = models.BooleanField(_("permitted by people and agencies"), default=False)

    # Part 3 of the report book, as the plan is written at selection (required to approve).
    rationale = models.TextField(_("rationale"), blank=True)
    objectives = models.TextField(_("objectives"), blank=True)
    method = models.TextField(_("method and activities"), blank=True)
    indicators = models.TextField(_("indicators"), blank=True)
    expected_results = models.TextField(_("expected results"), blank=True)

    state = FSMField(_("state"), default=State.SELECTED, choices=State.choices, protected=True)

    # Implementation record (implement), monitoring (monitor) and result (report).
    activities_done = models.TextField(_("activities done"), blank=True)
    villages_reached = models.PositiveIntegerField(_("villages reached"), null=True, blank=True)
    households_reached = models.PositiveIntegerField(_("households reached"), null=True, blank=True)
    # What came of it (part 3 of the book): written at report.
    result_narrative = models.TextField(_("results achieved"), blank=True)
    problems = models.TextField(_("problems and obstacles"), blank=True)
    suggestions = models.TextField(_("suggestions"), blank=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="created_projects",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    state_changed_at = models.DateTimeField(_("state changed"), auto_now_add=True)

    objects = ProjectQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        verbose_name = _("Role Model project")
        verbose_name_plural = _("Role Model projects")
        indexes = [
            models.Index(fields=["district", "edition", "state"]),
            models.Index(fields=["state"]),
        ]
        constraints = [
            # A bank entry is taken once per edition (and so per district: the entry's) while
            # its project is live; a rejected or withdrawn project frees it.
            models.UniqueConstraint(
                fields=["edition", "bank_entry"],
                condition=~models.Q(state__in=["rejected", "withdrawn"]),
                name="project_bank_entry_once_live",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    # -- The state machine. Transitions only move the state; the services in
    # ``workflow.services.projects`` check who may call them and record them.
    @transition(field=state, source=State.SELECTED, target=State.APPROVED)
    def approve(self) -> None:
        pass

    @transition(field=state, source=State.SELECTED, target=State.RETURNED)
    def return_for_revision(self) -> None:
        pass

    @transition(field=state, source=State.RETURNED, target=State.SELECTED)
    def resubmit(self) -> None:
        pass

    @transition(field=state, source=State.SELECTED, target=State.REJECTED)
    def reject(self) -> None:
        pass

    @transition(field=state, source=[State.SELECTED, State.RETURNED], target=State.WITHDRAWN)
    def withdraw(self) -> None:
        pass

    @transition(field=state, source=State.APPROVED, target=State.IMPLEMENTED)
    def implement(self) -> None:
        pass

    @transition(field=state, source=State.IMPLEMENTED, target=State.APPROVED)
    def return_for_more_work(self) -> None:
        pass

    @transition(field=state, source=State.IMPLEMENTED, target=State.MONITORED)
    def monitor(self) -> None:
        pass

    @transition(field=state, source=State.MONITORED, target=State.REPORTED)
    def report(self) -> None:
        pass

    @transition(field=state, source=State.REPORTED, target=State.SUBMITTED)
    def submit(self) -> None:
        pass

    @property
    def do_checklist(self) -> dict[str, bool]:
        return {
            "fits_district_plan": self.do_fits_district_plan,
            "feasible": self.do_feasible,
            "area_ready": self.do_area_ready,
            "permitted": self.do_permitted,
        }


class BudgetLine(models.Model):
    """A planned budget line; the project's budget is the sum of its lines."""

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="budget_lines", verbose_name=_("project")
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    description = models.CharField(_("description"), max_length=500)
    category = models.CharField(_("category"), max_length=30, choices=LineCategory.choices)
    amount = models.DecimalField(_("amount (THB)"), max_digits=14, decimal_places=2)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("budget line")
        verbose_name_plural = _("budget lines")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gte=Decimal("0")), name="budget_line_not_negative"
            )
        ]

    def __str__(self) -> str:
        return f"{self.description} ({self.amount})"


class SpendLine(models.Model):
    """Actual spend, recorded with the implementation."""

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="spend_lines", verbose_name=_("project")
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    description = models.CharField(_("description"), max_length=500)
    category = models.CharField(_("category"), max_length=30, choices=LineCategory.choices)
    amount = models.DecimalField(_("amount (THB)"), max_digits=14, decimal_places=2)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("spend line")
        verbose_name_plural = _("spend lines")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gte=Decimal("0")), name="spend_line_not_negative"
            )
        ]

    def __str__(self) -> str:
        return f"{self.description} ({self.amount})"


class ProgressUpdate(models.Model):
    """The timeline while a project runs (approved, not yet implemented).

    The officer posts progress (date, percent done, text, photos); the district chief and the
    regional inspector add supervision notes and recommendations (the guideline's กำกับ ติดตาม
    and ให้ข้อเสนอแนะ). Written only through ``workflow.services.progress`` (audited).
    """

    class Kind(models.TextChoices):
        PROGRESS = "progress", _("Progress update")
        SUPERVISION = "supervision", _("Supervision note")

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="progress_updates", verbose_name=_("project")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("author")
    )
    author_role = models.CharField(_("role"), max_length=30)
    as_of = models.DateField(_("date"))
    percent_done = models.PositiveSmallIntegerField(_("percent done"), null=True, blank=True)
    text = models.TextField(_("text"))
    recommendations = models.TextField(_("recommendations"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["as_of", "id"]
        verbose_name = _("progress update")
        verbose_name_plural = _("progress updates")
        indexes = [models.Index(fields=["project", "kind", "created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(percent_done__isnull=True) | models.Q(percent_done__lte=100),
                name="progress_percent_at_most_100",
            )
        ]

    def __str__(self) -> str:
        return f"{self.project_id} {self.kind} {self.as_of}"


class EvidenceFile(models.Model):
    class Kind(models.TextChoices):
        EVIDENCE = "evidence", _("Implementation evidence")
        MONITORING_PHOTO = "monitoring_photo", _("Monitoring photo")
        PROGRESS_PHOTO = "progress_photo", _("Progress photo")

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="evidence_files", verbose_name=_("project")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.EVIDENCE)
    progress_update = models.ForeignKey(
        ProgressUpdate,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="photos",
        verbose_name=_("progress update"),
    )
    file = models.FileField(_("file"), upload_to=stored_name)  # a random name (workflow.uploads)
    caption = models.CharField(_("caption"), max_length=500, blank=True)
    sha256 = models.CharField(_("SHA-256 fingerprint"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("uploaded by")
    )
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("evidence file")
        verbose_name_plural = _("evidence files")

    def __str__(self) -> str:
        return self.caption or self.file.name


class MonitoringRecord(models.Model):
    """The inspector's findings; a project returned for more work may be monitored again."""

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="monitoring_records", verbose_name=_("project")
    )
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("inspector")
    )
    findings = models.TextField(_("findings"))
    recommendations = models.TextField(_("recommendations"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("monitoring record")
        verbose_name_plural = _("monitoring records")

    def __str__(self) -> str:
        return f"{self.project_id}: {self.findings[:40]}"


class DistrictSubmission(models.Model):
    """A district chief's submission of the district's reported projects for an edition."""

    district = models.ForeignKey(
        District, on_delete=models.PROTECT, related_name="submissions", verbose_name=_("district")
    )
    edition = models.ForeignKey(
        Edition, on_delete=models.PROTECT, related_name="submissions", verbose_name=_("edition")
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("submitted by")
    )
    submitted_at = models.DateTimeField(_("submitted"))
    is_late = models.BooleanField(_("late"), default=False)
    projects = models.ManyToManyField(Project, related_name="submissions", verbose_name=_("projects"))
    comment = models.TextField(_("comment"), blank=True)
    # The chief whose role the submitter held as acting official (รักษาราชการแทน), else empty:
    # the book's and the covering letter's signature blocks say so.
    acting_for = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("acting for"),
    )
    # The covering letter (หนังสือนำส่ง): its number in the office's register and its date,
    # entered by the chief at submission.
    letter_number = models.CharField(_("covering letter's number"), max_length=100, blank=True)
    letter_date = models.DateField(_("covering letter's date"), null=True, blank=True)

    class Meta:
        ordering = ["-submitted_at"]
        verbose_name = _("district submission")
        verbose_name_plural = _("district submissions")
        constraints = [
            models.UniqueConstraint(
                fields=["district", "edition", "version"], name="submission_version_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.district_id} {self.edition_id} v{self.version}"

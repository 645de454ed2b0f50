"""Reading the domain, always through ``access``: what a user cannot see does not exist."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from django.db.models import Count, Exists, OuterRef, Prefetch, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from . import access, flows, sql
from .errors import Forbidden, NotFound
from .models import (
    AuditEvent,
    BudgetLine,
    Delegation,
    Disbursement,
    District,
    DistrictSubmission,
    Edition,
    EvidenceFile,
    ProgressUpdate,
    Project,
    Role,
    RoleMembership,
    RoleModelDistrict,
    SpendLine,
)
from .models.projects import EDITABLE_STATES, RELEASED_STATES
from .rules import (
    EditionFacts,
    ProjectFacts,
    RuleResult,
    RuleWarning,
    Text,
    evaluate,
    spend_warnings,
    text_warnings,
)

ZERO = Decimal("0.00")
CENT = Decimal("0.01")


def baht(value: Decimal | None) -> Decimal:
    """Amounts always carry two decimals (SQLite's SUM drops them), so snapshots hash alike everywhere."""
    return (value or ZERO).quantize(CENT)


def project_base_queryset() -> QuerySet[Project]:
    return Project.objects.select_related(
        "district__province", "edition", "bank_entry__subdistrict", "created_by"
    ).prefetch_related(
        Prefetch("budget_lines", queryset=BudgetLine.objects.order_by("position", "id")),
        "subdistricts",
    )


def project_list_visible(user: Any, **filters: Any) -> QuerySet[Project]:
    principal = access.principal_for(user)
    return project_base_queryset().filter(principal.project_q()).filter(**filters)


def project_get_visible(user: Any, pk: Any, *, for_update: bool = False) -> Project:
    principal = access.principal_for(user)
    qs = Project.objects.filter(principal.project_q())
    if for_update:
        qs = qs.select_for_update(of=("self",), no_key=True)
    try:
        project = qs.select_related("district__province", "edition", "created_by").get(pk=pk)
    except (Project.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None
    return project


def projects_for_transition() -> QuerySet[Project]:
    """Projects with what a transition reads about them, in one statement: the district and
    edition, the open step's task, the subdistricts' fit and whether spend lines exist."""
    links = Project.subdistricts.through.objects.filter(project_id=OuterRef("pk"))
    counted = links.values("project_id").annotate(n=Count("*")).values("n")
    outside = links.exclude(subdistrict__district_id=OuterRef("district_id"))
    return (
        Project.objects.select_related("district__province", "edition", "created_by")
        .annotate(**flows.open_step_annotations())
        .annotate(
            _subdistricts=Coalesce(Subquery(counted), 0),
            _subdistricts_outside=Coalesce(
                Subquery(outside.values("project_id").annotate(n=Count("*")).values("n")), 0
            ),
            _has_spend_lines=Exists(SpendLine.objects.filter(project_id=OuterRef("pk"))),
        )
    )


def project_for_transition(
    user: Any, pk: Any, *, for_update: bool = False, lock_district: bool = False
) -> Project:
    """The visible project as a transition needs it (404 when not visible), as
    ``projects_for_transition`` reads it but in one hand-written statement (``workflow.sql``);
    locked when asked, with its district's row too when the transition changes what the
    district's budget holds."""
    try:
        key = int(pk)
    except (TypeError, ValueError):
        raise NotFound() from None
    if user is not None and user.is_authenticated and access.cached_principal(user) is None:
        conn = sql.db()
        if sql.reads_grants_with_project(conn.vendor):
            # The user's grants with the project, in its statement: a round trip saved.
            day = access.today()
            seen_by = sql.SeenBy(user.pk, day, access.visibility_condition)
            project = sql.project_for_transition(
                key, seen_by, for_update=for_update, lock_district=lock_district
            )
            if project is None:
                raise NotFound()
            access.principal_from(user, day, project._grant_rows)  # type: ignore[attr-defined]
            return project
    principal = access.principal_for(user)
    project = sql.project_for_transition(
        key, access.visibility(principal), for_update=for_update, lock_district=lock_district
    )
    if project is None:
        raise NotFound()
    return project


@dataclass(frozen=True)
class TransitionFacts:
    """The rules' view of a project and the rest of its district's budget, read in one statement."""

    facts: ProjectFacts
    committed_other: Decimal
    spent_other: Decimal = ZERO  # what the district's other live projects spent
    approved_other: int = 0  # the district's other live projects past approval
    disbursed: Decimal = ZERO  # what the province disbursed to the district

    @property
    def first_approval_undisbursed(self) -> bool:
        """No other live project of the district is approved and nothing is disbursed yet: the
        approval at hand gives the provincial office its task (``disbursements_due``)."""
        return self.approved_other == 0 and self.disbursed <= 0

    def results(self, edition: Edition) -> list[RuleResult]:
        return evaluate(
            self.facts, edition_facts(edition), self.committed_other, spent_other=self.spent_other
        )

    def spending(self, spent: Decimal) -> TransitionFacts:
        """The same facts with the project's spending replaced by ``spent`` (what is being recorded)."""
        return replace(self, facts=replace(self.facts, spent=baht(spent)))

    def spend_result(self, edition: Edition) -> RuleResult:
        return next(r for r in self.results(edition) if r.code == "spend_cap_exceeded")

    def snapshot(self, edition: Edition) -> list[dict[str, Any]]:
        return [r.snapshot() for r in self.results(edition)]

    def budget_after(self, project: Project) -> BudgetSummary:
        """The district's budget with the project in its (new) state."""
        own = self.facts.budget if project.state not in RELEASED_STATES else ZERO
        committed = baht(self.committed_other + own)
        cap = project.edition.budget_cap
        spent = baht(self.spent_other + (self.facts.spent if project.state not in RELEASED_STATES else ZERO))
        return BudgetSummary(
            cap=cap, committed=committed, remaining=cap - committed, spent=spent, disbursed=self.disbursed
        )


def transition_facts(project: Project) -> TransitionFacts:
    """``project`` comes from ``projects_for_transition`` (its subdistricts counted there).

    One query gives the project's own lines (their categories and total), the committed budget
    of the district's other live projects, and what the project and those others spent.
    """
    return transition_facts_from(project, transition_facts_read(project).rows())


def transition_facts_read(project: Project) -> sql.Read:
    """The read of ``transition_facts``, to be sent with another statement (``flows.step_complete``)."""
    return sql.line_totals_read(project, RELEASED_STATES)


def transition_facts_from(project: Project, found: Iterable[Sequence[Any]]) -> TransitionFacts:
    """``transition_facts`` from the rows of its read."""
    totals = sql.line_totals_from(found)
    categories, own, other = totals.categories, totals.own, totals.other
    inside = project._subdistricts - project._subdistricts_outside  # type: ignore[attr-defined]
    # The rules ask only whether there are subdistricts and whether each is the district's own.
    subdistrict_districts = [project.district_id] * inside + [""] * project._subdistricts_outside  # type: ignore[attr-defined]
    facts = project_facts(
        project,
        subdistrict_districts=subdistrict_districts,
        line_categories=categories,
        budget=baht(own),
        spent=baht(totals.spent_own),
    )
    return TransitionFacts(
        facts=facts,
        committed_other=baht(other),
        spent_other=baht(totals.spent_other),
        approved_other=totals.approved_other,
        disbursed=baht(totals.disbursed),
    )


def district_get_visible(user: Any, code: str) -> District:
    principal = access.principal_for(user)
    try:
        return District.objects.select_related("province").filter(principal.district_q()).get(code=code)
    except District.DoesNotExist:
        raise NotFound() from None


def district_for_update(code: str) -> District:
    """Lock the district's row: every budget-changing write and every save of its book queue here.

    Call it inside the change's transaction, after the access check.
    """
    # NO KEY: the rows that reference the district (audit events, projects) take KEY SHARE locks
    # for their foreign keys; a plain FOR UPDATE would make those wait, and deadlock.
    return District.objects.select_for_update(no_key=True).select_related("province").get(code=code)


def active_edition() -> Edition | None:
    return Edition.objects.active().first()


# --- Budget ---------------------------------------------------------------------------


def committed_budget(
    *, district_code: str, edition_id: int, exclude_project_id: int | None = None
) -> Decimal:
    """Sum of the budget of every live (not rejected or withdrawn) project of the district."""
    qs = BudgetLine.objects.filter(
        project__district_id=district_code, project__edition_id=edition_id
    ).exclude(project__state__in=RELEASED_STATES)
    if exclude_project_id is not None:
        qs = qs.exclude(project_id=exclude_project_id)
    return baht(qs.aggregate(total=Sum("amount"))["total"])


def spent_budget(*, district_code: str, edition_id: int, exclude_project_id: int | None = None) -> Decimal:
    """Sum of the spend lines of every live project of the district (what was actually spent)."""
    qs = SpendLine.objects.filter(project__district_id=district_code, project__edition_id=edition_id).exclude(
        project__state__in=RELEASED_STATES
    )
    if exclude_project_id is not None:
        qs = qs.exclude(project_id=exclude_project_id)
    return baht(qs.aggregate(total=Sum("amount"))["total"])


def committed_by_district(pairs: set[tuple[str, int]]) -> dict[tuple[str, int], Decimal]:
    """Committed budget per (district, edition), for many at once (one query)."""
    if not pairs:
        return {}
    districts = {d for d, _ in pairs}
    editions = {e for _, e in pairs}
    rows = (
        BudgetLine.objects.filter(project__district_id__in=districts, project__edition_id__in=editions)
        .exclude(project__state__in=RELEASED_STATES)
        .values("project__district_id", "project__edition_id")
        .annotate(total=Sum("amount"))
    )
    result = {pair: ZERO for pair in pairs}
    for row in rows:
        key = (row["project__district_id"], row["project__edition_id"])
        if key in result:
            result[key] = baht(row["total"])
    return result


@dataclass(frozen=True)
class BudgetSummary:
    """The district's budget in an edition: the cap, what live projects' approved budgets commit,
    what is left, what they spent (their spend lines) and what the province disbursed."""

    cap: Decimal
    committed: Decimal
    remaining: Decimal
    spent: Decimal = ZERO
    # What the provincial office disbursed to the district (``disbursed_total``).
    disbursed: Decimal = ZERO

    def as_dict(self) -> dict[str, str]:
        """The audit snapshot (its keys are part of the events' hashed content: kept as they were)."""
        return {"cap": str(self.cap), "committed": str(self.committed), "remaining": str(self.remaining)}

    def share(self, amount: Decimal) -> Decimal:
        """``amount`` as a percentage of the cap (0-100) for a meter."""
        if self.cap <= 0:
            return Decimal("100")
        return max(Decimal("0"), min(Decimal("100"), amount * 100 / self.cap))


def budget_of(*, district_code: str, edition: Edition) -> BudgetSummary:
    committed = committed_budget(district_code=district_code, edition_id=edition.pk)
    spent = spent_budget(district_code=district_code, edition_id=edition.pk)
    return BudgetSummary(
        cap=edition.budget_cap,
        committed=committed,
        remaining=edition.budget_cap - committed,
        spent=spent,
        disbursed=disbursed_total(district_code=district_code, edition_id=edition.pk),
    )


# --- The province's disbursement ----------------------------------------------------------

# States of a live project the chief has approved (approved or any later live state).
NOT_YET_APPROVED_STATES = (*EDITABLE_STATES, *RELEASED_STATES)


def disbursed_total(*, district_code: str, edition_id: int) -> Decimal:
    """What the provincial office disbursed to the district for the edition (every tranche)."""
    total = Disbursement.objects.filter(district_id=district_code, edition_id=edition_id).aggregate(
        total=Sum("amount")
    )["total"]
    return baht(total)


def disbursed_by_district(pairs: set[tuple[str, int]]) -> dict[tuple[str, int], Decimal]:
    """Disbursed total per (district, edition), for many at once (one query)."""
    if not pairs:
        return {}
    rows = (
        Disbursement.objects.filter(
            district_id__in={d for d, _ in pairs}, edition_id__in={e for _, e in pairs}
        )
        .values("district_id", "edition_id")
        .annotate(total=Sum("amount"))
    )
    result = {pair: ZERO for pair in pairs}
    for row in rows:
        key = (row["district_id"], row["edition_id"])
        if key in result:
            result[key] = baht(row["total"])
    return result


@dataclass(frozen=True)
class DisbursementLedger:
    """A district's disbursements in an edition: the tranches, their total, the cap, what is left."""

    district: District
    edition: Edition
    rows: list[Disbursement]
    total: Decimal
    cap: Decimal

    @property
    def remaining(self) -> Decimal:
        return baht(max(ZERO, self.cap - self.total))

    @property
    def complete(self) -> bool:
        return self.total >= self.cap


def district_disbursements(user: Any, code: str, *, edition: Edition | None = None) -> DisbursementLedger:
    """The district's disbursements in ``edition`` (default: the active one), for whoever may see
    the district (404 otherwise, and when there is no edition)."""
    district = district_get_visible(user, code)
    edition = edition or active_edition()
    if edition is None:
        raise NotFound()
    rows = list(
        Disbursement.objects.filter(district=district, edition=edition)
        .select_related("recorded_by")
        .order_by("paid_on", "id")
    )
    total = baht(sum((row.amount for row in rows), ZERO))
    return DisbursementLedger(
        district=district, edition=edition, rows=rows, total=total, cap=edition.budget_cap
    )


@dataclass(frozen=True)
class DisbursementDue:
    """A district of the provincial officer's province waiting for its allocation: a task in the
    inbox ("record the disbursement of <district>"), derived from facts."""

    district: District
    approved_projects: int
    approved_budget: Decimal


def disbursements_due(user: Any) -> list[DisbursementDue]:
    """The Role Model districts of the user's provinces (as provincial officer) with at least one
    approved (or later, live) project in the active edition and no disbursement yet: one query."""
    principal = access.principal_for(user)
    if not principal.grants_for([Role.PROVINCIAL_OFFICER]):
        return []
    edition = active_edition()
    if edition is None:
        return []
    approved = Project.objects.filter(district_id=OuterRef("code"), edition=edition).exclude(
        state__in=NOT_YET_APPROVED_STATES
    )
    budget = (
        BudgetLine.objects.filter(project__district_id=OuterRef("code"), project__edition=edition)
        .exclude(project__state__in=NOT_YET_APPROVED_STATES)
        .values("project__district_id")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    districts = (
        District.objects.filter(access.disbursement_district_q(principal))
        .filter(
            Exists(RoleModelDistrict.objects.filter(edition=edition, district_id=OuterRef("code"))),
            Exists(approved),
        )
        .exclude(Exists(Disbursement.objects.filter(edition=edition, district_id=OuterRef("code"))))
        .select_related("province")
        .annotate(
            _approved=Subquery(approved.values("district_id").annotate(n=Count("*")).values("n")),
            _budget=Subquery(budget),
        )
        .order_by("province_id", "code")
    )
    return [
        DisbursementDue(district=d, approved_projects=d._approved or 0, approved_budget=baht(d._budget))  # type: ignore[attr-defined]
        for d in districts
    ]


# --- Rules on saved projects ------------------------------------------------------------


def project_budget(project: Project) -> Decimal:
    return baht(sum((line.amount for line in project.budget_lines.all()), ZERO))


def project_facts(
    project: Project,
    *,
    subdistrict_districts: list[str] | None = None,
    line_categories: list[str] | None = None,
    budget: Decimal | None = None,
    spent: Decimal = ZERO,
) -> ProjectFacts:
    """The rules' view of a saved project; what the caller already read is not read again."""
    if subdistrict_districts is None:
        subdistrict_districts = [s.district_id for s in project.subdistricts.all()]
    if line_categories is None:
        line_categories = [line.category for line in project.budget_lines.all()]
    return ProjectFacts(
        district_code=project.district_id,
        dimension=project.dimension,
        dimension_other=project.dimension_other,
        subdistrict_districts=subdistrict_districts,
        target_villages=project.target_villages,
        target_households=project.target_households,
        start_date=project.start_date,
        end_date=project.end_date,
        primary_objective=project.primary_objective,
        training_kind=project.training_kind,
        training_target_local=project.training_target_local,
        line_categories=line_categories,
        budget=project_budget(project) if budget is None else budget,
        do_checklist=project.do_checklist,
        spent=spent,
    )


def edition_facts(edition: Edition) -> EditionFacts:
    return EditionFacts(
        budget_cap=edition.budget_cap, deadline=edition.deadline, dimensions=edition.dimensions
    )


def project_spent(project: Project) -> Decimal:
    return baht(sum((line.amount for line in project.spend_lines.all()), ZERO))


def project_rule_results(
    project: Project, *, budget: BudgetSummary | None = None, committed_total: Decimal | None = None
) -> list[RuleResult]:
    """The rules as they stand now, with the figures of ``budget`` (the district's meter, this
    project included; read when not given). ``committed_total`` instead of ``budget`` (the
    API's lists): the committed total only, spending not read (taken as none)."""
    own = project_budget(project)
    live = project.state not in RELEASED_STATES
    if budget is None and committed_total is not None:
        other = committed_total - (own if live else ZERO)
        return evaluate(project_facts(project), edition_facts(project.edition), other)
    if budget is None:
        budget = budget_of(district_code=project.district_id, edition=project.edition)
    spent = project_spent(project)
    other = budget.committed - (own if live else ZERO)
    spent_other = budget.spent - (spent if live else ZERO)
    facts = project_facts(project, spent=spent)
    return evaluate(facts, edition_facts(project.edition), other, spent_other=spent_other)


def rules_failed_first(results: list[RuleResult]) -> list[RuleResult]:
    """The failures first (a decision screen leads with them), each group in the rules' order."""
    return [r for r in results if not r.passed] + [r for r in results if r.passed]


def project_warnings(project: Project) -> list[RuleWarning]:
    """What the chief and the inspector should weigh: spending above the approved budget, and
    a title, bank description, budget or spend line that reads like a Don't. Reads the
    project's budget and spend lines and bank entry (prefetch them)."""
    spend_lines = list(project.spend_lines.all())
    texts = [Text("title", project.title)]
    if project.bank_entry_id is not None:
        texts.append(Text("bank_description", project.bank_entry.description))
    texts += [Text("budget_line", line.description, i) for i, line in enumerate(project.budget_lines.all())]
    texts += [Text("spend_line", line.description, i) for i, line in enumerate(spend_lines)]
    return spend_warnings(
        budget=project_budget(project), spent=project_spent(project), has_spending=bool(spend_lines)
    ) + text_warnings(
        texts, training_kind=project.training_kind, training_local=project.training_target_local
    )


# --- History ----------------------------------------------------------------------------


def history_base_queryset() -> QuerySet[AuditEvent]:
    return AuditEvent.objects.select_related("actor", "acting_for").order_by("-id")


def project_history(user: Any, pk: Any) -> QuerySet[AuditEvent]:
    project = project_get_visible(user, pk)
    return history_base_queryset().filter(project=project)


def history_visible(user: Any) -> QuerySet[AuditEvent]:
    """The whole trail for auditors, central planners and admins; nothing for others."""
    principal = access.principal_for(user)
    if not access.may_read_all_history(principal):
        raise Forbidden()
    return history_base_queryset()


# --- Acting officials ----------------------------------------------------------------------


def delegations_given(user: Any) -> QuerySet[Delegation]:
    return (
        Delegation.objects.filter(delegator=user)
        .select_related("delegate", "district")
        .order_by("-starts_on", "-id")
    )


def usernames_in_districts(district_codes: list[str], *, exclude_user: Any = None) -> list[str]:
    """Users holding any role over these districts (candidates to act for their chief)."""
    memberships = RoleMembership.objects.filter(district_id__in=district_codes).filter(
        access.memberships_valid_on(timezone.localdate())
    )
    if exclude_user is not None:
        memberships = memberships.exclude(user=exclude_user)
    return sorted(set(memberships.values_list("user__username", flat=True)))


# --- Submissions and evidence ---------------------------------------------------------------


def district_submissions(user: Any, code: str) -> QuerySet[DistrictSubmission]:
    """The district's submissions, newest first (404 when the district is not visible)."""
    district = district_get_visible(user, code)
    return (
        DistrictSubmission.objects.filter(district=district)
        .select_related("edition", "submitted_by", "acting_for")
        .prefetch_related("projects")
        .order_by("-submitted_at", "-version")
    )


def evidence_get_visible(user: Any, project_pk: Any, evidence_pk: Any) -> EvidenceFile:
    project = project_get_visible(user, project_pk)
    evidence = (
        EvidenceFile.objects.filter(project=project, pk=evidence_pk).select_related("uploaded_by").first()
    )
    if evidence is None:
        raise NotFound()
    return evidence


# --- The progress timeline (``workflow.services.progress``) ---------------------------------


def progress_updates_of(project: Project) -> list[ProgressUpdate]:
    """The project's progress updates and supervision notes in order (the date they describe,
    then as posted), each with its author and photos: two statements."""
    return list(
        ProgressUpdate.objects.filter(project=project)
        .select_related("author")
        .prefetch_related(Prefetch("photos", queryset=EvidenceFile.objects.order_by("id")))
        .order_by("as_of", "id")
    )


def progress_timeline(user: Any, pk: Any) -> QuerySet[ProgressUpdate]:
    """The visible project's timeline (404 otherwise), as ``progress_updates_of`` reads it."""
    project = project_get_visible(user, pk)
    return (
        ProgressUpdate.objects.filter(project=project)
        .select_related("author")
        .prefetch_related(Prefetch("photos", queryset=EvidenceFile.objects.order_by("id")))
        .order_by("as_of", "id")
    )


def editions() -> QuerySet[Edition]:
    return Edition.objects.order_by("-code")


def history_filter(
    events: QuerySet[AuditEvent],
    *,
    district: str | None = None,
    province: str | None = None,
    actor: str | None = None,
    action: str | None = None,
    project: int | None = None,
    since: datetime.datetime | None = None,
    until: datetime.datetime | None = None,
) -> QuerySet[AuditEvent]:
    """Events matching every given criterion: ``since`` inclusive, ``until`` exclusive."""
    if district:
        events = events.filter(district_id=district)
    if province:
        events = events.filter(province_id=province)
    if actor:
        events = events.filter(actor_username=actor)
    if action:
        events = events.filter(action=action)
    if project is not None:
        events = events.filter(project_id=project)
    if since is not None:
        events = events.filter(created_at__gte=since)
    if until is not None:
        events = events.filter(created_at__lt=until)
    return events

"""The progress dashboards: what central planners, regional inspectors and provincial officers
watch, each over their own area.

``dashboard_for(user, edition=..., province=...)`` is the one selector behind the page, its
exports and the API. It reads the user's area from ``workflow.access.dashboard_district_q``
(the whole country for central planners, auditors and admins; the region's provinces for an
inspector; the province for a provincial officer) and counts the edition's Role Model districts
only (อำเภอต้นแบบ, ``RoleModelDistrict``: the programme runs in the districts designated for the
edition, never in Bangkok's khet).

Rows are grouped by province when the area is the country or a region, and by district when it
is one province, or when the user drills down into one of their provinces (``province=``).

Every figure is one aggregate query grouped by province or district, so the number of queries
does not grow with the number of districts (about twenty for the whole country):

* **projects per state**: every project of the edition, by its FSM state;
* **budget**: committed is the sum of the budget lines of live projects (not rejected or
  withdrawn, ``Project.objects.committed()``), the cap is the edition's cap per district times
  the Role Model districts of the group (the national budget: cap × designated districts),
  spent is the sum of the spend lines of live projects; disbursed is what the provincial offices
  recorded as paid to the districts (``workflow.models.Disbursement``, every tranche);
* **overdue tasks**: open viewflow tasks of live, unfinished projects whose step's due date
  (``workflow.schedule.task_due_date_expression``, as in the inbox and the timers) is before
  today;
* **books received against expected**: every Role Model district of the edition is *expected*
  to send one book (the guideline: "อำเภอต้นแบบ (Role Model) ทุกแห่งจัดทำหนังสือ … จำนวน ๑ เล่ม");
  it is *received* when the district has submitted (any version); *late* when its first version
  came after the deadline; *acknowledged* when the Academic and Planning Division has
  acknowledged one of its versions;
* **not started**: Role Model districts without a live project in the edition (nothing
  selected yet, or every project rejected or withdrawn);
* **dimensions**: live projects and their budget per development dimension.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from viewflow.workflow.models import Task

from workflow import access, flows, schedule
from workflow.errors import FieldError, Forbidden, InvalidInput, NotFound
from workflow.models import (
    AreaKind,
    BudgetLine,
    Dimension,
    Disbursement,
    District,
    DistrictSubmission,
    Edition,
    InspectionRegion,
    Project,
    SpendLine,
    State,
)
from workflow.models.projects import FINAL_STATES, RELEASED_STATES
from workflow.selectors import baht

from .models import SubmissionReceipt

ZERO = Decimal("0.00")
PROJECT = "process__projectprocess__project__"
BY_PROVINCE = "province"
BY_DISTRICT = "district"
# The most recent submissions listed on the dashboard.
RECENT_SUBMISSIONS = 20
STATES: tuple[str, ...] = tuple(State.values)
STEPS: tuple[str, ...] = tuple(flows.STEP_ROLE)


def _localized(name_th: str, name_en: str) -> str:
    language = (translation.get_language() or "th")[:2]
    return name_en if language == "en" and name_en else name_th


@dataclass(frozen=True)
class Area:
    """A province or district as a row of the dashboard."""

    code: str
    name_th: str
    name_en: str = ""

    @property
    def name(self) -> str:
        return _localized(self.name_th, self.name_en)


@dataclass
class GroupRow:
    """The figures of one province or district (or the total of all rows)."""

    area: Area
    districts: int = 0  # the edition's Role Model districts in this row
    started: int = 0  # of which with at least one live project
    states: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATES, 0))
    cap: Decimal = ZERO
    committed: Decimal = ZERO
    spent: Decimal = ZERO
    disbursed: Decimal = ZERO  # what the provincial offices paid to the districts
    open_tasks: int = 0
    overdue_tasks: int = 0
    overdue_by_step: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STEPS, 0))
    books_expected: int = 0
    books_received: int = 0
    books_late: int = 0
    books_acknowledged: int = 0

    @property
    def projects(self) -> int:
        return sum(self.states.values())

    @property
    def live_projects(self) -> int:
        return sum(n for state, n in self.states.items() if state not in RELEASED_STATES)

    @property
    def remaining(self) -> Decimal:
        return self.cap - self.committed

    @property
    def committed_percent(self) -> Decimal | None:
        """Committed as a percentage of the cap, one decimal (None when the cap is zero)."""
        if not self.cap:
            return None
        return (self.committed * 100 / self.cap).quantize(Decimal("0.1"))

    @property
    def not_started(self) -> int:
        return max(0, self.districts - self.started)

    @property
    def books_on_time(self) -> int:
        return self.books_received - self.books_late

    @property
    def books_missing(self) -> int:
        return max(0, self.books_expected - self.books_received)

    def add(self, other: GroupRow) -> None:
        """Add ``other``'s figures to this row (for the totals)."""
        self.districts += other.districts
        self.started += other.started
        for state, n in other.states.items():
            self.states[state] = self.states.get(state, 0) + n
        self.cap += other.cap
        self.committed += other.committed
        self.spent += other.spent
        self.disbursed += other.disbursed
        self.open_tasks += other.open_tasks
        self.overdue_tasks += other.overdue_tasks
        for step, n in other.overdue_by_step.items():
            self.overdue_by_step[step] = self.overdue_by_step.get(step, 0) + n
        self.books_expected += other.books_expected
        self.books_received += other.books_received
        self.books_late += other.books_late
        self.books_acknowledged += other.books_acknowledged


@dataclass(frozen=True)
class DimensionRow:
    code: str
    projects: int
    budget: Decimal

    @property
    def label(self) -> str:
        if not self.code:
            return _("No dimension")
        try:
            return str(Dimension(self.code).label)
        except ValueError:
            return self.code


@dataclass(frozen=True)
class SubmissionRow:
    id: int
    district: Area
    province: Area
    version: int
    submitted_at: datetime.datetime
    is_late: bool
    acknowledged: bool


@dataclass(frozen=True)
class Scope:
    """Whose area the dashboard shows and how its rows are grouped."""

    country: bool
    regions: tuple[str, ...]
    provinces: tuple[Area, ...]  # every province of the user's area (for the drill-down)
    province: Area | None  # the province drilled into, or the user's only province
    group_by: str
    drilled: bool

    @property
    def label(self) -> str:
        if self.drilled and self.province is not None:
            return self.province.name
        if self.country:
            return _("Whole country")
        if self.regions:
            return ", ".join(self.regions)
        return ", ".join(p.name for p in self.provinces)


@dataclass
class Dashboard:
    edition: Edition | None
    editions: list[Edition]
    scope: Scope
    groups: list[GroupRow]
    totals: GroupRow
    dimensions: list[DimensionRow]
    recent: list[SubmissionRow]
    today: datetime.date


# --- Who sees what, which edition ------------------------------------------------------------


def may_view_dashboard(user: Any) -> bool:
    return bool(access.dashboard_grants(access.principal_for(user)))


def _edition(code: str | None, editions: list[Edition]) -> Edition | None:
    """The edition asked for (by code), else the active one, else the newest."""
    if code:
        for edition in editions:
            if edition.code == code:
                return edition
        raise InvalidInput(
            [FieldError("edition", "unknown_edition", _("There is no edition with this code."))],
            _("There is no edition with this code."),
        )
    for edition in editions:
        if edition.is_active:
            return edition
    return editions[0] if editions else None


def _scope(principal: access.Principal, province: str | None) -> tuple[Scope, Q]:
    """The user's scope and the filter on the districts it counts (Forbidden without a grant)."""
    grants = access.dashboard_grants(principal)
    if not grants:
        raise Forbidden(
            _("The dashboard is for central planners, regional inspectors and provincial officers.")
        )
    districts_q = access.dashboard_district_q(principal)
    rows = (
        District.objects.programme()
        .filter(districts_q)
        .values_list("province_id", "province__name_th", "province__name_en")
        .distinct()
        .order_by("province_id")
    )
    provinces = tuple(Area(code, name_th, name_en or "") for code, name_th, name_en in rows)
    country = any(g.area_kind == AreaKind.COUNTRY for g in grants)
    region_codes = sorted({g.region_code for g in grants if g.area_kind == AreaKind.REGION and g.region_code})
    regions: tuple[str, ...] = ()
    if region_codes and not country:
        regions = tuple(InspectionRegion.objects.filter(code__in=region_codes).values_list("name", flat=True))
    drilled = bool(province)
    chosen: Area | None = None
    if province:
        chosen = next((p for p in provinces if p.code == province), None)
        if chosen is None:
            raise NotFound()
        districts_q &= Q(province_id=province)
    elif not country and not regions and len(provinces) == 1:
        chosen = provinces[0]
    scope = Scope(
        country=country,
        regions=regions,
        provinces=provinces,
        province=chosen,
        group_by=BY_DISTRICT if chosen is not None else BY_PROVINCE,
        drilled=drilled,
    )
    return scope, districts_q


# --- The figures ----------------------------------------------------------------------------


def _groups(scope: Scope, districts: QuerySet[District]) -> dict[str, GroupRow]:
    if scope.group_by == BY_DISTRICT:
        rows: Iterable[tuple[str, str, str, int]] = (
            (code, name_th, name_en, 1)
            for code, name_th, name_en in districts.values_list("code", "name_th", "name_en").order_by("code")
        )
    else:
        rows = (
            districts.values_list("province_id", "province__name_th", "province__name_en")
            .annotate(n=Count("code"))
            .order_by("province_id")
        )
    # Every Role Model district is expected to send its book.
    return {
        code: GroupRow(area=Area(code, name_th, name_en or ""), districts=n, books_expected=n)
        for code, name_th, name_en, n in rows
    }


def _key(scope: Scope, prefix: str = "") -> str:
    """The field naming a row's province or district, reached from a model through ``prefix``."""
    return f"{prefix}district_id" if scope.group_by == BY_DISTRICT else f"{prefix}district__province_id"


def _fill_projects(groups: dict[str, GroupRow], projects: QuerySet[Project], key: str) -> None:
    """Projects per state, and the districts that have started (with a live project)."""
    counts: dict[str, Any] = {state: Count("pk", filter=Q(state=state)) for state in STATES}
    rows = (
        projects.values(key)
        .annotate(
            **{f"state_{state}": count for state, count in counts.items()},
            started=Count("district_id", distinct=True, filter=~Q(state__in=RELEASED_STATES)),
        )
        .order_by()
    )
    for row in rows:
        group = groups.get(row[key])
        if group is None:
            continue
        group.states = {state: row[f"state_{state}"] for state in STATES}
        group.started = row["started"]


def _fill_budget(groups: dict[str, GroupRow], edition: Edition, in_scope: Q, key: str) -> None:
    for group in groups.values():
        group.cap = baht(edition.budget_cap * group.districts)
    live = Q(project__edition=edition) & in_scope & ~Q(project__state__in=RELEASED_STATES)
    committed = BudgetLine.objects.filter(live).values(key).annotate(total=Sum("amount")).order_by()
    for row in committed:
        if row[key] in groups:
            groups[row[key]].committed = baht(row["total"])
    spent = SpendLine.objects.filter(live).values(key).annotate(total=Sum("amount")).order_by()
    for row in spent:
        if row[key] in groups:
            groups[row[key]].spent = baht(row["total"])


def _fill_disbursed(groups: dict[str, GroupRow], disbursements: QuerySet[Disbursement], key: str) -> None:
    """What the provincial offices disbursed to the districts of each row (every tranche)."""
    for row in disbursements.values(key).annotate(total=Sum("amount")).order_by():
        if row[key] in groups:
            groups[row[key]].disbursed = baht(row["total"])


def _fill_tasks(
    groups: dict[str, GroupRow], edition: Edition, in_scope: Q, key: str, today: datetime.date
) -> None:
    late = Q(due_date__lt=today)
    per_step = {
        f"overdue_{step}": Count("pk", filter=late & Q(flow_task=flows.step_node(step))) for step in STEPS
    }
    rows = (
        Task.objects.filter(flow_task_type="HUMAN", status__in=flows.ACTIVE_STATUSES)
        .filter(**{f"{PROJECT}edition": edition})
        .filter(in_scope)
        .exclude(**{f"{PROJECT}state__in": FINAL_STATES})
        .annotate(due_date=schedule.task_due_date_expression(PROJECT))
        .values(key)
        .annotate(open=Count("pk"), overdue=Count("pk", filter=late), **per_step)
        .order_by()
    )
    for row in rows:
        group = groups.get(row[key])
        if group is None:
            continue
        group.open_tasks = row["open"]
        group.overdue_tasks = row["overdue"]
        group.overdue_by_step = {step: row[f"overdue_{step}"] for step in STEPS}


def _fill_books(groups: dict[str, GroupRow], submissions: QuerySet[DistrictSubmission], key: str) -> None:
    rows = (
        submissions.values(key)
        .annotate(
            received=Count("district_id", distinct=True),
            late=Count("district_id", distinct=True, filter=Q(version=1, is_late=True)),
            acknowledged=Count("district_id", distinct=True, filter=Q(receipt__isnull=False)),
        )
        .order_by()
    )
    for row in rows:
        group = groups.get(row[key])
        if group is None:
            continue
        group.books_received = row["received"]
        group.books_late = row["late"]
        group.books_acknowledged = row["acknowledged"]


def _recent(submissions: QuerySet[DistrictSubmission]) -> list[SubmissionRow]:
    receipts = SubmissionReceipt.objects.filter(submission=OuterRef("pk"))
    rows = (
        submissions.select_related("district__province")
        .annotate(acknowledged=Exists(receipts))
        .order_by("-submitted_at", "-id")[:RECENT_SUBMISSIONS]
    )
    return [
        SubmissionRow(
            id=s.pk,
            district=Area(s.district.code, s.district.name_th, s.district.name_en),
            province=Area(s.district.province.code, s.district.province.name_th, s.district.province.name_en),
            version=s.version,
            submitted_at=s.submitted_at,
            is_late=s.is_late,
            acknowledged=bool(s.acknowledged),
        )
        for s in rows
    ]


def _dimensions(edition: Edition, live: QuerySet[Project], in_scope: Q) -> list[DimensionRow]:
    counts = dict(live.values_list("dimension").annotate(n=Count("pk")).order_by())
    budgets = dict(
        BudgetLine.objects.filter(Q(project__edition=edition) & in_scope)
        .exclude(project__state__in=RELEASED_STATES)
        .values_list("project__dimension")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    codes = [d for d in Dimension.values if d in (edition.dimensions or []) or d in counts]
    codes += sorted(c for c in counts if c not in codes)
    return [DimensionRow(code, counts.get(code, 0), baht(budgets.get(code))) for code in codes]


def dashboard_for(user: Any, *, edition: str | None = None, province: str | None = None) -> Dashboard:
    """The dashboard of ``user``'s area for an edition (code; default the active one).

    Raises ``Forbidden`` for a user without a dashboard grant, ``NotFound`` for a province
    outside their area and ``InvalidInput`` (field ``edition``) for an unknown edition.
    """
    principal = access.principal_for(user)
    scope, districts_q = _scope(principal, province or None)
    editions = list(Edition.objects.order_by("-code"))
    chosen = _edition(edition or None, editions)
    today = timezone.localdate()
    districts = District.objects.programme().filter(districts_q)
    # The programme runs in the edition's Role Model districts only.
    districts = districts.filter(designations__edition=chosen) if chosen is not None else districts.none()
    groups = _groups(scope, districts)
    district_codes = districts.values("code")
    if chosen is not None:
        projects = Project.objects.filter(edition=chosen, district_id__in=district_codes)
        _fill_projects(groups, projects, _key(scope))
        _fill_budget(groups, chosen, Q(project__district_id__in=district_codes), _key(scope, "project__"))
        _fill_disbursed(
            groups, Disbursement.objects.filter(edition=chosen, district_id__in=district_codes), _key(scope)
        )
        _fill_tasks(
            groups, chosen, Q(**{f"{PROJECT}district_id__in": district_codes}), _key(scope, PROJECT), today
        )
        submissions = DistrictSubmission.objects.filter(edition=chosen, district_id__in=district_codes)
        _fill_books(groups, submissions, _key(scope))
        recent = _recent(submissions)
        dimensions = _dimensions(
            chosen, projects.exclude(state__in=RELEASED_STATES), Q(project__district_id__in=district_codes)
        )
    else:
        recent, dimensions = [], []
    rows = list(groups.values())
    totals = GroupRow(area=Area("", _("Total"), _("Total")))
    for row in rows:
        totals.add(row)
    return Dashboard(
        edition=chosen,
        editions=editions,
        scope=scope,
        groups=rows,
        totals=totals,
        dimensions=dimensions,
        recent=recent,
        today=today,
    )

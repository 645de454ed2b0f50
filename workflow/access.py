"""Who may see what and who may do what: the one module every query and action asks.

A user's *grants* are their role memberships valid today. Each grant covers an area:
a district (officers, chiefs), a province (provincial officers), the provinces of an
inspection region (regional inspectors) or the whole country (central planners,
auditors, admins). Objects outside every grant a user holds are invisible (404).
"""

from __future__ import annotations

import datetime
import functools
import operator
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import reduce
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q, QuerySet
from django.utils import timezone

from . import sql, transitions
from .models import AreaKind, Delegation, Role, RoleMembership, State
from .models.roles import ROLE_AREA_KIND

if TYPE_CHECKING:
    from .models import District, Project

UserLike = AbstractBaseUser | AnonymousUser

COUNTRY_ROLES = frozenset({Role.CENTRAL_PLANNER, Role.AUDITOR, Role.ADMIN})
# Roles that may add comments to projects they see (auditors change nothing).
COMMENTING_ROLES = frozenset(
    {
        Role.DISTRICT_OFFICER,
        Role.DISTRICT_CHIEF,
        Role.PROVINCIAL_OFFICER,
        Role.REGIONAL_INSPECTOR,
        Role.CENTRAL_PLANNER,
    }
)
HISTORY_ROLES = frozenset({Role.AUDITOR, Role.CENTRAL_PLANNER, Role.ADMIN})


@dataclass(frozen=True)
class Grant:
    """One role held over one area, valid today."""

    role: str
    area_kind: str
    area_code: str
    district_code: str | None = None
    province_code: str | None = None
    region_code: str | None = None
    region_provinces: frozenset[str] = frozenset()
    acting_for_id: int | None = None
    # The official whose role an acting official holds (delegation), else None.
    acting_for: Any = field(default=None, compare=False, hash=False, repr=False)

    def covers(self, district_code: str, province_code: str) -> bool:
        if self.area_kind == AreaKind.COUNTRY:
            return True
        if self.area_kind == AreaKind.DISTRICT:
            return self.district_code == district_code
        if self.area_kind == AreaKind.PROVINCE:
            return self.province_code == province_code
        if self.area_kind == AreaKind.REGION:
            return province_code in self.region_provinces
        return False

    def project_q(self, prefix: str = "") -> Q:
        """A filter on projects (or on a model reaching a project through ``prefix``)."""
        if self.area_kind == AreaKind.COUNTRY:
            return Q()
        if self.area_kind == AreaKind.DISTRICT:
            return Q(**{f"{prefix}district_id": self.district_code})
        if self.area_kind == AreaKind.PROVINCE:
            return Q(**{f"{prefix}district__province_id": self.province_code})
        return Q(**{f"{prefix}district__province_id__in": sorted(self.region_provinces)})

    def district_q(self) -> Q:
        """A filter on districts covered by this grant."""
        if self.area_kind == AreaKind.COUNTRY:
            return Q()
        if self.area_kind == AreaKind.DISTRICT:
            return Q(code=self.district_code)
        if self.area_kind == AreaKind.PROVINCE:
            return Q(province_id=self.province_code)
        return Q(province_id__in=sorted(self.region_provinces))


NOTHING = Q(pk__in=[])


@dataclass
class Principal:
    """A user together with the grants they hold today (computed once per request)."""

    user: Any
    grants: list[Grant] = field(default_factory=list)

    @property
    def is_authenticated(self) -> bool:
        return bool(self.user is not None and self.user.is_authenticated)

    @property
    def is_admin(self) -> bool:
        return bool(getattr(self.user, "is_superuser", False)) or self.has_role(Role.ADMIN)

    def has_role(self, role: str) -> bool:
        return any(g.role == role for g in self.grants)

    def grants_for(self, roles: Iterable[str]) -> list[Grant]:
        wanted = set(roles)
        return [g for g in self.grants if g.role in wanted]

    def grant_over(self, roles: Iterable[str], district_code: str, province_code: str) -> Grant | None:
        for grant in self.grants_for(roles):
            if grant.covers(district_code, province_code):
                return grant
        return None

    def project_q(self, roles: Iterable[str] | None = None, prefix: str = "") -> Q:
        grants = self.grants if roles is None else self.grants_for(roles)
        return _any_of([grant.project_q(prefix) for grant in grants])

    def district_q(self, roles: Iterable[str] | None = None) -> Q:
        grants = self.grants if roles is None else self.grants_for(roles)
        return _any_of([grant.district_q() for grant in grants])


def _any_of(filters: list[Q]) -> Q:
    """OR of the grants' filters; none: nothing; an empty (country-wide) one: everything."""
    if not filters:
        return NOTHING
    if any(not f for f in filters):
        return Q()
    return reduce(operator.or_, filters)


def today() -> datetime.date:
    """The day grants are valid on: today in the service's zone (Bangkok)."""
    return timezone.localdate()


def memberships_valid_on(day: datetime.date) -> Q:
    return (Q(valid_from__isnull=True) | Q(valid_from__lte=day)) & (
        Q(valid_until__isnull=True) | Q(valid_until__gte=day)
    )


def principal_for(user: Any, *, on: datetime.date | None = None) -> Principal:
    """The user's grants valid on ``on`` (default today), cached on the user object.

    Role memberships valid that day give a grant each (a region's with its provinces); a
    delegation running that day gives its delegate the delegator's role over the district,
    while the delegator still holds that role there. One statement (``workflow.sql``).
    """
    if user is None or not user.is_authenticated:
        return Principal(user=user)
    day = on or today()
    cached = cached_principal(user, day)
    if cached is not None:
        return cached
    return principal_from(user, day, sql.grant_rows(user.pk, day))


def cached_principal(user: Any, day: datetime.date | None = None) -> Principal | None:
    """The user's grants for ``day`` (default today) if this user object already holds them."""
    cached = getattr(user, "_rolemodel_principal", None)
    if cached is not None and cached[0] == (day or today()):
        principal: Principal = cached[1]
        return principal
    return None


def principal_from(user: Any, day: datetime.date, grant_rows: Iterable[sql.GrantRow]) -> Principal:
    """The principal of ``user``'s grant rows valid on ``day`` (``sql.grant_rows``, or read with a
    project: ``sql.SeenBy``), cached on the user object as ``principal_for`` caches it."""
    memberships: dict[tuple[str, str | None, str | None, str | None], set[str]] = {}
    delegated: list[Grant] = []
    for row in grant_rows:
        if row.kind == "m":
            provinces = memberships.setdefault(
                (row.role, row.district_id, row.province_id, row.region_id), set()
            )
            if row.region_province is not None:
                provinces.add(row.region_province)
            continue
        official = get_user_model()(
            pk=row.delegator_id,
            username=row.delegator_username,
            first_name=row.delegator_first_name,
            last_name=row.delegator_last_name,
        )
        delegated.append(
            Grant(
                role=row.role,
                area_kind=AreaKind.DISTRICT,
                area_code=row.district_id or "",
                district_code=row.district_id,
                acting_for_id=row.delegator_id,
                acting_for=official,
            )
        )
    grants = [
        Grant(
            role=role,
            area_kind=ROLE_AREA_KIND[role],
            area_code=district or province or region or "TH",
            district_code=district,
            province_code=province,
            region_code=region,
            region_provinces=frozenset(provinces),
        )
        for (role, district, province, region), provinces in memberships.items()
    ]
    principal = Principal(user=user, grants=grants + delegated)
    user._rolemodel_principal = (day, principal)
    return principal


def delegations_active_on(day: datetime.date) -> Q:
    return Q(starts_on__lte=day, ends_on__gte=day, revoked_at__isnull=True)


def visibility(principal: Principal) -> sql.Visibility:
    """Where the user may see projects, for ``workflow.sql`` (the same areas as ``project_q``)."""
    districts: set[str] = set()
    provinces: set[str] = set()
    for grant in principal.grants:
        if grant.area_kind == AreaKind.COUNTRY:
            return sql.Visibility(everywhere=True)
        if grant.area_kind == AreaKind.DISTRICT and grant.district_code:
            districts.add(grant.district_code)
        elif grant.area_kind == AreaKind.PROVINCE and grant.province_code:
            provinces.add(grant.province_code)
        elif grant.area_kind == AreaKind.REGION:
            provinces.update(grant.region_provinces)
    return sql.Visibility(
        everywhere=False, districts=tuple(sorted(districts)), provinces=tuple(sorted(provinces))
    )


def _roles_of(kind: str) -> str:
    roles = sorted(role for role, area in ROLE_AREA_KIND.items() if area == kind)
    for role in roles:  # written into the statement: the codes are plain words
        if not role.replace("_", "").isalnum() or not role.isascii():
            raise ValueError(f"role code {role!r} cannot be written into a statement")
    return ", ".join(f"'{role}'" for role in roles) or "NULL"


@functools.cache
def visibility_condition(g: str, district: str, province: str) -> str:
    """``visibility`` as an SQL condition on one grant row ``g`` (the columns of
    ``sql.GRANT_COLUMNS``) for a project in district ``district`` of province ``province``
    (column expressions): a country-wide role sees everywhere, a district role (or an acting
    official's delegation) its district, a provincial role its province, a regional role the
    provinces of its region. A test holds it equal to ``visibility`` for every role and kind
    of grant."""
    member = f"{g}.kind = 'm'"
    return (
        f"({member} AND {g}.role IN ({_roles_of(AreaKind.COUNTRY)})) "
        f"OR (({g}.kind = 'd' OR ({member} AND {g}.role IN ({_roles_of(AreaKind.DISTRICT)}))) "
        f"AND {g}.district_id = {district}) "
        f"OR ({member} AND {g}.role IN ({_roles_of(AreaKind.PROVINCE)}) AND {g}.province_id = {province}) "
        f"OR ({member} AND {g}.role IN ({_roles_of(AreaKind.REGION)}) AND {g}.region_province = {province})"
    )


def forget(user: Any) -> None:
    """Drop the cached grants (after a grant or revoke in the same request)."""
    if hasattr(user, "_rolemodel_principal"):
        del user._rolemodel_principal


# --- Projects ---------------------------------------------------------------------------


def can_view_project(principal: Principal, project: Project) -> bool:
    return view_grant(principal, project) is not None


# Which role may take which action from which state: ``workflow.transitions``, plus editing.
ACTION_ROLES: dict[str, dict[str, str]] = {
    **transitions.action_roles(),
    "update": {State.SELECTED: Role.DISTRICT_OFFICER, State.RETURNED: Role.DISTRICT_OFFICER},
}
# A user may not decide on a project they created.
NOT_BY_CREATOR = frozenset(t.action for t in transitions.TRANSITIONS if t.not_by_creator)
# Transitions offered per project (``submit`` goes through the district's submission).
PROJECT_TRANSITIONS = transitions.PROJECT_ACTIONS


def roles_for_action(action: str) -> set[str]:
    return set(ACTION_ROLES[action].values())


def action_grant(
    principal: Principal, project: Project, action: str, state: str | None = None
) -> Grant | None:
    """The grant under which the user may take ``action`` on the project in ``state``."""
    role = ACTION_ROLES.get(action, {}).get(state or project.state)
    if role is None:
        return None
    district = project.district
    return principal.grant_over([role], district.code, district.province_id)


def may_act_at_all(principal: Principal, project: Project, action: str) -> bool:
    """Whether the user holds, over this project, any role that this action ever needs."""
    district = project.district
    return principal.grant_over(roles_for_action(action), district.code, district.province_id) is not None


def is_creator(principal: Principal, project: Project) -> bool:
    return bool(project.created_by_id == principal.user.pk)


def assign_grant(principal: Principal, project: Project) -> Grant | None:
    """A district chief (own right or acting) may assign and reassign the district's tasks."""
    district = project.district
    return principal.grant_over([Role.DISTRICT_CHIEF], district.code, district.province_id)


def may_delegate(principal: Principal, district: District) -> Grant | None:
    """A district chief (in their own right, not acting) may name an acting official."""
    for grant in principal.grants_for([Role.DISTRICT_CHIEF]):
        if grant.acting_for_id is None and grant.covers(district.code, district.province_id):
            return grant
    return None


def available_transitions(principal: Principal, project: Project) -> list[str]:
    """What the user may do to the project now (state and role; rules are checked on the act)."""
    names = []
    for name in PROJECT_TRANSITIONS:
        if action_grant(principal, project, name) is None:
            continue
        if name in NOT_BY_CREATOR and is_creator(principal, project):
            continue
        names.append(name)
    return names


def may_update(principal: Principal, project: Project) -> bool:
    return action_grant(principal, project, "update") is not None


def create_grant(principal: Principal, district: District) -> Grant | None:
    return principal.grant_over([Role.DISTRICT_OFFICER], district.code, district.province_id)


def comment_grant(principal: Principal, project: Project) -> Grant | None:
    district = project.district
    return principal.grant_over(COMMENTING_ROLES, district.code, district.province_id)


def view_grant(principal: Principal, project: Project) -> Grant | None:
    district = project.district
    return principal.grant_over([g.role for g in principal.grants], district.code, district.province_id)


# While a project runs (approved): the officer posts progress, the chief and the inspector
# supervise (the guideline's กำกับ ติดตาม and ให้ข้อเสนอแนะ). ``workflow.services.progress``.
PROGRESS_ROLES = frozenset({Role.DISTRICT_OFFICER})
SUPERVISION_ROLES = frozenset({Role.DISTRICT_CHIEF, Role.REGIONAL_INSPECTOR})


def progress_grant(principal: Principal, project: Project, kind: str = "progress") -> Grant | None:
    """The grant under which the user may add to the project's progress timeline: a progress
    update (``kind="progress"``: an officer of the district) or a supervision note
    (``"supervision"``: the district's chief, acting officials included, or the region's
    inspector). Whatever the project's state: the service checks that it runs."""
    roles = SUPERVISION_ROLES if kind == "supervision" else PROGRESS_ROLES
    district = project.district
    return principal.grant_over(roles, district.code, district.province_id)


# --- Districts, history, administration ---------------------------------------------


def can_view_district(principal: Principal, district: District) -> bool:
    return any(g.covers(district.code, district.province_id) for g in principal.grants)


def submit_grant(principal: Principal, district: District) -> Grant | None:
    return principal.grant_over([Role.DISTRICT_CHIEF], district.code, district.province_id)


# --- The province's disbursement ---------------------------------------------------------


def disburse_grant(principal: Principal, district: District) -> Grant | None:
    """The provincial officer of the district's province records its disbursement (ตั้งจ่าย
    ณ ที่ทำการปกครองจังหวัด); nobody else, whatever they may see."""
    return principal.grant_over([Role.PROVINCIAL_OFFICER], district.code, district.province_id)


def disbursement_district_q(principal: Principal) -> Q:
    """A filter on districts whose disbursement the user records (their provinces' districts)."""
    return principal.district_q([Role.PROVINCIAL_OFFICER])


# --- The report book and the dashboards ---------------------------------------------

# Who writes parts 1 and 2 of the district's book (the chief may correct them too).
BOOK_EDITING_ROLES = frozenset({Role.DISTRICT_OFFICER, Role.DISTRICT_CHIEF})
# Who watches progress on the dashboards, each over their own area.
DASHBOARD_ROLES = frozenset(
    {Role.CENTRAL_PLANNER, Role.REGIONAL_INSPECTOR, Role.PROVINCIAL_OFFICER, Role.AUDITOR, Role.ADMIN}
)


def book_edit_grant(principal: Principal, district: District) -> Grant | None:
    """The grant under which the user may edit the district's profile and part 2."""
    return principal.grant_over(BOOK_EDITING_ROLES, district.code, district.province_id)


def acknowledge_grant(principal: Principal, district: District) -> Grant | None:
    """Central planners acknowledge that a district's submitted book has arrived."""
    return principal.grant_over([Role.CENTRAL_PLANNER], district.code, district.province_id)


def dashboard_grants(principal: Principal) -> list[Grant]:
    """The grants whose areas the user's dashboard covers (empty: no dashboard)."""
    grants = principal.grants_for(DASHBOARD_ROLES)
    if not grants and principal.is_admin:
        grant = admin_grant(principal)
        return [grant] if grant else []
    return grants


def dashboard_district_q(principal: Principal) -> Q:
    """A filter on districts that the user's dashboard covers."""
    return _any_of([grant.district_q() for grant in dashboard_grants(principal)])


# Who designates an edition's Role Model districts (อำเภอต้นแบบ).
DESIGNATING_ROLES = frozenset({Role.CENTRAL_PLANNER, Role.ADMIN})


def designate_grant(principal: Principal) -> Grant | None:
    """Central planners and administrators (country-wide) designate an edition's districts."""
    for grant in principal.grants_for(DESIGNATING_ROLES):
        if grant.area_kind == AreaKind.COUNTRY:
            return grant
    return admin_grant(principal)


def may_read_all_history(principal: Principal) -> bool:
    return any(g.role in HISTORY_ROLES for g in principal.grants) or principal.is_admin


def admin_grant(principal: Principal) -> Grant | None:
    for grant in principal.grants:
        if grant.role == Role.ADMIN:
            return grant
    if principal.is_authenticated and getattr(principal.user, "is_superuser", False):
        return Grant(role=Role.ADMIN, area_kind=AreaKind.COUNTRY, area_code="TH")
    return None


# --- The admin site (``workflow.admin_site``) ------------------------------------------


def _perms(app_label: str, model: str, *actions: str) -> set[str]:
    return {f"{app_label}.{action}_{model}" for action in actions}


# The Django model permissions of a role administrator: what the admin pages need, nothing
# else. Users are deactivated, never deleted (their name stays in the trail; their roles end
# through audited revocations); groups and per-user Django permissions are for superusers.
# The trail, projects and viewflow's rows are only looked at; stored books, covering letters,
# receipts and notices too. The book's settings (the emblem) are set and changed, never deleted.
# Superusers keep every permission (Django's own rule).
ADMIN_ROLE_PERMISSIONS: frozenset[str] = frozenset(
    _perms("auth", "user", "view", "add", "change")
    | _perms("workflow", "rolemembership", "view", "add", "change", "delete")
    | _perms("workflow", "edition", "view", "add", "change")
    | _perms("workflow", "rolemodeldistrict", "view")
    | _perms("workflow", "inspectionregion", "view", "add", "change", "delete")
    | _perms("workflow", "holiday", "view", "add", "change", "delete")
    | _perms("workflow", "bankentry", "view", "add", "change", "delete")
    | _perms("workflow", "province", "view", "change")
    | _perms("workflow", "district", "view", "change")
    | _perms("workflow", "subdistrict", "view", "change")
    | _perms("workflow", "delegation", "view", "change")
    | _perms("workflow", "auditevent", "view")
    | _perms("workflow", "project", "view")
    | _perms("workflow", "budgetline", "view")
    | _perms("workflow", "disbursement", "view")
    | _perms("viewflow", "process", "view")
    | _perms("viewflow", "task", "view")
    | _perms("reports", "reportbook", "view")
    | _perms("reports", "submissionreceipt", "view")
    | _perms("reports", "bookdelivery", "view")
    | _perms("reports", "coveringletter", "view")
    | _perms("reports", "booksettings", "view", "add", "change")
    | _perms("notifications", "notification", "view")
    | _perms("notifications", "notificationpreference", "view", "change")
)


def may_enter_admin(principal: Principal) -> bool:
    """The admin site opens to an active superuser or an active holder of the admin role today."""
    user = principal.user
    return bool(principal.is_authenticated and user.is_active and admin_grant(principal) is not None)


def admin_role_permissions(principal: Principal) -> frozenset[str]:
    """The model permissions the admin role gives (none without the role in force today)."""
    user = principal.user
    if principal.is_authenticated and user.is_active and principal.has_role(Role.ADMIN):
        return ADMIN_ROLE_PERMISSIONS
    return frozenset()


def admin_covers_area(grant: Grant, area: dict[str, Any]) -> bool:
    """Whether an administrator's grant covers a membership's area (``roles._area_for``'s columns:
    ``district``, ``province`` or ``region``; none for the country). An administrator grants and
    revokes roles only inside their own area: a country-wide one anywhere, an area-limited one
    (if one is ever allowed) only in districts, provinces or regions within its area."""
    if grant.area_kind == AreaKind.COUNTRY:
        return True
    district, province, region = area.get("district"), area.get("province"), area.get("region")
    if district is not None:
        return grant.covers(district.code, district.province_id)
    if province is not None:
        if grant.area_kind == AreaKind.PROVINCE:
            return grant.province_code == province.code
        return grant.area_kind == AreaKind.REGION and province.code in grant.region_provinces
    if region is not None:
        return grant.area_kind == AreaKind.REGION and grant.region_code == region.code
    return False  # the country: only a country-wide administrator


# --- Who may act (for notifications) ---------------------------------------------------


def holding_q(role: str, district: District, *, on: datetime.date | None = None) -> Q:
    """A filter on users: those who hold ``role`` over ``district`` on ``on`` (default today),
    acting officials included. Combine several in one query (``notifications`` does)."""
    day = on or today()
    kind = ROLE_AREA_KIND[role]
    area = Q()
    if kind == AreaKind.DISTRICT:
        area = Q(district_id=district.code)
    elif kind == AreaKind.PROVINCE:
        area = Q(province_id=district.province_id)
    elif kind == AreaKind.REGION:
        area = Q(region__provinces=district.province_id)
    holders = RoleMembership.objects.filter(role=role).filter(area).filter(memberships_valid_on(day))
    users = Q(pk__in=holders.values("user_id"))
    if kind == AreaKind.DISTRICT:
        delegates = Delegation.objects.filter(
            role=role, district_id=district.code, delegator__in=holders.values("user_id")
        ).filter(delegations_active_on(day))
        users |= Q(pk__in=delegates.values("delegate_id"))
    return users


def users_holding(role: str, district: District, *, on: datetime.date | None = None) -> QuerySet[Any]:
    """Active users who hold ``role`` over ``district`` today, acting officials included."""
    from django.contrib.auth import get_user_model

    users = holding_q(role, district, on=on)
    return get_user_model().objects.filter(users, is_active=True).distinct().order_by("pk")

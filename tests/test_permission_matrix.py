"""Drill (issue 12, item 4): the permission matrix, generated from the URL configuration.

Every route of ``django.urls.get_resolver()`` (API endpoints, pages, downloads, the admin site)
has a row in ``ROWS`` (or, for the admin site's per-model pages, its model in ``ADMIN_MODELS``);
``test_every_route_has_a_row`` fails for a route without one, so a new endpoint cannot slip in
unexamined. Each row says which roles may use the route over an object of district A (5001),
what the others get, and what its write methods are.

The subjects: an anonymous client; each role in its own area (district A, province 50, region
R15, the country); and each area role placed elsewhere: in district B of the same province
(5002), in another province of the same region (5201 in province 52, region R15), and in
another region (5101 in province 51, region R16). The dataset is built once: a submitted
project of district A (with its district submission, its book and covering letter), an approved
one (its implementation task open, with an evidence file and a progress update), a delegation
of A's chief, a notification of A's officer, a free bank entry of A. Each project's title is a
marker that must appear in no response to a subject outside its area.

Expectations:

- anonymous: a page redirects to the login page; the API answers 401/403 problem+json;
- in the area: 200 for the roles the row names (405 for a GET on a write-only endpoint), the
  row's ``denied`` status for the other roles (403; 404 where the object does not exist for that
  role at all, such as another user's delegation or notification);
- outside the area: 404 for a route of an object of district A (never 403, never 200), and for
  every write method of such a route too, with nothing changed; a list or a page without an
  object answers as it does in the area, without the marker of A's projects.

Public routes (the login and password-reset pages, the language switch, the OpenAPI schema and
its docs page, the token endpoint) are rows of their own: ``public=True``, with the reason.
"""

from __future__ import annotations

import datetime
import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from rest_framework.test import APIClient

from notifications.models import Notification
from tests import factories as f
from workflow import flows
from workflow.models import (
    AuditEvent,
    Delegation,
    Disbursement,
    District,
    DistrictSubmission,
    EvidenceFile,
    InspectionRegion,
    ProgressUpdate,
    Project,
    Province,
    Role,
    Subdistrict,
)
from workflow.services import progress as progress_svc
from workflow.services import projects as svc
from workflow.services.delegation import delegation_create

AREA_ROLES = (Role.DISTRICT_OFFICER, Role.DISTRICT_CHIEF, Role.PROVINCIAL_OFFICER, Role.REGIONAL_INSPECTOR)
COUNTRY = (Role.CENTRAL_PLANNER, Role.AUDITOR, Role.ADMIN)
ALL_ROLES = frozenset(AREA_ROLES + COUNTRY)
DISTRICT = frozenset({Role.DISTRICT_OFFICER, Role.DISTRICT_CHIEF})
HISTORY = frozenset({Role.CENTRAL_PLANNER, Role.AUDITOR, Role.ADMIN})
DASHBOARD = frozenset({Role.PROVINCIAL_OFFICER, Role.REGIONAL_INSPECTOR, *HISTORY})
OFFICER = frozenset({Role.DISTRICT_OFFICER})
CHIEF = frozenset({Role.DISTRICT_CHIEF})
MARKER = "MATRIXMARKER"


# --- The table -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """What a route answers. ``obj``: the object of district A its URL names (``None``: none);
    ``ok``: the roles that get ``ok_status`` in the area; ``denied``: what the other roles get
    there; ``writes``: its write methods, tried from outside the area; ``public``: why anyone
    may use it (``""``: not public)."""

    kind: str  # "api", "page", "download"
    obj: str | None = None
    ok: frozenset[str] = ALL_ROLES
    ok_status: int = 200
    denied: int = 403
    writes: tuple[str, ...] = ()
    kwargs: dict[str, str] | None = None  # the URL's arguments (default: ``pk`` of ``obj``)
    public: str = ""
    # What a subject outside the area gets when its role may never use the route at all: 404,
    # unless the route answers for the role before it looks at the object (then ``denied``,
    # which says nothing about the object either).
    role_first: bool = False
    area: bool = True  # False: the object belongs to no area (an edition): no "outside"
    query: str = ""  # appended to the path
    # A minimal write body naming district A's objects (values are keys of the dataset).
    body: dict[str, str] | None = None

    def url_kwargs(self, objects: dict[str, Any]) -> dict[str, Any]:
        names = self.kwargs if self.kwargs is not None else ({"pk": self.obj} if self.obj else {})
        return {key: objects.get(value, value) for key, value in names.items()}


API, PAGE, DOWNLOAD = "api", "page", "download"
PROJECT = {"pk": "project"}
CODE = {"code": "district"}
SUBMISSION = {"pk": "submission"}

ROWS: dict[str, Row] = {
    # --- Public -------------------------------------------------------------------------------
    "login": Row(PAGE, public="the login page"),
    "logout": Row(PAGE, public="logging out (POST) needs no session", writes=("post",)),
    "password_change": Row(PAGE, public="Django's own: asks a logged-in user, redirects the others"),
    "password_change_done": Row(PAGE, public="Django's own: as password_change"),
    "password_reset": Row(PAGE, public="asking for a reset link needs no login"),
    "password_reset_done": Row(PAGE, public="the reset flow"),
    "password_reset_confirm": Row(PAGE, public="the reset flow", kwargs={"uidb64": "x", "token": "y"}),
    "password_reset_complete": Row(PAGE, public="the reset flow"),
    "set_language": Row(PAGE, public="the language switch", writes=("post",)),
    "api-schema": Row(API, public="the OpenAPI schema (SERVE_PERMISSIONS: AllowAny)"),
    "api-docs": Row(PAGE, public="the offline API docs page"),
    "api-token": Row(API, public="exchanging a password for a token", writes=("post",)),
    # --- API ----------------------------------------------------------------------------------
    "api-provinces": Row(API),
    "api-districts": Row(API),
    "api-subdistricts": Row(API),
    "api-editions": Row(API),
    "api-edition": Row(API, obj="edition", area=False),
    "api-edition-districts": Row(API, obj="edition", area=False),
    "api-bank": Row(API),
    "api-projects": Row(API, writes=("post",), body={"bank_entry": "entry"}),
    "api-project": Row(API, obj="project", writes=("patch",), kwargs=PROJECT),
    "api-transition": Row(
        API, obj="project", ok_status=405, writes=("post",), kwargs={"pk": "project", "name": "implement"}
    ),
    "api-comments": Row(API, obj="project", writes=("post",), kwargs=PROJECT),
    "api-evidence": Row(API, obj="project", ok_status=405, writes=("post",), kwargs=PROJECT),
    "api-progress": Row(API, obj="project", writes=("post",), kwargs=PROJECT),
    "api-project-history": Row(API, obj="project", kwargs=PROJECT),
    "api-history": Row(API, ok=HISTORY),
    "api-delegations": Row(
        API,
        writes=("post",),
        body={"district": "district", "delegate": "deputy", "starts_on": "today", "ends_on": "today"},
    ),
    "api-delegation-candidates": Row(API, obj="district", ok=CHIEF, kwargs={}, query="?district=5001"),
    "api-delegation-revoke": Row(
        API, obj="delegation", ok_status=405, writes=("post",), kwargs={"pk": "delegation"}
    ),
    "api-district-budget": Row(API, obj="district", kwargs=CODE),
    "api-district-disbursements": Row(API, obj="district", writes=("post",), kwargs=CODE),
    "api-district-submission": Row(API, obj="district", writes=("post",), kwargs=CODE),
    "api-tasks": Row(API),
    "api-task-claim": Row(API, obj="task", ok_status=405, writes=("post",), kwargs={"pk": "task"}),
    "api-task-unclaim": Row(API, obj="task", ok_status=405, writes=("post",), kwargs={"pk": "task"}),
    "api-notifications": Row(API),
    "api-notifications-unread-count": Row(API),
    "api-notifications-read-all": Row(API, ok_status=405, writes=("post",)),
    "api-notification-preferences": Row(API, writes=("patch",)),
    "api-notification-read": Row(API, obj="notification", ok_status=405, writes=("post",)),
    "api-report-book-pdf": Row(DOWNLOAD, obj="district", kwargs=CODE),
    "api-report-book-docx": Row(DOWNLOAD, obj="district", kwargs=CODE),
    "api-district-books": Row(API, obj="district", kwargs=CODE),
    "api-submission-book": Row(DOWNLOAD, obj="submission", kwargs=SUBMISSION),
    "api-submission-acknowledge": Row(
        API, obj="submission", ok_status=405, writes=("post",), kwargs=SUBMISSION
    ),
    "api-district-profile": Row(API, obj="district", writes=("put",), kwargs=CODE),
    "api-district-drive-report": Row(API, obj="district", writes=("put",), kwargs=CODE),
    "api-dashboard": Row(API, ok=DASHBOARD),
    "api-submission-letter-pdf": Row(DOWNLOAD, obj="submission", kwargs=SUBMISSION),
    "api-submission-letter-docx": Row(DOWNLOAD, obj="submission", kwargs=SUBMISSION),
    # --- Pages ----------------------------------------------------------------------------------
    "home": Row(PAGE, ok_status=302),
    "inbox": Row(PAGE),
    "task-claim": Row(PAGE, obj="task", ok_status=405, writes=("post",), kwargs={"pk": "task"}),
    "task-unclaim": Row(PAGE, obj="task", ok_status=405, writes=("post",), kwargs={"pk": "task"}),
    "task-assign": Row(PAGE, obj="task", ok_status=405, writes=("post",), kwargs={"pk": "task"}),
    "inbox-bulk-approve": Row(PAGE, ok_status=405, writes=("post",), body={"tasks": "task", "comment": "ok"}),
    "inbox-row": Row(PAGE, obj="task", ok=OFFICER, denied=404, kwargs={"task_id": "task"}),
    "project-list": Row(PAGE),
    "project-detail": Row(PAGE, obj="project", kwargs=PROJECT),
    "project-comment": Row(PAGE, obj="project", ok_status=405, writes=("post",), kwargs=PROJECT),
    "evidence-upload": Row(PAGE, obj="project", ok_status=405, writes=("post",), kwargs=PROJECT),
    "evidence-download": Row(DOWNLOAD, obj="project", kwargs={"pk": "project", "eid": "evidence"}),
    "project-action": Row(
        PAGE, obj="project", ok=OFFICER, writes=("post",), kwargs={"pk": "project", "name": "implement"}
    ),
    "district-submission": Row(PAGE, obj="district", writes=("post",), kwargs=CODE),
    "project-progress": Row(PAGE, obj="project", ok_status=405, writes=("post",), kwargs=PROJECT),
    "select-bank": Row(PAGE, ok=OFFICER),
    "select-form": Row(
        PAGE, obj="entry", ok=OFFICER, role_first=True, writes=("post",), kwargs={"entry_id": "entry"}
    ),
    "project-edit": Row(PAGE, obj="project", ok=OFFICER, ok_status=302, writes=("post",), kwargs=PROJECT),
    "delegation": Row(
        PAGE,
        ok=CHIEF,
        writes=("post",),
        body={"district": "district", "delegate": "deputy", "starts_on": "today", "ends_on": "today"},
    ),
    "delegation-end": Row(
        PAGE, obj="delegation", ok_status=405, writes=("post",), kwargs={"pk": "delegation"}
    ),
    "district-disbursements": Row(PAGE, obj="district", writes=("post",), kwargs=CODE),
    "audit": Row(PAGE, ok=HISTORY),
    "audit-export-csv": Row(DOWNLOAD, ok=HISTORY),
    "audit-export-xlsx": Row(DOWNLOAD, ok=HISTORY),
    "audit-project": Row(PAGE, obj="project", ok=HISTORY, role_first=True, kwargs=PROJECT),
    "audit-chains": Row(PAGE, ok=HISTORY),
    "edition-districts-current": Row(PAGE, ok_status=302, writes=("post",)),
    "edition-districts": Row(PAGE, obj="edition", ok=DASHBOARD, area=False, writes=("post",)),
    "notifications": Row(PAGE),
    "notification-read": Row(
        PAGE, obj="notification", ok_status=405, writes=("post",), kwargs={"pk": "notification"}
    ),
    "notifications-read-all": Row(PAGE, ok_status=405, writes=("post",)),
    "district-book": Row(PAGE, obj="district", kwargs=CODE),
    "district-book-pdf": Row(DOWNLOAD, obj="district", kwargs=CODE),
    "district-book-docx": Row(DOWNLOAD, obj="district", kwargs=CODE),
    "submission-book": Row(DOWNLOAD, obj="submission", kwargs=SUBMISSION),
    "submission-acknowledge": Row(PAGE, obj="submission", ok_status=405, writes=("post",), kwargs=SUBMISSION),
    "district-profile-edit": Row(PAGE, obj="district", writes=("post",), kwargs=CODE),
    "district-drive-edit": Row(PAGE, obj="district", writes=("post",), kwargs=CODE),
    "dashboard": Row(PAGE, ok=DASHBOARD),
    "dashboard-export": Row(DOWNLOAD, ok=DASHBOARD, kwargs={"chart": "states", "fmt": "csv"}),
    "submission-letter-pdf": Row(DOWNLOAD, obj="submission", kwargs=SUBMISSION),
    "submission-letter-docx": Row(DOWNLOAD, obj="submission", kwargs=SUBMISSION),
}

# The admin site: its own pages, and the models registered in it (each gives the changelist,
# add, change, delete and history pages; their names are ``admin:<app>_<model>_<page>``).
ADMIN_SITE_ROUTES = {
    "admin:index",
    "admin:login",
    "admin:logout",
    "admin:password_change",
    "admin:password_change_done",
    "admin:autocomplete",
    "admin:jsi18n",
    "admin:view_on_site",
    "admin:app_list",
    "admin:auth_user_password_change",
    "admin:workflow_bankentry_import",
}
ADMIN_MODELS = {
    "axes.accessattempt",
    "axes.accesslog",
    "axes.accessfailurelog",
    "workflow.province",
    "workflow.district",
    "workflow.subdistrict",
    "workflow.inspectionregion",
    "workflow.rolemembership",
    "auth.user",
    "auth.group",
    "workflow.edition",
    "workflow.rolemodeldistrict",
    "workflow.holiday",
    "workflow.bankentry",
    "workflow.auditevent",
    "workflow.project",
    "workflow.disbursement",
    "workflow.delegation",
    "viewflow.process",
    "viewflow.task",
    "notifications.notification",
    "notifications.notificationpreference",
    "reports.reportbook",
    "reports.submissionreceipt",
    "reports.coveringletter",
    "reports.booksettings",
}
ADMIN_PAGES = ("changelist", "add", "history", "delete", "change")


# --- The URL configuration ---------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    name: str | None
    pattern: str


def routes() -> Iterator[Route]:
    def walk(patterns: list[Any], prefix: str, namespace: str | None) -> Iterator[Route]:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                inner = namespace
                if entry.namespace:
                    inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
                yield from walk(entry.url_patterns, prefix + str(entry.pattern), inner)
            elif isinstance(entry, URLPattern):
                name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name
                yield Route(name, prefix + str(entry.pattern))

    yield from walk(get_resolver().url_patterns, "", None)


def _admin_name_covered(name: str) -> bool:
    if name in ADMIN_SITE_ROUTES:
        return True
    bare = name.removeprefix("admin:")
    return any(bare == f"{m.replace('.', '_')}_{page}" for m in ADMIN_MODELS for page in ADMIN_PAGES)


def test_every_route_has_a_row() -> None:
    """A route without a row (a new endpoint, page or download) fails here: add its row."""
    missing: list[str] = []
    unnamed: list[str] = []
    for route in routes():
        if route.name is None:
            # Unnamed: the admin's redirects from ``<object_id>/`` to its change page and its
            # catch-all; anything else must be named to get a row.
            if not route.pattern.startswith("admin/"):
                unnamed.append(route.pattern)
            continue
        if route.name.startswith("admin:"):
            if not _admin_name_covered(route.name):
                missing.append(route.name)
        elif route.name not in ROWS:
            missing.append(route.name)
    assert not missing, f"routes without a row in tests/test_permission_matrix.py: {missing}"
    assert not unnamed, f"unnamed routes (name them and give them a row): {unnamed}"
    registered = {model._meta.label_lower for model in admin.site._registry}
    assert registered == ADMIN_MODELS, (
        f"admin models without a row: {sorted(registered - ADMIN_MODELS)}; "
        f"rows without a model: {sorted(ADMIN_MODELS - registered)}"
    )
    stale = sorted(set(ROWS) - {r.name for r in routes()})
    assert not stale, f"rows for routes that no longer exist: {stale}"


# --- The dataset and the subjects -------------------------------------------------------------


@dataclass(frozen=True)
class Subject:
    key: str
    role: str | None  # None: anonymous
    placement: str  # "in" (its own area covers district A), "district", "province", "region"
    user: Any = None

    @property
    def outside(self) -> bool:
        return self.placement != "in"


def build_dataset() -> tuple[dict[str, Any], list[Subject]]:
    geo = f.geography()  # 50 (5001 = A, 5002 = B) in R15; 51 (5101) in R16
    p52 = Province.objects.create(code="52", name_th="ลำปาง", name_en="Lampang")
    d52 = District.objects.create(code="5201", province=p52, name_th="เมืองลำปาง", name_en="Mueang Lampang")
    Subdistrict.objects.create(code="520101", district=d52, name_th="ตำบล 520101", name_en="520101")
    region: InspectionRegion = geo["region"]
    region.provinces.add(p52)
    edition = f.active_edition()
    places = {
        "in": (geo["d1"], geo["p50"], geo["region"]),
        "district": (geo["d2"], None, None),
        "province": (d52, p52, None),
        "region": (geo["d3"], geo["p51"], geo["region2"]),
    }
    subjects = [Subject("anonymous", None, "in")]
    for placement, (district, province, inspection_region) in places.items():
        for role, area in (
            (Role.DISTRICT_OFFICER, district),
            (Role.DISTRICT_CHIEF, district),
            (Role.PROVINCIAL_OFFICER, province),
            (Role.REGIONAL_INSPECTOR, inspection_region),
        ):
            if area is not None:
                key = f"{role}@{placement}"
                subjects.append(Subject(key, role, placement, f.user_with(key.replace("@", "_"), role, area)))
    for role in COUNTRY:
        subjects.append(Subject(f"{role}@in", role, "in", f.user_with(role, role)))
    who = {s.key: s.user for s in subjects}
    officer, chief = who["district_officer@in"], who["district_chief@in"]
    inspector = who["regional_inspector@in"]

    # A project of A taken to submitted, with the district's submission (book and letter).
    done = f.make_project(officer, f.bank_entry(geo["subs"]["500101"], "M-1"), title=f"{MARKER} ส่งแล้ว")
    svc.project_approve(project=done, acting_user=chief, comment="เห็นชอบ")
    svc.project_implement(
        project=done,
        acting_user=officer,
        record=svc.ImplementationInput(
            spend_lines=[svc.LineInput("วัสดุ", "activity_materials", Decimal("30000.00"))],
            activities_done="อบรม",
            villages_reached=2,
            households_reached=40,
        ),
    )
    svc.project_monitor(project=done, acting_user=inspector, findings="เรียบร้อย")
    svc.project_report(project=done, acting_user=officer, result_narrative="สำเร็จ")
    f.disburse(geo["d1"], "100000.00", by=who["provincial_officer@in"])
    submission = svc.district_submit(district=geo["d1"], acting_user=chief, comment="ส่ง")
    # A running project of A: approved, its implementation task open, an evidence file, progress.
    running = f.make_project(officer, f.bank_entry(geo["subs"]["500102"], "M-2"), title=f"{MARKER} ดำเนินการ")
    svc.project_approve(project=running, acting_user=chief, comment="เห็นชอบ")
    evidence = svc.evidence_add(project=running, acting_user=officer, uploaded=f.image_upload())
    progress_svc.project_progress_add(
        project=running, acting_user=officer, as_of=timezone.localdate(), percent_done=10, text="เริ่มงาน"
    )
    deputy = f.user_with("deputy", Role.DISTRICT_OFFICER, geo["d1"])  # not a subject: acts for the chief
    delegation = delegation_create(
        acting_user=chief,
        district=geo["d1"],
        delegate=deputy,
        starts_on=timezone.localdate(),
        ends_on=timezone.localdate() + datetime.timedelta(days=7),
    )
    notification = Notification.objects.filter(recipient=officer).order_by("pk").first()
    assert notification is not None
    task = flows.open_step_task(running)
    assert task is not None and submission.projects.count() == 1
    objects = {
        "project": running.pk,
        "district": "5001",
        "edition": edition.pk,
        "submission": submission.pk,
        "task": task.pk,
        "evidence": evidence.pk,
        "delegation": delegation.pk,
        "notification": notification.pk,
        "entry": f.bank_entry(geo["subs"]["500103"], "M-3").pk,
        "deputy": deputy.pk,
        "today": timezone.localdate().isoformat(),
    }
    return objects, subjects


def fingerprint() -> tuple[Any, ...]:
    """What a refused write must leave as it was."""
    from viewflow.workflow.models import Task

    return (
        AuditEvent.objects.count(),
        tuple(Project.objects.order_by("pk").values_list("pk", "state", "title", "updated_at")),
        Disbursement.objects.count(),
        DistrictSubmission.objects.count(),
        tuple(Delegation.objects.order_by("pk").values_list("pk", "revoked_at")),
        tuple(Task.objects.order_by("pk").values_list("pk", "status", "owner_id")),
        EvidenceFile.objects.count(),
        ProgressUpdate.objects.count(),
        tuple(Notification.objects.order_by("pk").values_list("pk", "read_at")),
    )


# --- Asking every route as every subject -------------------------------------------------------


def client_for(subject: Subject, path: str) -> Any:
    if path.startswith("/api/"):
        api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
        if subject.user is not None:
            api.force_authenticate(subject.user)
        return api
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    if subject.user is not None:
        client.force_login(subject.user)
    return client


def expected_status(row: Row, subject: Subject) -> int | None:
    """The status the row promises ``subject`` for a GET (``None``: anonymous, checked apart)."""
    if subject.role is None:
        return None
    if row.ok_status == 405:  # a write-only route: the method is refused before anything is read
        return 405
    allowed = subject.role in row.ok
    if subject.outside and row.obj is not None and row.area and (allowed or not row.role_first):
        return 404
    return row.ok_status if allowed else row.denied


def anonymous_problem(row: Row, path: str, response: Any) -> str | None:
    """What is wrong with the answer to an anonymous client (``None``: nothing)."""
    if row.public:
        return None if response.status_code < 500 else f"{response.status_code}"
    if path.startswith("/api/"):
        kind = response.get("Content-Type", "")
        if response.status_code in (401, 403) and kind.startswith("application/problem+json"):
            return None
        return f"{response.status_code} {kind}"
    location = response.get("Location", "")
    if response.status_code == 302 and location.startswith("/accounts/login/"):
        return None
    return f"{response.status_code} {location}"


def leaks(response: Any) -> bool:
    kind = response.get("Content-Type", "")
    if not (kind.startswith("text/") or "json" in kind):
        return False
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return MARKER.encode() in body


@pytest.mark.django_db
def test_every_route_answers_each_subject_as_its_row_says(settings: Any) -> None:
    from django.urls import reverse

    settings.AXES_ENABLED = False
    objects, subjects = build_dataset()
    discover = bool(os.environ.get("MATRIX_DISCOVER"))
    wrong: list[str] = []
    asked = 0
    for name, row in sorted(ROWS.items()):
        path = reverse(name, kwargs=row.url_kwargs(objects)) + row.query
        seen: dict[str, int] = {}
        started = time.monotonic()
        for subject in subjects[:2] if row.public else subjects:  # public: anonymous and one user
            response = client_for(subject, path).get(path)
            asked += 1
            seen[subject.key] = response.status_code
            if response.status_code >= 500:
                wrong.append(f"{subject.key} GET {path}: {response.status_code}")
                continue
            if subject.role is None:
                problem = anonymous_problem(row, path, response)
                if problem:
                    wrong.append(f"anonymous GET {path}: {problem}")
                continue
            if row.public:
                continue
            want = expected_status(row, subject)
            if response.status_code != want:
                wrong.append(f"{subject.key} GET {path}: {response.status_code}, the row says {want}")
            elif subject.outside and leaks(response):
                wrong.append(f"{subject.key} GET {path}: shows a project of district A")
        if discover:
            print(name, path, f"{time.monotonic() - started:.1f}s", json.dumps(seen))
    # Writes to an object of district A, from every subject outside the area: 404, nothing changed.
    for name, row in sorted(ROWS.items()):
        if row.obj is None or not row.writes or row.public or not row.area:
            continue
        path = reverse(name, kwargs=row.url_kwargs(objects)) + row.query
        for subject in subjects:
            if not subject.outside:
                continue
            for method in row.writes:
                if not (subject.role in row.ok or not row.role_first):
                    continue  # refused for the role before the object is read (``denied``, tested by GET)
                before = fingerprint()
                client = client_for(subject, path)
                if path.startswith("/api/"):
                    response = client.generic(method.upper(), path, "{}", content_type="application/json")
                else:
                    response = client.post(path, {})
                asked += 1
                if response.status_code != 404:
                    wrong.append(
                        f"{subject.key} {method.upper()} {path}: {response.status_code}, expected 404"
                    )
                if fingerprint() != before:
                    wrong.append(f"{subject.key} {method.upper()} {path}: changed something")
    # Writes without an object in the URL (a new project, a delegation, a bulk approval...), with
    # a body naming district A's objects, from every subject outside the area: nothing changes.
    for name, row in sorted(ROWS.items()):
        if row.obj is not None or not row.writes or row.public:
            continue
        path = reverse(name, kwargs=row.url_kwargs(objects)) + row.query
        body = {key: objects.get(value, value) for key, value in (row.body or {}).items()}
        for subject in subjects:
            if not subject.outside:
                continue
            for method in row.writes:
                before = fingerprint()
                client = client_for(subject, path)
                if path.startswith("/api/"):
                    response = client.generic(
                        method.upper(), path, json.dumps(body), content_type="application/json"
                    )
                else:
                    response = client.post(path, body)
                asked += 1
                if response.status_code >= 500 or 200 < response.status_code < 300:
                    wrong.append(f"{subject.key} {method.upper()} {path} {body}: {response.status_code}")
                if fingerprint() != before:
                    wrong.append(f"{subject.key} {method.upper()} {path} {body}: changed something")
    wrong.extend(admin_site_problems(subjects))
    asked += len(subjects) * (len(ADMIN_MODELS) + 1)
    print(f"\npermission matrix: {len(ROWS)} rows, {len(subjects)} subjects, {asked} requests")
    assert not wrong, "\n".join(wrong)


def admin_site_problems(subjects: list[Subject]) -> list[str]:
    """The admin site opens to the admin role only (country-wide: no "outside"); the others,
    anonymous included, are sent to its login page; an admin sees each model's list as far as
    the role's permissions (``access.ADMIN_ROLE_PERMISSIONS``) allow, else 403."""
    from django.urls import reverse

    from workflow.access import ADMIN_ROLE_PERMISSIONS

    wrong: list[str] = []
    pages = [("admin:index", "")] + [
        (f"admin:{label.replace('.', '_')}_changelist", label) for label in sorted(ADMIN_MODELS)
    ]
    for name, label in pages:
        path = reverse(name)
        for subject in subjects:
            response = client_for(subject, path).get(path)
            if subject.role != Role.ADMIN:
                ok = response.status_code == 302 and response["Location"].startswith("/admin/login/")
                if not ok:
                    wrong.append(
                        f"{subject.key} GET {path}: {response.status_code}, expected the admin login"
                    )
                continue
            app, model = label.split(".") if label else ("", "")
            want = 200 if not label or f"{app}.view_{model}" in ADMIN_ROLE_PERMISSIONS else 403
            if response.status_code != want:
                wrong.append(f"{subject.key} GET {path}: {response.status_code}, expected {want}")
    return wrong

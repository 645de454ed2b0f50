"""Every page each role can reach reads in the user's language (issue 13).

The demo's data (a project in every state, a submitted district with its book, disbursements,
progress updates, evidence, notices, acting officials, audit events of every kind) is seeded;
then each role (and a visitor not logged in) crawls from the home page: every same-site link
(GET only), every URL pattern whose arguments the data fills (read from the URL configuration,
so a new page is visited without touching this test) and, for the admins, the admin site's
index, changelists, add, change, history and delete-confirmation pages.

In Thai mode a page fails on English from our catalogue or a library's (Django, its admin and
auth, DRF, axes, viewflow), on English text no catalogue knows, on a CE year in a date, on a raw
code (a state, an action, a role, an object type, a payload key) or a stored file's path where a
label belongs. In English mode it fails on Thai text outside the data's names, titles and
comments, quotations and elements marked ``lang="th"``, and on a BE year in a date. The failure
lists every phrase with the roles and addresses where it was seen: a to-do list.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db import models
from django.test import Client, RequestFactory, TestCase, override_settings
from django.urls import reverse
from django.utils import timezone, translation

from tests import factories as f
from tests.language_crawl import Checker, Finding, checker_for, crawl, expand_route, iter_patterns, report
from workflow import transitions
from workflow.audit_actions import AuditAction
from workflow.models import AuditEvent, BankEntry, Delegation, District, Edition, Project, Role

PASSWORD = "rolemodel-demo"
# The roles that crawl, by the demo's user names: ``chief_ct`` has submitted its district,
# ``deputy`` acts for ``chief``, ``root`` is a superuser (the last two are added here).
CRAWLERS = (
    "officer",
    "chief",
    "chief_ct",
    "deputy",
    "provincial",
    "inspector",
    "planner",
    "auditor",
    "admin",
    "root",
)
ADMINS = {"admin", "root"}
ANONYMOUS = "anonymous"
MISSING_PAGE = "/no-such-page/"

# URL names (or route prefixes) the crawl leaves out, with the reason.
SKIPPED_NAMES = {
    "logout": "logs out",
    "admin:logout": "logs out",
    "set_language": "changes the language (POST)",
    "admin:view_on_site": "redirects to a page visited anyway",
    "admin:jsi18n": "JavaScript",
    "admin:autocomplete": "JSON for the admin's pickers",
    "evidence-download": "a download (the evidence file itself)",
    "dashboard-export": "a download (CSV/XLSX)",
    "inbox-row": "a fragment of the inbox (its rows are checked on the inbox)",
}
SKIPPED_PREFIXES = {
    "api/": "the REST API and its docs: machine-readable, not a page",
    "admin/": "the admin site: crawled through its registry (admin_urls)",
}
DOWNLOAD_SUFFIXES = (".pdf", ".docx", ".xlsx", ".csv")


# An admin page of one object, reached by a link: the crawl visits the few ``admin_urls``
# names, not every row's.
ADMIN_OBJECT = re.compile(r"^/admin/\w+/\w+/(?!add/)[^/]+/(?:change/|history/|delete/|password/)?$")


def _follow(path: str) -> bool:
    return not ADMIN_OBJECT.match(path)


EXCLUDED_PATHS = (
    "/api/",
    "/static/",
    "/media/",
    "/i18n/",
    "/accounts/logout/",
    "/admin/logout/",
    "/admin/jsi18n/",
    "/admin/autocomplete/",
    "/admin/r/",
)


def _excluded(path: str) -> bool:
    return path.startswith(EXCLUDED_PATHS)


# --------------------------------------------------------------------------------------------
# The data
# --------------------------------------------------------------------------------------------


def seed(tmp_path: Path) -> dict[str, Any]:
    """The demo's data and what it leaves out: evidence and photos, a comment, a claimed task,
    reminders and escalations, an acting official (and a revoked one), a second tranche, the
    centre's receipt of the book, an admin change, a revoked role, login attempts, a superuser."""
    from approvals import services as task_services
    from approvals.selectors import task_list_for
    from notifications.timers import open_tasks, timers_run
    from reports.services import submission_acknowledge
    from workflow.demo.seed import demo_seed
    from workflow.models import DistrictSubmission, Holiday
    from workflow.services import projects as svc
    from workflow.services.admin_changes import admin_object_delete, admin_object_save
    from workflow.services.delegation import delegation_create, delegation_revoke
    from workflow.services.money import district_disbursement_record
    from workflow.services.programme import edition_update
    from workflow.services.progress import project_progress_add
    from workflow.services.roles import role_grant, role_revoke

    with (
        override_settings(THAI_ADMIN_DATA_DIR=tmp_path / "absent"),
        TestCase.captureOnCommitCallbacks(execute=True),
    ):
        demo_seed()
        users = {u.username: u for u in get_user_model().objects.all()}
        officer, chief, inspector = users["officer"], users["chief"], users["inspector"]
        admin_user, planner = users["admin"], users["planner"]
        today = timezone.localdate()
        in_5001 = {p.state: p for p in Project.objects.filter(district_id="5001")}
        svc.evidence_add(
            project=in_5001["approved"],
            acting_user=officer,
            uploaded=f.image_upload("activity.png"),
            caption="ภาพกิจกรรมประชุมชี้แจง",
        )
        svc.evidence_add(
            project=in_5001["implemented"],
            acting_user=inspector,
            uploaded=f.image_upload("monitoring.png"),
            caption="ภาพการลงพื้นที่ติดตาม",
            kind="monitoring_photo",
        )
        project_progress_add(
            project=in_5001["approved"],
            acting_user=officer,
            as_of=today,
            percent_done=60,
            text="จัดทำแนวกันไฟเพิ่มอีก 1.5 กิโลเมตร",
            photos=[f.image_upload("progress.png")],
        )
        svc.project_comment(project=in_5001["selected"], acting_user=chief, comment="ขอรายละเอียดกลุ่มเป้าหมาย")
        review = next(
            t for t in task_list_for(chief) if t.process.projectprocess.project_id == in_5001["selected"].pk
        )
        task_services.task_claim(task=review, acting_user=chief)
        dues = [t.due_date for t in open_tasks()]
        timers_run(today=min(dues))
        timers_run(today=max(dues) + datetime.timedelta(days=30))
        deputy = f.user_with("deputy", Role.DISTRICT_OFFICER, District.objects.get(code="5001"))
        deputy.first_name, deputy.last_name = "สมชาย", "ใจดี"
        deputy.save()
        users["deputy"] = deputy
        delegation_create(
            acting_user=chief,
            district="5001",
            delegate=deputy,
            starts_on=today,
            ends_on=today + datetime.timedelta(days=7),
        )
        later = delegation_create(
            acting_user=chief,
            district="5001",
            delegate=deputy,
            starts_on=today + datetime.timedelta(days=10),
            ends_on=today + datetime.timedelta(days=20),
        )
        delegation_revoke(acting_user=chief, delegation=later)
        district_disbursement_record(
            acting_user=users["provincial"],
            district="5001",
            amount="25000.00",
            paid_on=today,
            reference="ปค ๐๐๑๘.๒/๑๒๕",
            note="งวดที่ ๒",
        )
        submission_acknowledge(
            submission=DistrictSubmission.objects.get(district_id="5002"),
            acting_user=planner,
            comment="ได้รับแล้ว",
        )
        edition = Edition.objects.get(is_active=True)
        edition_update(acting_user=admin_user, edition=edition, values={"budget_cap": Decimal("150000.00")})
        holiday = Holiday(date=datetime.date(today.year, 12, 31), name="วันสิ้นปี")
        admin_object_save(acting_user=admin_user, obj=holiday, changed_fields=["date", "name"], is_new=True)
        gone = Holiday(date=datetime.date(today.year + 1, 1, 2), name="วันหยุดพิเศษ")
        admin_object_save(acting_user=admin_user, obj=gone, changed_fields=["date", "name"], is_new=True)
        admin_object_delete(acting_user=admin_user, obj=gone)
        role_grant(acting_user=admin_user, user=deputy, role=Role.AUDITOR, area_code="TH")
        role_revoke(acting_user=admin_user, user=deputy, role=Role.AUDITOR, area_code="TH")
        root = get_user_model().objects.create_superuser(
            "root", "root@example.org", PASSWORD, first_name="ผู้ดูแลระบบสูงสุด"
        )
        users["root"] = root
        # A failed and a successful login (django-axes' attempts and access log).
        visitor = Client()
        visitor.post(reverse("login"), {"username": "officer", "password": "wrong-password"})
        visitor.post(reverse("login"), {"username": "officer", "password": PASSWORD})
    return users


# --------------------------------------------------------------------------------------------
# The addresses
# --------------------------------------------------------------------------------------------


def _ids(model: type[models.Model]) -> list[str]:
    return [str(pk) for pk in model._default_manager.order_by("pk").values_list("pk", flat=True)]


def _filler() -> Callable[[str, str, str], list[str] | None]:
    from viewflow.workflow.models import Task

    from notifications.models import Notification
    from workflow.models import DistrictSubmission

    by_prefix: dict[str, list[str]] = {
        "projects/": _ids(Project),
        "audit/projects/": _ids(Project),
        "editions/": _ids(Edition),
        "submissions/": _ids(DistrictSubmission),
        "notifications/": _ids(Notification)[:3],
        "delegation/": _ids(Delegation),
        "inbox/tasks/": [
            str(pk) for pk in Task.objects.filter(flow_task_type="HUMAN").values_list("pk", flat=True)
        ][:3],
    }
    by_name: dict[str, list[str]] = {
        "code": [*_ids(District)],
        "entry_id": _ids(BankEntry),
        "uidb64": ["MQ"],
        "token": ["no-such-token"],
    }

    def fill(route: str, name: str, converter: str) -> list[str] | None:
        if name in by_name:
            return by_name[name]
        if name == "pk":
            prefix = max((p for p in by_prefix if route.startswith(p)), key=len, default=None)
            return by_prefix[prefix] if prefix else None
        return None

    return fill


def project_action_urls() -> list[str]:
    """Each project's page of every action its state offers (``project-action``)."""
    urls = []
    for project in Project.objects.order_by("pk"):
        for action in transitions.PROJECT_ACTIONS:
            if any(project.state in t.sources for t in transitions.rows(action)):
                urls.append(reverse("project-action", args=[project.pk, action]))
    return urls


def site_urls() -> tuple[list[str], list[str]]:
    """The addresses of every pattern outside the admin and the API (arguments filled from the
    data), and the patterns left unvisited: an argument no rule of ``_filler`` fills, or one the
    data gives no value."""
    fill = _filler()
    urls: list[str] = []
    unfilled: list[str] = []
    for route, name, _pattern in iter_patterns():
        if name in SKIPPED_NAMES or route.startswith(tuple(SKIPPED_PREFIXES)):
            continue
        if name == "project-action":
            urls += project_action_urls()
            continue
        if route.replace("\\", "").rstrip("$").endswith(DOWNLOAD_SUFFIXES):
            continue
        expanded = expand_route(route, fill)
        if not expanded:
            unfilled.append(f"{route} ({name}: {'no values in the data' if expanded == [] else 'no rule'})")
        else:
            urls += expanded
    return urls, unfilled


def admin_urls() -> list[str]:
    """The admin's index, each app's index, and per registered model its changelist, add page,
    and the change, history and delete-confirmation pages of a few objects (audit events: one of
    each action)."""
    urls = [reverse("admin:index")]
    labels = set()
    for model in admin.site._registry:
        meta = model._meta
        labels.add(meta.app_label)
        base = f"admin:{meta.app_label}_{meta.model_name}"
        urls += [reverse(f"{base}_changelist"), reverse(f"{base}_add")]
        if model is AuditEvent:
            keys = [
                AuditEvent.objects.filter(action=action).order_by("pk").values_list("pk", flat=True).first()
                for action in AuditAction.values
            ]
            objects = [pk for pk in keys if pk is not None]
        else:
            manager = model._default_manager
            objects = list(dict.fromkeys(manager.order_by("pk").values_list("pk", flat=True)[:1]))
            objects += list(manager.order_by("-pk").values_list("pk", flat=True)[:1])
        for pk in dict.fromkeys(objects):
            urls.append(reverse(f"{base}_change", args=[pk]))
        for pk in list(dict.fromkeys(objects))[:1]:
            urls += [reverse(f"{base}_history", args=[pk]), reverse(f"{base}_delete", args=[pk])]
    urls += [reverse("admin:app_list", args=[label]) for label in sorted(labels)]
    # And every other admin page without arguments (the bank's import page, the password change).
    for route, name, _pattern in iter_patterns():
        if route.startswith("admin/") and name not in SKIPPED_NAMES and "<" not in route and "(" not in route:
            urls.append("/" + route)
    return list(dict.fromkeys(urls))


# --------------------------------------------------------------------------------------------
# The crawl
# --------------------------------------------------------------------------------------------


def client_for(user: Any, language: str) -> Client:
    # A page that breaks is a finding of its own, and the crawl goes on.
    client = Client(raise_request_exception=False)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    if user is not None:
        client.force_login(user)
    return client


def crawl_everything(users: dict[str, Any], language: str) -> tuple[list[Finding], dict[str, int], list[str]]:
    """Every role's crawl in ``language``: the findings, the pages checked per role, and the
    patterns the crawl could not reach (arguments nobody fills)."""
    codes = {
        *AuditAction.values,
        *Role.values,
        *(step.name for step in transitions.STEPS),
        *(t.action for t in transitions.TRANSITIONS),
        *AuditEvent.objects.values_list("object_type", flat=True).distinct(),
        *_choice_values(),
        *_payload_keys(),
    }
    checker = checker_for(language, codes)
    site, unfilled = site_urls()
    admin_pages = admin_urls()
    findings: list[Finding] = []
    pages: dict[str, int] = {}
    for username in (*CRAWLERS, ANONYMOUS):
        user = users.get(username)
        start = ["/", *site, MISSING_PAGE, "/admin/"]
        if username in ADMINS:
            start += admin_pages
        client = client_for(user, language)
        count = 0
        for visit in crawl(client, start, excluded=_excluded, follow=_follow):
            count += 1
            if visit.status >= 500:
                findings.append(Finding("server-error", f"HTTP {visit.status}", visit.url, username, ""))
                continue
            findings += checker.check(visit.page, visit.url, username)
        pages[username] = count
    findings += _error_page(checker, language)
    findings += _lockout_page(checker, language)
    return findings, pages, unfilled


def _error_page(checker: Checker, language: str) -> list[Finding]:
    """The 500 page (the handler's own rendering: the crawl cannot break a page on purpose)."""
    from workflow.api.problems import server_error

    request = RequestFactory().get("/projects/")
    with translation.override(language):
        response = server_error(request)
    return checker.check(response.content.decode(), "(500 page)", ANONYMOUS)


def _lockout_page(checker: Checker, language: str) -> list[Finding]:
    """The page after too many failed logins (django-axes' lockout, in the site's layout)."""
    client = client_for(None, language)
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        response = client.post(reverse("login"), {"username": "stranger", "password": "wrong-password"})
    assert response.status_code in (403, 429), response.status_code
    return checker.check(response.content.decode(), f"{reverse('login')} (locked out)", ANONYMOUS)


def _choice_values() -> Iterator[str]:
    from django.apps import apps

    for model in apps.get_models():
        if model._meta.app_label not in ("workflow", "approvals", "reports", "notifications"):
            continue
        for field in model._meta.concrete_fields:
            for value, _label in field.flatchoices or ():
                if isinstance(value, str):
                    yield value


def _payload_keys() -> set[str]:
    keys: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            keys.update(str(k) for k in value)
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    for payload in AuditEvent.objects.values_list("payload", flat=True):
        walk(payload)
    return keys


# --------------------------------------------------------------------------------------------
# The tests
# --------------------------------------------------------------------------------------------


def _assert_clean(findings: list[Finding], pages: dict[str, int], unfilled: list[str], language: str) -> None:
    # The crawl really went through the site: every role saw its pages.
    assert all(count >= 5 for count in pages.values()), pages
    assert pages["root"] > pages["officer"], pages
    assert not unfilled, (
        "pages the crawl cannot reach (give their arguments a value in _filler): " + ", ".join(unfilled)
    )
    where = ", ".join(f"{role} {count}" for role, count in pages.items())
    assert not findings, f"{len(findings)} finding(s) in {language} mode (pages checked: {where}):" + report(
        findings
    )


@pytest.mark.slow
@pytest.mark.django_db
def test_every_page_reads_in_thai_in_thai_mode(tmp_path: Path) -> None:
    users = seed(tmp_path)
    findings, pages, unfilled = crawl_everything(users, "th")
    _assert_clean(findings, pages, unfilled, "Thai")


@pytest.mark.slow
@pytest.mark.django_db
def test_every_page_reads_in_english_in_english_mode(tmp_path: Path) -> None:
    users = seed(tmp_path)
    findings, pages, unfilled = crawl_everything(users, "en")
    _assert_clean(findings, pages, unfilled, "English")


# --------------------------------------------------------------------------------------------
# The checks themselves, on pages written here: each catches what it is for, and a right page
# passes.
# --------------------------------------------------------------------------------------------


def _checker(language: str, data: tuple[str, ...] = ()) -> Checker:
    from tests.language_crawl import DataMask, catalogues

    keep = (lambda s: any(c.isascii() and c.isalpha() for c in s)) if language == "th" else (lambda s: True)
    codes = frozenset({*AuditAction.values, *Role.values, "submission", "findings", "selected"})
    return Checker(language, DataMask(data, keep=keep), codes, catalogues())


def _found(checker: Checker, body: str) -> set[tuple[str, str]]:
    page = f'<!DOCTYPE html><html lang="{checker.language}"><head><title>t</title></head><body>{body}</body></html>'
    return {(finding.check, finding.phrase) for finding in checker.check(page, "/page/", "tester")}


RIGHT_THAI_PAGE = """
<script>var label = "Save and add another"; // 2026-12-06</script><style>p::after{content:"approved"}</style>
<nav aria-label="เมนูหลัก"><a href="/inbox/" title="งานที่รอดำเนินการ">งานที่รอดำเนินการ</a></nav>
<form><button type="submit" name="language" value="en" lang="en">English</button>
<input type="hidden" name="next" value="/projects/?state=selected&amp;since=2026-12-06">
<input type="submit" value="บันทึก"><input name="q" value="officer_ct">
<input name="start_date" value="06/12/2569" placeholder="วว/ดด/ปปปป"></form>
<h1>อำเภอต้นแบบ (Role Model) · โครงการพัฒนา Application บริการของอำเภอ</h1>
<p>บันทึกโดย officer_ct (officer_ct@example.org) เมื่อ 6 ธ.ค. 2569 10:15 น. งบประมาณ 2,026.00 บาท</p>
<p>แนบไฟล์ <a href="/projects/1/evidence/3/">activity.png</a> ขนาด 12 KB · รหัสแฮช SHA-256 9a17a6f1d8aa72009c1cf1</p>
<p>สถานะ: <strong>อนุมัติแล้ว</strong> ดูรหัส <code>district_officer</code> และ <kbd>Ctrl</kbd></p>
"""


def test_a_right_thai_page_passes() -> None:
    checker = _checker("th", data=("officer_ct", "โครงการพัฒนา Application บริการของอำเภอ"))
    assert _found(checker, RIGHT_THAI_PAGE) == set()


def test_untranslated_english_in_thai_mode_is_found_in_text_and_shown_attributes() -> None:
    found = _found(
        _checker("th"),
        '<h1>Save and add another</h1><a title="Change password" href="/x/">ไป</a>'
        '<input type="submit" value="Log out"><p>หน้านี้ Quite some words nobody translated</p>'
        '<div data-inline=\'{"addText": "Add another"}\'></div>',
    )
    assert ("english", "Save and add another") in found
    assert ("english", "Change password") in found
    assert ("english", "Log out") in found
    assert ("english-text", "Quite some words nobody translated") in found


def test_a_ce_year_in_a_thai_date_is_found_but_money_ids_and_be_years_are_not() -> None:
    found = _found(
        _checker("th"),
        "<p>6 ธันวาคม 2026</p><p>ครบกำหนด 2026-12-06</p><td>06/12/2026</td><p>ธ.ค. ๒๐๒๖</p>"
        '<input name="deadline" value="2026-12-31">'
        "<p>2,026.00 บาท · โครงการเลขที่ 2026 · 6 ธันวาคม 2569 · ปีงบประมาณ 2570</p>",
    )
    years = {phrase for check, phrase in found if check == "ce-year"}
    assert years == {"ธันวาคม 2026", "2026-12-06", "06/12/2026", "ธ.ค. 2026", "2026-12-31"}
    assert {check for check, _phrase in found} == {"ce-year"}


def test_a_raw_code_or_stored_path_in_thai_mode_is_found() -> None:
    found = _found(
        _checker("th"),
        "<td>submission 1</td><td>district_officer</td><dt>findings:</dt><dd>ครบ</dd>"
        "<li>ไฟล์ evidence/2026/12/photo.png</li><li>สถานะ selected</li>",
    )
    assert ("raw-code", "submission") in found
    assert ("raw-code", "district_officer") in found
    assert ("raw-code", "findings") in found
    assert ("raw-code", "selected") in found
    assert ("raw-path", "evidence/2026/12/photo.png") in found


RIGHT_ENGLISH_PAGE = """
<form><button type="submit" name="language" value="th" lang="th">ไทย</button></form>
<h1>Mueang Chiang Mai: โครงการจัดทำแนวกันไฟป่า</h1>
<p>Comment by นายอำเภอเมืองเชียงใหม่: <q>เห็นชอบ ดำเนินการได้</q></p><blockquote>ติดตามแล้ว</blockquote>
<p>The preface (คำนำ) printed first. Letter number, e.g. มท ๐๓๑๘.๑/๑๒๓. Due 31 Aug 2027.</p>
<p>Title: โครงการจัดทำแนวกั…</p><textarea name="note">บันทึกที่พิมพ์ไว้</textarea>
"""


def test_a_right_english_page_passes() -> None:
    data = ("โครงการจัดทำแนวกันไฟป่า", "นายอำเภอเมืองเชียงใหม่")
    assert _found(_checker("en", data=data), RIGHT_ENGLISH_PAGE) == set()


def test_thai_text_and_be_dates_in_english_mode_are_found() -> None:
    found = _found(
        _checker("en", data=("โครงการจัดทำแนวกันไฟป่า",)),
        "<p>State: ส่งกลับแก้ไข</p><p>Due 31/08/2570</p><td title='อนุมัติ'>ok</td>"
        "<p>โครงการจัดทำแนวกันไฟป่า ได้รับอนุมัติแล้ว</p>",
    )
    assert found == {
        ("thai", "ส่งกลับแก้ไข"),
        ("be-year", "31/08/2570"),
        ("thai", "อนุมัติ"),
        ("thai", "ได้รับอนุมัติแล้ว"),
    }


def test_the_crawl_fills_every_pattern_and_skips_only_what_it_names(db: Any) -> None:
    """Every URL pattern is visited, skipped with a reason, or its arguments are filled: a new
    page with an argument no rule fills fails here, not silently unvisited."""
    urls, unfilled = site_urls()
    assert [route for route in unfilled if "no rule" in route] == []
    assert {"/inbox/", "/projects/", "/audit/", "/dashboard/", "/notifications/"} <= set(urls)

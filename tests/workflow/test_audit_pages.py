"""The audit pages: searching the history, exporting exactly what was found, a project's
timeline with its snapshots, verifying the chains, and who may use them."""

from __future__ import annotations

import csv
import datetime
import io
import re
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from tests import factories as f
from tests.workflow.test_audit import triggers_lifted
from workflow import audit
from workflow.models import AuditEvent
from workflow.services import projects as svc
from workflow.web import audit as audit_pages

User = get_user_model()
BANGKOK = ZoneInfo("Asia/Bangkok")
MAX_QUERIES = 15


def client_for(user: Any, language: str | None = None) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language) if language else Client()
    client.force_login(user)
    return client


def shown_events(response: Any) -> list[int]:
    """The ids of the events in the results table, in page order."""
    return [int(pk) for pk in re.findall(r'<tr id="event-(\d+)"', response.content.decode())]


def field_error(response: Any, name: str) -> str:
    """The error text shown beside a field (tied to it by its id), or ''."""
    match = re.search(
        rf'<p class="error" id="id_{name}_error" role="alert">(.*?)</p>', response.content.decode(), re.S
    )
    return match.group(1).strip() if match else ""


def ids(queryset: Any) -> list[int]:
    return list(queryset.order_by("id").values_list("id", flat=True))


@pytest.fixture
def trail(world: SimpleNamespace) -> SimpleNamespace:
    """Events in 5001 (officer creates two, chief approves one and comments), 5002 (create,
    return) and the national chain (an edition change)."""
    w = world
    w.a = f.make_project(w.officer, w.entry, "10000.00")
    w.b = f.make_project(w.officer, w.entry2, "10000.00")
    svc.project_approve(project=w.a, acting_user=w.chief, comment="อนุมัติตามแผน")
    svc.project_comment(project=w.b, acting_user=w.chief, comment='=HYPERLINK("http://x") ตรวจอีกครั้ง')
    w.c = f.make_project(w.other_officer, w.other_entry, "10000.00")
    svc.project_return(project=w.c, acting_user=w.other_chief, comment="แก้ไขเป้าหมาย, ครัวเรือน")
    from workflow.services import programme

    programme.edition_update(acting_user=w.admin, edition=w.edition, values={"title": "ฉบับใหม่"})
    assert AuditEvent.objects.count() == 7
    return w


# --- Who may use the pages ---------------------------------------------------------------------


def urls(project_id: int) -> list[str]:
    return [
        reverse("audit"),
        reverse("audit-export-csv"),
        reverse("audit-export-xlsx"),
        reverse("audit-chains"),
        reverse("audit-project", args=[project_id]),
    ]


def test_history_readers_may_open_every_audit_page(trail):
    for user in (trail.auditor, trail.planner, trail.admin):
        client = client_for(user)
        for url in urls(trail.a.pk):
            response = client.get(url)
            assert response.status_code == 200, (user.username, url, response.status_code)


@pytest.mark.parametrize("username", ["officer", "chief", "provincial", "inspector", "nobody"])
def test_others_get_a_403_page(trail, username):
    client = client_for(getattr(trail, username))
    for url in urls(trail.a.pk):
        response = client.get(url)
        assert response.status_code == 403, (username, url)
    assert (
        "auditors, central planners and administrators"
        in client_for(getattr(trail, username), "en").get(reverse("audit")).content.decode()
    )
    assert client.post(reverse("audit-chains"), {"all": "1"}).status_code == 403


def test_anonymous_users_are_sent_to_log_in(trail):
    for url in urls(trail.a.pk):
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")


def test_the_navigation_links_to_the_audit_pages_only_for_history_readers(trail):
    assert 'href="/audit/"' in client_for(trail.auditor).get(reverse("audit")).content.decode()
    officer_page = client_for(trail.officer).get(reverse("audit")).content.decode()
    assert 'href="/audit/"' not in officer_page


# --- Searching ----------------------------------------------------------------------------------


def test_without_filters_every_event_is_shown_newest_first(trail):
    response = client_for(trail.auditor, "en").get(reverse("audit"))
    assert shown_events(response) == sorted(ids(AuditEvent.objects.all()), reverse=True)
    page = response.content.decode()
    assert "7 events" in page
    assert "อนุมัติตามแผน" in page
    # The project's page and its audit timeline are linked; state labels and role labels shown.
    assert f'href="/projects/{trail.a.pk}/"' in page
    assert reverse("audit-project", args=[trail.a.pk]) in page
    assert "District chief" in page and "Approved" in page and "Returned for revision" in page


def test_filter_by_district(trail):
    response = client_for(trail.auditor).get(reverse("audit"), {"district": "5002"})
    expected = ids(AuditEvent.objects.filter(district_id="5002"))
    assert len(expected) == 2
    assert sorted(shown_events(response)) == expected
    assert "แก้ไขเป้าหมาย" in response.content.decode()
    assert "อนุมัติตามแผน" not in response.content.decode()


def test_filter_by_province(trail):
    response = client_for(trail.auditor).get(reverse("audit"), {"province": "50"})
    assert sorted(shown_events(response)) == ids(AuditEvent.objects.filter(province_id="50"))
    assert len(shown_events(response)) == 6


def test_filter_by_actor_and_action(trail):
    client = client_for(trail.auditor)
    by_chief = client.get(reverse("audit"), {"actor": "chief"})
    assert sorted(shown_events(by_chief)) == ids(AuditEvent.objects.filter(actor=trail.chief))
    assert len(shown_events(by_chief)) == 2
    approvals = client.get(reverse("audit"), {"action": "approve"})
    [approval] = AuditEvent.objects.filter(action="approve")
    assert shown_events(approvals) == [approval.pk]
    both = client.get(reverse("audit"), {"actor": "officer", "action": "create", "district": "5001"})
    assert sorted(shown_events(both)) == ids(AuditEvent.objects.filter(actor=trail.officer, action="create"))
    assert len(shown_events(both)) == 2
    nothing = client.get(reverse("audit"), {"actor": "chief", "action": "create"})
    assert shown_events(nothing) == []


def test_the_action_select_offers_every_recorded_action(trail):
    page = client_for(trail.auditor, "en").get(reverse("audit")).content.decode()
    for code in ("create", "approve", "return", "role_grant", "bank_import", "admin_change", "task_claim"):
        assert f'<option value="{code}"' in page


def test_filter_by_project_number(trail):
    response = client_for(trail.auditor).get(reverse("audit"), {"project": trail.b.pk})
    assert sorted(shown_events(response)) == ids(AuditEvent.objects.filter(project=trail.b))


@pytest.fixture
def timed_events(world, monkeypatch):
    """Three comments at known Bangkok times around midnight of 10/11 March 2024 (BE 2567)."""
    project = f.make_project(world.officer, world.entry, "10000.00")
    times = {
        "before": datetime.datetime(2024, 3, 9, 12, 0, tzinfo=BANGKOK),
        "late_evening": datetime.datetime(2024, 3, 10, 23, 30, tzinfo=BANGKOK),
        # 17:10 UTC on 10 March: the UTC date differs from the Bangkok date.
        "after_midnight": datetime.datetime(2024, 3, 11, 0, 10, tzinfo=BANGKOK),
    }
    made = {}
    for name, moment in times.items():
        monkeypatch.setattr(audit, "timezone", SimpleNamespace(now=lambda moment=moment: moment))
        made[name] = svc.project_comment(project=project, acting_user=world.chief, comment=name)
    monkeypatch.undo()
    by_name = {e.comment: e.pk for e in AuditEvent.objects.filter(action="comment")}
    assert set(by_name) == set(times)
    return SimpleNamespace(world=world, ids=by_name)


def test_date_range_is_whole_days_in_bangkok_typed_in_buddhist_era(timed_events):
    client = client_for(timed_events.world.auditor)  # Thai: BE years
    ev = timed_events.ids
    day10 = client.get(reverse("audit"), {"action": "comment", "since": "10/03/2567", "until": "10/03/2567"})
    assert shown_events(day10) == [ev["late_evening"]]
    day11 = client.get(reverse("audit"), {"action": "comment", "since": "11/03/2567"})
    assert shown_events(day11) == [ev["after_midnight"]]
    until10 = client.get(reverse("audit"), {"action": "comment", "until": "10/03/2567"})
    assert shown_events(until10) == [ev["late_evening"], ev["before"]]
    # What was typed is kept in the form.
    assert 'value="10/03/2567"' in day10.content.decode()


def test_in_english_the_dates_are_typed_in_the_common_era(timed_events):
    client = client_for(timed_events.world.auditor, "en")
    response = client.get(
        reverse("audit"), {"action": "comment", "since": "11/03/2024", "until": "11/03/2024"}
    )
    assert shown_events(response) == [timed_events.ids["after_midnight"]]


def test_a_common_era_year_in_thai_is_refused_beside_the_field(timed_events):
    client = client_for(timed_events.world.auditor)
    response = client.get(reverse("audit"), {"since": "11/03/2024", "actor": "chief"})
    assert response.status_code == 200
    assert field_error(response, "since")
    assert 'aria-describedby="id_since_hint id_since_error"' in response.content.decode()
    assert shown_events(response) == []
    assert 'value="11/03/2024"' in response.content.decode() and 'value="chief"' in response.content.decode()


def test_a_reversed_range_and_a_bad_district_code_are_shown_beside_their_fields(trail):
    client = client_for(trail.auditor, "en")
    response = client.get(reverse("audit"), {"since": "12/03/2024", "until": "11/03/2024", "district": "50x"})
    assert "before its start" in field_error(response, "until")
    assert "four-digit" in field_error(response, "district")
    assert shown_events(response) == []


def test_dates_are_shown_in_buddhist_era_in_thai(timed_events):
    page = (
        client_for(timed_events.world.auditor).get(reverse("audit"), {"action": "comment"}).content.decode()
    )
    assert "10 มี.ค. 2567 23:30" in page
    page_en = client_for(timed_events.world.auditor, "en").get(reverse("audit"), {"action": "comment"})
    assert "10 Mar 2024 23:30" in page_en.content.decode()


def test_results_are_paged_by_fifty_and_pages_keep_the_filters(world):
    project = f.make_project(world.officer, world.entry, "10000.00")
    for n in range(55):
        svc.project_comment(project=project, acting_user=world.chief, comment=f"c{n}")
    client = client_for(world.auditor)
    first = client.get(reverse("audit"), {"district": "5001"})
    all_ids = sorted(ids(AuditEvent.objects.filter(district_id="5001")), reverse=True)
    assert len(all_ids) == 56
    assert shown_events(first) == all_ids[:50]
    assert "district=5001&amp;page=2" in first.content.decode()
    second = client.get(reverse("audit"), {"district": "5001", "page": "2"})
    assert shown_events(second) == all_ids[50:]


def test_late_events_carry_a_badge(world, monkeypatch):
    project = f.make_project(world.officer, world.entry, "10000.00")
    svc.project_comment(project=project, acting_user=world.chief, comment="ok")
    assert 'class="badge late"' not in client_for(world.auditor).get(reverse("audit")).content.decode()
    # A late event (the services mark transitions after the deadline) shows the badge.
    from django.db import transaction

    with transaction.atomic():
        audit.record(
            actor=audit.Actor(user=world.chief, role="district_chief", area_code="5001"),
            action="comment",
            object_type="project",
            object_id=project.pk,
            project=project,
            comment="late one",
            is_late=True,
        )
    page = client_for(world.auditor).get(reverse("audit")).content.decode()
    assert page.count('class="badge late"') == 1


# --- Exports --------------------------------------------------------------------------------------


def headers_as_shown(response: Any) -> list[str]:
    """The export's header row in the language the response was made in."""
    with translation.override(response["Content-Language"]):
        return audit_pages.export_headers()


def csv_rows(response: Any) -> list[dict[str, str]]:
    """The rows by column key (the headers are in the reader's language: checked here)."""
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf"), "UTF-8 byte-order mark for Excel"
    text = body.decode("utf-8-sig")
    header, *rows = list(csv.reader(io.StringIO(text)))
    assert header == headers_as_shown(response)
    return [dict(zip(audit_pages.EXPORT_COLUMNS, row, strict=True)) for row in rows]


def xlsx_rows(response: Any) -> list[dict[str, Any]]:
    body = b"".join(response.streaming_content)
    sheet = load_workbook(io.BytesIO(body), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert [str(h) for h in rows[0]] == headers_as_shown(response)
    return [dict(zip(audit_pages.EXPORT_COLUMNS, row, strict=True)) for row in rows[1:]]


def test_csv_export_holds_exactly_the_filtered_events(trail):
    response = client_for(trail.auditor).get(
        reverse("audit-export-csv"), {"district": "5001", "actor": "chief"}
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment;" in response["Content-Disposition"] and ".csv" in response["Content-Disposition"]
    rows = csv_rows(response)
    expected = AuditEvent.objects.filter(district_id="5001", actor=trail.chief).order_by("id")
    assert [int(r["sequence"]) for r in rows] == ids(expected)
    assert len(rows) == 2
    assert list(rows[0]) == list(audit_pages.EXPORT_COLUMNS)
    approval, comment = rows
    event = expected[0]
    assert approval["action"] == "approve" and approval["actor"] == "chief"
    assert approval["role"] == "district_chief" and approval["area"] == "5001"
    assert (approval["from"], approval["to"]) == ("selected", "approved")
    assert approval["comment"] == "อนุมัติตามแผน"
    assert approval["district"] == "5001" and approval["province"] == "50"
    assert approval["project"] == str(trail.a.pk)
    assert approval["object_type"] == "project" and approval["object_id"] == str(trail.a.pk)
    assert approval["late"] == "false"
    assert (approval["hash"], approval["prev_hash"]) == (event.hash, event.prev_hash)
    assert (approval["chain"], approval["chain_seq"]) == ("5001", str(event.chain_seq))
    assert approval["time_utc"].endswith("+00:00")
    assert datetime.datetime.fromisoformat(approval["time_utc"]) == event.created_at
    # A comment that a spreadsheet would run as a formula is defused in the CSV.
    assert comment["comment"].startswith("'=HYPERLINK(")


def test_csv_export_with_a_date_range(timed_events):
    response = client_for(timed_events.world.auditor).get(
        reverse("audit-export-csv"), {"since": "10/03/2567", "until": "10/03/2567"}
    )
    assert [int(r["sequence"]) for r in csv_rows(response)] == [timed_events.ids["late_evening"]]


def test_xlsx_export_holds_exactly_the_filtered_events(trail):
    response = client_for(trail.auditor).get(
        reverse("audit-export-xlsx"), {"province": "50", "action": "create"}
    )
    assert response.status_code == 200
    assert response["Content-Type"] == audit_pages.XLSX_TYPE
    rows = xlsx_rows(response)
    expected = AuditEvent.objects.filter(province_id="50", action="create").order_by("id")
    assert [r["sequence"] for r in rows] == ids(expected)
    assert len(rows) == 3
    assert list(rows[0]) == list(audit_pages.EXPORT_COLUMNS)
    first = rows[0]
    assert first["actor"] == "officer" and first["to"] == "selected" and first["late"] is False
    assert first["hash"] == expected[0].hash
    assert datetime.datetime.fromisoformat(str(first["time_utc"])) == expected[0].created_at


def test_xlsx_keeps_a_formula_like_comment_as_text(trail):
    rows = xlsx_rows(client_for(trail.auditor).get(reverse("audit-export-xlsx"), {"action": "comment"}))
    assert [r["comment"] for r in rows] == ['=HYPERLINK("http://x") ตรวจอีกครั้ง']


def test_exports_without_filters_hold_every_event(trail):
    client = client_for(trail.auditor)
    every = ids(AuditEvent.objects.all())
    assert [int(r["sequence"]) for r in csv_rows(client.get(reverse("audit-export-csv")))] == every
    assert [r["sequence"] for r in xlsx_rows(client.get(reverse("audit-export-xlsx")))] == every


def test_the_page_links_the_exports_with_its_filters(trail):
    page = client_for(trail.auditor).get(reverse("audit"), {"district": "5002", "page": "1"}).content.decode()
    assert 'href="/audit/export.csv?district=5002"' in page
    assert 'href="/audit/export.xlsx?district=5002"' in page


def test_an_export_larger_than_the_cap_is_refused_with_a_message(trail, monkeypatch):
    monkeypatch.setattr(audit_pages, "EXPORT_MAX_ROWS", 3)
    client = client_for(trail.auditor, "en")
    response = client.get(reverse("audit-export-csv"), {"province": "50"})
    assert response.status_code == 302
    assert response["Location"] == "/audit/?province=50"
    page = client.get(response["Location"]).content.decode()
    assert "6 events match, more than the 3" in page
    small = client.get(reverse("audit-export-xlsx"), {"district": "5002"})
    assert small.status_code == 200


def test_an_export_of_an_invalid_search_goes_back_to_the_form(trail):
    client = client_for(trail.auditor)
    response = client.get(reverse("audit-export-csv"), {"since": "31/02/2567"})
    assert response.status_code == 302 and response["Location"].startswith("/audit/?")
    assert field_error(client.get(response["Location"]), "since")


# --- A project's timeline -------------------------------------------------------------------------


def test_project_timeline_lists_every_event_with_its_snapshots(trail):
    response = client_for(trail.auditor, "en").get(reverse("audit-project", args=[trail.a.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    events = list(AuditEvent.objects.filter(project=trail.a).order_by("id"))
    assert [int(pk) for pk in re.findall(r'<li id="event-(\d+)"', page)] == [e.pk for e in events]
    assert trail.a.title in page
    assert "อนุมัติตามแผน" in page
    # The budget snapshot of the approval: cap, committed (both projects), remaining.
    assert "cap 150,000.00 · committed 20,000.00 · remaining 130,000.00 THB" in page
    assert "all 13 rules passed" in page or re.search(r"all \d+ rules passed", page)
    assert "Guideline 1, scope (5): budget" in page
    assert events[-1].hash[:12] in page


def test_project_timeline_shows_failed_rules(world):
    project = f.make_project(world.officer, world.entry, "10000.00")
    from django.db import transaction

    with transaction.atomic():
        audit.record(
            actor=audit.Actor(user=world.chief, role="district_chief", area_code="5001"),
            action="comment",
            object_type="project",
            object_id=project.pk,
            project=project,
            comment="snapshot",
            rule_results=[
                {"code": "budget_cap_exceeded", "passed": False},
                {"code": "dates_invalid", "passed": True},
            ],
            budget={"cap": "150000.00", "committed": "160000.00", "remaining": "-10000.00"},
        )
    page = client_for(world.auditor, "en").get(reverse("audit-project", args=[project.pk])).content.decode()
    assert "1 rule failed" in page
    assert '<p class="failed error">failed: Guideline 1, scope (5): budget' in page
    assert "remaining -10,000.00 THB" in page


def test_project_timeline_404_for_a_missing_project_and_403_for_non_readers(trail):
    assert client_for(trail.auditor).get(reverse("audit-project", args=[999999])).status_code == 404
    # The provincial officer sees the project elsewhere, but is no history reader.
    assert client_for(trail.provincial).get(reverse("audit-project", args=[trail.a.pk])).status_code == 403


# --- Chains -----------------------------------------------------------------------------------------


def status_of(page: str, chain: str) -> str:
    match = re.search(rf'<td data-label="[^"]*" id="status-{chain}">(.*?)</td>', page, re.S)
    assert match, chain
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(1))).strip()


def test_the_chain_page_lists_chains_and_verifies_all_on_request(trail):
    client = client_for(trail.auditor, "en")
    page = client.get(reverse("audit-chains")).content.decode()
    assert "3 chains" in page
    assert "เมืองเชียงใหม่" in page and "จอมทอง" in page and "National (no district)" in page
    for chain in ("5001", "5002", "TH"):
        assert status_of(page, chain) == "Not verified in this session"
    response = client.post(reverse("audit-chains"), {"all": "1"})
    assert response.status_code == 302 and response["Location"] == reverse("audit-chains")
    page = client.get(reverse("audit-chains")).content.decode()
    assert "3 chains verified: all intact." in page
    assert status_of(page, "5001").startswith("verified 4 events")
    assert status_of(page, "5002").startswith("verified 2 events")
    assert status_of(page, "TH").startswith("verified 1 event")


def test_a_forged_event_shows_the_chain_broken_at_that_event(trail):
    forged = AuditEvent.objects.get(chain="5001", chain_seq=3)
    table = AuditEvent._meta.db_table
    with triggers_lifted(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET comment = %s WHERE id = %s", ["ไม่อนุมัติ", forged.pk])  # noqa: S608
    client = client_for(trail.auditor, "en")
    response = client.post(reverse("audit-chains"), {"chain": "5001"})
    assert response.status_code == 302
    page = client.get(reverse("audit-chains")).content.decode()
    assert f"Chain 5001 is broken at event #{forged.pk}" in page
    assert status_of(page, "5001").startswith(
        f"broken at event #{forged.pk}: its content does not match its hash: the event was changed"
    )
    assert status_of(page, "5002") == "Not verified in this session"
    client.post(reverse("audit-chains"), {"all": "1"})
    page = client.get(reverse("audit-chains")).content.decode()
    assert "3 chains verified: 1 broken." in page
    assert status_of(page, "5002").startswith("verified")
    assert status_of(page, "5001").startswith(f"broken at event #{forged.pk}")


def test_a_verified_chain_shows_newer_events_as_not_verified(trail):
    client = client_for(trail.auditor, "en")
    client.post(reverse("audit-chains"), {"chain": "5002"})
    svc.project_comment(project=trail.c, acting_user=trail.other_chief, comment="new")
    page = client.get(reverse("audit-chains")).content.decode()
    assert "1 newer event not verified" in status_of(page, "5002")


def test_the_chain_list_can_be_narrowed_by_code(trail):
    page = client_for(trail.auditor, "en").get(reverse("audit-chains"), {"q": "5002"}).content.decode()
    assert "1 chain" in page and 'id="status-5002"' in page and 'id="status-5001"' not in page


def test_verifying_an_unknown_chain_is_refused_with_a_message(trail):
    client = client_for(trail.auditor, "en")
    response = client.post(reverse("audit-chains"), {"chain": "9999"}, follow=True)
    assert "There is no such chain." in response.content.decode()


# --- Query counts -------------------------------------------------------------------------------------


def measure(user: Any, url: str, params: dict[str, str] | None = None) -> tuple[int, Any]:
    client = Client()
    client.force_login(User.objects.get(pk=user.pk))
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(queries.captured_queries), response


@pytest.mark.parametrize("params", [{}, {"district": "5001", "action": "comment", "since": "01/01/2567"}])
def test_the_search_page_issues_the_same_queries_for_few_and_many_events(world, params):
    project = f.make_project(world.officer, world.entry, "10000.00")
    svc.project_comment(project=project, acting_user=world.chief, comment="first")
    measure(world.auditor, reverse("audit"), params)  # warm-up
    few, response = measure(world.auditor, reverse("audit"), params)
    shown_few = len(shown_events(response))
    for n in range(10):
        other = f.make_project(world.officer2, world.entry2, "20000.00") if n == 0 else project
        svc.project_comment(project=other, acting_user=world.chief, comment=f"more {n}")
    many, response = measure(world.auditor, reverse("audit"), params)
    assert len(shown_events(response)) >= shown_few + 10
    assert many == few, f"{few} queries for {shown_few} events, {many} for more"
    assert many <= MAX_QUERIES


def test_the_chain_page_issues_the_same_queries_for_few_and_many_chains(world):
    f.make_project(world.officer, world.entry, "10000.00")
    measure(world.auditor, reverse("audit-chains"))
    few, _ = measure(world.auditor, reverse("audit-chains"))
    f.make_project(world.other_officer, world.other_entry, "10000.00")
    f.make_project(
        f.user_with("far_officer", "district_officer", world.d3), f.bank_entry(world.subs["510101"], "B-9")
    )
    many, response = measure(world.auditor, reverse("audit-chains"))
    assert "3 chains" in response.content.decode() or "3" in response.content.decode()
    assert many == few and many <= MAX_QUERIES


def test_project_timeline_queries_do_not_grow_with_events(world):
    project = f.make_project(world.officer, world.entry, "10000.00")
    url = reverse("audit-project", args=[project.pk])
    measure(world.auditor, url)
    few, _ = measure(world.auditor, url)
    for n in range(10):
        svc.project_comment(project=project, acting_user=world.chief, comment=f"c{n}")
    many, _ = measure(world.auditor, url)
    assert many == few and many <= MAX_QUERIES

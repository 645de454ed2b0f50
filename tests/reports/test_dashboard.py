"""The progress dashboard: who sees which area, the figures, the charts at a glance, the exports,
the API, query counts."""

from __future__ import annotations

import csv
import datetime
import io
import re
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from rest_framework.test import APIClient

from reports.dashboard import dashboard_for
from reports.models import SubmissionReceipt
from reports.web.dashboard import CHARTS, MONEY, PERCENT, chart_table
from tests import factories as f
from tests.reports.helpers import advance, advance_world
from workflow import events, schedule
from workflow.models import District, Edition, Province, Role, State, Subdistrict
from workflow.services import projects as svc

User = get_user_model()


@pytest.fixture
def no_book(monkeypatch: pytest.MonkeyPatch) -> None:
    """Submissions without the report book's PDF: the dashboard counts submissions; the book
    itself (rendered inside ``district_submit``) is tested with the report book."""
    monkeypatch.setattr(events, "_documents", [])


def page(user: Any, language: str = "th", **params: str) -> Any:
    client = Client()
    if user is not None:
        client.force_login(user)
    client.cookies["rolemodel_language"] = language
    return client.get(reverse("dashboard"), params)


def api(user: Any, **params: str) -> Any:
    client = APIClient()
    if user is not None:
        client.force_authenticate(User.objects.get(pk=user.pk))
    return client.get(reverse("api-dashboard"), params)


def export(user: Any, chart: str, fmt: str, language: str = "th", **params: str) -> Any:
    client = Client()
    client.force_login(user)
    client.cookies["rolemodel_language"] = language
    return client.get(reverse("dashboard-export", kwargs={"chart": chart, "fmt": fmt}), params)


def group_codes(response: Any) -> list[str]:
    return [g["code"] for g in response.json()["groups"]]


def bangkok() -> None:
    """Bangkok's khet exist as areas but are not programme districts."""
    province = Province.objects.create(code="10", name_th="กรุงเทพมหานคร", name_en="Bangkok")
    District.objects.create(
        code="1001", province=province, name_th="พระนคร", name_en="Phra Nakhon", is_programme_district=False
    )


# --- Who sees what ------------------------------------------------------------------------------


def test_anonymous_is_sent_to_log_in_and_the_api_answers_401(world):
    response = page(None)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    exported = Client().get(reverse("dashboard-export", kwargs={"chart": "states", "fmt": "csv"}))
    assert exported.status_code == 302
    answer = api(None)
    assert answer.status_code == 401
    assert answer["Content-Type"].startswith("application/problem+json")


@pytest.mark.parametrize("who", ["officer", "chief", "nobody"])
def test_users_without_a_dashboard_role_get_403(world, who):
    user = getattr(world, who)
    response = page(user)
    assert response.status_code == 403
    assert "chart-states" not in response.content.decode()
    assert export(user, "states", "csv").status_code == 403
    answer = api(user)
    assert answer.status_code == 403
    assert answer.json()["code"] == "forbidden"


@pytest.mark.parametrize("who", ["planner", "auditor", "admin"])
def test_country_roles_see_every_province_with_programme_districts(world, who):
    bangkok()
    user = getattr(world, who)
    answer = api(user)
    assert answer.status_code == 200
    body = answer.json()
    assert body["scope"]["country"] is True
    assert body["scope"]["group_by"] == "province"
    assert group_codes(answer) == ["50", "51"]  # Bangkok's khet are not programme districts
    assert [g["districts"] for g in body["groups"]] == [2, 1]
    response = page(user)
    assert response.status_code == 200
    html = response.content.decode()
    assert "เชียงใหม่" in html and "ลำพูน" in html
    assert "กรุงเทพมหานคร" not in html


def test_inspector_sees_only_the_provinces_of_their_region(world):
    answer = api(world.inspector)
    assert answer.status_code == 200
    assert answer.json()["scope"]["group_by"] == "province"
    assert group_codes(answer) == ["50"]
    assert [p["code"] for p in answer.json()["scope"]["provinces"]] == ["50"]
    html = page(world.inspector).content.decode()
    assert "เชียงใหม่" in html and "ลำพูน" not in html
    assert group_codes(api(world.other_inspector)) == ["51"]


def test_provincial_officer_sees_the_districts_of_their_province(world):
    answer = api(world.provincial)
    assert answer.status_code == 200
    body = answer.json()
    assert body["scope"]["group_by"] == "district"
    assert group_codes(answer) == ["5001", "5002"]
    html = page(world.provincial).content.decode()
    assert "เมืองเชียงใหม่" in html and "จอมทอง" in html and "เมืองลำพูน" not in html


def test_drilling_into_a_province_lists_its_districts(world):
    answer = api(world.planner, province="51")
    assert answer.status_code == 200
    assert answer.json()["scope"]["group_by"] == "district"
    assert answer.json()["scope"]["province"]["code"] == "51"
    assert group_codes(answer) == ["5101"]
    response = page(world.planner, province="50")
    assert response.status_code == 200
    assert [g.area.code for g in response.context["board"].groups] == ["5001", "5002"]
    assert group_codes(api(world.inspector, province="50")) == ["5001", "5002"]


@pytest.mark.parametrize(
    ("who", "province"),
    [("inspector", "51"), ("provincial", "51"), ("other_provincial", "50"), ("planner", "99")],
)
def test_a_province_outside_the_area_is_not_found(world, who, province):
    bangkok()
    user = getattr(world, who)
    assert page(user, province=province).status_code == 404
    assert export(user, "budget", "xlsx", province=province).status_code == 404
    answer = api(user, province=province)
    assert answer.status_code == 404
    assert answer.json()["code"] == "not_found"


def test_bangkok_cannot_be_drilled_into(world):
    bangkok()
    assert api(world.planner, province="10").status_code == 404


def test_an_unknown_edition_is_named_as_the_wrong_field(world):
    answer = api(world.planner, edition="9999")
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "edition"
    assert answer.json()["errors"][0]["code"] == "unknown_edition"
    response = page(world.planner, language="en", edition="9999")
    assert response.status_code == 400
    assert "There is no edition with this code." in response.content.decode()
    redirected = export(world.planner, "states", "csv", edition="9999")
    assert redirected.status_code == 302 and redirected["Location"].startswith(reverse("dashboard"))


def test_another_edition_can_be_chosen(world):
    f.make_project(world.officer, world.entry)
    f.designate(
        Edition.objects.create(
            code="2569", title="Earlier", budget_cap=Decimal("100000.00"), deadline=datetime.date(2026, 8, 31)
        )
    )
    current = api(world.planner).json()
    earlier = api(world.planner, edition="2569").json()
    assert current["edition"]["code"] == "2570" and current["totals"]["projects"] == 1
    assert earlier["edition"]["code"] == "2569" and earlier["totals"]["projects"] == 0
    assert earlier["totals"]["cap"] == "300000.00"  # 3 Role Model districts × 100,000.00


# --- The figures ---------------------------------------------------------------------------------


@pytest.fixture
def progress(world, no_book) -> SimpleNamespace:
    """Projects in several states in three districts; district 5001 has submitted its book.

    5001: a project submitted (50,000, 38,500 spent) and one rejected (20,000);
    5002: one selected (30,000, social) and one withdrawn (10,000);
    5101: one approved (40,000, environment). Then the deadline comes near, so that the
    chief's review of the selected project is overdue and the approved one's implementation
    is not yet due.
    """
    w = world
    d3_officer = f.user_with("d3_officer", Role.DISTRICT_OFFICER, w.d3)
    d3_chief = f.user_with("d3_chief", Role.DISTRICT_CHIEF, w.d3)
    d3_entry = f.bank_entry(w.subs["510101"], "B-4")
    submitted = advance_world(f.make_project(w.officer, w.entry, "50000.00"), State.REPORTED, w)
    rejected = f.make_project(w.officer, w.entry2, "20000.00")
    svc.project_reject(project=rejected, acting_user=w.chief, comment="ไม่สอดคล้องกับแผนพัฒนาอำเภอ")
    f.disburse("5001", "100000.00")
    submission = svc.district_submit(district="5001", acting_user=w.chief, comment="ส่งรายงานผล")
    selected = f.make_project(w.other_officer, w.other_entry, "30000.00", dimension="social")
    withdrawn = f.make_project(w.other_officer, w.other_entry, "10000.00")
    svc.project_withdraw(project=withdrawn, acting_user=w.other_officer)
    approved = advance(
        f.make_project(d3_officer, d3_entry, "40000.00", dimension="environment"),
        State.APPROVED,
        officer=d3_officer,
        chief=d3_chief,
        inspector=w.other_inspector,
    )
    today = timezone.localdate()
    Edition.objects.filter(pk=w.edition.pk).update(deadline=today + datetime.timedelta(days=35))
    dues = schedule.due_dates(Edition.objects.get(pk=w.edition.pk))
    assert dues["review"] < today <= dues["implement"]
    return SimpleNamespace(
        **vars(w),
        submission=submission,
        submitted=submitted,
        selected=selected,
        approved=approved,
        d3_officer=d3_officer,
        d3_chief=d3_chief,
    )


def test_figures_per_province_for_the_central_planner(progress):
    submitted = progress.submitted
    submitted.refresh_from_db()
    assert submitted.state == State.SUBMITTED
    body = api(progress.planner).json()
    p50, p51 = body["groups"]
    assert p50["states"] == {
        **dict.fromkeys(State.values, 0),
        "submitted": 1,
        "rejected": 1,
        "selected": 1,
        "withdrawn": 1,
    }
    assert (p50["projects"], p50["live_projects"]) == (4, 2)
    assert p50["cap"] == "300000.00"
    assert p50["committed"] == "80000.00"  # 50,000 + 30,000: rejected and withdrawn hold nothing
    assert p50["spent"] == "38500.00"
    assert p50["remaining"] == "220000.00"
    assert p50["committed_percent"] == "26.7"
    assert (p50["open_tasks"], p50["overdue_tasks"]) == (1, 1)
    assert p50["overdue_by_step"]["review"] == 1
    assert (p50["books_expected"], p50["books_received"], p50["books_late"], p50["books_missing"]) == (
        2,
        1,
        0,
        1,
    )
    assert p50["books_acknowledged"] == 0
    assert p51["states"]["approved"] == 1 and p51["projects"] == 1
    assert (p51["cap"], p51["committed"], p51["spent"]) == ("150000.00", "40000.00", "0.00")
    assert (p51["open_tasks"], p51["overdue_tasks"]) == (1, 0)
    assert (p51["books_expected"], p51["books_received"]) == (1, 0)
    totals = body["totals"]
    assert (totals["projects"], totals["committed"], totals["cap"]) == (5, "120000.00", "450000.00")
    assert (totals["books_expected"], totals["books_received"]) == (3, 1)
    dimensions = {d["dimension"]: (d["projects"], d["budget"]) for d in body["dimensions"]}
    assert dimensions["economy"] == (1, "50000.00")
    assert dimensions["social"] == (1, "30000.00")
    assert dimensions["environment"] == (1, "40000.00")
    assert dimensions["security"] == (0, "0.00")
    assert [s["district"] for s in body["recent_submissions"]] == ["5001"]


def test_figures_per_district_for_the_provincial_officer(progress):
    body = api(progress.provincial).json()
    d1, d2 = body["groups"]
    assert (d1["code"], d1["states"]["submitted"], d1["states"]["rejected"]) == ("5001", 1, 1)
    assert (d1["cap"], d1["committed"], d1["spent"]) == ("150000.00", "50000.00", "38500.00")
    assert (d1["books_expected"], d1["books_received"], d1["open_tasks"]) == (1, 1, 0)
    assert (d2["code"], d2["states"]["selected"], d2["states"]["withdrawn"]) == ("5002", 1, 1)
    assert (d2["committed"], d2["books_expected"], d2["books_received"]) == ("30000.00", 1, 0)
    assert (d2["open_tasks"], d2["overdue_tasks"]) == (1, 1)
    # Only the province's own submissions and dimensions.
    assert [d["projects"] for d in body["dimensions"] if d["dimension"] == "environment"] == [0]


def test_the_planner_sees_the_book_received_on_the_page(progress):
    response = page(progress.planner, language="en")
    assert response.status_code == 200
    html = response.content.decode()
    table = html.split('id="books-received"', 1)[1].split("</table>", 1)[0]
    assert "Mueang Chiang Mai" in table
    assert f'href="{reverse("district-book", kwargs={"code": "5001"})}"' in table  # to the book's page
    assert "On time" in table
    assert "Received, not yet acknowledged" in table
    SubmissionReceipt.objects.create(
        submission=progress.submission, acknowledged_by=progress.planner, acknowledged_at=timezone.now()
    )
    html = page(progress.planner).content.decode()  # Thai
    table = html.split('id="books-received"', 1)[1].split("</table>", 1)[0]
    assert "เมืองเชียงใหม่" in table
    assert "Received, not yet acknowledged" not in table
    assert api(progress.planner).json()["totals"]["books_acknowledged"] == 1


def test_a_late_book_and_its_correction_count_once(world, no_book):
    advance_world(f.make_project(world.officer, world.entry), State.REPORTED, world)
    Edition.objects.filter(pk=world.edition.pk).update(
        deadline=timezone.localdate() - datetime.timedelta(days=1)
    )
    f.disburse("5001")
    first = svc.district_submit(district="5001", acting_user=world.chief, comment="ส่งรายงานผล")
    assert first.is_late
    svc.district_submit(district="5001", acting_user=world.chief, comment="แก้ไขจำนวนครัวเรือน")
    totals = api(world.planner).json()["totals"]
    # Every Role Model district (3) owes its book; 5001's two versions count once, late.
    assert (totals["books_expected"], totals["books_received"], totals["books_late"]) == (3, 1, 1)
    recent = api(world.inspector).json()["recent_submissions"]
    assert [(s["district"], s["version"], s["is_late"]) for s in recent] == [
        ("5001", 2, True),
        ("5001", 1, True),
    ]
    assert api(world.other_inspector).json()["recent_submissions"] == []
    html = page(world.provincial, language="en").content.decode()
    assert html.split('id="books-received"', 1)[1].count("Late") >= 2


def test_each_chart_is_an_accessible_svg_without_scripts(progress):
    html = page(progress.planner).content.decode()
    main = html.split('<main id="main"', 1)[1].split("</main>", 1)[0]
    for chart in CHARTS:
        assert f'id="chart-{chart}"' in main
        svg = main.split(f'id="chart-{chart}"', 1)[1].split("</svg>", 1)[0]
        assert f'aria-labelledby="chart-{chart}-title chart-{chart}-desc"' in svg
        assert f'<title id="chart-{chart}-title">' in svg and f'<desc id="chart-{chart}-desc">' in svg
    assert "<script" not in main
    assert "80,000.00" in main  # the committed budget of province 50, in its table


# --- Charts at a glance ---------------------------------------------------------------------------

GROUP_CHARTS = ("states", "budget", "overdue", "books")


def section(html: str, chart: str) -> str:
    """The card of ``chart`` on the page: heading, chart, table, exports."""
    return html.split(f'<section class="card chart-card" id="{chart}"', 1)[1].split("</section>", 1)[0]


def drawn(html: str, chart: str) -> list[str]:
    """The rows ``chart`` draws, top to bottom: the name on each bar's tooltip."""
    svg = section(html, chart).split(f'id="chart-{chart}"', 1)[1].split("</svg>", 1)[0]
    return re.findall(r"<g><title>(.*?) — ", svg)


def table_codes(html: str, chart: str) -> list[str]:
    """The codes in the first column of the numbers table under ``chart`` (English page)."""
    body = section(html, chart).split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r'<tr>\s*<td data-label="Code">([^<]*)</td>', body)


def more_line(html: str, chart: str) -> str:
    found = re.search(r'<p class="chart-more" id="%s-more">([^<]*)</p>' % chart, section(html, chart))
    return found.group(1) if found else ""


def empty_province() -> None:
    """Province 52 with a Role Model district and nothing in it."""
    province = Province.objects.create(code="52", name_th="ลำปาง", name_en="Lampang")
    District.objects.create(code="5201", province=province, name_th="เมืองลำปาง", name_en="Mueang Lampang")
    f.designate(Edition.objects.get(is_active=True), ["5201"])


def test_charts_draw_only_the_provinces_with_something_to_show(progress):
    empty_province()
    html = page(progress.planner, language="en").content.decode()
    assert drawn(html, "states") == ["Chiang Mai", "Lamphun"]  # 4 projects, then 1
    assert drawn(html, "budget") == ["Chiang Mai", "Lamphun"]  # both 26.7 % of their cap: 80,000 first
    assert drawn(html, "overdue") == ["Chiang Mai", "Lamphun"]  # 1 overdue, then 0 of 1 open
    # Every Role Model district owes its book, Lampang's (nothing started) too.
    assert drawn(html, "books") == ["Chiang Mai", "Lamphun", "Lampang"]  # 1 missing of 2, then 1 of 1, 1 of 1
    for chart in GROUP_CHARTS:
        if chart != "books":
            assert "Lampang" not in section(html, chart).split("<details", 1)[0]
        assert table_codes(html, chart) == ["50", "51", "52"]  # the table keeps every province
        assert more_line(html, chart) == ""
    assert "the most overdue tasks first" in section(html, "overdue")
    rows = _csv_rows(export(progress.planner, "states", "csv"))
    assert [r[0] for r in rows[1:-1]] == ["50", "51", "52"]
    # Lampang: no project in any state; one Role Model district, not started yet.
    assert rows[3][2:] == ["0"] * (len(State.values) + 1) + ["1", "1"]


@pytest.mark.parametrize("who", ["planner", "provincial"])
def test_the_districts_of_a_province_follow_the_same_rule(progress, who):
    params = {"province": "50"} if who == "planner" else {}
    html = page(getattr(progress, who), language="en", **params).content.decode()
    assert drawn(html, "states") == ["Mueang Chiang Mai", "Chom Thong"]  # 2 projects each: by code
    assert drawn(html, "budget") == ["Mueang Chiang Mai", "Chom Thong"]  # 33.3 %, then 20.0 %
    assert drawn(html, "overdue") == ["Chom Thong"]  # Mueang Chiang Mai has no open task
    assert drawn(html, "books") == ["Chom Thong", "Mueang Chiang Mai"]  # the missing book first
    for chart in GROUP_CHARTS:
        assert table_codes(html, chart) == ["5001", "5002"]
    assert "The chart shows the districts that have open tasks" in section(html, "overdue")


@pytest.mark.parametrize(
    ("more", "line"),
    [
        (14, "and 1 more province: see the table below"),
        (16, "and 3 more provinces: see the table below"),
    ],
)
def test_a_chart_draws_at_most_15_provinces_and_points_to_the_table_for_the_rest(progress, more, line):
    _more_districts(progress, more)  # provinces 60, 61, … each with one project, overdue in review
    codes = ["50", "51"] + [f"{60 + n}" for n in range(more)]
    html = page(progress.planner, language="en").content.decode()
    states = drawn(html, "states")
    assert len(states) == 15
    assert states[:3] == ["Chiang Mai", "Lamphun", "Province 60"]  # 4 projects, then by code
    assert more_line(html, "states") == line
    # Ranked by overdue tasks: Lamphun's one open task is not overdue, so it is left to the table.
    overdue = drawn(html, "overdue")
    assert overdue == ["Chiang Mai"] + [f"Province {60 + n}" for n in range(14)]
    assert "Lamphun" not in overdue
    assert more_line(html, "overdue") == line
    for chart in GROUP_CHARTS:
        assert len(drawn(html, chart)) == 15
        assert table_codes(html, chart) == codes  # complete, in the order of the codes
    for fmt in ("csv", "xlsx"):
        response = export(progress.planner, "overdue", fmt)
        rows = _csv_rows(response) if fmt == "csv" else _xlsx_rows(response)
        assert [str(r[0]) for r in rows[1:-1]] == codes
    assert len(api(progress.planner).json()["groups"]) == len(codes)


def test_charts_with_nothing_to_draw_say_so(world):
    rejected = f.make_project(world.officer, world.entry, "20000.00")
    svc.project_reject(project=rejected, acting_user=world.chief, comment="ไม่สอดคล้องกับแผนพัฒนาอำเภอ")
    html = page(world.planner, language="en").content.decode()
    assert drawn(html, "states") == ["Chiang Mai"]  # the rejected project
    # Nothing is committed or open: a sentence instead of an empty chart. Books are still
    # expected: every Role Model district owes one, whether it started or not.
    assert drawn(html, "books") == ["Chiang Mai", "Lamphun"]
    messages = {
        "budget": "No budget committed yet.",
        "overdue": "No open tasks.",
        "dimensions": "No live projects yet.",
    }
    for chart, message in messages.items():
        card = section(html, chart)
        assert f'<p class="chart-empty" id="chart-{chart}">{message}</p>' in card
        assert "<svg" not in card.split("<details", 1)[0]  # neither a chart nor its legend
    for chart in GROUP_CHARTS:
        assert table_codes(html, chart) == ["50", "51"]  # the numbers are still all there
    rows = _csv_rows(export(world.planner, "budget", "csv", language="en"))
    assert [r[0] for r in rows[1:-1]] == ["50", "51"]
    empty = page(world.other_provincial, language="en").content.decode()
    assert '<p class="chart-empty" id="chart-states">No projects yet.</p>' in empty
    assert table_codes(empty, "states") == ["5101"]


# --- Exports -------------------------------------------------------------------------------------


def _csv_rows(response: Any) -> list[list[str]]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert body.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def _xlsx_rows(response: Any) -> list[list[Any]]:
    body = b"".join(response.streaming_content)
    sheet = load_workbook(io.BytesIO(body), read_only=True).active
    assert sheet is not None
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def _same_number(exported: Any, shown: Any, kind: str) -> None:
    if shown is None:
        assert exported in ("", None)
    elif kind == MONEY:
        assert Decimal(str(exported)).quantize(Decimal("0.01")) == shown
    elif kind == PERCENT:
        assert Decimal(str(exported)).quantize(Decimal("0.1")) == shown
    elif isinstance(shown, int):
        assert int(exported) == shown
    else:
        assert str(exported if exported is not None else "") == str(shown)


@pytest.mark.parametrize("chart", CHARTS)
def test_exports_hold_the_numbers_of_the_page(progress, chart):
    response = page(progress.planner)
    shown = next(c.table for c in response.context["charts"] if c.key == chart)
    assert shown == chart_table(dashboard_for(progress.planner), chart)
    kinds = [c.kind for c in shown.columns]
    expected = [*shown.rows, shown.total]
    csv_rows = _csv_rows(export(progress.planner, chart, "csv"))
    xlsx_response = export(progress.planner, chart, "xlsx")
    assert xlsx_response["Content-Type"].startswith("application/vnd.openxmlformats")
    xlsx_rows = _xlsx_rows(xlsx_response)
    for rows in (csv_rows, xlsx_rows):
        assert rows[0] == [c.label for c in shown.columns]
        assert len(rows) == len(expected) + 1
        for got, want in zip(rows[1:], expected, strict=True):
            for value, number, kind in zip(got, want, kinds, strict=True):
                _same_number(value, number, kind)


def test_export_headers_are_translated_and_money_has_two_decimals(progress):
    thai = _csv_rows(export(progress.planner, "budget", "csv"))
    english = _csv_rows(export(progress.planner, "budget", "csv", language="en"))
    assert thai[0][:2] == ["รหัส", "จังหวัด"]
    assert english[0][:4] == ["Code", "Province", "Role Model districts", "Cap (baht)"]
    # cap, committed, disbursed by the province (issue 10), spent, remaining
    assert english[1][:8] == [
        "50",
        "Chiang Mai",
        "2",
        "300000.00",
        "80000.00",
        "100000.00",
        "38500.00",
        "220000.00",
    ]
    assert english[-1][:4] == ["", "Total", "3", "450000.00"]


def test_the_disbursed_figure_nationally_and_per_province_and_district(progress):
    totals = api(progress.planner).json()["totals"]
    assert totals["disbursed"] == "100000.00"
    html = page(progress.planner).content.decode()
    assert 'id="tile-disbursed"' in html and "100,000.00" in html
    districts = _csv_rows(export(progress.provincial, "budget", "csv", language="en"))
    assert districts[0][5] == "Disbursed (baht)"
    assert [(r[0], r[5]) for r in districts[1:-1]] == [("5001", "100000.00"), ("5002", "0.00")]


def test_exports_follow_the_drill_down_and_the_area(progress):
    rows = _csv_rows(export(progress.planner, "states", "csv", province="50"))
    assert [r[0] for r in rows[1:-1]] == ["5001", "5002"]
    rows = _csv_rows(export(progress.provincial, "books", "csv"))
    assert [r[0] for r in rows[1:-1]] == ["5001", "5002"]


# --- Queries -------------------------------------------------------------------------------------


def _count(user: Any, url: str, client: Any) -> int:
    client.force_login(user) if isinstance(client, Client) else client.force_authenticate(user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries.captured_queries)


def _more_districts(world: Any, count: int) -> None:
    """``count`` more provinces, each with one district and a project waiting for review."""
    for n in range(count):
        code = f"{60 + n}"
        province = Province.objects.create(code=code, name_th=f"จังหวัด {code}", name_en=f"Province {code}")
        district = District.objects.create(code=f"{code}01", province=province, name_th=f"อำเภอ {code}01")
        f.designate(Edition.objects.get(is_active=True), [district])
        sub = Subdistrict.objects.create(code=f"{code}0101", district=district, name_th=f"ตำบล {code}0101")
        officer = f.user_with(f"officer_{code}", Role.DISTRICT_OFFICER, district)
        end = timezone.localdate() + datetime.timedelta(days=20)  # before the deadline ``progress`` set
        f.make_project(officer, f.bank_entry(sub, f"B-{code}"), "20000.00", end_date=end)


def test_query_count_does_not_grow_with_the_number_of_districts(progress):
    urls = [reverse("dashboard"), reverse("api-dashboard")] + [
        reverse("dashboard-export", kwargs={"chart": "overdue", "fmt": fmt}) for fmt in ("csv", "xlsx")
    ]

    def measure() -> list[int]:
        counts = []
        for url in urls:
            user = User.objects.get(pk=progress.planner.pk)  # grants are cached per user object
            client: Any = APIClient() if url.startswith("/api/") else Client()
            counts.append(_count(user, url, client))
        return counts

    measure()  # warm-up
    few = measure()
    _more_districts(progress, 8)
    many = measure()
    assert len(api(progress.planner).json()["groups"]) == 10
    assert many == few, f"{few} queries for 3 districts, {many} for 11"
    assert max(many) <= 25

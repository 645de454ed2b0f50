"""The progress dashboard page and the CSV/XLSX export of each chart's numbers.

Views parse the query string (``edition``, ``province``), ask ``reports.dashboard.dashboard_for``
(which checks who may see which area), and render. The table under each chart and its export
come from the same ``chart_table``, so the file holds exactly the numbers on the page.

A chart is read at a glance, the table is complete: each per-group chart draws only the
provinces (or districts) that have something to show in it, the most important first, at most
``CHART_ROWS`` of them, and says how many more are in the table; its table and its exports keep
every province or district of the area, in the order of their codes.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import URLPattern, path, re_path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from workflow import flows, transitions
from workflow.errors import Forbidden, InvalidInput, NotFound
from workflow.models import State

from .. import svg
from ..dashboard import BY_DISTRICT, STATES, STEPS, Dashboard, GroupRow, dashboard_for

CHARTS = ("states", "budget", "overdue", "books", "dimensions")
# At most this many provinces or districts are drawn in one chart; the table lists them all.
CHART_ROWS = 15
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# A text cell starting with one of these is a formula to a spreadsheet (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

STATE_COLOURS: dict[str, str] = {
    State.SELECTED: svg.ORANGE,
    State.RETURNED: svg.PURPLE,
    State.APPROVED: svg.SKY_BLUE,
    State.IMPLEMENTED: svg.BLUE,
    State.MONITORED: svg.GREEN,
    State.REPORTED: svg.YELLOW,
    State.SUBMITTED: svg.INK,
    State.REJECTED: svg.VERMILLION,
    State.WITHDRAWN: svg.GREY,
}


# --- The numbers behind each chart ---------------------------------------------------------

TEXT, INT, MONEY, PERCENT = "text", "int", "money", "percent"
CODE = "code"  # a machine code shown as such (in <code>), next to its label


@dataclass(frozen=True)
class Column:
    label: str
    kind: str = INT
    state: str = ""  # the project state the column counts (its name: ``transitions.state_label``)


@dataclass
class Table:
    columns: list[Column]
    rows: list[list[Any]]
    total: list[Any]
    # The province (code) each row drills into, when rows are provinces.
    drill: list[str]

    def display_rows(self) -> list[dict[str, Any]]:
        """The rows as the page shows them: each cell's text and kind, and the drill-down code."""
        return [
            {
                "cells": [
                    {"text": display(v, c.kind), "kind": c.kind, "label": c.label}
                    for v, c in zip(row, self.columns, strict=True)
                ],
                "drill": self.drill[index] if index < len(self.drill) else "",
            }
            for index, row in enumerate(self.rows)
        ]

    def display_total(self) -> list[dict[str, str]]:
        return [
            {"text": display(v, c.kind), "kind": c.kind, "label": c.label}
            for v, c in zip(self.total, self.columns, strict=True)
        ]


def display(value: Any, kind: str) -> str:
    """A cell on the page: money with two decimals and thousands separators."""
    if value is None:
        return "–"
    if kind == MONEY:
        return f"{Decimal(value):,.2f}"
    if kind == PERCENT:
        return f"{Decimal(value):.1f}"
    if kind == INT:
        return f"{value:,}"
    return str(value)


def _area_columns(board: Dashboard) -> list[Column]:
    area = _("District") if board.scope.group_by == BY_DISTRICT else _("Province")
    return [Column(_("Code"), TEXT), Column(area, TEXT)]


def _area_cells(row: GroupRow) -> list[Any]:
    return [row.area.code, row.area.name]


def _group_table(board: Dashboard, columns: list[Column], cells: Callable[[GroupRow], list[Any]]) -> Table:
    drill = [row.area.code for row in board.groups] if board.scope.group_by != BY_DISTRICT else []
    return Table(
        columns=_area_columns(board) + columns,
        rows=[_area_cells(row) + cells(row) for row in board.groups],
        total=["", _("Total"), *cells(board.totals)],
        drill=drill,
    )


def chart_table(board: Dashboard, chart: str) -> Table:
    if chart == "states":
        return _group_table(
            board,
            [Column(transitions.state_label(s), state=s) for s in STATES]
            + [Column(_("All projects")), Column(_("Role Model districts")), Column(_("Not started yet"))],
            lambda row: (
                [row.states.get(s, 0) for s in STATES] + [row.projects, row.districts, row.not_started]
            ),
        )
    if chart == "budget":
        return _group_table(
            board,
            [
                Column(_("Role Model districts")),
                Column(_("Cap (baht)"), MONEY),
                Column(_("Committed (baht)"), MONEY),
                Column(_("Disbursed (baht)"), MONEY),
                Column(_("Spent (baht)"), MONEY),
                Column(_("Remaining (baht)"), MONEY),
                Column(_("Committed (percent of cap)"), PERCENT),
            ],
            lambda row: [
                row.districts,
                row.cap,
                row.committed,
                row.disbursed,
                row.spent,
                row.remaining,
                row.committed_percent,
            ],
        )
    if chart == "overdue":
        return _group_table(
            board,
            [Column(_("Open tasks")), Column(_("Overdue tasks"))]
            + [Column(_("Overdue: %(step)s") % {"step": flows.STEP_LABELS.get(s, s)}) for s in STEPS],
            lambda row: [row.open_tasks, row.overdue_tasks] + [row.overdue_by_step.get(s, 0) for s in STEPS],
        )
    if chart == "books":
        return _group_table(
            board,
            [
                Column(_("Books expected")),
                Column(_("Books received")),
                Column(_("Received on time")),
                Column(_("Received late")),
                Column(_("Not yet received")),
                Column(_("Acknowledged by the centre")),
            ],
            lambda row: [
                row.books_expected,
                row.books_received,
                row.books_on_time,
                row.books_late,
                row.books_missing,
                row.books_acknowledged,
            ],
        )
    if chart == "dimensions":
        return Table(
            columns=[
                Column(_("Code"), CODE),
                Column(_("Dimension"), TEXT),
                Column(_("Live projects")),
                Column(_("Budget (baht)"), MONEY),
            ],
            rows=[[d.code, d.label, d.projects, d.budget] for d in board.dimensions],
            total=[
                "",
                _("Total"),
                sum(d.projects for d in board.dimensions),
                sum((d.budget for d in board.dimensions), Decimal("0.00")),
            ],
            drill=[],
        )
    raise Http404


# --- The charts ------------------------------------------------------------------------------


@dataclass
class Chart:
    key: str
    title: str
    intro: str
    svg: str  # empty when nothing is to be drawn: ``empty`` says why
    legend: str
    table: Table
    order: str = ""  # which rows the chart draws, in which order
    more: str = ""  # "and 12 more provinces: see the table below"
    empty: str = ""


def _drawn(
    board: Dashboard, has_data: Callable[[GroupRow], bool], rank: Callable[[GroupRow], tuple[Any, ...]]
) -> tuple[list[GroupRow], int]:
    """The rows a chart draws: those with something to show (``has_data``), by ``rank`` (the
    most important first; ties by code), at most ``CHART_ROWS``; and how many more have data."""
    rows = sorted((row for row in board.groups if has_data(row)), key=lambda row: (*rank(row), row.area.code))
    return rows[:CHART_ROWS], max(len(rows) - CHART_ROWS, 0)


def _more(board: Dashboard, count: int) -> str:
    """The line under a chart naming the rows with data it leaves to the table."""
    if count <= 0:
        return ""
    if board.scope.group_by == BY_DISTRICT:
        text = ngettext(
            "and %(count)s more district: see the table below",
            "and %(count)s more districts: see the table below",
            count,
        )
    else:
        text = ngettext(
            "and %(count)s more province: see the table below",
            "and %(count)s more provinces: see the table below",
            count,
        )
    return text % {"count": f"{count:,}"}


def _order(board: Dashboard, chart: str) -> str:
    """Which provinces or districts ``chart`` draws, and in which order."""
    if board.scope.group_by == BY_DISTRICT:
        texts = {
            "states": _(
                "The chart shows the districts that have projects, the most projects first, at most "
                "%(max)s; the table lists every district."
            ),
            "budget": _(
                "The chart shows the districts that have committed budget, the highest percentage of "
                "the cap first, at most %(max)s; the table lists every district."
            ),
            "overdue": _(
                "The chart shows the districts that have open tasks, the most overdue tasks first, at "
                "most %(max)s; the table lists every district."
            ),
            "books": _(
                "The chart shows the districts that are expected to send a report book, the most books "
                "not yet received first, at most %(max)s; the table lists every district."
            ),
        }
    else:
        texts = {
            "states": _(
                "The chart shows the provinces that have projects, the most projects first, at most "
                "%(max)s; the table lists every province."
            ),
            "budget": _(
                "The chart shows the provinces that have committed budget, the highest percentage of "
                "the cap first, at most %(max)s; the table lists every province."
            ),
            "overdue": _(
                "The chart shows the provinces that have open tasks, the most overdue tasks first, at "
                "most %(max)s; the table lists every province."
            ),
            "books": _(
                "The chart shows the provinces that are expected to send report books, the most books "
                "not yet received first, at most %(max)s; the table lists every province."
            ),
        }
    return texts[chart] % {"max": CHART_ROWS}


def _states_chart(board: Dashboard) -> Chart:
    series = [svg.Series(transitions.state_label(s), STATE_COLOURS[s]) for s in STATES]
    drawn, more = _drawn(board, lambda row: row.projects > 0, lambda row: (-row.projects, -row.live_projects))
    bars = [
        svg.Bar(row.area.name, [row.states.get(s, 0) for s in STATES], str(row.projects)) for row in drawn
    ]
    title = _("Projects per state")
    order = _order(board, "states")
    desc = _("%(projects)s projects in %(rows)s rows; %(submitted)s submitted.") % {
        "projects": board.totals.projects,
        "rows": len(board.groups),
        "submitted": board.totals.states.get(State.SUBMITTED, 0),
    }
    return Chart(
        "states",
        title,
        _("Every project of the edition by its state, in the order of the workflow."),
        svg.bar_chart(chart_id="chart-states", title=title, desc=f"{desc} {order}", bars=bars, series=series)
        if bars
        else "",
        svg.legend(series),
        chart_table(board, "states"),
        order=order,
        more=_more(board, more),
        empty="" if bars else _("No projects yet."),
    )


def _budget_chart(board: Dashboard) -> Chart:
    series = [
        svg.Series(_("Spent"), svg.BLUE),
        svg.Series(_("Committed, not yet spent"), svg.SKY_BLUE),
    ]
    drawn, more = _drawn(
        board,
        lambda row: row.committed > 0 or row.spent > 0,
        lambda row: (-(row.committed_percent or Decimal(0)), -row.committed),
    )
    bars = []
    top = Decimal(100)
    for row in drawn:
        if row.cap:
            spent = row.spent * 100 / row.cap
            committed = row.committed * 100 / row.cap
        else:
            spent = committed = Decimal(0)
        unspent = max(committed - spent, Decimal(0))
        top = max(top, spent + unspent)
        percent = row.committed_percent
        note = f"{percent}%" if percent is not None else "–"
        bars.append(svg.Bar(row.area.name, [spent, unspent], note, alert=row.committed > row.cap))
    title = _("Budget committed against the cap")
    order = _order(board, "budget")
    desc = _(
        "%(committed)s baht committed of a cap of %(cap)s baht (%(percent)s%%); %(disbursed)s baht "
        "disbursed by the provinces; %(spent)s baht spent."
    ) % {
        "disbursed": f"{board.totals.disbursed:,.2f}",
        "committed": f"{board.totals.committed:,.2f}",
        "cap": f"{board.totals.cap:,.2f}",
        "percent": board.totals.committed_percent if board.totals.committed_percent is not None else "–",
        "spent": f"{board.totals.spent:,.2f}",
    }
    return Chart(
        "budget",
        title,
        _(
            "Each bar is a percentage of its own cap (the edition's cap per district times the "
            "Role Model districts); the dashed line is the cap."
        ),
        svg.bar_chart(
            chart_id="chart-budget",
            title=title,
            desc=f"{desc} {order}",
            bars=bars,
            series=series,
            scale_max=top,
            reference=100,
            axis_suffix="%",
            numbers=False,
        )
        if bars
        else "",
        svg.legend(
            series,
            extra=[
                ("legend-cap", _("Dashed line: the cap (100%)")),
                ("legend-over", _("Bold red figure: committed beyond the cap")),
            ],
        ),
        chart_table(board, "budget"),
        order=order,
        more=_more(board, more),
        empty="" if bars else _("No budget committed yet."),
    )


def _overdue_chart(board: Dashboard) -> Chart:
    series = [
        svg.Series(_("Overdue"), svg.VERMILLION),
        svg.Series(_("Open, not yet due"), svg.SKY_BLUE),
    ]
    drawn, more = _drawn(
        board, lambda row: row.open_tasks > 0, lambda row: (-row.overdue_tasks, -row.open_tasks)
    )
    bars = [
        svg.Bar(
            row.area.name,
            [row.overdue_tasks, row.open_tasks - row.overdue_tasks],
            f"{row.overdue_tasks} / {row.open_tasks}",
        )
        for row in drawn
    ]
    title = _("Overdue tasks")
    order = _order(board, "overdue")
    desc = _("%(overdue)s of %(open)s open tasks are past their due date.") % {
        "overdue": board.totals.overdue_tasks,
        "open": board.totals.open_tasks,
    }
    return Chart(
        "overdue",
        title,
        _("Open tasks of live projects; a task is overdue after its step's due date in working days."),
        svg.bar_chart(chart_id="chart-overdue", title=title, desc=f"{desc} {order}", bars=bars, series=series)
        if bars
        else "",
        svg.legend(series),
        chart_table(board, "overdue"),
        order=order,
        more=_more(board, more),
        empty="" if bars else _("No open tasks."),
    )


def _books_chart(board: Dashboard) -> Chart:
    series = [
        svg.Series(_("Received on time"), svg.GREEN),
        svg.Series(_("Received late"), svg.ORANGE),
        svg.Series(_("Not yet received"), svg.LIGHT_GREY),
    ]
    drawn, more = _drawn(
        board,
        lambda row: row.books_expected > 0 or row.books_received > 0,
        lambda row: (-row.books_missing, -row.books_expected),
    )
    bars = [
        svg.Bar(
            row.area.name,
            [row.books_on_time, row.books_late, row.books_missing],
            f"{row.books_received} / {row.books_expected}",
        )
        for row in drawn
    ]
    title = _("Report books received against expected")
    order = _order(board, "books")
    desc = _(
        "%(received)s of %(expected)s expected books received, %(late)s late, %(acknowledged)s acknowledged."
    ) % {
        "received": board.totals.books_received,
        "expected": board.totals.books_expected,
        "late": board.totals.books_late,
        "acknowledged": board.totals.books_acknowledged,
    }
    return Chart(
        "books",
        title,
        _(
            "Every Role Model district of the edition is expected to send one book; late means its "
            "first version came after the deadline."
        ),
        svg.bar_chart(chart_id="chart-books", title=title, desc=f"{desc} {order}", bars=bars, series=series)
        if bars
        else "",
        svg.legend(series),
        chart_table(board, "books"),
        order=order,
        more=_more(board, more),
        empty="" if bars else _("No report book is expected yet."),
    )


def _dimensions_chart(board: Dashboard) -> Chart:
    series = [svg.Series(_("Live projects"), svg.BLUE)]
    bars = [svg.Bar(d.label, [d.projects], f"{d.budget:,.2f} " + _("baht")) for d in board.dimensions]
    title = _("Mix of development dimensions")
    desc = "; ".join(f"{d.label}: {d.projects}" for d in board.dimensions) or _("No projects yet.")
    # A handful of dimensions: all are drawn, a zero says something; nothing at all is a message.
    drawn = any(d.projects for d in board.dimensions)
    return Chart(
        "dimensions",
        title,
        _("Live projects per development dimension, with their budget."),
        svg.bar_chart(chart_id="chart-dimensions", title=title, desc=desc, bars=bars, series=series)
        if drawn
        else "",
        svg.legend(series),
        chart_table(board, "dimensions"),
        empty="" if drawn else _("No live projects yet."),
    )


def charts(board: Dashboard) -> list[Chart]:
    return [
        _states_chart(board),
        _budget_chart(board),
        _overdue_chart(board),
        _books_chart(board),
        _dimensions_chart(board),
    ]


# --- Views -------------------------------------------------------------------------------------


def _params(request: HttpRequest) -> tuple[str, str]:
    return request.GET.get("edition", "").strip()[:20], request.GET.get("province", "").strip()[:10]


def _query(board: Dashboard) -> str:
    """The query string that shows ``board`` again (edition, and the province drilled into)."""
    params: dict[str, str] = {}
    if board.edition is not None:
        params["edition"] = board.edition.code
    if board.scope.drilled and board.scope.province is not None:
        params["province"] = board.scope.province.code
    return urlencode(params)


def _forbidden(request: HttpRequest) -> HttpResponse:
    return render(request, "reports/dashboard_forbidden.html", status=403)


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    edition, province = _params(request)
    edition_error = ""
    try:
        try:
            board = dashboard_for(request.user, edition=edition, province=province)
        except InvalidInput as exc:
            edition_error = str(exc.errors[0]["message"]) if exc.errors else str(exc)
            board = dashboard_for(request.user, province=province)
    except Forbidden:
        return _forbidden(request)
    except NotFound:
        raise Http404 from None
    query = _query(board)
    totals = board.totals
    counts = {
        "live": totals.live_projects,
        "projects": totals.projects,
        "overdue": totals.overdue_tasks,
        "open": totals.open_tasks,
        "received": totals.books_received,
        "expected": totals.books_expected,
        "late": totals.books_late,
        "acknowledged": totals.books_acknowledged,
        "districts": totals.districts,
        "not_started": totals.not_started,
    }
    all_provinces = urlencode({"edition": board.edition.code}) if board.edition else ""
    return render(
        request,
        "reports/dashboard.html",
        {
            "board": board,
            "charts": charts(board),
            "summary": {name: f"{value:,}" for name, value in counts.items()},
            "query": query,
            "all_provinces_query": all_provinces,
            "edition_error": edition_error,
            "may_drill": len(board.scope.provinces) > 1 or board.scope.drilled,
        },
        status=400 if edition_error else 200,
    )


def _csv_cell(value: Any, kind: str) -> Any:
    if value is None:
        return ""
    if kind == MONEY:
        return f"{Decimal(value):.2f}"
    if kind == PERCENT:
        return f"{Decimal(value):.1f}"
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _xlsx_cell(sheet: Any, value: Any, kind: str) -> Any:
    if value is None:
        return None
    if isinstance(value, str):
        cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", value))
        cell.data_type = "s"  # text stays text, never a formula
        return cell
    cell = WriteOnlyCell(sheet, value=value)
    if kind == MONEY:
        cell.number_format = "#,##0.00"
    elif kind == PERCENT:
        cell.number_format = "0.0"
    return cell


def _filename(board: Dashboard, chart: str, suffix: str) -> str:
    parts = ["dashboard", chart]
    if board.edition is not None:
        parts.append(board.edition.code)
    if board.scope.drilled and board.scope.province is not None:
        parts.append(board.scope.province.code)
    return "-".join(parts) + f".{suffix}"


@login_required
@require_GET
def dashboard_export(request: HttpRequest, chart: str, fmt: str) -> HttpResponseBase:
    edition, province = _params(request)
    try:
        board = dashboard_for(request.user, edition=edition, province=province)
    except Forbidden:
        return _forbidden(request)
    except NotFound:
        raise Http404 from None
    except InvalidInput:
        # Back to the page, which names the wrong field.
        return HttpResponseRedirect(reverse("dashboard") + "?" + request.GET.urlencode())
    table = chart_table(board, chart)
    kinds = [c.kind for c in table.columns]
    header = [c.label for c in table.columns]
    body = [*table.rows, table.total]
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(header)
        for row in body:
            writer.writerow([_csv_cell(v, k) for v, k in zip(row, kinds, strict=True)])
        # The byte-order mark lets Excel read the file as UTF-8 (Thai text).
        response = HttpResponse(
            ("\ufeff" + buffer.getvalue()).encode("utf-8"), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{_filename(board, chart, "csv")}"'
        return response
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=chart)
    sheet.append([_xlsx_cell(sheet, label, TEXT) for label in header])
    for row in body:
        sheet.append([_xlsx_cell(sheet, v, k) for v, k in zip(row, kinds, strict=True)])
    output = tempfile.TemporaryFile()  # FileResponse closes (and so removes) it
    workbook.save(output)
    output.seek(0)
    return FileResponse(
        output, as_attachment=True, filename=_filename(board, chart, "xlsx"), content_type=XLSX_TYPE
    )


urls: list[URLPattern] = [
    path("dashboard/", dashboard, name="dashboard"),
    re_path(
        r"^dashboard/(?P<chart>states|budget|overdue|books|dimensions)\.(?P<fmt>csv|xlsx)$",
        dashboard_export,
        name="dashboard-export",
    ),
]

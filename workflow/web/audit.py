"""Audit pages: searching and exporting the trail, a project's timeline, verifying the chains.

Only users who may read the whole history (auditors, central planners, admins:
``access.may_read_all_history``) use these pages; everyone else gets a 403 page.

Chain verification recomputes every hash of a chain, so it runs only when asked (a POST per
chain, or for all chains at once) and never on a plain page view. The results are kept in the
user's session (no table holds them): each shows when it was taken and how many events the
chain had then, so a result made stale by newer events is visible as such.
"""

from __future__ import annotations

import csv
import datetime
import re
import tempfile
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Max, QuerySet
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from workflow import access, audit, selectors
from workflow.audit_actions import (
    FileIndex,
    file_index,
    format_datetime,
    object_label,
    object_type_label,
    payload_details,
    role_label,
    state_label,
)
from workflow.errors import Forbidden, NotFound
from workflow.models import AuditEvent
from workflow.rules import RULES

from .audit_filters import (
    AuditFilterForm,
    action_label,
    chains_visible,
    districts_named,
    province_choices,
)

EVENTS_PER_PAGE = 50
CHAINS_PER_PAGE = 100
# An export larger than this is refused with a message asking for narrower filters.
EXPORT_MAX_ROWS = 100_000
EXPORT_BATCH = 2000  # events read (and their files looked up) at a time while an export is written
SESSION_CHECKS = "audit_chain_checks"

# The export's columns: a key (what ``export_row`` fills it with) and its header, in the user's
# language. Next to each code its label; the time as people read it (BE in Thai) and, for
# machines, in ISO 8601 UTC in its own column.
EXPORT_HEADERS: dict[str, Any] = {
    "sequence": gettext_lazy("Event number"),
    "time": gettext_lazy("Time"),
    "time_utc": gettext_lazy("Time (ISO 8601, UTC)"),
    "actor": gettext_lazy("Actor"),
    "acting_for": gettext_lazy("Acting for"),
    "role": gettext_lazy("Role (code)"),
    "role_label": gettext_lazy("Role"),
    "area": gettext_lazy("Area"),
    "action": gettext_lazy("Action (code)"),
    "action_label": gettext_lazy("Action"),
    "object_type": gettext_lazy("Object type (code)"),
    "object_type_label": gettext_lazy("Object type"),
    "object_id": gettext_lazy("Object number"),
    "object_label": gettext_lazy("Object"),
    "district": gettext_lazy("District code"),
    "province": gettext_lazy("Province code"),
    "project": gettext_lazy("Project number"),
    "from": gettext_lazy("State before (code)"),
    "from_label": gettext_lazy("State before"),
    "to": gettext_lazy("State after (code)"),
    "to_label": gettext_lazy("State after"),
    "comment": gettext_lazy("Comment"),
    "late": gettext_lazy("Late"),
    "details": gettext_lazy("Details"),
    "hash": gettext_lazy("Hash (SHA-256)"),
    "prev_hash": gettext_lazy("Previous event's hash"),
    "chain": gettext_lazy("Chain"),
    "chain_seq": gettext_lazy("Sequence in the chain"),
}
EXPORT_COLUMNS = tuple(EXPORT_HEADERS)
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# A CSV cell starting with one of these is a formula to a spreadsheet (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _forbidden(request: HttpRequest) -> HttpResponse:
    return render(request, "workflow/audit_forbidden.html", status=403)


def _may_read_history(request: HttpRequest) -> bool:
    return access.may_read_all_history(access.principal_for(request.user))


# --- Search -------------------------------------------------------------------------------------


def _searched(request: HttpRequest) -> tuple[AuditFilterForm, QuerySet[AuditEvent]]:
    """The search form read from the query string, and the events it selects (Forbidden if not
    a history reader; no events while the form is invalid)."""
    events = selectors.history_visible(request.user)
    form = AuditFilterForm(request.GET, provinces=province_choices())
    if not form.is_valid():
        return form, events.none()
    return form, selectors.history_filter(events, **form.criteria())


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@login_required
@require_GET
def audit_search(request: HttpRequest) -> HttpResponse:
    try:
        form, events = _searched(request)
    except Forbidden:
        return _forbidden(request)
    paginator = Paginator(events.select_related("district", "project"), EVENTS_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    for event in page:
        event.action_text = action_label(event.action)  # type: ignore[attr-defined]
        event.object_text = object_label(event)  # type: ignore[attr-defined]
    query = _query_without_page(request)
    return render(
        request,
        "workflow/audit_search.html",
        {
            "form": form,
            "page": page,
            "query": query,
            "export_max": EXPORT_MAX_ROWS,
        },
    )


# --- Export -------------------------------------------------------------------------------------


def _export_events(request: HttpRequest) -> QuerySet[AuditEvent] | HttpResponse:
    """The filtered events, oldest first, fixed at the newest event seen now; or a response."""
    try:
        form, events = _searched(request)
    except Forbidden:
        return _forbidden(request)
    back = reverse("audit") + (f"?{_query_without_page(request)}" if request.GET else "")
    if not form.is_valid():
        messages.error(request, _("Correct the search before exporting it."))
        return HttpResponseRedirect(back)
    totals = events.order_by().aggregate(count=Count("id"), last=Max("id"))
    if totals["count"] > EXPORT_MAX_ROWS:
        messages.error(
            request,
            _(
                "%(count)s events match, more than the %(max)s an export may hold. "
                "Narrow the search (a district, an action or a shorter date range) and export again."
            )
            % {"count": f"{totals['count']:,}", "max": f"{EXPORT_MAX_ROWS:,}"},
        )
        return HttpResponseRedirect(back)
    # Events appended while the file is written are left out: the file matches the count.
    return events.filter(id__lte=totals["last"] or 0).select_related(None).order_by("id")


def export_headers() -> list[str]:
    """The export's header row in the active language."""
    return [str(header) for header in EXPORT_HEADERS.values()]


class ExportLabels:
    """The labels an export writes next to the codes, in the language of the request that asked
    for it (a streamed file is written after the view has returned); each code's label is looked
    up once per file."""

    def __init__(self, language: str | None = None, user: Any = None) -> None:
        self.language = language or translation.get_language() or "th"
        self.user = user
        self._cache: dict[tuple[str, str], str] = {}

    def label(self, kind: str, code: str) -> str:
        if not code:
            return ""
        key = (kind, code)
        if key not in self._cache:
            look_up = {
                "action": action_label,
                "state": state_label,
                "role": role_label,
                "object_type": object_type_label,
            }[kind]
            self._cache[key] = look_up(code)
        return self._cache[key]

    def row(self, event: AuditEvent, files: FileIndex | None = None) -> list[Any]:
        with translation.override(self.language):
            return export_row(event, self, files)

    def rows(self, events: QuerySet[AuditEvent]) -> Iterator[list[Any]]:
        """Every event's row; the files a batch of events refers to are read once per batch
        (their captions in the details column), never once per event."""
        batch: list[AuditEvent] = []
        for event in events.iterator(chunk_size=EXPORT_BATCH):
            batch.append(event)
            if len(batch) == EXPORT_BATCH:
                yield from self._batch(batch)
                batch = []
        yield from self._batch(batch)

    def _batch(self, batch: list[AuditEvent]) -> Iterator[list[Any]]:
        files = file_index(batch, self.user) if batch and self.user is not None else None
        for event in batch:
            yield self.row(event, files)


def _details_text(event: AuditEvent, files: FileIndex | None = None) -> str:
    """The event's payload, one labelled line per entry (files by their captions)."""
    lines = []
    for detail in payload_details(event, files):
        named = ", ".join(ref.label for ref in detail.files)
        text = f"{named} ({detail.text})" if named and detail.text else named or detail.text
        lines.append(f"{detail.label}: {text}")
    return "\n".join(lines)


def export_row(
    event: AuditEvent, labels: ExportLabels | None = None, files: FileIndex | None = None
) -> list[Any]:
    """One event as the export's columns (``EXPORT_HEADERS``' order): each code with its label
    next to it, the time as people read it and in ISO 8601 UTC, the details labelled."""
    labels = labels or ExportLabels()
    return [
        event.pk,
        format_datetime(event.created_at),
        event.created_at.astimezone(datetime.UTC).isoformat(),
        event.actor_username,
        event.acting_for_username,
        event.role,
        labels.label("role", event.role),
        event.area_code,
        event.action,
        labels.label("action", event.action),
        event.object_type,
        labels.label("object_type", event.object_type),
        event.object_id,
        object_label(event, files),
        event.district_id or "",
        event.province_id or "",
        event.project_id or "",
        event.from_state,
        labels.label("state", event.from_state),
        event.to_state,
        labels.label("state", event.to_state),
        event.comment,
        event.is_late,
        _details_text(event, files),
        event.hash,
        event.prev_hash,
        event.chain,
        event.chain_seq,
    ]


def _export_name(suffix: str) -> str:
    return f"audit-{timezone.localtime():%Y%m%d-%H%M}.{suffix}"


class _Echo:
    """A file-like object whose ``write`` hands the line back (for streaming csv.writer)."""

    def write(self, value: str) -> str:
        return value


def _csv_cell(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _csv_lines(events: QuerySet[AuditEvent], labels: ExportLabels, headers: list[str]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    # The byte-order mark lets Excel read the file as UTF-8 (Thai text).
    yield "\ufeff" + writer.writerow(headers)
    for row in labels.rows(events):
        yield writer.writerow([_csv_cell(value) for value in row])


@login_required
@require_GET
def audit_export_csv(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    events = _export_events(request)
    if isinstance(events, HttpResponse):
        return events
    response = StreamingHttpResponse(
        _csv_lines(events, ExportLabels(user=request.user), export_headers()),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{_export_name("csv")}"'
    return response


def _xlsx_cell(sheet: Any, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", value))
    cell.data_type = "s"  # text stays text, even when it starts with "=" (never a formula)
    return cell


@login_required
@require_GET
def audit_export_xlsx(request: HttpRequest) -> HttpResponse | FileResponse:
    events = _export_events(request)
    if isinstance(events, HttpResponse):
        return events
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title="audit")
    sheet.append(export_headers())
    for row in ExportLabels(user=request.user).rows(events):
        sheet.append([_xlsx_cell(sheet, value) for value in row])
    # Written to a temporary file (on disk, not in memory) and streamed from there.
    output = tempfile.TemporaryFile()  # FileResponse closes (and so removes) it
    workbook.save(output)
    output.seek(0)
    return FileResponse(output, as_attachment=True, filename=_export_name("xlsx"), content_type=XLSX_TYPE)


# --- A project's timeline -----------------------------------------------------------------------


def _amount(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _timeline_entry(event: AuditEvent, files: FileIndex) -> dict[str, Any]:
    rules = []
    for result in event.rule_results or []:
        code = str(result.get("code", ""))
        rule = RULES.get(code)
        rules.append(
            {"code": code, "clause": str(rule.clause) if rule else code, "passed": bool(result.get("passed"))}
        )
    budget = event.budget or {}
    return {
        "event": event,
        "action_text": action_label(event.action),
        "object_text": object_label(event, files),
        "rules": rules,
        "failed": sum(1 for r in rules if not r["passed"]),
        "budget": {key: _amount(budget.get(key)) for key in ("cap", "committed", "remaining")}
        if budget
        else None,
        "details": payload_details(event, files),
    }


@login_required
@require_GET
def audit_project(request: HttpRequest, pk: int) -> HttpResponse:
    if not _may_read_history(request):
        return _forbidden(request)
    try:
        project = selectors.project_get_visible(request.user, pk)
        events = list(selectors.project_history(request.user, pk).order_by("id"))
    except NotFound:
        raise Http404 from None
    for event in events:
        event.project = project  # named by its title, with no statement more
    files = file_index(events, request.user)
    entries = [_timeline_entry(event, files) for event in events]
    return render(request, "workflow/audit_project.html", {"project": project, "entries": entries})


# --- Chains ---------------------------------------------------------------------------------------


def reason_text(reason: str) -> str:
    """``audit.verify``'s reason for a break, in the user's language."""
    gap = re.fullmatch(r"sequence gap: expected (\d+)", reason)
    if gap:
        return _("sequence gap: event %(seq)s of the chain is missing") % {"seq": gap[1]}
    removed = re.fullmatch(r"chain ends at (\d+) but its head records (\d+): events were removed", reason)
    if removed:
        return _("the chain ends at event %(last)s but its head records %(head)s: events were removed") % {
            "last": removed[1],
            "head": removed[2],
        }
    known = {
        "previous hash does not match": _("its previous hash does not match: an earlier event was changed"),
        "content does not match its hash": _("its content does not match its hash: the event was changed"),
        "chain head missing": _("the chain's head is missing"),
    }
    return known.get(reason, reason)


def _check(brk: audit.Break | None, events: int) -> dict[str, Any]:
    return {
        "ok": brk is None,
        "event_id": brk.event_id if brk else None,
        "seq": brk.chain_seq if brk else None,
        "reason": brk.reason if brk else "",
        "events": events,
        "at": timezone.now().isoformat(),
    }


def _verify(request: HttpRequest) -> HttpResponse:
    """Verify one chain (``chain``) or every chain (``all``); keep the results in the session."""
    back = request.get_full_path()
    checks: dict[str, Any] = dict(request.session.get(SESSION_CHECKS, {}))
    all_chains = chains_visible(request.user)
    if "all" in request.POST:
        heads = dict(all_chains.values_list("key", "last_seq"))
        breaks = {b.chain: b for b in audit.verify()}
        for key, last_seq in heads.items():
            checks[key] = _check(breaks.get(key), last_seq)
        broken = [b for b in breaks.values() if b.chain in heads]
        orphans = [b for b in breaks.values() if b.chain not in heads]
        if broken:
            messages.error(
                request,
                _("%(count)s chains verified: %(broken)s broken.")
                % {"count": len(heads), "broken": len(broken)},
            )
        else:
            messages.success(request, _("%(count)s chains verified: all intact.") % {"count": len(heads)})
        for orphan in orphans:
            messages.error(
                request,
                _("Events of chain %(chain)s have no chain head (first: event #%(event)s).")
                % {"chain": orphan.chain, "event": orphan.event_id},
            )
    else:
        key = request.POST.get("chain", "")
        head = all_chains.filter(key=key).first() if key else None
        if head is None:
            messages.error(request, _("There is no such chain."))
            return HttpResponseRedirect(back)
        found = [b for b in audit.verify(district_code=head.key) if b.chain == head.key]
        checks[head.key] = _check(found[0] if found else None, head.last_seq)
        if found:
            messages.error(
                request,
                _("Chain %(chain)s is broken at event #%(event)s: %(reason)s")
                % {"chain": head.key, "event": found[0].event_id, "reason": reason_text(found[0].reason)},
            )
        else:
            messages.success(request, _("Chain %(chain)s verified: intact.") % {"chain": head.key})
    request.session[SESSION_CHECKS] = checks
    return HttpResponseRedirect(back)


def _status(check: dict[str, Any] | None, last_seq: int) -> dict[str, Any] | None:
    if not check:
        return None
    return {
        **check,
        "reason_text": reason_text(check["reason"]) if check["reason"] else "",
        "at": datetime.datetime.fromisoformat(check["at"]),
        "newer": max(0, last_seq - int(check.get("events") or 0)),
    }


@login_required
@require_http_methods(["GET", "POST"])
def audit_chains(request: HttpRequest) -> HttpResponse:
    code = request.GET.get("q", "").strip()[:20]
    try:
        chains = chains_visible(request.user, code=code)
    except Forbidden:
        return _forbidden(request)
    if request.method == "POST":
        return _verify(request)
    page = Paginator(chains, CHAINS_PER_PAGE).get_page(request.GET.get("page"))
    heads = list(page)
    names = districts_named([head.key for head in heads])
    checks = request.session.get(SESSION_CHECKS, {})
    rows = [
        {
            "head": head,
            "district": names.get(head.key),
            "national": head.key == audit.NATIONAL_CHAIN,
            "status": _status(checks.get(head.key), head.last_seq),
        }
        for head in heads
    ]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "workflow/audit_chains.html",
        {"page": page, "rows": rows, "q": code, "query": query.urlencode()},
    )


urlpatterns = [
    path("audit/", audit_search, name="audit"),
    path("audit/export.csv", audit_export_csv, name="audit-export-csv"),
    path("audit/export.xlsx", audit_export_xlsx, name="audit-export-xlsx"),
    path("audit/projects/<id:pk>/", audit_project, name="audit-project"),
    path("audit/chains/", audit_chains, name="audit-chains"),
]

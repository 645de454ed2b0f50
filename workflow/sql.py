"""The reads of a transition's hot path, each one statement written once in portable SQL.

A transition reads three things: the user's grants, the project (with its district, edition,
open step and what the rules need) and the people its notices go to. Built through the ORM,
those queries cost more to compile than to run (7–9 ms of Python each, against well under a
millisecond in the database): here each is a short SQL text with parameters, read back into
the same model instances and values the ORM would give, through the fields' own converters.
The SQL is standard (it runs unchanged on SQLite and PostgreSQL); table and column names come
from the models' metadata. What each query *means* is stated next to it and held by the tests
of ``access``, the services and the notifications, which run against both databases.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime
import functools
import json
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from decimal import Decimal
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.signals import post_init, pre_init
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from .models import (
    AreaKind,
    AuditChain,
    BudgetLine,
    Delegation,
    Disbursement,
    District,
    Edition,
    InspectionRegion,
    Project,
    ProjectProcess,
    RoleMembership,
    SpendLine,
    Subdistrict,
)
from .models.projects import EDITABLE_STATES
from .models.roles import ROLE_AREA_KIND


class _ThisThread(threading.local):
    conn: BaseDatabaseWrapper | None = None
    store: Any = None


_this_thread = _ThisThread()


def db() -> BaseDatabaseWrapper:
    """This thread's connection itself (``django.db.connection`` is a proxy that looks it up on
    every attribute read: on the hot path that look-up costs more than the statements' Python).

    In a thread without a running event loop, Django keeps the connections in a plain
    thread-local store (``ConnectionHandler`` is thread-critical): the connection found there is
    kept in this thread's own local for as long as the handler keeps the same store. A forked
    child forgets it (it may replace its connection, ``audit._own_connection``); code on an
    event loop (where Django's store follows the task's context) looks it up each time."""
    here = _this_thread
    store = connections._connections  # type: ignore[attr-defined]
    conn = here.conn
    if conn is not None and here.store is store and _running_loop() is None:
        return conn
    conn = connections[DEFAULT_DB_ALIAS]
    if _running_loop() is None:
        here.conn, here.store = conn, store
    return conn


_running_loop = asyncio.events._get_running_loop


def forget_connection() -> None:
    """Look this thread's connection up again at the next ``db()`` (it was replaced)."""
    _this_thread.conn = None
    _this_thread.store = None


os.register_at_fork(after_in_child=forget_connection)


def q(name: str) -> str:
    return db().ops.quote_name(name)


def table(model: type[models.Model]) -> str:
    return q(model._meta.db_table)


def column(model: type[models.Model], field: str) -> str:
    return q(str(model._meta.get_field(field).column))  # type: ignore[union-attr]


@dataclass(frozen=True)
class Columns:
    """A model's concrete columns in a SELECT, and the loader of an instance from them."""

    model: type[models.Model]
    alias: str
    fields: tuple[models.Field[Any, Any], ...]
    # Per connection's operations: ``_loaders``' result.
    loaders: dict[Any, Any] = dataclass_field(default_factory=dict, compare=False, hash=False, repr=False)

    @classmethod
    def of(cls, model: type[models.Model], alias: str, only: Sequence[str] | None = None) -> Columns:
        fields = tuple(
            f for f in model._meta.concrete_fields if only is None or f.attname in only or f.name in only
        )
        return cls(model, alias, fields)

    def select(self) -> str:
        return ", ".join(f"{q(self.alias)}.{q(f.column)}" for f in self.fields)

    def load(self, row: Sequence[Any], start: int) -> Any:
        """The instance from ``row[start : start + len(self.fields)]``, converted as the ORM does."""
        conn = db()
        loaders = self.loaders.get(conn.ops)
        if loaders is None:
            loaders = self.loaders[conn.ops] = self._loaders(conn.ops)
        attnames, converted = loaders
        values = list(row[start : start + len(attnames)])
        for i, col, converters in converted:
            value = values[i]
            for converter in converters:
                value = converter(value, col, conn)
            values[i] = value
        return self.model.from_db(conn.alias, attnames, values)

    def _loaders(
        self, ops: Any
    ) -> tuple[list[str], tuple[tuple[int, Any, tuple[Callable[..., Any], ...]], ...]]:
        """The attribute names, and the columns the ORM converts on this connection (by
        position) with their converters: the others it reads as the database gives them."""
        converted = []
        for i, field in enumerate(self.fields):
            col, converters = _converters(field, ops)
            if converters:
                converted.append((i, col, converters))
        return [f.attname for f in self.fields], tuple(converted)


@functools.cache
def _converters(field: models.Field[Any, Any], ops: Any) -> tuple[Any, tuple[Callable[..., Any], ...]]:
    """The ORM's converters of ``field`` for this connection (cached per connection's ``ops``)."""
    col = field.get_col(field.model._meta.db_table)
    conn = ops.connection
    return col, tuple(conn.ops.get_db_converters(col) + col.get_db_converters(conn))


def convert(field: models.Field[Any, Any], value: Any, conn: BaseDatabaseWrapper | None = None) -> Any:
    conn = conn or db()
    col, converters = _converters(field, conn.ops)
    for converter in converters:
        value = converter(value, col, conn)
    return value


def _cursor(conn: BaseDatabaseWrapper) -> Any:
    """A cursor for this module's fixed statements, wrapped as Django wraps its own (so they are
    counted and logged). On PostgreSQL it binds parameters on the server, so that psycopg
    prepares a statement once the connection has run it ``prepare_threshold`` times (the
    ``DATABASE_PREPARE_THRESHOLD`` setting): PostgreSQL spent more time planning the joined
    reads (0.4-0.5 ms each) than running them. Django's own cursor binds on the client and
    never prepares; a connection that lives for one request prepares nothing."""
    if conn.vendor != "postgresql" or conn.settings_dict.get("OPTIONS", {}).get("prepare_threshold") is None:
        return conn.cursor()
    conn.close_if_health_check_failed()
    conn.ensure_connection()
    with conn.wrap_database_errors:
        raw = _binding_cursor()(conn.connection)
        _register_timezone(conn, raw)
        conn.validate_thread_sharing()
        if conn.queries_logged:
            return _composed_debug_wrapper()(raw, conn)
        return conn.make_cursor(raw)


@functools.cache
def _binding_cursor() -> Any:
    """Django's server-binding cursor, whose conversion of ``%s`` into ``$n`` is kept per text.

    psycopg keeps that conversion only for a text of at most 4,096 bytes and 50 parameters
    (``MAX_CACHED_STATEMENT_*``: an ORM's ``INSERT`` of many rows would fill its cache). The
    step's and the event's statements are longer and parsed again at each call: about a
    tenth of a transition's time. This module's texts are a few fixed shapes, so the
    conversion psycopg would make is kept here (``KeptQuery.convert`` is psycopg 3.3's
    ``PostgresQuery.convert`` for ``%s`` texts with another cache; a test holds the two equal).
    """
    from django.db.backends.postgresql.base import ServerBindingCursor  # type: ignore[attr-defined]
    from psycopg._queries import PostgresQuery, _query2pg_nocache

    converted = functools.lru_cache(maxsize=512)(_query2pg_nocache)

    class KeptQuery(PostgresQuery):
        def convert(self, query: Any, vars: Any) -> None:
            if vars is None or not isinstance(query, str):
                super().convert(query, vars)
                return
            self.query, self._want_formats, self._order, self._parts = converted(
                self._ensure_bytes(query), self._tx.encoding
            )
            self.dump(vars)

    class KeptBindingCursor(ServerBindingCursor):
        _query_cls = KeptQuery

    return KeptBindingCursor


@functools.cache
def _composed_debug_wrapper() -> Any:
    """Django's debug cursor, logging each statement with its parameters in place as Django does
    for a server-binding connection (psycopg keeps no text of a prepared statement's run)."""
    from django.db.backends.postgresql.base import CursorDebugWrapper
    from psycopg import errors

    class ComposedDebugWrapper(CursorDebugWrapper):
        def debug_sql(
            self,
            sql: Any = None,
            params: Any = None,
            use_last_executed_query: bool = False,
            many: bool = False,
        ) -> Any:
            if use_last_executed_query and not many:
                try:
                    sql = self.db.ops.compose_sql(sql, params)
                except errors.DataError:  # as Django: the log keeps the text with placeholders
                    pass
            return super().debug_sql(sql, params, False, many)

    return ComposedDebugWrapper


def _register_timezone(conn: BaseDatabaseWrapper, raw: Any) -> None:
    """As ``DatabaseWrapper.create_cursor`` does: the cursor reads timestamps in the connection's zone."""
    from django.db.backends.postgresql.psycopg_any import register_tzloader
    from psycopg.postgres import types
    from psycopg.pq import Format

    loader = conn.connection.adapters.get_loader(types["timestamptz"].oid, Format.TEXT)
    if conn.timezone != loader.timezone:
        register_tzloader(conn.timezone, raw)


def rows(sql: str, params: Sequence[Any], *, prepared: bool = False) -> list[tuple[Any, ...]]:
    """The rows of ``sql``. ``prepared``: through ``_cursor`` (server-side binding on PostgreSQL,
    so each parameter needs a type PostgreSQL can infer: cast one that stands alone in a select
    list or a ``UNION``); Django's own cursor otherwise."""
    conn = db()
    with _statement_cursor(conn, prepared) as cursor:
        cursor.execute(sql, list(params))
        return cursor.fetchall()


def _statement_cursor(conn: BaseDatabaseWrapper, prepared: bool) -> Any:
    """The cursor of one statement, in a ``with``. On a connection no other thread shares, one
    cursor serves the connection's statements (on PostgreSQL its server-binding ones), made
    again when the connection, its query logging or its time zone changes: a cursor made and
    closed for each statement (with Django's wrapper, psycopg's adapters, the zone's loader)
    cost a third of each statement's Python on SQLite and a sixth on PostgreSQL. Elsewhere
    ``_cursor`` or Django's own, as each is."""
    if not conn.allow_thread_sharing:
        if conn.vendor == "sqlite":
            return contextlib.nullcontext(_kept(conn, conn.cursor))
        if prepared and conn.vendor == "postgresql":
            return contextlib.nullcontext(_kept(conn, functools.partial(_cursor, conn)))
    return _cursor(conn) if prepared else conn.cursor()


def _kept(conn: BaseDatabaseWrapper, make: Callable[[], Any]) -> Any:
    """The connection's kept cursor, or one ``make`` makes (it connects if need be, checks the
    thread and wraps the cursor for logging as Django does) and keeps."""
    raw, logged = conn.connection, conn.queries_logged
    kept = conn.__dict__.get("_rolemodel_cursor")
    if (
        raw is not None
        and kept is not None
        and kept[0] is raw
        and kept[1] == logged
        and kept[2] is conn.timezone
    ):
        return kept[3]
    cursor = make()
    conn.__dict__["_rolemodel_cursor"] = (conn.connection, logged, conn.timezone, cursor)
    return cursor


def _in(values: Sequence[Any]) -> str:
    return ", ".join(["%s"] * len(values))


def _day(value: datetime.date) -> Any:
    """A date as the backend binds it (SQLite compares ISO strings)."""
    return db().ops.adapt_datefield_value(value)


# --- The user's grants ----------------------------------------------------------------------


@dataclass(frozen=True)
class GrantRow:
    kind: str  # "m" a membership, "d" a delegation
    role: str
    district_id: str | None
    province_id: str | None
    region_id: str | None
    region_province: str | None  # one row per province of the region
    delegator_id: int | None
    delegator_username: str
    delegator_first_name: str
    delegator_last_name: str


def grant_rows(user_id: int, day: datetime.date) -> list[GrantRow]:
    """The user's role memberships valid on ``day`` (a region's one row per province) and the
    delegations they hold that day whose delegator still holds the role there: one statement."""
    return [
        GrantRow(*row) for row in rows(_grant_sql(db().vendor), _grant_params(user_id, day), prepared=True)
    ]


def _grant_params(user_id: int, day: datetime.date) -> list[Any]:
    """The parameters of ``_grant_sql``, in their order."""
    today = _day(day)
    return [user_id, today, today, user_id, today, today, today, today]


@functools.cache
def _grant_sql(vendor: str) -> str:
    m, rp, d, held, u = "m", "rp", "dl", "h", "u"
    regions = InspectionRegion.provinces.through
    user_model = Delegation._meta.get_field("delegator").related_model
    valid = (
        f"({{a}}.{column(RoleMembership, 'valid_from')} IS NULL OR {{a}}.{column(RoleMembership, 'valid_from')} <= %s)"
        f" AND ({{a}}.{column(RoleMembership, 'valid_until')} IS NULL"
        f" OR {{a}}.{column(RoleMembership, 'valid_until')} >= %s)"
    )
    return (
        f"SELECT 'm', {m}.{column(RoleMembership, 'role')}, {m}.{column(RoleMembership, 'district')}, "
        f"{m}.{column(RoleMembership, 'province')}, {m}.{column(RoleMembership, 'region')}, "
        f"{rp}.{q('province_id')}, NULL, '', '', '' "
        f"FROM {table(RoleMembership)} {m} LEFT JOIN {q(regions._meta.db_table)} {rp} "
        f"ON {rp}.{q('inspectionregion_id')} = {m}.{column(RoleMembership, 'region')} "
        f"WHERE {m}.{column(RoleMembership, 'user')} = %s AND {valid.format(a=m)} "
        "UNION ALL "
        f"SELECT 'd', {d}.{column(Delegation, 'role')}, {d}.{column(Delegation, 'district')}, NULL, NULL, NULL, "
        f"{u}.{q('id')}, {u}.{q('username')}, {u}.{q('first_name')}, {u}.{q('last_name')} "
        f"FROM {table(Delegation)} {d} JOIN {table(user_model)} {u} ON {u}.{q('id')} = {d}.{column(Delegation, 'delegator')} "  # type: ignore[arg-type]
        f"WHERE {d}.{column(Delegation, 'delegate')} = %s AND {d}.{column(Delegation, 'starts_on')} <= %s "
        f"AND {d}.{column(Delegation, 'ends_on')} >= %s AND {d}.{column(Delegation, 'revoked_at')} IS NULL "
        f"AND EXISTS (SELECT 1 FROM {table(RoleMembership)} {held} "
        f"WHERE {held}.{column(RoleMembership, 'user')} = {d}.{column(Delegation, 'delegator')} "
        f"AND {held}.{column(RoleMembership, 'role')} = {d}.{column(Delegation, 'role')} "
        f"AND {held}.{column(RoleMembership, 'district')} = {d}.{column(Delegation, 'district')} "
        f"AND {valid.format(a=held)})"
    )


# --- The project as a transition reads it ------------------------------------------------------

_ACTIVE = (STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED)


@dataclass(frozen=True)
class Visibility:
    """Where the user may see projects: everywhere, or in these districts and provinces."""

    everywhere: bool
    districts: tuple[str, ...] = ()
    provinces: tuple[str, ...] = ()

    @property
    def nothing(self) -> bool:
        return not self.everywhere and not self.districts and not self.provinces


# The columns of a grant row (``_grant_sql``), as the grants' ``WITH`` part of a read names them.
GRANT_COLUMNS = tuple(f.name for f in dataclasses.fields(GrantRow))


@functools.cache
def _project_sql(
    vendor: str, districts: int, provinces: int, everywhere: bool, lock: str, seen_by: str = ""
) -> str:
    """The text of ``project_for_transition``'s statement for one shape of visibility and lock.

    ``seen_by``: the user's grants are read with the project (a ``WITH`` part ``g``, the
    ``_grant_sql`` rows, handed back as a JSON column after the others), and the project is
    visible when a grant row satisfies this condition (``access.visibility_condition``)."""
    p, d, e, pp, t = "p", "d", "e", "pp", "t"
    links = Project.subdistricts.through
    pid = f"{p}.{q('id')}"
    district_of_project = f"{p}.{column(Project, 'district')}"
    open_task = (
        f"(SELECT MAX({q('id')}) FROM {table(Task)} WHERE {q('process_id')} = {pp}.{q('process_ptr_id')} "
        f"AND {q('status')} IN ({_in(_ACTIVE)}) AND {q('flow_task_type')} = 'HUMAN')"
    )
    where = [f"{pid} = %s"]
    if not everywhere:
        parts = []
        if districts:
            parts.append(f"{p}.{column(Project, 'district')} IN ({', '.join(['%s'] * districts)})")
        if provinces:
            parts.append(f"{d}.{column(District, 'province')} IN ({', '.join(['%s'] * provinces)})")
        where.append("(" + " OR ".join(parts) + ")")
    grants = ""
    if seen_by:
        where.append(f"EXISTS (SELECT 1 FROM g WHERE {seen_by})")
        as_json = ", ".join(f"g.{c}" for c in GRANT_COLUMNS)
        grants = f", (SELECT json_agg(json_build_array({as_json})) FROM g)"
    text = (
        f"SELECT {_PROJECT.select()}, {_DISTRICT.select()}, {_EDITION.select()}, "
        f"{t}.{q('id')}, {t}.{q('process_id')}, {t}.{q('flow_task')}, {t}.{q('owner_id')}, "
        f"(SELECT COUNT(*) FROM {q(links._meta.db_table)} l WHERE l.{q('project_id')} = {pid}), "
        f"(SELECT COUNT(*) FROM {q(links._meta.db_table)} l JOIN {table(Subdistrict)} s "
        f"ON s.{q('code')} = l.{q('subdistrict_id')} WHERE l.{q('project_id')} = {pid} "
        f"AND s.{column(Subdistrict, 'district')} <> {p}.{column(Project, 'district')}), "
        f"EXISTS (SELECT 1 FROM {table(SpendLine)} sl WHERE sl.{column(SpendLine, 'project')} = {pid})"
        f"{_head_columns(vendor, district_of_project)}{grants} "
        f"FROM {table(Project)} {p} "
        f"JOIN {table(District)} {d} ON {d}.{q('code')} = {p}.{column(Project, 'district')} "
        f"JOIN {table(Edition)} {e} ON {e}.{q('id')} = {p}.{column(Project, 'edition')} "
        f"LEFT JOIN {table(ProjectProcess)} {pp} ON {pp}.{column(ProjectProcess, 'project')} = {pid} "
        f"LEFT JOIN {table(Task)} {t} ON {t}.{q('id')} = {open_task} "
        f"WHERE {' AND '.join(where)}"
    )
    if lock:
        text += f" FOR NO KEY UPDATE OF {lock}"
    if seen_by:
        text = f"WITH g ({', '.join(GRANT_COLUMNS)}) AS ({_grant_sql(vendor)}) {text}"
    return text


_PROJECT = Columns.of(Project, "p")
_DISTRICT = Columns.of(District, "d")
_EDITION = Columns.of(Edition, "e")


@dataclass(frozen=True)
class SeenBy:
    """Read the user's grants with the project, and see it as they do: ``condition`` is
    ``access.visibility_condition``, asked for with this module's names of the columns."""

    user_id: int
    day: datetime.date
    # (grant row alias, the project's district column, its province column) -> the condition
    condition: Callable[[str, str, str], str]


def reads_grants_with_project(vendor: str) -> bool:
    """Whether a project's read for a transition may carry its reader's grants (``SeenBy``):
    PostgreSQL, where a statement saved is a round trip saved."""
    return vendor == "postgresql"


def project_for_transition(
    pk: int,
    visibility: Visibility | SeenBy,
    *,
    for_update: bool = False,
    lock_district: bool = False,
) -> Project | None:
    """The project (``None`` when missing or not visible) with its district and edition loaded,
    its open human task (``_step_*``), the count of its subdistricts and of those outside its
    district, and whether it has spend lines: one statement, locking the project's row (and
    the district's) where the database locks rows. With ``SeenBy`` (where
    ``reads_grants_with_project``) the user's grant rows come with it (``_grant_rows``)."""
    lock = ""
    conn = db()
    if for_update and conn.features.has_select_for_update:
        lock = "p, d" if lock_district else "p"
    params: list[Any]
    if isinstance(visibility, SeenBy):
        seen_by = visibility.condition(
            "g", f"p.{column(Project, 'district')}", f"d.{column(District, 'province')}"
        )
        text = _project_sql(conn.vendor, 0, 0, True, lock, seen_by)
        params = [*_grant_params(visibility.user_id, visibility.day), *_ACTIVE, pk]
    else:
        if visibility.nothing:
            return None
        text = _project_sql(
            conn.vendor, len(visibility.districts), len(visibility.provinces), visibility.everywhere, lock
        )
        params = [*_ACTIVE, pk]
        if not visibility.everywhere:
            params += [*visibility.districts, *visibility.provinces]
    found = rows(text, params, prepared=True)
    if not found:
        return None
    row = found[0]
    project: Project = _PROJECT.load(row, 0)
    at = len(_PROJECT.fields)
    district: District = _DISTRICT.load(row, at)
    at += len(_DISTRICT.fields)
    edition: Edition = _EDITION.load(row, at)
    at += len(_EDITION.fields)
    project.district = district
    project.edition = edition
    task_id, process_id, flow_task, owner_id, subdistricts, outside, has_spend = row[at : at + 7]
    project._step_task_id = task_id  # type: ignore[attr-defined]
    project._step_process_id = process_id  # type: ignore[attr-defined]
    project._step_flow_task = (  # type: ignore[attr-defined]
        convert(Task._meta.get_field("flow_task"), flow_task) if flow_task else None
    )
    project._step_owner_id = owner_id  # type: ignore[attr-defined]
    project._subdistricts = int(subdistricts)  # type: ignore[attr-defined]
    project._subdistricts_outside = int(outside)  # type: ignore[attr-defined]
    project._has_spend_lines = bool(has_spend)  # type: ignore[attr-defined]
    at += 7
    if not _advances_head(conn.vendor):
        # The head of the district's chain, as ``advance_chain`` would read it for the event.
        project._chain_head = (project.district_id, *_next_after(*row[at : at + 2]))  # type: ignore[attr-defined]
        at += 2
    if isinstance(visibility, SeenBy):
        project._grant_rows = [GrantRow(*values) for values in _json_rows(row[at])]  # type: ignore[attr-defined]
    return project


@dataclass(frozen=True)
class LineTotals:
    categories: list[str]
    own: Decimal
    other: Decimal
    spent_own: Decimal = Decimal("0")  # the project's spend lines
    spent_other: Decimal = Decimal("0")  # the spend lines of the district's other live projects
    approved_other: int = 0  # the district's other live projects past approval (approved or later)
    disbursed: Decimal = Decimal("0")  # what the province disbursed to the district for the edition


def line_totals(project: Project, released_states: Iterable[str]) -> LineTotals:
    """The project's budget lines (categories and total), the committed budget of the district's
    other live projects of the edition, and what the project and those others spent (their spend
    lines), in one statement: the budget lines grouped by category, one more row (marked
    ``'s'``) with the spending, and one (``'a'``) with how many of the district's other live
    projects are past approval and what the province disbursed to the district (the approval
    that is the district's first tells the province: ``workflow.events.Context``)."""
    return line_totals_from(line_totals_read(project, released_states).rows())


def line_totals_read(project: Project, released_states: Iterable[str]) -> Read:
    """The read of ``line_totals`` (``line_totals_from`` makes its rows the totals)."""
    released = list(released_states)
    unapproved = [*EDITABLE_STATES, *released]
    text = _line_totals_sql(db().vendor, len(released), len(unapproved))
    scope = [project.district_id, project.edition_id, project.pk, *released]
    params = [project.pk, project.pk, project.pk, *scope, project.pk, project.pk, *scope]
    params += [project.district_id, project.edition_id, project.pk, *unapproved]
    params += [project.district_id, project.edition_id]
    columns = ("kind", "category", "own_sum", "own_lines", "other_sum")
    return Read(text, params, columns, as_text=frozenset({"own_sum", "own_lines", "other_sum"}))


def line_totals_from(found: Iterable[Sequence[Any]]) -> LineTotals:
    categories: list[str] = []
    own = other = spent_own = spent_other = disbursed = Decimal("0")
    approved_other = 0
    for kind, category, own_sum, own_lines, other_sum in found:
        if kind == "a":
            approved_other = int(_decimal(own_sum))
            disbursed = _decimal(other_sum)
            continue
        if kind == "s":
            spent_own += _decimal(own_sum)
            spent_other += _decimal(other_sum)
            continue
        if own_lines and _decimal(own_lines):
            categories.append(category)
            own += _decimal(own_sum)
        other += _decimal(other_sum)
    return LineTotals(categories, own, other, spent_own, spent_other, approved_other, disbursed)


@functools.cache
def _line_totals_sql(vendor: str, released: int, unapproved: int) -> str:
    b, s, p, a, x = "b", "s", "p", "a", "x"

    def live(lines: str, model: type[models.Model]) -> str:
        """The project's own lines and those of the district's other live projects of the edition."""
        owner = f"{lines}.{column(model, 'project')}"
        return (
            f"FROM {table(model)} {lines} JOIN {table(Project)} {p} ON {p}.{q('id')} = {owner} "
            f"WHERE {p}.{column(Project, 'district')} = %s AND {p}.{column(Project, 'edition')} = %s "
            f"AND ({p}.{q('id')} = %s OR {p}.{column(Project, 'state')} NOT IN ({', '.join(['%s'] * released)}))"
        )

    amount = f"{b}.{column(BudgetLine, 'amount')}"
    owner = f"{b}.{column(BudgetLine, 'project')}"
    spent = f"{s}.{column(SpendLine, 'amount')}"
    spender = f"{s}.{column(SpendLine, 'project')}"
    return (
        f"SELECT 'b', {b}.{column(BudgetLine, 'category')}, "
        f"SUM(CASE WHEN {owner} = %s THEN {amount} END), "
        f"SUM(CASE WHEN {owner} = %s THEN 1 ELSE 0 END), "
        f"SUM(CASE WHEN {owner} <> %s THEN {amount} END) "
        f"{live(b, BudgetLine)} "
        f"GROUP BY {b}.{column(BudgetLine, 'category')} "
        "UNION ALL "
        f"SELECT 's', NULL, SUM(CASE WHEN {spender} = %s THEN {spent} END), 0, "
        f"SUM(CASE WHEN {spender} <> %s THEN {spent} END) "
        f"{live(s, SpendLine)} "
        "UNION ALL "
        f"SELECT 'a', NULL, (SELECT COUNT(*) FROM {table(Project)} {a} "
        f"WHERE {a}.{column(Project, 'district')} = %s AND {a}.{column(Project, 'edition')} = %s "
        f"AND {a}.{q('id')} <> %s "
        f"AND {a}.{column(Project, 'state')} NOT IN ({', '.join(['%s'] * unapproved)})), 0, "
        f"(SELECT SUM({x}.{column(Disbursement, 'amount')}) FROM {table(Disbursement)} {x} "
        f"WHERE {x}.{column(Disbursement, 'district')} = %s AND {x}.{column(Disbursement, 'edition')} = %s)"
    )


def _decimal(value: Any) -> Decimal:
    if value is None:
        return Decimal("0")
    if isinstance(value, Decimal):
        return value
    return Decimal(str(value))


# --- Who hears of a transition -------------------------------------------------------------


@dataclass(frozen=True)
class Recipient:
    user_id: int
    email: str
    is_active: bool
    wants_mail_now: bool
    tags: frozenset[str]


def _holder_selects(kind: str, tag: str) -> list[str]:
    """SELECTs of (user id, tag) for the holders of a role of ``kind`` over a district on a day,
    acting officials included (a district role's delegates, while the delegator holds it).
    Parameters: ``_holder_params``."""
    m = "m" + tag
    valid = (
        f"({m}.{column(RoleMembership, 'valid_from')} IS NULL OR {m}.{column(RoleMembership, 'valid_from')} <= %s)"
        f" AND ({m}.{column(RoleMembership, 'valid_until')} IS NULL"
        f" OR {m}.{column(RoleMembership, 'valid_until')} >= %s)"
    )
    area = ""
    if kind == AreaKind.DISTRICT:
        area = f" AND {m}.{column(RoleMembership, 'district')} = %s"
    elif kind == AreaKind.PROVINCE:
        area = f" AND {m}.{column(RoleMembership, 'province')} = %s"
    elif kind == AreaKind.REGION:
        regions = InspectionRegion.provinces.through
        area = (
            f" AND {m}.{column(RoleMembership, 'region')} IN (SELECT {q('inspectionregion_id')} "
            f"FROM {q(regions._meta.db_table)} WHERE {q('province_id')} = %s)"
        )
    members_from = (
        f"FROM {table(RoleMembership)} {m} WHERE {m}.{column(RoleMembership, 'role')} = %s{area} AND {valid}"
    )
    user = f"{m}.{column(RoleMembership, 'user')}"
    selects = [f"SELECT {user} AS uid, '{tag}' AS tag {members_from}"]
    if kind == AreaKind.DISTRICT:
        dl = "d" + tag
        selects.append(
            f"SELECT {dl}.{column(Delegation, 'delegate')} AS uid, '{tag}' AS tag FROM {table(Delegation)} {dl} "
            f"WHERE {dl}.{column(Delegation, 'role')} = %s AND {dl}.{column(Delegation, 'district')} = %s "
            f"AND {dl}.{column(Delegation, 'starts_on')} <= %s AND {dl}.{column(Delegation, 'ends_on')} >= %s "
            f"AND {dl}.{column(Delegation, 'revoked_at')} IS NULL "
            f"AND {dl}.{column(Delegation, 'delegator')} IN (SELECT {user} {members_from})"
        )
    return selects


def _holder_params(role: str, district: District, day: Any) -> list[Any]:
    kind = ROLE_AREA_KIND[role]
    area: list[Any] = []
    if kind == AreaKind.DISTRICT:
        area = [district.code]
    elif kind in (AreaKind.PROVINCE, AreaKind.REGION):
        area = [district.province_id]
    members = [role, *area, day, day]
    if kind == AreaKind.DISTRICT:
        return [*members, role, district.code, day, day, *members]
    return members


@functools.cache
def _recipients_sql(vendor: str, kinds: tuple[tuple[str, str], ...], users: int) -> str:
    from notifications.models import NotificationPreference

    selects: list[str] = []
    for tag, kind in kinds:
        selects += _holder_selects(kind, tag)
    selects += ["SELECT CAST(%s AS INTEGER) AS uid, 'u' AS tag"] * users
    user_model = Delegation._meta.get_field("delegator").related_model
    u, pref = "u", "np"
    return (
        f"SELECT h.uid, h.tag, {u}.{q('email')}, {u}.{q('is_active')}, "
        f"EXISTS (SELECT 1 FROM {table(NotificationPreference)} {pref} "
        f"WHERE {pref}.{column(NotificationPreference, 'user')} = {u}.{q('id')} "
        f"AND {pref}.{column(NotificationPreference, 'email_mode')} = %s) "
        f"FROM ({' UNION ALL '.join(selects)}) h "
        f"JOIN {table(user_model)} {u} ON {u}.{q('id')} = h.uid"  # type: ignore[arg-type]
    )


@dataclass(frozen=True)
class Read:
    """A read to be sent as a statement of its own, or inside another statement
    (``complete_step``: as a JSON column, its ``columns`` named in order, those in ``as_text``
    sent as text so that a decimal keeps every digit)."""

    text: str
    params: list[Any]
    columns: tuple[str, ...]
    as_text: frozenset[str] = frozenset()

    def rows(self) -> list[tuple[Any, ...]]:
        """The rows, read in a statement of their own."""
        return rows(self.text, self.params, prepared=True)

    def as_json(self) -> str:
        """An expression giving the rows as one JSON array of arrays (``NULL`` for none)."""
        values = ", ".join(f"r.{c}::text" if c in self.as_text else f"r.{c}" for c in self.columns)
        return f"(SELECT json_agg(json_build_array({values})) FROM ({self.text}) AS r ({', '.join(self.columns)}))"


def recipients_read(
    district: District, day: datetime.date, *, roles: dict[str, str], user_ids: Iterable[int] = ()
) -> Read | None:
    """The read of ``recipients`` (``None``: nobody is asked for). Its rows: the user, the tag,
    the address, whether the user is active, whether they want e-mail at once."""
    from notifications.models import EmailMode

    today = _day(day)
    users = list(user_ids)
    if not roles and not users:
        return None
    kinds = tuple((tag, ROLE_AREA_KIND[role]) for tag, role in roles.items())
    params: list[Any] = [EmailMode.IMMEDIATE]
    for role in roles.values():
        params += _holder_params(role, district, today)
    params += users
    return Read(
        _recipients_sql(db().vendor, kinds, len(users)), params, ("uid", "tag", "email", "active", "mails")
    )


def recipients_from(found: Iterable[Sequence[Any]]) -> list[Recipient]:
    """``Recipient``s from the rows of a ``recipients_read``, one per user with all their tags."""
    people: dict[int, dict[str, Any]] = {}
    for uid, tag, email, active, mails in found:
        entry = people.setdefault(
            int(uid), {"email": email or "", "active": bool(active), "mails": bool(mails), "tags": set()}
        )
        entry["tags"].add(tag)
    return [
        Recipient(uid, v["email"], v["active"], v["mails"], frozenset(v["tags"]))
        for uid, v in sorted(people.items())
    ]


def recipients(
    district: District, day: datetime.date, *, roles: dict[str, str], user_ids: Iterable[int] = ()
) -> list[Recipient]:
    """Everyone who holds one of ``roles`` (``{tag: role}``) over the district on ``day``, and
    ``user_ids`` (tag ``"u"``), with their address and whether they want e-mail at once: one
    statement, whatever the number of people."""
    read = recipients_read(district, day, roles=roles, user_ids=user_ids)
    return recipients_from(read.rows()) if read is not None else []


# --- Writes ---------------------------------------------------------------------------------


@functools.cache
def _writable(model: type[models.Model]) -> tuple[models.Field[Any, Any], ...]:
    return tuple(
        f
        for f in model._meta.concrete_fields
        if not (f.primary_key and isinstance(f, models.AutoField | models.BigAutoField))
    )


@functools.cache
def _insert_sql(model: type[models.Model], count: int, vendor: str) -> str:
    fields = _writable(model)
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    return (
        f"INSERT INTO {table(model)} ({', '.join(q(f.column) for f in fields)}) "
        f"VALUES {', '.join([one] * count)} RETURNING {q(str(model._meta.pk.column))}"
    )


def insert(objs: Sequence[models.Model]) -> None:
    """INSERT the instances (all of one model) as ``bulk_create`` writes them (each field's
    ``pre_save`` and database preparation; one statement, or as few as the backend's parameter
    limit allows), and set their primary keys."""
    if not objs:
        return
    model = type(objs[0])
    fields = _writable(model)
    conn = db()
    # As many rows per statement as the backend takes parameters (SQLite's limit), as bulk_create.
    size = _batch_size(conn, model, fields, objs)
    for start in range(0, len(objs), size):
        batch = objs[start : start + size]
        params: list[Any] = []
        for obj in batch:
            params.extend(_insert_values(obj, fields, conn))
        keys = rows(_insert_sql(model, len(batch), conn.vendor), params, prepared=True)
        for obj, (pk,) in zip(batch, keys, strict=True):
            _inserted(obj, pk, conn)


_BATCH_SIZES: dict[tuple[Any, type[models.Model], int], int] = {}


def _batch_size(
    conn: BaseDatabaseWrapper,
    model: type[models.Model],
    fields: Sequence[models.Field[Any, Any]],
    objs: Sequence[models.Model],
) -> int:
    """``bulk_batch_size`` for ``len(objs)`` rows of ``model`` (the backends' answer depends on
    the columns and the number of rows, not on the rows): asked once per count of a few rows."""
    if len(objs) == 1:
        return 1
    key = (conn.ops, model, len(objs))
    size = _BATCH_SIZES.get(key)
    if size is None:
        size = max(1, conn.ops.bulk_batch_size(list(fields), objs))
        if len(objs) <= 64 and len(_BATCH_SIZES) < 4096:
            _BATCH_SIZES[key] = size
    return size


def _insert_values(
    obj: models.Model, fields: Sequence[models.Field[Any, Any]], conn: BaseDatabaseWrapper
) -> list[Any]:
    return [
        prepare(obj, field, conn) for prepare, field in zip(_preparers(type(obj), True), fields, strict=True)
    ]


# A plain text, number, flag or key is its own database value: Django's preparation of it
# (``pre_save``, ``get_prep_value``, ``get_db_prep_value``) returns it unchanged, but costs a
# dozen calls per field. Such a field of such a class takes the short way when the value has
# the field's natural type; anything else (a lazy text, a date, JSON, a decimal, a subclass
# that prepares its own way) goes through Django's.
_NATURAL: dict[type[models.Field[Any, Any]], tuple[type, ...]] = {
    models.CharField: (str,),
    models.TextField: (str,),
    models.IntegerField: (int,),
    models.SmallIntegerField: (int,),
    models.BigIntegerField: (int,),
    models.PositiveIntegerField: (int,),
    models.PositiveSmallIntegerField: (int,),
    models.PositiveBigIntegerField: (int,),
    models.BooleanField: (bool,),
}
_BASE_PREP = {
    name: getattr(models.Field, name) for name in ("pre_save", "get_db_prep_save", "get_db_prep_value")
}
# An integer's ``get_db_prep_value`` hands it to the backend's ``adapt_integerfield_value`` (an
# automatic key's, to ``validate_autopk_value``): both return it unchanged unless the backend
# overrides them (``_keeps_integers``).
_INTEGER_DB_PREP = (
    models.Field.get_db_prep_value,
    models.IntegerField.get_db_prep_value,
    models.fields.AutoFieldMixin.get_db_prep_value,  # type: ignore[attr-defined]
)


_KEEPS_INTEGERS: dict[type, bool] = {}


def _keeps_integers(conn: BaseDatabaseWrapper) -> bool:
    """Whether the backend's operations store an integer as it is (SQLite's and PostgreSQL's do)."""
    ops = type(conn.ops)
    kept = _KEEPS_INTEGERS.get(ops)
    if kept is None:
        from django.db.backends.base.operations import BaseDatabaseOperations as Base

        kept = _KEEPS_INTEGERS[ops] = (
            ops.adapt_integerfield_value is Base.adapt_integerfield_value
            and ops.validate_autopk_value is Base.validate_autopk_value
        )
    return kept


def _natural_types(field: models.Field[Any, Any]) -> tuple[type, ...] | None:
    """The types a field stores as they are, or ``None`` if Django must prepare its values."""
    if isinstance(field, models.ForeignKey):
        target = field.target_field
        kinds = _natural_types(target)
        return (
            kinds
            if kinds is not None and type(field).get_db_prep_save is models.ForeignKey.get_db_prep_save
            else None
        )
    for base, kinds in _NATURAL.items():
        if not isinstance(field, base):
            continue
        cls = type(field)
        plain = all(
            getattr(cls, name) is method
            or (name == "get_db_prep_value" and kinds == (int,) and getattr(cls, name) in _INTEGER_DB_PREP)
            for name, method in _BASE_PREP.items()
        )
        # The class prepares its values as the base it is natural for (no override of its own).
        if plain and cls.get_prep_value is base.get_prep_value and cls.to_python is base.to_python:
            return kinds
        return None
    return None


def _django_prep(add: bool) -> Any:
    def prepare(obj: models.Model, field: models.Field[Any, Any], conn: BaseDatabaseWrapper) -> Any:
        return field.get_db_prep_save(field.pre_save(obj, add), conn)

    return prepare


_DEFERRED = object()


def _natural_prep(attname: str, kinds: tuple[type, ...], add: bool) -> Any:
    fallback = _django_prep(add)

    text = kinds == (str,)
    integer = kinds == (int,)

    def prepare(obj: models.Model, field: models.Field[Any, Any], conn: BaseDatabaseWrapper) -> Any:
        value = obj.__dict__.get(attname, _DEFERRED)  # a deferred field is not in ``__dict__``
        if value is None or type(value) in kinds or (text and isinstance(value, str)):
            if integer and value is not None and not _keeps_integers(conn):
                return fallback(obj, field, conn)
            return value  # a text's subclass (a TextChoices member) is stored as Django stores it
        return fallback(obj, field, conn)

    return prepare


def _plain_datetime(field: models.Field[Any, Any]) -> bool:
    """A ``DateTimeField`` itself, set by hand (not ``auto_now`` nor ``auto_now_add``)."""
    return type(field) is models.DateTimeField and not (field.auto_now or field.auto_now_add)


def _datetime_prep(attname: str, add: bool) -> Any:
    """An aware datetime as ``DateTimeField`` prepares it (with time zones on, nothing to make
    aware): the backend's ``adapt_datetimefield_value``; anything else the long way."""
    from django.conf import settings

    fallback = _django_prep(add)

    def prepare(obj: models.Model, field: models.Field[Any, Any], conn: BaseDatabaseWrapper) -> Any:
        value = obj.__dict__.get(attname, _DEFERRED)
        if value is None:
            return None
        if type(value) is datetime.datetime and value.tzinfo is not None and settings.USE_TZ:
            return conn.ops.adapt_datetimefield_value(value)
        return fallback(obj, field, conn)

    return prepare


@functools.cache
def _preparers(model: type[models.Model], add: bool) -> tuple[Any, ...]:
    """One function per writable column of ``model``: its value as the database takes it."""
    fields = _writable(model) if add else tuple(f for f in _writable(model) if not f.primary_key)
    found = []
    for field in fields:
        kinds = _natural_types(field)
        if kinds is not None:
            found.append(_natural_prep(field.attname, kinds, add))
        elif _plain_datetime(field):
            found.append(_datetime_prep(field.attname, add))
        else:
            found.append(_django_prep(add))
    return tuple(found)


@functools.cache
def _blank(
    model: type[models.Model],
) -> tuple[dict[str, Any], tuple[tuple[str, str, Any], ...], frozenset[str], frozenset[str]] | None:
    """What ``new`` starts an instance of ``model`` from: the columns' constant defaults by
    attribute name, the callable ones (``(attname, name, default)``), the attribute names,
    and the names that take a related object. ``None``: a model ``new`` leaves to its class (a
    column with a database default, or one that is generated)."""
    constants: dict[str, Any] = {}
    makers = []
    attnames, related = set(), set()
    for field in model._meta.concrete_fields:
        if field.generated or field.db_default is not models.NOT_PROVIDED:
            return None
        attnames.add(field.attname)
        if field.is_relation:
            related.add(field.name)
        if field.has_default() and callable(field.default):
            makers.append((field.attname, field.name, field.default))
        else:
            constants[field.attname] = field.get_default()
    return constants, tuple(makers), frozenset(attnames), frozenset(attnames | related)


def _listened(signal: Any, model: type[models.Model]) -> bool:
    return bool(signal.receivers) and bool(signal.has_listeners(model))


def new(model: type[models.Model], **values: Any) -> Any:
    """``model(**values)``, the same unsaved instance, without the constructor's walk over every
    field (a lookup that fails and a default fetched for each one not given): the defaults are
    laid down at once, each value given is set, a related object through its descriptor (which
    caches it) as the constructor sets it. Values named by anything but a column's attribute or
    a relation's name, or a model whose construction others listen to, go through the class."""
    blank = _blank(model)
    if blank is None or _listened(pre_init, model) or _listened(post_init, model):
        return model(**values)
    constants, makers, attnames, known = blank
    if not values.keys() <= known:
        return model(**values)
    obj = model.__new__(model)
    obj._state = models.base.ModelState()
    state = obj.__dict__
    state.update(constants)
    for attname, name, make in makers:
        if attname not in values and name not in values:
            state[attname] = make()
    for name, value in values.items():
        if name in attnames:
            state[name] = value
        else:
            setattr(obj, name, value)
    return obj


def _inserted(obj: models.Model, pk: Any, conn: BaseDatabaseWrapper) -> None:
    obj.pk = pk
    obj._state.adding = False
    obj._state.db = conn.alias


@functools.cache
def _update_sql(
    model: type[models.Model], fields: tuple[str, ...], where: tuple[str, ...], vendor: str
) -> str:
    sets = ", ".join(f"{q(f.column)} = %s" for f in _set_fields(model, fields))
    conditions = " AND ".join(f"{column(model, name)} = %s" for name in where)
    return f"UPDATE {table(model)} SET {sets} WHERE {q(str(model._meta.pk.column))} = %s AND {conditions}"


@functools.cache
def _set_fields(model: type[models.Model], fields: tuple[str, ...]) -> tuple[models.Field[Any, Any], ...]:
    """The columns an UPDATE of ``fields`` writes: those, and every ``auto_now`` column (as
    ``save(update_fields=...)`` writes them), in the model's order."""
    wanted = set(fields)
    found = tuple(
        f
        for f in _writable(model)
        if not f.primary_key and (f.name in wanted or f.attname in wanted or getattr(f, "auto_now", False))
    )
    unknown = wanted - {f.name for f in found} - {f.attname for f in found}
    if unknown:
        raise ValueError(f"{model.__name__} has no writable field {sorted(unknown)}")
    return found


def update_row(obj: models.Model, fields: Sequence[str], **where: Any) -> int:
    """UPDATE the columns ``fields`` of ``obj`` (and its ``auto_now`` ones) as
    ``save(update_fields=fields)`` does, where its key and ``where`` match; the number of rows
    changed (0: the row was not as expected)."""
    model = type(obj)
    conn = db()
    params = _update_params(obj, tuple(fields), conn, where)
    with _statement_cursor(conn, True) as cursor:
        cursor.execute(_update_sql(model, tuple(fields), tuple(where), conn.vendor), params)
        return int(cursor.rowcount)


def _update_params(
    obj: models.Model, fields: tuple[str, ...], conn: BaseDatabaseWrapper, where: dict[str, Any]
) -> list[Any]:
    """``_update_sql``'s parameters: each column written as ``save()`` prepares it, the key, ``where``."""
    values = [prepare(obj, f, conn) for prepare, f in _update_preparers(type(obj), fields)]
    return [*values, obj.pk, *where.values()]


@functools.cache
def _update_preparers(model: type[models.Model], fields: tuple[str, ...]) -> tuple[tuple[Any, Any], ...]:
    every = [f for f in _writable(model) if not f.primary_key]
    prepare = dict(zip(every, _preparers(model, False), strict=True))
    return tuple((prepare[f], f) for f in _set_fields(model, fields))


ChainHead = tuple[str, int, str]  # the chain's key, the new event's sequence number, the hash it follows


@dataclass(frozen=True)
class RowUpdate:
    """An ``update_row(obj, fields, **where)`` to be written with a flow step (``complete_step``), the
    audit chain ``chain_key``'s head advanced with it (as ``advance_chain`` does) where heads are
    advanced; elsewhere ``head`` is handed back as the step's (the caller's event must be of
    that chain: ``audit.build`` refuses another)."""

    obj: models.Model
    fields: tuple[str, ...]
    where: dict[str, Any]
    chain_key: str
    # Where the head is read, not advanced (``_advances_head``): as read with the row, if it was.
    head: ChainHead | None = None


def execute(text: str, params: Sequence[Any]) -> int:
    with _statement_cursor(db(), True) as cursor:
        cursor.execute(text, list(params))
        return int(cursor.rowcount)


# --- The flow's step and the audit chain's head -------------------------------------------------


def _close_task(
    task_id: int, *, user_id: int, now: datetime.datetime, owner_was: int | None, take_over: bool
) -> tuple[str, list[Any]]:
    """The UPDATE that marks the open task done by ``user_id`` (assigned, started and finished
    as viewflow would), only while it is still open and, unless ``take_over``, nobody's or the
    user's own; with ``take_over`` only while its owner is still ``owner_was``."""
    at = db().ops.adapt_datetimefield_value(now)
    if take_over:
        owner_params: list[Any] = [owner_was] if owner_was else []
    else:
        owner_params = [user_id]
    text = _close_task_sql(db().vendor, take_over, bool(owner_was))
    return text, [STATUS.DONE, user_id, at, at, at, task_id, *_ACTIVE, *owner_params]


@functools.cache
def _close_task_sql(vendor: str, take_over: bool, owned: bool) -> str:
    if take_over:
        owner = f"{q('owner_id')} = %s" if owned else f"{q('owner_id')} IS NULL"
        assigned = "%s"
    else:
        owner = f"({q('owner_id')} IS NULL OR {q('owner_id')} = %s)"
        assigned = f"COALESCE({q('assigned')}, %s)"
    return (
        f"UPDATE {table(Task)} SET {q('status')} = %s, {q('owner_id')} = %s, {q('assigned')} = {assigned}, "
        f"{q('started')} = %s, {q('finished')} = %s "
        f"WHERE {q('id')} = %s AND {q('status')} IN (%s, %s, %s) AND {owner}"
    )


@dataclass(frozen=True)
class StepWritten:
    """What ``complete_step`` wrote and read."""

    done: bool  # the row update matched and the task was closed: False, the caller rolls back
    # The chain's head: advanced with the row update (PostgreSQL), or as read with the row.
    head: ChainHead | None
    found: list[list[Any]]  # the rows of each of the ``reads``


def complete_step(
    task_id: int,
    *,
    user_id: int,
    now: datetime.datetime,
    owner_was: int | None,
    take_over: bool,
    routed: Task,
    following: Task,
    update: RowUpdate,
    reads: Sequence[Read] = (),
    inserts: Sequence[Sequence[models.Model]] = (),
) -> StepWritten:
    """Write ``update`` (the project's row), close the open task (see ``_close_task``), INSERT
    ``routed`` (the switch after it) and ``following`` (the node it leads to) and link them
    through ``previous`` as viewflow does: routed follows the closed task, following follows
    routed; INSERT each batch of ``inserts`` (rows of one model each, the service's own record
    of the step: their keys are set); and send ``reads`` with them (their rows, in order, in
    ``found``). Not ``done``, and nothing of it kept once the caller rolls back: the row or the
    task changed meanwhile.

    On PostgreSQL one statement: the writes are data-modifying ``WITH`` parts (the chain's head
    advanced with the row, ``following`` read from ``routed`` so that it gets the later key,
    as it would one statement later; each batch's keys come back as an array) and each read is
    a JSON column of the result. The reads see the statement's snapshot: not its own writes,
    but what committed before it (as a read sent after it would, save for the writes).
    Elsewhere one statement each (the batches first), and the chain's head is left to
    ``audit.record``.
    """
    close, close_params = _close_task(
        task_id, user_id=user_id, now=now, owner_was=owner_was, take_over=take_over
    )
    conn = db()
    fields = _writable(Task)
    batches = [list(batch) for batch in inserts if batch]
    if conn.vendor != "postgresql":
        for batch in batches:
            insert(batch)
        if update_row(update.obj, update.fields, **update.where) != 1:
            return StepWritten(False, None, [])
        if execute(close, close_params) != 1:
            return StepWritten(False, None, [])
        insert([routed, following])
        link = Task.previous.through
        insert(
            [
                new(link, from_task_id=routed.pk, to_task_id=task_id),
                new(link, from_task_id=following.pk, to_task_id=routed.pk),
            ]
        )
        return StepWritten(True, update.head, [list(read.rows()) for read in reads])
    params = [update.chain_key, *_update_params(update.obj, update.fields, conn, update.where)]
    updating = (type(update.obj), update.fields, tuple(update.where))
    params += [
        *close_params,
        *_insert_values(routed, fields, conn),
        *_insert_values(following, fields, conn),
        task_id,
    ]
    for batch in batches:
        batch_fields = _writable(type(batch[0]))
        for obj in batch:
            params += _insert_values(obj, batch_fields, conn)
    for read in reads:
        params += read.params
    shapes = tuple((type(batch[0]), len(batch)) for batch in batches)
    text = _complete_step_sql(close, updating, tuple(read.as_json() for read in reads), shapes)
    closed, routed_pk, following_pk, updated, seq, last_hash, *rest = rows(text, params, prepared=True)[0]
    _inserted(routed, routed_pk, conn)
    _inserted(following, following_pk, conn)
    for batch, keys in zip(batches, rest[: len(batches)], strict=True):
        if len(keys) != len(batch):
            raise RuntimeError(f"{len(batch)} rows written with the step, {len(keys)} keys returned")
        for obj, pk in zip(batch, keys, strict=True):
            _inserted(obj, pk, conn)
    found = rest[len(batches) :]
    if int(closed) != 1 or int(updated) != 1:
        return StepWritten(False, None, [])
    head = (update.chain_key, int(seq), str(last_hash))
    return StepWritten(True, head, [_json_rows(value) for value in found])


def _json_rows(value: Any) -> list[Any]:
    """A JSON array of arrays as ``Read.as_json`` gives it (psycopg may hand it over as text)."""
    if isinstance(value, str | bytes):
        value = json.loads(value)
    return list(value or [])


@functools.cache
def _complete_step_sql(
    close: str,
    updating: tuple[type[models.Model], tuple[str, ...], tuple[str, ...]],
    reads: tuple[str, ...],
    shapes: tuple[tuple[type[models.Model], int], ...] = (),
) -> str:
    fields = _writable(Task)
    columns = ", ".join(q(f.column) for f in fields)
    values = ", ".join(["%s"] * len(fields))
    link = Task.previous.through
    model, written, where = updating
    row = (
        f"head AS ({_advance_sql()}), "
        f"changed AS ({_update_sql(model, written, where, 'postgresql')} RETURNING 1), "
    )
    updated = "(SELECT COUNT(*) FROM changed)"
    head = f"(SELECT {q('last_seq')} FROM head), (SELECT {q('last_hash')} FROM head)"
    read = "".join(f", {expression}" for expression in reads)
    batches = "".join(
        f", written_{i} AS ({_insert_sql(model, count, 'postgresql')})"
        for i, (model, count) in enumerate(shapes)
    )
    keys = "".join(
        f", ARRAY(SELECT {pk} FROM written_{i} ORDER BY {pk})"
        for i, pk in enumerate(q(str(model._meta.pk.column)) for model, _ in shapes)
    )
    return (
        f"WITH {row}closed AS ({close} RETURNING {q('id')}), "
        f"routed AS (INSERT INTO {table(Task)} ({columns}) VALUES ({values}) RETURNING {q('id')}), "
        f"following AS (INSERT INTO {table(Task)} ({columns}) SELECT {values} FROM routed RETURNING {q('id')}), "
        f"links AS (INSERT INTO {q(link._meta.db_table)} ({q('from_task_id')}, {q('to_task_id')}) "
        f"SELECT routed.{q('id')}, %s FROM routed "
        f"UNION ALL SELECT following.{q('id')}, routed.{q('id')} FROM following, routed)"
        f"{batches} "
        f"SELECT (SELECT COUNT(*) FROM closed), routed.{q('id')}, following.{q('id')}, {updated}, {head}{keys}{read} "
        "FROM routed, following"
    )


def finish_process(process_id: int, *, now: datetime.datetime) -> None:
    """The flow reached its end: the process is done (viewflow's ``End`` node)."""
    from viewflow.workflow.models import Process
    from viewflow.workflow.status import PROCESS

    at = db().ops.adapt_datetimefield_value(now)
    execute(
        f"UPDATE {table(Process)} SET {q('status')} = %s, {q('finished')} = %s WHERE {q('id')} = %s",
        [PROCESS.DONE, at, process_id],
    )


def _advances_head(vendor: str) -> bool:
    """Whether a change advances its chain's head when it takes the event's number (PostgreSQL:
    the row stays locked until the change commits). Elsewhere (SQLite, whose writer holds the
    whole database from the transaction's first statement) the head is read, with the
    project's row when there is one, and written once, with the event (``append_event``)."""
    return vendor == "postgresql"


def _head_columns(vendor: str, key: str) -> str:
    """The chain ``key``'s head (its last number and hash) as columns of a read, where the head
    is read and not advanced; nothing elsewhere."""
    if _advances_head(vendor):
        return ""
    head = table(AuditChain)
    found = f"FROM {head} c WHERE c.{q('key')} = {key}"
    return f", (SELECT c.{q('last_seq')} {found}), (SELECT c.{q('last_hash')} {found})"


def _next_after(last_seq: int | None, last_hash: str | None) -> tuple[int, str]:
    """The next event's number and the hash it follows, from the head as read (``None``: no
    head yet, the chain's first event)."""
    return int(last_seq or 0) + 1, str(last_hash or "")


@functools.cache
def _read_head_sql(vendor: str) -> str:
    return f"SELECT {q('last_seq')}, {q('last_hash')} FROM {table(AuditChain)} WHERE {q('key')} = %s"


@functools.cache
def _write_head_sql(vendor: str) -> str:
    """The head's one write where it is read first: created, or moved on from the number before
    the event's (no row changes if another event took that number: the caller fails)."""
    head = table(AuditChain)
    return (
        f"INSERT INTO {head} ({q('key')}, {q('last_seq')}, {q('last_hash')}) VALUES (%s, %s, %s) "
        f"ON CONFLICT ({q('key')}) DO UPDATE SET {q('last_seq')} = excluded.{q('last_seq')}, "
        f"{q('last_hash')} = excluded.{q('last_hash')} WHERE {head}.{q('last_seq')} = excluded.{q('last_seq')} - 1"
    )


@functools.cache
def _advance_sql() -> str:
    head = table(AuditChain)
    return (
        f"INSERT INTO {head} ({q('key')}, {q('last_seq')}, {q('last_hash')}) VALUES (%s, 1, '') "
        f"ON CONFLICT ({q('key')}) DO UPDATE SET {q('last_seq')} = {head}.{q('last_seq')} + 1 "
        f"RETURNING {q('last_seq')}, {q('last_hash')}"
    )


def advance_chain(chain_key: str) -> tuple[int, str]:
    """Create or lock the chain's head and take the next sequence number, in one statement.

    Returns the new event's ``chain_seq`` and the hash it follows (``""`` for the first event).
    On PostgreSQL the row stays locked until the change commits, so two changes of one chain
    are numbered one after the other. On SQLite this only reads the head (``_advances_head``):
    the writer already holds the database, and ``append_event`` writes the head.
    """
    vendor = db().vendor
    if not _advances_head(vendor):
        found = rows(_read_head_sql(vendor), [chain_key])
        return _next_after(*(found[0] if found else (None, None)))
    found = rows(_advance_sql(), [chain_key], prepared=True)
    seq, last_hash = found[0]
    return int(seq), str(last_hash)


# At most this many referring rows go in the event's statement (a notice to many people is
# written after it, in statements of ``insert``'s size).
WITH_EVENT_MAX = 50


def append_event(event: models.Model, chain_key: str, referring: Sequence[models.Model] = ()) -> None:
    """INSERT the audit event and make its hash the chain's head, then INSERT ``referring``
    (rows with a foreign key to the event). On PostgreSQL one statement: the head's UPDATE and
    the event's INSERT are data-modifying ``WITH`` parts, and up to ``WITH_EVENT_MAX`` rows of
    one model take the event's key from the latter. Elsewhere one statement each."""
    conn = db()
    head = table(AuditChain)
    set_head = f"UPDATE {head} SET {q('last_hash')} = %s WHERE {q('key')} = %s"
    model = type(event)
    together = (
        conn.vendor == "postgresql"
        and 0 < len(referring) <= WITH_EVENT_MAX
        and len({type(row) for row in referring}) == 1
    )
    if not _advances_head(conn.vendor):
        # The head first: a number another event took since the head was read is refused here.
        seq = event.chain_seq  # type: ignore[attr-defined]
        if execute(_write_head_sql(conn.vendor), [chain_key, seq, event.hash]) != 1:  # type: ignore[attr-defined]
            raise RuntimeError(f"the head of chain {chain_key} moved on before event {seq} was written")
        insert([event])
    elif not together:
        fields = _writable(model)
        params = [event.hash, chain_key, *_insert_values(event, fields, conn)]  # type: ignore[attr-defined]
        found = rows(f"WITH head AS ({set_head}) {_insert_sql(model, 1, conn.vendor)}", params, prepared=True)
        _inserted(event, found[0][0], conn)
    if not together:
        by_model: dict[type[models.Model], list[models.Model]] = {}
        for row in referring:
            setattr(row, _reference_to(type(row), model).attname, event.pk)
            by_model.setdefault(type(row), []).append(row)
        for batch in by_model.values():
            insert(batch)
        return
    row_model = type(referring[0])
    link = _reference_to(row_model, model)
    row_fields = _writable(row_model)
    params = [event.hash, chain_key, *_insert_values(event, _writable(model), conn)]  # type: ignore[attr-defined]
    for row in referring:
        values = _insert_values(row, row_fields, conn)
        params += [value for value, f in zip(values, row_fields, strict=True) if f is not link]
    found = rows(_append_referring_sql(model, row_model, len(referring)), params, prepared=True)
    _inserted(event, found[0][1], conn)
    for row, (pk, event_pk) in zip(referring, found, strict=True):
        setattr(row, link.attname, event_pk)
        _inserted(row, pk, conn)


def _reference_to(model: type[models.Model], target: type[models.Model]) -> models.Field[Any, Any]:
    """``model``'s one foreign key to ``target``."""
    found = [f for f in _writable(model) if f.is_relation and f.related_model is target]
    if len(found) != 1:
        raise ValueError(f"{model.__name__} has {len(found)} foreign keys to {target.__name__}")
    return found[0]


@functools.cache
def _append_referring_sql(model: type[models.Model], row_model: type[models.Model], count: int) -> str:
    head = table(AuditChain)
    link = _reference_to(row_model, model)
    pk = q(str(model._meta.pk.column))
    values = ", ".join(f"(SELECT {pk} FROM event)" if f is link else "%s" for f in _writable(row_model))
    return (
        f"WITH head AS (UPDATE {head} SET {q('last_hash')} = %s WHERE {q('key')} = %s), "
        f"event AS ({_insert_sql(model, 1, 'postgresql')}) "
        f"INSERT INTO {table(row_model)} ({', '.join(q(f.column) for f in _writable(row_model))}) "
        f"VALUES {', '.join([f'({values})'] * count)} "
        f"RETURNING {q(str(row_model._meta.pk.column))}, (SELECT {pk} FROM event)"
    )


def insert_referring(event: models.Model | None, objs: Sequence[models.Model]) -> None:
    """``insert(objs)``, rows referring to ``event``: now, or with the event itself when it is
    still to be written (``with_event``)."""
    pending = event.__dict__.get("_written_with") if event is not None else None
    if pending is None:
        insert(objs)
    else:
        pending.extend(objs)


@contextlib.contextmanager
def with_event(event: models.Model) -> Iterator[list[models.Model]]:
    """Within, ``insert_referring(event, ...)`` keeps the rows (the event not written yet) for
    ``append_event(event, ..., referring=...)``."""
    pending: list[models.Model] = []
    event.__dict__["_written_with"] = pending
    try:
        yield pending
    finally:
        del event.__dict__["_written_with"]


# --- API tokens ---------------------------------------------------------------------------------


@functools.cache
def _token_user_sql(vendor: str) -> tuple[str, Columns]:
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    users = Columns.of(get_user_model(), "u")
    text = (
        f"SELECT {users.select()} FROM {table(Token)} t "
        f"JOIN {table(users.model)} u ON u.{q(str(users.model._meta.pk.column))} = t.{column(Token, 'user')} "
        f"WHERE t.{column(Token, 'key')} = %s"
    )
    return text, users


def token_user(key: str) -> Any:
    """The user holding the API token ``key`` (``None`` if no one does): one fixed statement."""
    text, users = _token_user_sql(db().vendor)
    found = rows(text, [key], prepared=True)
    return users.load(found[0], 0) if found else None

"""Appending audit events and verifying their per-district hash chains.

Every event is chained to the previous event of the same chain (a district's code, or
``TH`` for events that belong to no district) by a SHA-256 over canonical JSON. Appending
locks only the chain's head row, so districts never wait for each other.
"""

from __future__ import annotations

import datetime
import hashlib
import itertools
import json
import operator
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from json.encoder import c_make_encoder, encode_basestring  # type: ignore[attr-defined]
from json.scanner import c_make_scanner  # type: ignore[attr-defined]
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from . import sql
from .models import AuditChain, AuditEvent, District, Project

NATIONAL_CHAIN = "TH"
GENESIS = "0" * 64

# The fields covered by the hash, in this order. Changing this list breaks every chain.
HASHED_FIELDS = (
    "chain",
    "chain_seq",
    "created_at",
    "actor_id",
    "actor_username",
    "acting_for_id",
    "acting_for_username",
    "role",
    "area_code",
    "action",
    "object_type",
    "object_id",
    "district_id",
    "province_id",
    "project_id",
    "from_state",
    "to_state",
    "comment",
    "is_late",
    "rule_results",
    "budget",
    "payload",
    "prev_hash",
)


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def canonical(event: AuditEvent) -> bytes:
    data = {name: _jsonable(getattr(event, name)) for name in HASHED_FIELDS}
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def compute_hash(event: AuditEvent) -> str:
    return hashlib.sha256(canonical(event)).hexdigest()


@dataclass(frozen=True)
class Actor:
    """Who did it, for whom, under which role and area."""

    user: Any
    role: str = ""
    area_code: str = ""
    acting_for: Any = None


def record(
    *,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: Any = "",
    district: District | None = None,
    project: Project | None = None,
    from_state: str = "",
    to_state: str = "",
    comment: str = "",
    is_late: bool = False,
    rule_results: list[dict[str, Any]] | None = None,
    budget: dict[str, Any] | None = None,
    payload: dict[str, Any] | None = None,
    chain_head: sql.ChainHead | None = None,
) -> AuditEvent:
    """Append one event. Must run inside the transaction of the change it records.

    ``chain_head``: the chain's head as the change's own statement already advanced it
    (``sql.update_advancing_chain``); without it the head is advanced here.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit.record must run inside the change's transaction")
    if project is not None and district is None:
        district = project.district
    chain_key = district.code if district is not None else NATIONAL_CHAIN
    if chain_head is None:
        chain_seq, prev_hash = sql.advance_chain(chain_key)
    else:
        advanced_key, chain_seq, prev_hash = chain_head
        if advanced_key != chain_key:
            raise RuntimeError(
                f"the head of chain {advanced_key} was advanced for an event of chain {chain_key}"
            )
    user = actor.user
    acting_for = actor.acting_for
    event = AuditEvent(
        chain=chain_key,
        chain_seq=chain_seq,
        created_at=timezone.now(),
        actor=user if getattr(user, "pk", None) else None,
        actor_username=getattr(user, "username", "") or "",
        acting_for=acting_for,
        acting_for_username=getattr(acting_for, "username", "") if acting_for else "",
        role=actor.role,
        area_code=actor.area_code,
        action=action,
        object_type=object_type,
        object_id=str(object_id) if object_id is not None else "",
        district=district,
        province_id=district.province_id if district is not None else None,
        project=project,
        from_state=from_state,
        to_state=to_state,
        comment=comment,
        is_late=is_late,
        rule_results=_jsonable(rule_results or []),
        budget=_jsonable(budget or {}),
        payload=_jsonable(payload or {}),
        prev_hash=prev_hash or GENESIS,
    )
    event.hash = compute_hash(event)
    sql.append_event(event, chain_key)
    return event


@dataclass(frozen=True)
class Break:
    event_id: int | None
    chain: str
    chain_seq: int
    reason: str


# What the verification reads of each event: its key and hash, then the hashed fields in order.
_ROW_FIELDS = ("id", "hash", *HASHED_FIELDS)
_CHAIN, _SEQ, _PREV = 2, 2 + HASHED_FIELDS.index("chain_seq"), 2 + HASHED_FIELDS.index("prev_hash")
_CHUNK = 5000
_JSON_FIELDS = frozenset({"rule_results", "budget", "payload"})
# ``canonical``'s json.dumps, built once. Its keys are sorted: the text is this template with
# each value's JSON in its place.
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)
_SORTED = tuple(sorted(HASHED_FIELDS))
_TEMPLATE = "{" + ",".join(f"{_ENCODER.encode(name)}:%s" for name in _SORTED) + "}"
_IN_TEMPLATE_ORDER = operator.itemgetter(*(2 + HASHED_FIELDS.index(name) for name in _SORTED))


def _generic(value: Any) -> str:
    return _ENCODER.encode(_jsonable(value))


_NO_OFFSET = datetime.timedelta(0)


def _datetime_text(value: Any) -> str:
    """``_jsonable`` of a datetime, as JSON, by ``isoformat`` (the same text for four-digit years:
    "YYYY-MM-DDTHH:MM:SS.ffffff" then the offset, which is "+00:00" in UTC)."""
    if isinstance(value, datetime.datetime):
        utc = value if value.utcoffset() == _NO_OFFSET else value.astimezone(datetime.UTC)
        if utc.year >= 1000:
            return '"' + utc.isoformat(timespec="microseconds")[:26] + 'Z"'
    return _generic(value)


_LITERAL = {None: "null", True: "true", False: "false"}.__getitem__
# The JSON of a value of each type, as the encoder writes it inside ``canonical`` (C functions
# but for datetimes); any other type goes through ``_jsonable`` and the encoder itself.
_BY_TYPE: dict[type, Callable[[Any], str]] = {
    str: encode_basestring,
    int: int.__repr__,
    bool: _LITERAL,
    type(None): _LITERAL,
    datetime.datetime: _datetime_text,
}


def _fragment(value: Any) -> str:
    return _BY_TYPE.get(type(value), _generic)(value)


_DUMP = c_make_encoder(None, _ENCODER.default, encode_basestring, None, ":", ",", True, False, True)
_SCAN = c_make_scanner(json.JSONDecoder())


def _json_dump(value: Any) -> str:
    """``_ENCODER.encode(value)`` of a parsed JSON value (acyclic: no circular check to make)."""
    return "".join(_DUMP(value, 0))


class _JsonTexts(dict[Any, str]):
    """The canonical JSON of a JSON column's stored text, parsed as the field parses it
    (``from_db_value``). ``_jsonable`` leaves parsed JSON as it is (str keys, lists), so it is
    dumped directly. Texts repeat (rule results, empty payloads): each is parsed once."""

    def __init__(self, convert: Callable[[Any], Any]) -> None:
        super().__init__()
        self.convert = convert

    def __missing__(self, stored: Any) -> str:
        if len(self) >= 100_000:
            self.clear()
        value: Any
        try:
            # json.loads without its wrappers, for a text that is one JSON value and nothing else.
            value, end = _SCAN(stored, 0)
            if end != len(stored):
                raise ValueError(stored)
        except (StopIteration, ValueError, TypeError):
            value = self.convert(stored)  # the field's own parsing (None, errors, whitespace)
            text = _generic(value)
        else:
            text = _json_dump(value)
        self[stored] = text
        return text


def _converting(
    converters: list[Callable[..., Any]], expression: Any, connection: Any
) -> Callable[[Any], str]:
    def fragment(value: Any) -> str:
        for convert in converters:
            value = convert(value, expression, connection)
        return _fragment(value)

    return fragment


class _Hasher:
    """``compute_hash`` of an event from the row the database returns for ``_ROW_FIELDS``.

    The values are converted as the ORM converts them for an instance (the compiler's own
    converters, column by column), then written as ``canonical`` writes them: the same bytes,
    without a model instance, a dict or a parse of the same JSON text twice.
    """

    def __init__(self, compiler: Any) -> None:
        connection = compiler.connection
        self.column: list[Callable[[type], Callable[[Any], str]]] = []
        converters = compiler.get_converters([col for col, _, _ in compiler.select[: len(_ROW_FIELDS)]])
        for name in _SORTED:
            position = 2 + HASHED_FIELDS.index(name)
            convs, expression = converters.get(position, ([], None))
            self.column.append(self._chooser(name, convs, expression, connection))
        self.plans: dict[tuple[type, ...], tuple[Callable[[Any], str], ...]] = {}

    @staticmethod
    def _chooser(
        name: str, convs: list[Callable[..., Any]], expression: Any, connection: Any
    ) -> Callable[[type], Callable[[Any], str]]:
        if not convs:
            return lambda kind: _BY_TYPE.get(kind, _generic)
        converting = _converting(convs, expression, connection)
        field: Any = AuditEvent._meta.get_field(name)
        if name in _JSON_FIELDS and convs == [field.from_db_value] and field.decoder is None:
            texts = _JsonTexts(lambda stored: field.from_db_value(stored, expression, connection))
            return lambda kind: texts.__getitem__ if kind in (str, type(None)) else converting
        if (
            convs == [getattr(connection.ops, "convert_datetimefield_value", None)]
            and connection.vendor == "sqlite"
            and settings.USE_TZ
            and connection.timezone is datetime.UTC
        ):
            # SQLite's driver gives a naive datetime; the converter makes it aware in UTC
            # (``make_aware``, a ``replace``), which ``_jsonable`` writes with the same digits.
            def naive_utc(value: Any) -> str:
                if type(value) is datetime.datetime and value.tzinfo is None and value.year >= 1000:
                    return '"' + value.isoformat(timespec="microseconds") + 'Z"'
                return converting(value)

            return lambda kind: naive_utc
        if convs == [connection.ops.convert_booleanfield_value]:
            # bool(value) if value in (1, 0) else value: nothing to do for a boolean or None.
            return lambda kind: _LITERAL if kind in (bool, type(None)) else converting
        return lambda kind: converting

    def __call__(self, row: Sequence[Any]) -> str:
        values = _IN_TEMPLATE_ORDER(row)
        kinds = tuple(map(type, values))
        plan = self.plans.get(kinds)
        if plan is None:
            plan = self.plans[kinds] = tuple(
                choose(kind) for choose, kind in zip(self.column, kinds, strict=True)
            )
        text = _TEMPLATE % tuple(map(operator.call, plan, values))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _event_rows(events: QuerySet[AuditEvent]) -> tuple[Iterator[tuple[Any, ...]], _Hasher]:
    """Stream ``_ROW_FIELDS`` of the events (as the database returns them, in the queryset's
    order, a chunk at a time) and the hasher of such rows."""
    query = events.values_list(*_ROW_FIELDS)
    compiler = query.query.get_compiler(using=query.db)
    sql, params = compiler.as_sql()
    hasher = _Hasher(compiler)
    # id, hash, chain, chain_seq and prev_hash are compared as they are: no backend converts them.
    converted = {pos for pos in compiler.get_converters([c for c, _, _ in compiler.select])}
    if converted & {0, 1, _CHAIN, _SEQ, _PREV}:
        raise NotImplementedError("audit verification expects unconverted keys and hashes")

    def rows() -> Iterator[tuple[Any, ...]]:
        with compiler.connection.chunked_cursor() as cursor:
            cursor.execute(sql, params)
            while chunk := cursor.fetchmany(_CHUNK):
                yield from chunk

    return rows(), hasher


def hash_rows(events: QuerySet[AuditEvent]) -> Iterator[tuple[int, str, str]]:
    """(id, stored hash, recomputed hash) of each event, by the path ``verify`` takes."""
    rows, hasher = _event_rows(events)
    for row in rows:
        yield row[0], row[1], hasher(row)


def verify(*, district_code: str | None = None) -> list[Break]:
    """Recompute every chain (or one district's); return the first break of each chain.

    Two queries whatever the number of chains: the heads, then every event ordered by chain and
    sequence, streamed and hashed from the row's values (``_Hasher``), without model instances.
    """
    heads = AuditChain.objects.order_by("key")
    events = AuditEvent.objects.all()
    if district_code:
        heads = heads.filter(key=district_code)
        events = events.filter(chain=district_code)
    head_rows = list(heads.values_list("key", "last_seq", "last_hash"))
    known = {key: (last_seq, last_hash) for key, last_seq, last_hash in head_rows}
    found: dict[str, Break | None] = {}
    first_orphan: tuple[Any, ...] | None = None
    rows, hasher = _event_rows(events.order_by("chain", "chain_seq"))
    for key, group in itertools.groupby(rows, key=operator.itemgetter(_CHAIN)):
        head = known.get(key)
        if head is None:
            # Events whose chain head is missing altogether: the first of them by id.
            first = min(group, key=operator.itemgetter(0))
            if first_orphan is None or first[0] < first_orphan[0]:
                first_orphan = first
        else:
            found[key] = _check_rows(key, head[0], head[1], group, hasher)
    breaks: list[Break] = []
    for key, last_seq, last_hash in head_rows:
        brk = found[key] if key in found else _check_rows(key, last_seq, last_hash, (), hasher)
        if brk is not None:
            breaks.append(brk)
    if first_orphan is not None:
        breaks.append(Break(first_orphan[0], first_orphan[_CHAIN], first_orphan[_SEQ], "chain head missing"))
    return breaks


def _verify_chain(head: AuditChain) -> Break | None:
    rows, hasher = _event_rows(AuditEvent.objects.filter(chain=head.key).order_by("chain_seq"))
    return _check_rows(head.key, head.last_seq, head.last_hash, rows, hasher)


def _check_rows(
    key: str,
    head_seq: int,
    head_hash: str,
    rows: Iterable[Sequence[Any]],
    hasher: Callable[[Sequence[Any]], str],
) -> Break | None:
    """The first break of one chain, given its head and its events' ``_ROW_FIELDS`` by sequence."""
    expected_prev = GENESIS
    expected_seq = 1
    last: Sequence[Any] | None = None
    for row in rows:
        event_id, event_hash, seq = row[0], row[1], row[_SEQ]
        if seq != expected_seq:
            return Break(event_id, key, seq, f"sequence gap: expected {expected_seq}")
        if row[_PREV] != expected_prev:
            return Break(event_id, key, seq, "previous hash does not match")
        if hasher(row) != event_hash:
            return Break(event_id, key, seq, "content does not match its hash")
        expected_prev = event_hash
        expected_seq += 1
        last = row
    last_seq = last[_SEQ] if last is not None else 0
    if head_seq != last_seq or (last is not None and head_hash != last[1]):
        return Break(
            last[0] if last is not None else None,
            key,
            last_seq,
            f"chain ends at {last_seq} but its head records {head_seq}: events were removed",
        )
    return None

"""Appending audit events and verifying their per-district hash chains.

Every event is chained to the previous event of the same chain (a district's code, or
``TH`` for events that belong to no district) by an HMAC-SHA256 over canonical JSON, keyed
with a secret that lives outside the database (``AUDIT_HASH_KEYS``, or one derived from
``SECRET_KEY``): a database writer who edits an event and recomputes every later hash
cannot make them verify. Each event names the key it was hashed with (``hash_key``), so keys
rotate without rewriting anything. Appending locks only the chain's head row, so districts
never wait for each other.
"""

from __future__ import annotations

import contextlib
import datetime
import functools
import gc
import hashlib
import hmac
import itertools
import json
import multiprocessing
import operator
import os
import re
import threading
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from json.encoder import c_make_encoder, encode_basestring  # type: ignore[attr-defined]
from json.scanner import c_make_scanner  # type: ignore[attr-defined]
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connections, router, transaction
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


# Types ``_jsonable`` leaves as they are (exactly these: a subclass takes the long way).
_PLAIN = frozenset({str, int, bool, float, type(None)})


def _jsonable(value: Any) -> Any:
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind is dict:
        return {k if type(k) is str else str(k): _jsonable(v) for k, v in value.items()}
    if kind is list:
        return [_jsonable(v) for v in value]
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


# --- The keys -------------------------------------------------------------------------------------

DERIVED_KEY_ID = "sk"  # the key derived from SECRET_KEY, used when AUDIT_HASH_KEYS is unset
UNKNOWN_KEY = "!unknown key"  # the "hash" of an event whose key this server does not hold
UNKEYED_REFUSED = "!unkeyed"  # the "hash" of an unkeyed event where the settings refuse those


@functools.lru_cache(maxsize=8)
def _parse_keys(configured: str, secret: str) -> tuple[str, dict[str, bytes]]:
    derived = hmac.new(secret.encode("utf-8"), b"rolemodel audit hash", hashlib.sha256).digest()
    keys = {DERIVED_KEY_ID: derived}
    current = DERIVED_KEY_ID
    if configured.strip():
        listed: dict[str, bytes] = {}
        for part in configured.split(","):
            ident, sep, value = part.strip().partition(":")
            if not sep or not ident or not value or len(ident) > 16:
                raise ImproperlyConfigured(
                    'AUDIT_HASH_KEYS: expected "id:secret" pairs separated by commas (ids of at most 16 characters)'
                )
            listed[ident] = value.encode("utf-8")
        current = next(iter(listed))
        keys.update(listed)
    return current, keys


def hash_keys() -> tuple[str, dict[str, bytes]]:
    """The id of the key new events are hashed with, and every key this server holds by id."""
    return _parse_keys(str(getattr(settings, "AUDIT_HASH_KEYS", "") or ""), str(settings.SECRET_KEY))


def _sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@functools.lru_cache(maxsize=16)
def _hmac_states(key: bytes) -> tuple[Any, Any]:
    """HMAC-SHA256's inner and outer hashes with the key's block already absorbed (RFC 2104):
    each message then costs two copies and two updates, not the key's setup again — about half
    of ``hmac.digest``'s time per event when the trail is verified."""
    block = (key if len(key) <= 64 else hashlib.sha256(key).digest()).ljust(64, b"\0")
    return hashlib.sha256(bytes(b ^ 0x36 for b in block)), hashlib.sha256(bytes(b ^ 0x5C for b in block))


def _hmac_hex_many(key: bytes, texts: Iterable[bytes]) -> list[str | None]:
    """``hmac.new(key, text, sha256).hexdigest()`` of each text."""
    inner, outer = _hmac_states(key)
    copy_inner, copy_outer = inner.copy, outer.copy
    out: list[str | None] = []
    append = out.append
    for text in texts:
        i = copy_inner()
        i.update(text)
        o = copy_outer()
        o.update(i.digest())
        append(o.hexdigest())
    return out


def _digester(key_id: str | None) -> Callable[[bytes], str] | str:
    """The function of a canonical text to the hash made with ``key_id`` (None: plain SHA-256), or
    the marker that stands for the hash when this server cannot or may not make it."""
    if key_id is None:
        return _sha256_hex if getattr(settings, "AUDIT_HASH_ALLOW_UNKEYED", False) else UNKEYED_REFUSED
    key = hash_keys()[1].get(key_id)
    if key is None:
        return UNKNOWN_KEY
    return lambda data: _hmac_hex_many(key, (data,))[0]  # type: ignore[return-value]


def compute_hash(event: AuditEvent) -> str:
    """The hash of the event under the key it names (a marker when that key is not at hand)."""
    digest = _digester(event.hash_key)
    return digest if isinstance(digest, str) else digest(canonical(event))


@dataclass(frozen=True)
class Actor:
    """Who did it, for whom, under which role and area."""

    user: Any
    role: str = ""
    area_code: str = ""
    acting_for: Any = None


def record(**fields: Any) -> AuditEvent:
    """Append one event (``build``'s arguments). Must run inside the transaction of the change it records."""
    event = build(**fields)
    append(event)
    return event


def append(event: AuditEvent, referring: Sequence[Any] = ()) -> None:
    """Write the event ``build`` made (its chain's head moves to its hash), and ``referring``:
    rows of one model with a foreign key to it (``sql.append_event``)."""
    sql.append_event(event, event.chain, referring)


def build(
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
    """The next event of its chain, hashed, not yet written (``append`` writes it). Must run
    inside the transaction of the change it records: the chain's head stays taken until then.

    ``chain_head``: the chain's head as the change's own statements already advanced it
    (``sql.complete_step``, with the project's row) or read it (SQLite, with the project's
    read: ``sql._advances_head``); without it the head is advanced (read) here.
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
    event: AuditEvent = sql.new(
        AuditEvent,
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
        hash_key=hash_keys()[0],
    )
    digest = _digester(event.hash_key)
    event.hash = digest if isinstance(digest, str) else digest(_built_canonical(event))
    return event


def _built_canonical(event: AuditEvent) -> bytes:
    """``canonical(event)`` of an event ``build`` made, whose JSON fields ``_jsonable`` has
    already written as JSON's own types: each field's JSON (as the fast verification path
    writes it) in ``canonical``'s template, without walking those values again."""
    parts = [
        _json_dump(value) if name in _JSON_FIELDS else _fragment(value)
        for name, value in zip(_SORTED, _SORTED_VALUES(event.__dict__), strict=True)
    ]
    return (_TEMPLATE % tuple(parts)).encode("utf-8")


@dataclass(frozen=True)
class Break:
    event_id: int | None
    chain: str
    chain_seq: int
    reason: str


@dataclass(frozen=True)
class Verification:
    """What ``check`` found: ``verify``'s breaks, and how many chain heads and events it read."""

    breaks: list[Break]
    chains: int
    events: int


# --- The reference path: the ORM's conversions, then ``canonical``'s writing -----------------------

# What the reference path reads of each event: its key and hash, then the hashed fields in order.
_ROW_FIELDS = ("id", "hash", *HASHED_FIELDS, "hash_key")
_CHAIN, _SEQ, _PREV = 2, 2 + HASHED_FIELDS.index("chain_seq"), 2 + HASHED_FIELDS.index("prev_hash")
_CHUNK = 5000
_JSON_FIELDS = frozenset({"rule_results", "budget", "payload"})
# ``canonical``'s json.dumps, built once. Its keys are sorted: the text is this template with
# each value's JSON in its place.
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)
_SORTED = tuple(sorted(HASHED_FIELDS))
_TEMPLATE = "{" + ",".join(f"{_ENCODER.encode(name)}:%s" for name in _SORTED) + "}"
_SORTED_VALUES = operator.itemgetter(*_SORTED)  # of an instance's ``__dict__``
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
        digest = _digester(row[-1])
        return digest if isinstance(digest, str) else digest(text.encode("utf-8"))


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


def _reference_hash_rows(events: QuerySet[AuditEvent]) -> Iterator[tuple[int, str, str]]:
    rows, hasher = _event_rows(events)
    for row in rows:
        yield row[0], row[1], hasher(row)


# --- The fast path: the stored values, written as ``canonical`` writes their conversions -----------
#
# ``_Raw`` reads each event's columns as the database stores them, with no driver or ORM
# conversion (on PostgreSQL as the UTF-8 bytes of ``COPY ... TO STDOUT``, with a few columns
# already written as their JSON by the SQL), and writes ``canonical``'s text from them, a chunk of
# rows at a time, mostly by C functions over columns. Each shortcut holds for the shapes it checks,
# and only those: a row of any other shape (a value the services never write: another type, a year
# before 1000, a time with an offset ...) is "odd", and its whole chain is verified again by the
# reference path above, so the result is the reference's whatever is stored.

_RAW_FIELDS = ("id", "hash", *_SORTED, "hash_key")  # the hashed fields in ``_TEMPLATE``'s order
_RAW = {name: position for position, name in enumerate(_RAW_FIELDS)}
_R_CHAIN, _R_SEQ, _R_PREV, _R_KEY = _RAW["chain"], _RAW["chain_seq"], _RAW["prev_hash"], _RAW["hash_key"]
_NULLABLE = frozenset({"acting_for_id", "actor_id", "district_id", "project_id", "province_id"})
# The characters ``encode_basestring`` escapes (json's ensure_ascii=False: '"', '\' and
# U+0000-U+001F): a str without any of them is written as '"' + str + '"'. In UTF-8 they are
# single bytes, and no byte of another character's encoding is below 0x80.
_ESCAPED = re.compile(r'["\\\x00-\x1f]')
_ESCAPED_BYTES = re.compile(rb'["\\\x00-\x1f]')
_SQLITE_TIME = re.compile(r"[1-9][0-9]{3}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{6})?")
_SQLITE_BOOL = {0: "false", 1: "true"}.get
_TIME_FORMS = {26: '"%sZ"', 19: '"%s.000000Z"'}
_COPY_ESCAPE = re.compile(rb"\\(.)", re.DOTALL)
_COPY_CONTROL = {b"b": b"\b", b"f": b"\f", b"n": b"\n", b"r": b"\r", b"t": b"\t", b"v": b"\v"}
_PG_TIME = (
    "CASE WHEN {col} >= '1000-01-01T00:00:00Z' AND {col} < '10000-01-01T00:00:00Z' "
    """THEN '"' || to_char({col} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') || '"' END"""
)
_HEXDIGEST = operator.methodcaller("hexdigest")
# Rows handled together: enough to spread each step's cost, few enough for their objects to stay
# in the CPU's caches (1,000 took 15 % less time than 5,000).
_RAW_CHUNK = 1000

# How each hashed field arrives and is written, by backend:
#   str   a str (bytes on PostgreSQL), written '"' + it + '"' when nothing in the chunk needs
#         escapes, else by encode_basestring
#   int   the driver's int, written by %s (int.__str__ is int.__repr__, the encoder's form)
#   text  already the field's JSON, written by the SQL: the digits of an integer or null, true or
#         false, created_at in UTC between quotes
#   json  a JSON column's stored text, written as its parsed value's canonical JSON
#   time  created_at as SQLite stores it (``_sqlite_time``)
#   bool  is_late as SQLite stores it, 0 or 1
_SQLITE_KINDS = {
    **dict.fromkeys(_SORTED, "str"),
    **dict.fromkeys(("acting_for_id", "actor_id", "chain_seq", "project_id"), "int"),
    **dict.fromkeys(_JSON_FIELDS, "json"),
    "created_at": "time",
    "is_late": "bool",
}
_POSTGRES_KINDS = {
    **dict.fromkeys(_SORTED, "str"),
    **dict.fromkeys(
        ("acting_for_id", "actor_id", "chain_seq", "created_at", "is_late", "project_id"), "text"
    ),
    **dict.fromkeys(_JSON_FIELDS, "json"),
}


def _sqlite_time(stored: Any) -> str | None:
    """``created_at`` as ``canonical`` writes it, from SQLite's text, or None (odd).

    The reference path parses the text with ``datetime.fromisoformat`` (``parse_datetime``) and
    makes the naive result aware in UTC; ``_jsonable`` writes it with ``%Y-%m-%dT%H:%M:%S.%fZ``.
    For a valid "YYYY-MM-DD HH:MM:SS[.ffffff]" with a four-digit year that is the same digits.
    """
    if type(stored) is not str or _SQLITE_TIME.fullmatch(stored) is None:
        return None
    try:
        datetime.datetime.fromisoformat(stored)
    except ValueError:
        return None
    return _TIME_FORMS[len(stored)] % stored.replace(" ", "T")


def _sqlite_times(column: list[Any]) -> list[str | None]:
    """``_sqlite_time`` of each value (all at once when every one has the usual shape)."""
    try:
        if None in map(_SQLITE_TIME.fullmatch, column):
            raise ValueError
        list(map(datetime.datetime.fromisoformat, column))
    except (ValueError, TypeError):
        return list(map(_sqlite_time, column))
    return list(
        map(str.__mod__, map(_TIME_FORMS.__getitem__, map(len, column)), map(str.replace, column, *_SPACE_T))
    )


_SPACE_T = (itertools.repeat(" "), itertools.repeat("T"))


def _sqlite_bools(column: list[Any]) -> list[str | None]:
    return list(map(_SQLITE_BOOL, column))  # the plan saw ints: not True, not 1.0


def _json_column(one: Callable[[Any], str], binary: bool) -> Callable[[list[Any]], list[Any]]:
    """The canonical JSON of each stored text of a column. ``one`` writes one text (by
    ``_JsonTexts``, the reference's parsing); the usual texts are parsed and written together."""
    repeats = True  # whether the column's texts repeat (rule results do, payloads do not)

    def convert(column: list[Any]) -> list[Any]:
        nonlocal repeats
        unique = list(dict.fromkeys(column)) if repeats else column
        repeats = len(unique) * 2 <= len(column)
        texts = list(map(bytes.decode, unique)) if binary else unique
        try:
            # A StopIteration (not JSON at the start) ends map early: the lengths then differ.
            parsed = list(map(_SCAN, texts, itertools.repeat(0)))
        except (ValueError, TypeError):
            parsed = []
        written: list[Any]
        if len(parsed) == len(texts) and list(map(operator.itemgetter(1), parsed)) == list(map(len, texts)):
            written = list(map("".join, map(_DUMP, map(operator.itemgetter(0), parsed), itertools.repeat(0))))
        else:
            written = list(map(one, texts))  # one of them is not one JSON value and nothing else
        if binary:
            written = list(map(str.encode, written))
        return (
            written
            if unique is column
            else list(map(dict(zip(unique, written, strict=True)).__getitem__, column))
        )

    return convert


def _where(values: list[Any], test: Callable[[Any, Any], bool], other: Any = None) -> list[int]:
    """The indexes of the values for which ``test(value, other)`` holds."""
    return list(itertools.compress(itertools.count(), map(test, values, itertools.repeat(other))))


class _Plan:
    """How to write the rows whose checked values have one tuple of types."""

    __slots__ = ("binary", "convert", "escaped", "order", "plain", "string_args", "strings")

    def __init__(
        self,
        arg_positions: tuple[int, ...],
        convert: dict[int, Callable[[list[Any]], list[Any]]],
        string_positions: tuple[int, ...],
        plain: str,
        escaped: str,
        binary: bool,
    ) -> None:
        self.convert = convert  # position: the converter of a column of such values
        # The values written by %s, in template order, from the row followed by its converted values.
        after = {position: len(_RAW_FIELDS) + index for index, position in enumerate(convert)}
        self.order = operator.itemgetter(*(after.get(position, position) for position in arg_positions))
        self.strings = operator.itemgetter(*string_positions)  # at least two: a tuple
        self.string_args = tuple(arg_positions.index(position) for position in string_positions)
        self.binary = binary
        self.plain: str | bytes = plain.encode() if binary else plain  # str values as '"%s"'
        self.escaped: str | bytes = escaped.encode() if binary else escaped  # given encode_basestring's

    def texts(self, rows: list[Sequence[Any]]) -> list[Any]:
        """``canonical``'s text of each row (UTF-8 bytes on PostgreSQL), or None for an odd row.
        Raises for a value of the wrong type in a str field (join refuses it)."""
        strings = list(map(self.strings, rows))
        empty, escapes = (b"", _ESCAPED_BYTES) if self.binary else ("", _ESCAPED)
        needs_escapes = escapes.search(empty.join(itertools.chain.from_iterable(strings)))  # type: ignore[arg-type]
        converted = []
        odd: list[int] = []
        for position, convert in self.convert.items():
            column = convert(list(map(operator.itemgetter(position), rows)))
            if None in column:
                odd.extend(_where(column, operator.is_))
            converted.append(column)
        # Each row with its converted values after its own, then the values in template order.
        extra = map(list, zip(*converted, strict=True)) if self.binary else zip(*converted, strict=True)
        args = list(map(self.order, map(operator.add, rows, extra)))
        texts: list[Any] = list(map(self.plain.__mod__, args))
        if needs_escapes:
            for index in _where(list(map(escapes.search, map(empty.join, strings))), operator.is_not):  # type: ignore[arg-type]
                values = list(args[index])
                for arg in self.string_args:
                    if self.binary:
                        values[arg] = encode_basestring(values[arg].decode()).encode()
                    else:
                        values[arg] = encode_basestring(values[arg])
                texts[index] = self.escaped % tuple(values)
        for index in odd:
            texts[index] = None
        return texts


def _texts(plan: _Plan, rows: list[Sequence[Any]]) -> list[Any]:
    """``plan.texts``; a row whose values make it raise (a value of another type, a JSON text
    nested too deep ...) is odd: the reference path meets the same, if and where it reads that row."""
    try:
        return plan.texts(rows)
    except Exception:
        if len(rows) == 1:
            return [None]
        return [text for row in rows for text in _texts(plan, [row])]


def _batch_digester(key_id: str | None) -> Callable[[list[bytes]], list[str | None]] | str:
    """``_digester`` for many texts at once (C functions mapped over them)."""
    digest = _digester(key_id)
    if isinstance(digest, str):
        return digest
    if digest is _sha256_hex:
        return lambda data: list(map(_HEXDIGEST, map(hashlib.sha256, data)))
    return partial(_hmac_hex_many, hash_keys()[1][key_id or ""])


def _hash_texts(texts: list[Any], key_ids: list[Any]) -> list[str | None]:
    """The hash (hex) of each text's UTF-8 under its event's key (``key_ids``, as read: str,
    UTF-8 bytes or None); None for a None text or a text UTF-8 cannot encode."""
    distinct = set(key_ids)
    if len(distinct) == 1 and None not in texts:
        (key_id,) = distinct
        batch = _batch_digester(key_id.decode() if type(key_id) is bytes else key_id)
        if isinstance(batch, str):
            return [batch] * len(texts)
        try:
            return batch(texts if type(texts[0]) is bytes else list(map(str.encode, texts)))
        except (UnicodeEncodeError, TypeError, AttributeError):
            pass
    hashes: list[str | None] = []
    for text, key_id in zip(texts, key_ids, strict=True):
        try:
            data = text.encode() if type(text) is str else text
            if data is None:
                hashes.append(None)
                continue
            digest = _digester(key_id.decode() if type(key_id) is bytes else key_id)
            hashes.append(digest if isinstance(digest, str) else digest(data))
        except (UnicodeEncodeError, TypeError):
            hashes.append(None)  # odd: the reference path meets the same error, where it does
    return hashes


class _Raw:
    """``compute_hash`` of events read as stored (``_RAW_FIELDS``); see the notes above."""

    def __init__(self, connection: Any, columns: list[str], json: dict[str, Any]) -> None:
        self.connection = connection
        self.columns = columns
        self.binary = connection.vendor == "postgresql"
        self.kinds = _POSTGRES_KINDS if self.binary else _SQLITE_KINDS
        self.convert: dict[str, Callable[[list[Any]], list[Any]]] = {
            "time": _sqlite_times,
            "bool": _sqlite_bools,
        }
        for name, convert in json.items():
            self.convert[name] = _json_column(_JsonTexts(convert).__getitem__, self.binary)
        # The values whose type chooses the plan: null or not, and those a str would be wrong for
        # (the str fields' types are checked by ``_Plan.texts``; ``_JsonTexts`` takes any type).
        self.typed = tuple(
            position
            for name, position in _RAW.items()
            if name in _NULLABLE or self.kinds.get(name) in ("int", "text", "time", "bool")
        )
        self.types = operator.itemgetter(*self.typed)
        self.plans: dict[tuple[type, ...], _Plan | None] = {}
        self.count = 0  # rows read

    @classmethod
    def of(cls, connection: Any) -> _Raw | None:
        """The fast path for this connection, or None where its shortcuts are not proven."""
        if connection.vendor not in ("sqlite", "postgresql") or not settings.USE_TZ:
            return None
        # The reference path's own converters, column by column: only the expected ones.
        query = AuditEvent.objects.using(connection.alias).values_list(*_ROW_FIELDS)
        compiler = query.query.get_compiler(using=connection.alias)
        compiler.setup_query()
        converters = compiler.get_converters([col for col, _, _ in compiler.select])
        json = {}
        for position, (convs, expression) in converters.items():
            name = _ROW_FIELDS[position]
            field: Any = AuditEvent._meta.get_field(name)
            if name in _JSON_FIELDS and convs == [field.from_db_value] and field.decoder is None:
                json[name] = partial(field.from_db_value, expression=expression, connection=connection)
            elif connection.vendor == "sqlite" and name == "created_at":
                if (
                    convs != [connection.ops.convert_datetimefield_value]
                    or connection.timezone is not datetime.UTC
                ):
                    return None
            elif not (connection.vendor == "sqlite" and name == "is_late"):
                return None
            elif convs != [connection.ops.convert_booleanfield_value]:
                return None
        if set(json) != _JSON_FIELDS:
            return None
        ops = connection.ops
        table = ops.quote_name(AuditEvent._meta.db_table)

        def column(name: str) -> str:
            field: Any = AuditEvent._meta.get_field(name)
            return f"{table}.{ops.quote_name(field.column)}"

        if connection.vendor == "sqlite":
            # Unary + returns its operand unchanged, but has no declared type: the driver converts
            # nothing (no "datetime" or "bool" converter).
            return cls(connection, [f"+{column(name)}" for name in _RAW_FIELDS], json)
        from django.db.backends.postgresql.psycopg_any import is_psycopg3

        connection.ensure_connection()
        if not is_psycopg3 or connection.connection.info.encoding != "utf-8":
            return None  # psycopg 3 (COPY) on a UTF-8 connection only (the bytes are valid UTF-8)
        columns = []
        for name in _RAW_FIELDS:
            col = column(name)
            if name in ("acting_for_id", "actor_id", "project_id"):
                # An integer's text is its decimal digits, as int.__repr__ writes them.
                columns.append(f"COALESCE({col}::text, 'null')")
            elif name == "created_at":
                # The instant in UTC, as ``_jsonable`` writes it, for the years datetime has with
                # four digits (the reference path takes the others).
                columns.append(_PG_TIME.format(col=col))
            elif name == "is_late":
                columns.append(f"CASE {col} WHEN true THEN 'true' WHEN false THEN 'false' END")
            else:
                columns.append(col)
        return cls(connection, columns, json)

    def chunks(self, where: str, params: Sequence[Any]) -> Iterator[list[Sequence[Any]]]:
        """The raw rows of the events matching ``where``, by chain and sequence, a chunk at a time."""
        ops = self.connection.ops
        table = ops.quote_name(AuditEvent._meta.db_table)
        chain, seq = (f"{table}.{ops.quote_name(c)}" for c in ("chain", "chain_seq"))
        sql = f"SELECT {', '.join(self.columns)} FROM {table} WHERE {where} ORDER BY {chain}, {seq}"  # noqa: S608
        if self.binary:
            return self._copied(sql, params)
        return self._fetched(sql, params)

    def _fetched(self, sql: str, params: Sequence[Any]) -> Iterator[list[Sequence[Any]]]:
        with self.connection.cursor() as cursor:
            cursor.execute(sql, params)
            while chunk := cursor.fetchmany(_RAW_CHUNK):
                self.count += len(chunk)
                yield chunk

    def _copied(self, sql: str, params: Sequence[Any]) -> Iterator[list[Sequence[Any]]]:
        with (
            self.connection.cursor() as cursor,
            cursor.cursor.copy(f"COPY ({sql}) TO STDOUT", params) as copy,
        ):
            lines: list[Any] = []
            for data in copy:  # libpq returns one row at a time, with its newline
                lines.append(data)
                if len(lines) == _RAW_CHUNK:
                    yield self._parsed(lines)
                    lines = []
            if lines:
                yield self._parsed(lines)

    def _parsed(self, lines: list[Any]) -> list[Sequence[Any]]:
        """Rows of ``COPY ... TO STDOUT``'s text format: fields split by tabs, backslash escapes."""
        self.count += len(lines)
        data = b"".join(lines)
        rows: list[Sequence[Any]] = list(map(bytes.split, data.split(b"\n")[:-1], itertools.repeat(b"\t")))
        if b"\\" in data:
            for index, row in enumerate(rows):
                if any(map(bytes.__contains__, row, itertools.repeat(b"\\"))):
                    rows[index] = [
                        None if f == b"\\N" else _copy_unescape(f) if b"\\" in f else f for f in row
                    ]
        return rows

    def _plan(self, types: tuple[type, ...]) -> _Plan | None:
        kinds = dict(zip(self.typed, types, strict=True))
        string = bytes if self.binary else str
        expected = {"int": int, "text": string, "time": str, "bool": int}
        args: list[int] = []
        convert = {}
        strings: list[int] = []
        plain: list[str] = []
        escaped: list[str] = []
        for name in _SORTED:
            position, kind = _RAW[name], self.kinds[name]
            key = _ENCODER.encode(name) + ":"
            if kinds.get(position) is type(None) and name in _NULLABLE:
                plain.append(key + "null")
                escaped.append(key + "null")
                continue
            if kind in expected and kinds[position] is not expected[kind]:
                return None
            args.append(position)
            if kind == "str":
                strings.append(position)
                plain.append(key + '"%s"')
            else:
                if kind in ("json", "time", "bool"):
                    convert[position] = self.convert[name if kind == "json" else kind]
                plain.append(key + ("%d" if kind == "int" else "%s"))
            escaped.append(key + ("%d" if kind == "int" else "%s"))
        return _Plan(
            tuple(args),
            convert,
            tuple(strings),
            "{" + ",".join(plain) + "}",
            "{" + ",".join(escaped) + "}",
            self.binary,
        )

    def hashes(self, rows: list[Sequence[Any]]) -> list[str | None]:
        """``compute_hash`` of each event, or None for an odd row."""
        types = list(map(tuple, map(map, itertools.repeat(type), map(self.types, rows))))
        for new in set(types).difference(self.plans):
            self.plans[new] = self._plan(new)
        plans = list(map(self.plans.__getitem__, types))
        distinct = set(plans)
        if len(distinct) == 1:
            plan = plans[0]
            keys = list(map(operator.itemgetter(_R_KEY), rows))
            return _hash_texts(_texts(plan, rows), keys) if plan is not None else [None] * len(rows)
        hashes: list[str | None] = [None] * len(rows)
        for plan in distinct:
            if plan is not None:
                indices = _where(plans, operator.is_, plan)
                chosen = list(map(rows.__getitem__, indices))
                keys = list(map(operator.itemgetter(_R_KEY), chosen))
                for index, value in zip(indices, _hash_texts(_texts(plan, chosen), keys), strict=True):
                    hashes[index] = value
        return hashes

    def items(self, where: str, params: Sequence[Any]) -> Iterator[tuple[Any, ...]]:
        """(chain, id, seq, prev_hash, stored hash, recomputed hash or None, keyed) of each event."""
        get = operator.itemgetter
        for rows in self.chunks(where, params):
            if self.binary:
                text = bytes.decode
                chains = map(text, map(get(_R_CHAIN), rows))
                ids, seqs = map(int, map(get(0), rows)), map(int, map(get(_R_SEQ), rows))
                prevs, stored = map(text, map(get(_R_PREV), rows)), map(text, map(get(1), rows))
            else:
                chains, ids, seqs = map(get(_R_CHAIN), rows), map(get(0), rows), map(get(_R_SEQ), rows)
                prevs, stored = map(get(_R_PREV), rows), map(get(1), rows)
            keyed = map(operator.is_not, map(get(_R_KEY), rows), itertools.repeat(None))
            yield from zip(chains, ids, seqs, prevs, stored, self.hashes(rows), keyed, strict=True)


def _copy_unescape(field: bytes) -> bytes:
    """A field of ``COPY ... TO STDOUT``'s text format (backslash escapes) as its value."""
    return _COPY_ESCAPE.sub(lambda m: _COPY_CONTROL.get(m[1], m[1]), field)


def hash_rows(events: QuerySet[AuditEvent]) -> Iterator[tuple[int, str, str]]:
    """(id, stored hash, recomputed hash) of each event, by the path ``verify`` takes."""
    connection = connections[events.db]
    raw = _Raw.of(connection)
    if raw is None:
        yield from _reference_hash_rows(events)
        return
    ids, params = events.order_by().values("pk").query.sql_with_params()
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    odd = []
    with _no_cycle_collection():
        items = list(raw.items(f"{table}.{connection.ops.quote_name('id')} IN ({ids})", params))
    for _, event_id, _, _, stored, fresh, _ in items:
        if fresh is None:
            odd.append(event_id)
        else:
            yield event_id, stored, fresh
    if odd:
        yield from _reference_hash_rows(AuditEvent.objects.using(events.db).filter(pk__in=odd))


@contextlib.contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Pause the cyclic garbage collector: a chunk of rows and their parsed JSON are thousands of
    young containers, in no cycle, that it would otherwise traverse again and again."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# --- Verifying chains -------------------------------------------------------------------------------

# Below this many events (by the chain heads) the trail is verified in this process.
PARALLEL_MIN_EVENTS = 20_000
MAX_DEFAULT_WORKERS = 8


class _Odd:
    """``_first_break_of_items``' answer for a chain with an odd row: verify it by the reference
    path."""


_ODD = _Odd()
UNKEYED_AFTER_KEYED = "hashed without a key after keyed events"


def _mismatch(fresh: str) -> str:
    """Why an event's stored hash is not the one recomputed (``fresh``, or a marker)."""
    if fresh == UNKNOWN_KEY:
        return "hashed with a key this server does not hold (AUDIT_HASH_KEYS)"
    if fresh == UNKEYED_REFUSED:
        return "hashed without a key (AUDIT_HASH_ALLOW_UNKEYED is off)"
    return "content does not match its hash"


def _first_break_of_items(
    key: str, head_seq: int, head_hash: str, items: Iterable[tuple[Any, ...]]
) -> Break | _Odd | None:
    """``_check_rows`` of a chain given its ``_Raw.items`` (the hashes already computed, None for
    an odd row: then ``_ODD``)."""
    expected_prev = GENESIS
    expected_seq = 1
    last_id = last_hash = None
    keyed_before = False
    for _, event_id, seq, prev_hash, event_hash, fresh, keyed in items:
        if seq != expected_seq:
            return Break(event_id, key, seq, f"sequence gap: expected {expected_seq}")
        if prev_hash != expected_prev:
            return Break(event_id, key, seq, "previous hash does not match")
        if fresh is None:
            return _ODD
        if fresh != event_hash:
            return Break(event_id, key, seq, _mismatch(fresh))
        if keyed_before and not keyed:
            return Break(event_id, key, seq, UNKEYED_AFTER_KEYED)
        keyed_before = keyed
        expected_prev = last_hash = event_hash
        last_id = event_id
        expected_seq += 1
    last_seq = expected_seq - 1
    if head_seq != last_seq or (last_id is not None and head_hash != last_hash):
        return Break(
            last_id,
            key,
            last_seq,
            f"chain ends at {last_seq} but its head records {head_seq}: events were removed",
        )
    return None


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
    keyed_before = False
    for row in rows:
        event_id, event_hash, seq = row[0], row[1], row[_SEQ]
        if seq != expected_seq:
            return Break(event_id, key, seq, f"sequence gap: expected {expected_seq}")
        if row[_PREV] != expected_prev:
            return Break(event_id, key, seq, "previous hash does not match")
        fresh = hasher(row)
        if fresh != event_hash:
            return Break(event_id, key, seq, _mismatch(fresh))
        keyed = row[-1] is not None
        if keyed_before and not keyed:
            return Break(event_id, key, seq, UNKEYED_AFTER_KEYED)
        keyed_before = keyed
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


def _verify_chain(head: AuditChain) -> Break | None:
    rows, hasher = _event_rows(AuditEvent.objects.filter(chain=head.key).order_by("chain_seq"))
    return _check_rows(head.key, head.last_seq, head.last_hash, rows, hasher)


class _Counted:
    """The rows, counted as they are read."""

    def __init__(self, rows: Iterator[Sequence[Any]]) -> None:
        self.rows = rows
        self.count = 0

    def __iter__(self) -> Iterator[Sequence[Any]]:
        for row in self.rows:
            self.count += 1
            yield row


@dataclass(frozen=True)
class _Found:
    """One part of the trail verified: its heads' breaks in key order, its first event without a
    chain head, how many heads and events it read."""

    breaks: list[Break]
    orphan: Break | None
    chains: int
    events: int


@contextlib.contextmanager
def _snapshot(connection: Any) -> Iterator[None]:
    """Read the heads and the events in one transaction (the same snapshot), unless the caller's
    transaction is already open. On PostgreSQL the events are read by the (chain, seq) index:
    sorting the whole trail costs the server more than the scan."""
    if connection.in_atomic_block or not connection.get_autocommit():
        yield
    elif connection.vendor == "postgresql":
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SET LOCAL enable_sort = off")
            yield
    elif connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("BEGIN DEFERRED")  # a read transaction: writers go on (WAL)
            try:
                yield
            finally:
                cursor.execute("COMMIT")
    else:
        yield


def _verify_part(connection: Any, only: str | None, low: str | None, high: str | None) -> _Found:
    """Verify the chains whose key is ``only``, or in [low, high) in the database's order."""
    alias = connection.alias
    ops = connection.ops
    table = ops.quote_name(AuditEvent._meta.db_table)
    chain = f"{table}.{ops.quote_name('chain')}"
    heads = AuditChain.objects.using(alias).order_by("key")
    events = AuditEvent.objects.using(alias)
    where, params = [], []
    if only:
        heads, events = heads.filter(key=only), events.filter(chain=only)
        where.append(f"{chain} = %s")
        params.append(only)
    if low is not None:
        heads, events = heads.filter(key__gte=low), events.filter(chain__gte=low)
        where.append(f"{chain} >= %s")
        params.append(low)
    if high is not None:
        heads, events = heads.filter(key__lt=high), events.filter(chain__lt=high)
        where.append(f"{chain} < %s")
        params.append(high)
    with _snapshot(connection), _no_cycle_collection():
        head_rows = list(heads.values_list("key", "last_seq", "last_hash"))
        known = {key: (last_seq, last_hash) for key, last_seq, last_hash in head_rows}
        found: dict[str, Break | _Odd | None] = {}
        first_orphan: tuple[int, str, int] | None = None
        raw = _Raw.of(connection)
        if raw is not None:
            for key, group in itertools.groupby(
                raw.items(" AND ".join(where) or "1 = 1", params), key=operator.itemgetter(0)
            ):
                head = known.get(key)
                if head is None:
                    # Events whose chain head is missing altogether: the first of them by id.
                    first = min(group, key=operator.itemgetter(1))
                    if first_orphan is None or first[1] < first_orphan[0]:
                        first_orphan = (first[1], key, first[2])
                else:
                    found[key] = _first_break_of_items(key, head[0], head[1], group)
            events_read = raw.count
        else:
            reference, hasher = _event_rows(events.order_by("chain", "chain_seq"))
            counted = _Counted(reference)
            for key, rows in itertools.groupby(counted, key=operator.itemgetter(_CHAIN)):
                head = known.get(key)
                if head is None:
                    row = min(rows, key=operator.itemgetter(0))
                    if first_orphan is None or row[0] < first_orphan[0]:
                        first_orphan = (row[0], key, row[_SEQ])
                else:
                    found[key] = _check_rows(key, head[0], head[1], rows, hasher)
            events_read = counted.count
        for key, result in found.items():
            if isinstance(result, _Odd):
                # A value of an unusual shape: the whole chain by the reference path.
                head = known[key]
                chain_rows, chain_hasher = _event_rows(events.filter(chain=key).order_by("chain_seq"))
                found[key] = _check_rows(key, head[0], head[1], chain_rows, chain_hasher)
    breaks: list[Break] = []
    for key, last_seq, last_hash in head_rows:
        brk = found[key] if key in found else _first_break_of_items(key, last_seq, last_hash, ())
        if isinstance(brk, Break):
            breaks.append(brk)
    orphan = None
    if first_orphan is not None:
        orphan = Break(first_orphan[0], first_orphan[1], first_orphan[2], "chain head missing")
    return _Found(breaks, orphan, len(head_rows), events_read)


def _split(heads: Sequence[tuple[str, int]], parts: int) -> list[tuple[str | None, str | None]]:
    """[low, high) key ranges, in the heads' (the database's) order, of about as many events each."""
    total = sum(last_seq for _, last_seq in heads)
    bounds: list[str] = []
    running = 0
    for key, last_seq in heads:
        if len(bounds) < parts - 1 and running >= total * (len(bounds) + 1) / parts and running > 0:
            bounds.append(key)
        running += last_seq
    lows: list[str | None] = [None, *bounds]
    highs: list[str | None] = [*bounds, None]
    return list(zip(lows, highs, strict=True))


def _threads_allow_fork() -> bool:
    """Forking a threaded process is unsafe, unless every other thread says it holds nothing a
    child could need (``fork_safe``: the websocket push loop, which never touches the
    database, is one)."""
    current = threading.current_thread()
    return all(getattr(t, "fork_safe", False) for t in threading.enumerate() if t is not current)


def _may_fork(connection: Any) -> bool:
    """Whether worker processes, each with its own connection, would see what this one sees."""
    return (
        "fork" in multiprocessing.get_all_start_methods()
        and _threads_allow_fork()
        and connection.vendor in ("sqlite", "postgresql")
        and not connection.in_atomic_block
        and connection.get_autocommit()  # nothing uncommitted the workers would miss
        and not (connection.vendor == "sqlite" and connection.is_in_memory_db())
    )


# The connections a forked worker inherited: kept referenced (never closed or collected) and never
# used, as they belong to the parent.
_INHERITED: list[Any] = []


def _own_connection(alias: str) -> Any:
    """In a forked worker: a new connection of its own for ``alias`` (no pool: the parent's)."""
    inherited = connections[alias]
    _INHERITED.append(inherited)
    options = {k: v for k, v in inherited.settings_dict.get("OPTIONS", {}).items() if k != "pool"}
    connection = type(inherited)({**inherited.settings_dict, "OPTIONS": options}, alias)
    connections[alias] = connection
    sql.forget_connection()
    return connection


def _worker(alias: str, low: str | None, high: str | None, sender: Any) -> None:
    try:
        connection = _own_connection(alias)
        try:
            result: tuple[bool, Any] = (True, _verify_part(connection, None, low, high))
        finally:
            connection.close()
    except BaseException as exc:
        result = (False, exc)
    try:
        sender.send(result)
    except Exception:
        sender.send((False, RuntimeError(traceback.format_exc())))
    sender.close()


def _in_workers(alias: str, parts: list[tuple[str | None, str | None]]) -> list[_Found]:
    """Verify each part in a forked process of its own; their results in the parts' order."""
    context = multiprocessing.get_context("fork")
    workers = []
    try:
        for low, high in parts:
            receiver, sender = context.Pipe(duplex=False)
            process = context.Process(target=_worker, args=(alias, low, high, sender), daemon=True)
            process.start()
            sender.close()
            workers.append((process, receiver))
        results = []
        for process, receiver in workers:
            try:
                ok, value = receiver.recv()
            except EOFError:
                process.join()
                raise RuntimeError(f"audit verification worker exited with code {process.exitcode}") from None
            if not ok:
                raise value
            results.append(value)
    except BaseException:
        for process, _ in workers:
            process.kill()
        raise
    finally:
        for process, receiver in workers:
            receiver.close()
            process.join()
    return results


def default_workers() -> int:
    """The command's ``workers``: the CPUs this process may use, at most ``MAX_DEFAULT_WORKERS``
    (each worker holds a database connection)."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, MAX_DEFAULT_WORKERS))


def check(*, district_code: str | None = None, workers: int = 1) -> Verification:
    """Recompute every chain (or one district's); see ``verify``.

    With ``workers`` > 1 and a trail of at least ``PARALLEL_MIN_EVENTS`` events, the chains are
    split into that many ranges of keys, each verified by a forked process over its own database
    connection, when that is safe: not inside a transaction (the workers would not see its
    writes), not an in-memory SQLite database, no other thread in this process. Otherwise, and
    for one district, in this process. The result is the same either way.
    """
    alias = router.db_for_read(AuditEvent)
    connection = connections[alias]
    parts: list[tuple[str | None, str | None]] = [(None, None)]
    if workers > 1 and not district_code and _may_fork(connection):
        heads = list(AuditChain.objects.using(alias).order_by("key").values_list("key", "last_seq"))
        if sum(last_seq for _, last_seq in heads) >= PARALLEL_MIN_EVENTS:
            parts = _split(heads, workers)
    if len(parts) > 1:
        found = _in_workers(alias, parts)
    else:
        found = [_verify_part(connection, district_code, None, None)]
    breaks = [brk for part in found for brk in part.breaks]
    orphans = [part.orphan for part in found if part.orphan is not None]
    if orphans:
        breaks.append(min(orphans, key=lambda brk: brk.event_id or 0))
    return Verification(breaks, sum(part.chains for part in found), sum(part.events for part in found))


def verify(*, district_code: str | None = None, workers: int = 1) -> list[Break]:
    """Recompute every chain (or one district's); return the first break of each chain.

    The breaks of the chains with a head, in the order of their keys, then the first event (by
    id) of the chains without one. Each event is hashed from its stored values by the fast path
    (``_Raw``) or, for a chain with a value of an unusual shape, by the reference path
    (``_Hasher``): both give ``compute_hash``'s hash. See ``check`` for ``workers``.
    """
    return check(district_code=district_code, workers=workers).breaks

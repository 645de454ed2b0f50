"""Appending audit events and verifying their per-district hash chains.

Every event is chained to the previous event of the same chain (a district's code, or
``TH`` for events that belong to no district) by a SHA-256 over canonical JSON. Appending
locks only the chain's head row, so districts never wait for each other.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
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
) -> AuditEvent:
    """Append one event. Must run inside the transaction of the change it records."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit.record must run inside the change's transaction")
    if project is not None and district is None:
        district = project.district
    chain_key = district.code if district is not None else NATIONAL_CHAIN
    chain_seq, prev_hash = sql.advance_chain(chain_key)
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
    sql.insert([event])
    sql.set_chain_hash(chain_key, event.hash)
    return event


@dataclass(frozen=True)
class Break:
    event_id: int | None
    chain: str
    chain_seq: int
    reason: str


def verify(*, district_code: str | None = None) -> list[Break]:
    """Recompute every chain (or one district's); return the first break of each chain."""
    chains = AuditChain.objects.all().order_by("key")
    if district_code:
        chains = chains.filter(key=district_code)
    breaks: list[Break] = []
    for head in chains:
        found = _verify_chain(head)
        if found is not None:
            breaks.append(found)
    # Events whose chain head is missing altogether.
    orphan = AuditEvent.objects.exclude(chain__in=AuditChain.objects.values("key"))
    if district_code:
        orphan = orphan.filter(chain=district_code)
    first_orphan = orphan.order_by("id").first()
    if first_orphan is not None:
        breaks.append(
            Break(first_orphan.pk, first_orphan.chain, first_orphan.chain_seq, "chain head missing")
        )
    return breaks


def _verify_chain(head: AuditChain) -> Break | None:
    expected_prev = GENESIS
    expected_seq = 1
    last: AuditEvent | None = None
    for event in AuditEvent.objects.filter(chain=head.key).order_by("chain_seq").iterator(chunk_size=2000):
        if event.chain_seq != expected_seq:
            return Break(event.pk, head.key, event.chain_seq, f"sequence gap: expected {expected_seq}")
        if event.prev_hash != expected_prev:
            return Break(event.pk, head.key, event.chain_seq, "previous hash does not match")
        if compute_hash(event) != event.hash:
            return Break(event.pk, head.key, event.chain_seq, "content does not match its hash")
        expected_prev = event.hash
        expected_seq += 1
        last = event
    last_seq = last.chain_seq if last else 0
    if head.last_seq != last_seq or (last is not None and head.last_hash != last.hash):
        return Break(
            last.pk if last else None,
            head.key,
            last_seq,
            f"chain ends at {last_seq} but its head records {head.last_seq}: events were removed",
        )
    return None

"""Signed checkpoints of the audit chains: what the trail was, kept outside the database.

The hash chain proves that no event was changed or removed *unless* whoever changed it also
recomputed every later hash and rolled the chain's head back: someone who can write the
database can. A checkpoint is a list of every chain's head (chain, sequence, hash) at one
moment, signed with HMAC-SHA256 under ``AUDIT_CHECKPOINT_KEY`` (the environment; derived from
``SECRET_KEY`` when unset), and kept where the database writer cannot reach: a file the
operator stores, and the copy e-mailed to the centre each day. ``verify_audit --checkpoint
FILE`` then fails when a chain is shorter than the checkpoint (a truncated tail) or holds a
different event at the checkpoint's sequence (a rewrite, even one with recomputed hashes).

Key rotation: set the new ``AUDIT_CHECKPOINT_KEY``, write a checkpoint at once, and keep the
old key next to the old checkpoints (``verify_audit --checkpoint-key`` checks one signed with
it; docs in README).
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone

from .models import AuditChain, AuditEvent

FORMAT = "rolemodel-audit-checkpoint/1"


def checkpoint_key() -> bytes:
    """The signing key: ``AUDIT_CHECKPOINT_KEY``, or one derived from ``SECRET_KEY``."""
    configured = str(getattr(settings, "AUDIT_CHECKPOINT_KEY", "") or "")
    if configured:
        return configured.encode("utf-8")
    return hmac.new(
        str(settings.SECRET_KEY).encode("utf-8"), b"rolemodel audit checkpoint", hashlib.sha256
    ).digest()


def _signed_text(body: dict[str, Any]) -> bytes:
    unsigned = {k: v for k, v in body.items() if k != "signature"}
    return json.dumps(unsigned, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def sign(body: dict[str, Any], key: bytes | None = None) -> str:
    return hmac.new(key or checkpoint_key(), _signed_text(body), hashlib.sha256).hexdigest()


def checkpoint_build(*, at: datetime.datetime | None = None) -> dict[str, Any]:
    """Every chain's head now, signed (one statement; a read, no change)."""
    chains = [
        {"chain": key, "seq": int(seq), "hash": str(head)}
        for key, seq, head in AuditChain.objects.filter(last_seq__gt=0)
        .order_by("key")
        .values_list("key", "last_seq", "last_hash")
    ]
    body: dict[str, Any] = {
        "format": FORMAT,
        "created_at": (at or timezone.now()).astimezone(datetime.UTC).isoformat(),
        "chains": chains,
    }
    body["signature"] = sign(body)
    return body


def dumps(body: dict[str, Any]) -> str:
    return json.dumps(body, ensure_ascii=False, indent=1) + "\n"


@dataclass(frozen=True)
class Finding:
    chain: str
    seq: int
    reason: str


def checkpoint_check(body: Any, *, key: bytes | None = None) -> list[Finding]:
    """What in the trail disagrees with the checkpoint ``body`` (empty: it agrees)."""
    if not isinstance(body, dict) or body.get("format") != FORMAT or not isinstance(body.get("chains"), list):
        return [Finding("", 0, "not a checkpoint of this service")]
    signature = str(body.get("signature") or "")
    if not hmac.compare_digest(signature, sign(body, key)):
        return [Finding("", 0, "the checkpoint's signature does not match (changed, or another key)")]
    wanted: dict[tuple[str, int], str] = {}
    for item in body["chains"]:
        wanted[(str(item["chain"]), int(item["seq"]))] = str(item["hash"])
    found = {
        (chain, int(seq)): stored
        for chain, seq, stored in AuditEvent.objects.filter(
            chain__in=sorted({chain for chain, _ in wanted}), chain_seq__in=sorted({seq for _, seq in wanted})
        ).values_list("chain", "chain_seq", "hash")
    }
    heads = dict(AuditChain.objects.filter(key__in=[c for c, _ in wanted]).values_list("key", "last_seq"))
    findings: list[Finding] = []
    for (chain, seq), expected in sorted(wanted.items()):
        stored = found.get((chain, seq))
        if stored is None or int(heads.get(chain) or 0) < seq:
            findings.append(
                Finding(chain, seq, f"the chain is shorter than the checkpoint: event {seq} is missing")
            )
        elif not hmac.compare_digest(stored, expected):
            findings.append(
                Finding(chain, seq, "the event at the checkpoint's sequence is not the one it recorded")
            )
    return findings


def checkpoint_send_daily(*, today: datetime.date | None = None) -> Path | None:
    """Today's checkpoint (Bangkok's day): written once under ``MEDIA_ROOT/audit-checkpoints/``
    and e-mailed to the centre (the active edition's central address, or
    ``AUDIT_CHECKPOINT_EMAIL``). Run with the daily digest (``send_digest``); a second run the
    same day changes nothing. The path written, or ``None`` if today's was written already."""
    from django.core.mail import EmailMessage

    from .models import Edition

    day = today or timezone.localdate()
    folder = Path(settings.MEDIA_ROOT) / "audit-checkpoints"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{day.isoformat()}.json"
    body = checkpoint_build()
    text = dumps(body)
    try:
        with path.open("x", encoding="utf-8") as handle:  # once a day, even with two runs at once
            handle.write(text)
    except FileExistsError:
        return None
    edition = Edition.objects.filter(is_active=True).first()
    to = str(getattr(settings, "AUDIT_CHECKPOINT_EMAIL", "") or (edition.central_email if edition else ""))
    if to:
        message = EmailMessage(
            subject=f"Role Model Workflow: audit checkpoint {day.isoformat()}",
            body=(
                "The signed checkpoint of every audit chain's head is attached. Keep it: "
                "verify_audit --checkpoint FILE checks the trail against it.\n"
                f"{len(body['chains'])} chain(s), written {body['created_at']}.\n"
            ),
            to=[to],
        )
        message.attach(path.name, text, "application/json")
        message.send(fail_silently=True)  # the file is kept either way
    return path

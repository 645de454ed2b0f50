"""Keyed audit hashes (issue 12): a database writer without the key cannot rewrite the trail.

Each event's hash is an HMAC-SHA256 under a key that lives outside the database
(``AUDIT_HASH_KEYS``, or one derived from ``SECRET_KEY``), and the event names that key. A writer
who drops the append-only triggers, edits an event and recomputes every later hash and the chain
head with anything but the key (plain SHA-256, a guessed key, a key id the server does not hold)
is caught by ``verify_audit`` alone, on both verification paths. Keys rotate without rewriting.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable

import pytest
from django.db import connection

from tests.workflow.test_audit import chain_event, names_event, tamper, trail, verify_error, verify_output
from workflow import audit
from workflow.models import AuditChain, AuditEvent
from workflow.services import projects as svc

__all__ = ["trail"]  # the fixture, imported for these tests


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(params=["fast", "reference"])
def path(request, monkeypatch):
    """Each test runs on both of ``verify``'s paths: the raw rows, and the ORM's conversions."""
    if request.param == "reference":
        monkeypatch.setattr(audit._Raw, "of", classmethod(lambda cls, connection: None))
    return request.param


def derived_key(secret: str) -> bytes:
    return hmac.new(secret.encode(), b"rolemodel audit hash", hashlib.sha256).digest()


def rewrite(
    chain: str, from_seq: int, *, hash_key: str | None, digest: Callable[[bytes], str], comment: str
) -> None:
    """What a writer with the database but not the key does: change one event's comment, then
    recompute its hash, every later event's link and hash, and the chain head, with ``digest``."""
    events = list(AuditEvent.objects.filter(chain=chain, chain_seq__gte=from_seq).order_by("chain_seq"))
    prev = events[0].prev_hash
    table = AuditEvent._meta.db_table
    for index, event in enumerate(events):
        if index == 0:
            event.comment = comment
        event.prev_hash = prev
        event.hash_key = hash_key
        event.hash = digest(audit.canonical(event))
        tamper(
            f"UPDATE {table} SET comment = %s, prev_hash = %s, hash = %s, hash_key = %s WHERE id = %s",  # noqa: S608
            [event.comment, event.prev_hash, event.hash, event.hash_key, event.pk],
        )
        prev = event.hash
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {AuditChain._meta.db_table} SET last_hash = %s WHERE key = %s",  # noqa: S608
            [prev, chain],
        )


def plain_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_each_event_names_its_key_and_carries_an_hmac_not_a_plain_hash(trail, settings):
    key = derived_key(str(settings.SECRET_KEY))
    for event in AuditEvent.objects.all():
        text = audit.canonical(event)
        assert event.hash_key == audit.DERIVED_KEY_ID
        assert event.hash == hmac.new(key, text, hashlib.sha256).hexdigest()
        assert event.hash != hashlib.sha256(text).hexdigest()


def test_a_tail_rewritten_with_plain_sha256_is_caught(trail, path):
    forged = chain_event("5001", 3)
    rewrite("5001", 3, hash_key=None, digest=plain_sha256, comment="อนุมัติแล้ว")
    message = verify_error()
    assert names_event(message, forged), message
    assert "hashed without a key" in message
    assert verify_output("--district", "5002").startswith("OK")


def test_a_tail_rewritten_under_a_guessed_key_is_caught(trail, path):
    forged = chain_event("5001", 4)
    guessed = derived_key("not the server's secret")
    rewrite(
        "5001",
        4,
        hash_key=audit.DERIVED_KEY_ID,
        digest=lambda data: hmac.new(guessed, data, hashlib.sha256).hexdigest(),
        comment="ตรวจแล้ว",
    )
    message = verify_error()
    assert names_event(message, forged), message
    assert "content does not match its hash" in message


def test_a_tail_claiming_a_key_the_server_does_not_hold_is_caught(trail, path):
    forged = chain_event("5001", 2)
    made_up = b"a key of the forger's own"
    rewrite(
        "5001",
        2,
        hash_key="k9",
        digest=lambda data: hmac.new(made_up, data, hashlib.sha256).hexdigest(),
        comment="-",
    )
    message = verify_error("--district", "5001")
    assert names_event(message, forged), message
    assert "a key this server does not hold" in message


def test_keys_rotate_without_rewriting_and_a_dropped_key_is_noticed(trail, settings, path):
    settings.AUDIT_HASH_KEYS = "k2:the second secret,k1:an older one"
    project = chain_event("5001", 1).project
    assert project is not None
    svc.project_comment(project=project, acting_user=trail.chief, comment="หลังเปลี่ยนกุญแจ")
    newest = AuditEvent.objects.filter(chain="5001").latest("chain_seq")
    assert newest.hash_key == "k2"
    # Old events (the derived key) and new ones (k2) verify side by side.
    assert verify_output().startswith("OK: 3 chain(s), 9 event(s)")
    # A server that no longer holds k2 cannot vouch for what k2 hashed, and says so.
    settings.AUDIT_HASH_KEYS = "k3:a third secret"
    message = verify_error("--district", "5001")
    first_k2 = AuditEvent.objects.filter(chain="5001", hash_key="k2").earliest("chain_seq")
    assert names_event(message, first_k2), message
    assert "a key this server does not hold" in message


def test_unkeyed_events_of_an_upgraded_installation_verify_only_where_allowed(trail, settings, path):
    # A whole chain hashed with plain SHA-256, as before keyed hashes existed.
    rewrite("5002", 1, hash_key=None, digest=plain_sha256, comment="เดิม")
    settings.AUDIT_HASH_ALLOW_UNKEYED = False
    assert "hashed without a key" in verify_error("--district", "5002")
    settings.AUDIT_HASH_ALLOW_UNKEYED = True
    assert verify_output("--district", "5002").startswith("OK")


def test_an_unkeyed_event_after_keyed_ones_is_caught_even_where_unkeyed_ones_are_allowed(
    trail, settings, path
):
    settings.AUDIT_HASH_ALLOW_UNKEYED = True
    forged = chain_event("5001", 4)
    rewrite("5001", 4, hash_key=None, digest=plain_sha256, comment="แก้ไขย้อนหลัง")
    message = verify_error("--district", "5001")
    assert names_event(message, forged), message
    assert "hashed without a key after keyed events" in message


def test_a_malformed_key_setting_is_refused_with_a_clear_error(settings):
    from django.core.exceptions import ImproperlyConfigured

    settings.AUDIT_HASH_KEYS = "no-separator"
    with pytest.raises(ImproperlyConfigured, match="AUDIT_HASH_KEYS"):
        audit.hash_keys()

"""Signed checkpoints catch what a database writer can hide from the chain alone (issue 12):
a truncated tail with the head rolled back, and a rewrite with every later hash recomputed."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.workflow.test_audit import chain_event, tamper, trail, verify_output  # noqa: F401  (fixture)
from workflow import audit
from workflow.models import AuditChain, AuditEvent

EVENTS = AuditEvent._meta.db_table
CHAINS = AuditChain._meta.db_table


@pytest.fixture
def checkpoint(trail, tmp_path):  # noqa: F811
    path = tmp_path / "checkpoint.json"
    call_command("audit_checkpoint", "--out", str(path), stdout=io.StringIO(), stderr=io.StringIO())
    return path


def _verify_with(path, *extra: str) -> str:
    with pytest.raises(CommandError) as caught:
        call_command(
            "verify_audit", "--checkpoint", str(path), *extra, stdout=io.StringIO(), stderr=io.StringIO()
        )
    return str(caught.value)


def test_a_fresh_checkpoint_agrees_and_names_every_chain(checkpoint):
    body = json.loads(checkpoint.read_text())
    assert [(c["chain"], c["seq"]) for c in body["chains"]] == [("5001", 5), ("5002", 2), ("TH", 1)]
    out = io.StringIO()
    call_command("verify_audit", "--checkpoint", str(checkpoint), stdout=out, stderr=io.StringIO())
    assert "3 chain(s) agree" in out.getvalue() and "OK: 3 chain(s), 8 event(s)" in out.getvalue()


def test_a_truncated_tail_with_the_head_rolled_back_is_caught(checkpoint):
    third = chain_event("5001", 3)
    tamper(f"DELETE FROM {EVENTS} WHERE chain = %s AND chain_seq > %s", ["5001", 3])  # noqa: S608
    tamper(f"UPDATE {CHAINS} SET last_seq = %s, last_hash = %s WHERE key = %s", [3, third.hash, "5001"])  # noqa: S608
    assert verify_output().startswith("OK")  # the chain alone cannot tell
    message = _verify_with(checkpoint)
    assert "chain 5001, seq 5" in message and "shorter than the checkpoint" in message


def test_a_rewrite_with_every_later_hash_recomputed_is_caught(checkpoint):
    prev = chain_event("5001", 1).hash
    for seq in range(2, 6):
        event = chain_event("5001", seq)
        if seq == 2:
            event.comment = "ไม่อนุมัติ"
        event.prev_hash = prev
        event.hash = audit.compute_hash(event)
        tamper(
            f"UPDATE {EVENTS} SET comment = %s, prev_hash = %s, hash = %s WHERE id = %s",  # noqa: S608
            [event.comment, event.prev_hash, event.hash, event.pk],
        )
        prev = event.hash
    tamper(f"UPDATE {CHAINS} SET last_hash = %s WHERE key = %s", [prev, "5001"])  # noqa: S608
    assert verify_output().startswith("OK")  # recomputed with the project's own function
    message = _verify_with(checkpoint)
    assert "chain 5001, seq 5" in message and "not the one it recorded" in message


def test_a_changed_checkpoint_or_another_key_is_refused(checkpoint):
    body = json.loads(checkpoint.read_text())
    body["chains"][0]["seq"] = 2  # hide the last three events of 5001 from the checkpoint
    checkpoint.write_text(json.dumps(body))
    assert "signature does not match" in _verify_with(checkpoint)
    assert "signature does not match" in _verify_with(checkpoint, "--checkpoint-key", "another key")


def test_the_daily_run_writes_and_mails_todays_checkpoint_once(trail, settings, tmp_path, mailoutbox):  # noqa: F811
    settings.MEDIA_ROOT = tmp_path
    first, again = io.StringIO(), io.StringIO()
    call_command("audit_checkpoint", "--daily", stdout=first)
    call_command("audit_checkpoint", "--daily", stdout=again)
    assert "audit checkpoint written" in first.getvalue()
    assert "written already" in again.getvalue()  # once a day
    [written] = (tmp_path / "audit-checkpoints").iterdir()
    [mail] = [m for m in mailoutbox if "audit checkpoint" in m.subject]
    assert mail.to == [trail.edition.central_email]
    name, content, _ = mail.attachments[0]
    assert name == written.name and json.loads(content)["signature"]
    out = io.StringIO()
    call_command("verify_audit", "--checkpoint", str(written), stdout=out, stderr=io.StringIO())
    assert "agree" in out.getvalue()

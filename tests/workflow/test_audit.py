"""The audit trail: one event per change in the change's transaction, per-district hash chains,
a database that refuses to change or delete events, and ``verify_audit`` catching forgeries."""

from __future__ import annotations

import contextlib
import importlib
import io
import re
from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from tests import factories as f
from workflow import audit, events
from workflow.errors import Forbidden, InvalidInput, RuleViolation
from workflow.models import AuditChain, AuditEvent, Project, State
from workflow.rules import RULES
from workflow.services import programme
from workflow.services import projects as svc

APPEND_ONLY = importlib.import_module("workflow.migrations.0003_audit_append_only")
ALL_PASSED = [{"code": code, "passed": True} for code in RULES]


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """The ``world`` fixture creates a dozen users; hashing their passwords slowly adds nothing here."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def budget(cap: str, committed: str) -> dict[str, Decimal]:
    """The expected budget snapshot, as amounts (their text form is tested on its own)."""
    return {
        "cap": Decimal(cap),
        "committed": Decimal(committed),
        "remaining": Decimal(cap) - Decimal(committed),
    }


def amounts(snapshot: dict[str, str]) -> dict[str, Decimal]:
    assert set(snapshot) == {"cap", "committed", "remaining"}
    return {key: Decimal(value) for key, value in snapshot.items()}


def snapshot_counts() -> tuple[int, list[tuple[str, int, str]]]:
    heads = list(AuditChain.objects.order_by("key").values_list("key", "last_seq", "last_hash"))
    return AuditEvent.objects.count(), heads


# --- One event per change, in the change's transaction ---------------------------------------


def test_create_writes_one_event_with_its_snapshots(world):
    project = f.make_project(world.officer, world.entry, "50000.00")

    [event] = AuditEvent.objects.all()
    assert event.action == "create"
    assert (event.object_type, event.object_id) == ("project", str(project.pk))
    assert event.actor_id == world.officer.pk and event.actor_username == "officer"
    assert (event.role, event.area_code) == ("district_officer", "5001")
    assert event.acting_for_id is None and event.acting_for_username == ""
    assert (event.district_id, event.province_id, event.project_id) == ("5001", "50", project.pk)
    assert (event.from_state, event.to_state) == ("", State.SELECTED)
    assert event.comment == ""
    assert event.is_late is False
    assert event.rule_results == ALL_PASSED
    assert amounts(event.budget) == budget("150000.00", "50000.00")
    assert event.payload == {"bank_entry": "B-1", "title": project.title, "budget": "50000.00"}
    assert (event.chain, event.chain_seq, event.prev_hash) == ("5001", 1, audit.GENESIS)
    assert event.hash == audit.compute_hash(event)
    head = AuditChain.objects.get(key="5001")
    assert (head.last_seq, head.last_hash) == (1, event.hash)


def test_approve_writes_one_event_with_actor_states_comment_and_budget(world):
    first = f.make_project(world.officer, world.entry, "50000.00")
    f.make_project(world.officer2, world.entry2, "30000.00")
    before = AuditEvent.objects.count()

    svc.project_approve(project=first, acting_user=world.chief, comment="อนุมัติตามแผน")

    assert AuditEvent.objects.count() == before + 1
    event = AuditEvent.objects.latest("id")
    assert event.action == "approve"
    assert event.actor_id == world.chief.pk and event.actor_username == "chief"
    assert (event.role, event.area_code) == ("district_chief", "5001")
    assert event.project_id == first.pk and event.object_id == str(first.pk)
    assert (event.from_state, event.to_state) == (State.SELECTED, State.APPROVED)
    assert event.comment == "อนุมัติตามแผน"
    assert event.rule_results == ALL_PASSED
    # The budget of the whole district at that moment: both live projects.
    assert amounts(event.budget) == budget("150000.00", "80000.00")
    assert (event.chain, event.chain_seq) == ("5001", 3)


def test_return_and_reject_events_and_their_budget_snapshots(world):
    returned = f.make_project(world.officer, world.entry, "50000.00")
    rejected = f.make_project(world.officer, world.entry2, "20000.00")

    svc.project_return(project=returned, acting_user=world.chief, comment="แก้ไขเป้าหมาย")
    event = AuditEvent.objects.latest("id")
    assert event.action == "return"
    assert (event.actor_username, event.role, event.area_code) == ("chief", "district_chief", "5001")
    assert (event.from_state, event.to_state) == (State.SELECTED, State.RETURNED)
    assert event.comment == "แก้ไขเป้าหมาย"
    assert event.rule_results == ALL_PASSED
    # A returned project still holds its budget.
    assert amounts(event.budget) == budget("150000.00", "70000.00")

    svc.project_reject(project=rejected, acting_user=world.chief, comment="ซ้ำซ้อน")
    event = AuditEvent.objects.latest("id")
    assert (event.action, event.from_state, event.to_state) == ("reject", State.SELECTED, State.REJECTED)
    assert event.comment == "ซ้ำซ้อน"
    # Taken after the change: the rejected project's budget is released.
    assert amounts(event.budget) == budget("150000.00", "50000.00")
    assert list(AuditEvent.objects.filter(chain="5001").values_list("action", flat=True)) == [
        "create",
        "create",
        "return",
        "reject",
    ]


def test_budget_snapshot_amounts_are_written_with_two_decimals(world):
    f.make_project(world.officer, world.entry, "50000.00")
    f.make_project(world.officer, world.entry2, "20000.50")
    assert [e.budget for e in AuditEvent.objects.order_by("id")] == [
        {"cap": "150000.00", "committed": "50000.00", "remaining": "100000.00"},
        {"cap": "150000.00", "committed": "70000.50", "remaining": "79999.50"},
    ]


def test_a_rule_violation_leaves_no_event_and_no_project(world):
    f.make_project(world.officer, world.entry, "100000.00")
    before = snapshot_counts()

    with pytest.raises(RuleViolation) as caught:
        f.make_project(world.officer, world.entry2, "60000.00")

    assert [e["code"] for e in caught.value.errors] == ["budget_cap_exceeded"]
    assert snapshot_counts() == before
    assert Project.objects.count() == 1


def test_an_approval_refused_by_the_rules_leaves_no_event(world):
    """The cap lowered after selection: approving breaks it; nothing of the attempt remains."""
    first = f.make_project(world.officer, world.entry, "50000.00")
    f.make_project(world.officer, world.entry2, "50000.00")
    programme.edition_update(
        acting_user=world.admin, edition=world.edition, values={"budget_cap": Decimal("60000.00")}
    )
    before = snapshot_counts()

    with pytest.raises(RuleViolation) as caught:
        svc.project_approve(project=first, acting_user=world.chief, comment="อนุมัติ")

    assert [e["code"] for e in caught.value.errors] == ["budget_cap_exceeded"]
    assert snapshot_counts() == before
    first.refresh_from_db()
    assert first.state == State.SELECTED


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda w, p: svc.project_approve(project=p, acting_user=w.officer), Forbidden),  # not a chief
        (lambda w, p: svc.project_return(project=p, acting_user=w.chief, comment="  "), InvalidInput),
        (lambda w, p: svc.project_comment(project=p, acting_user=w.chief, comment=""), InvalidInput),
    ],
    ids=["forbidden", "return-without-comment", "empty-comment"],
)
def test_refused_calls_leave_no_event(world, call, error):
    project = f.make_project(world.officer, world.entry)
    before = snapshot_counts()
    with pytest.raises(error):
        call(world, project)
    assert snapshot_counts() == before
    project.refresh_from_db()
    assert project.state == State.SELECTED


def test_the_event_and_the_change_commit_or_roll_back_together(world, monkeypatch):
    """A failure after the event is written (an event handler) undoes the transition too."""
    project = f.make_project(world.officer, world.entry)
    before = snapshot_counts()
    seen = []

    def failing_handler(event, context):
        seen.append(event.action)
        raise RuntimeError("handler failed")

    monkeypatch.setattr(events, "_handlers", [failing_handler])
    with pytest.raises(RuntimeError, match="handler failed"):
        svc.project_approve(project=project.pk, acting_user=world.chief)

    assert seen == ["approve"]  # the event had been written
    assert snapshot_counts() == before
    project.refresh_from_db()
    assert project.state == State.SELECTED


@pytest.mark.django_db(transaction=True)
def test_record_refuses_to_run_outside_a_transaction():
    with pytest.raises(RuntimeError, match="inside the change's transaction"):
        audit.record(actor=audit.Actor(user=None), action="comment", object_type="project")
    assert AuditEvent.objects.count() == 0 and AuditChain.objects.count() == 0


# --- Per-district chains and the national chain -------------------------------------------------


def assert_linked(chain: str) -> list[AuditEvent]:
    chain_events = list(AuditEvent.objects.filter(chain=chain).order_by("chain_seq"))
    assert [e.chain_seq for e in chain_events] == list(range(1, len(chain_events) + 1))
    previous = audit.GENESIS
    for event in chain_events:
        assert event.prev_hash == previous
        assert event.hash == audit.compute_hash(event)
        previous = event.hash
    head = AuditChain.objects.get(key=chain)
    assert (head.last_seq, head.last_hash) == (len(chain_events), previous)
    return chain_events


def test_each_district_has_its_own_chain(world):
    a = f.make_project(world.officer, world.entry, "10000.00")
    b = f.make_project(world.other_officer, world.other_entry, "20000.00")
    svc.project_approve(project=a, acting_user=world.chief)
    svc.project_return(project=b, acting_user=world.other_chief, comment="ขอรายละเอียด")
    svc.project_comment(project=a, acting_user=world.chief, comment="ติดตาม")

    first = assert_linked("5001")
    second = assert_linked("5002")
    assert [(e.action, e.chain_seq) for e in first] == [("create", 1), ("approve", 2), ("comment", 3)]
    assert [(e.action, e.chain_seq) for e in second] == [("create", 1), ("return", 2)]
    assert {e.district_id for e in first} == {"5001"} and {e.district_id for e in second} == {"5002"}
    # Interleaved in time, yet each links only to its own district's previous event.
    assert first[1].pk > second[0].pk
    assert first[1].prev_hash == first[0].hash
    assert audit.verify() == []
    assert audit.verify(district_code="5002") == []


def test_edition_changes_go_to_the_national_chain(world):
    f.make_project(world.officer, world.entry)
    programme.edition_update(acting_user=world.admin, edition=world.edition, values={"title": "ฉบับแก้ไข"})
    programme.edition_update(
        acting_user=world.admin, edition=world.edition.pk, values={"budget_cap": Decimal("200000.00")}
    )
    programme.edition_update(acting_user=world.admin, edition=world.edition.pk, values={"title": "ฉบับแก้ไข"})

    national = assert_linked(audit.NATIONAL_CHAIN)
    assert [e.action for e in national] == ["edition_update", "edition_update"]  # no change, no event
    first = national[0]
    assert (first.actor_username, first.role, first.area_code) == ("admin", "admin", "TH")
    assert first.district_id is None and first.province_id is None and first.project_id is None
    assert (first.object_type, first.object_id) == ("edition", "2570")
    assert first.payload == {"changed": {"title": {"from": "Test edition", "to": "ฉบับแก้ไข"}}}
    assert national[1].payload == {"changed": {"budget_cap": {"from": "150000.00", "to": "200000.00"}}}
    assert assert_linked("5001")[0].chain_seq == 1
    assert audit.verify() == []


# --- The database refuses to change or delete events ---------------------------------------------


def refused(action) -> DatabaseError:
    with pytest.raises(DatabaseError) as caught, transaction.atomic():
        action()
    assert "append-only" in str(caught.value)
    return caught.value


def test_the_database_refuses_update_and_delete(world):
    f.make_project(world.officer, world.entry)
    event = AuditEvent.objects.get()
    table = AuditEvent._meta.db_table

    def raw(sql: str) -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql, [event.pk])

    refused(lambda: raw(f"UPDATE {table} SET comment = 'forged' WHERE id = %s"))  # noqa: S608
    refused(lambda: raw(f"DELETE FROM {table} WHERE id = %s"))  # noqa: S608
    refused(lambda: AuditEvent.objects.filter(pk=event.pk).update(comment="x"))
    refused(lambda: AuditEvent.objects.filter(pk=event.pk).delete())
    event.comment = "x"
    refused(lambda: event.save())

    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.comment == "" and stored.hash == audit.compute_hash(stored)
    assert audit.verify() == []


def test_append_only_migration_runs_on_this_backend(db):
    """The migration's own SQL, run again (inside the test's transaction, so rolled back)."""
    editor = connection.schema_editor()
    APPEND_ONLY.down(None, editor)
    APPEND_ONLY.up(None, editor)
    table = AuditEvent._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal", [table]
            )
            assert [r[0] for r in cursor.fetchall()] == ["workflow_auditevent_append_only"]
        else:
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s ORDER BY name",
                [table],
            )
            assert [r[0] for r in cursor.fetchall()] == [
                "workflow_auditevent_no_delete",
                "workflow_auditevent_no_update",
            ]


# --- Forgeries are caught by verify_audit ------------------------------------------------------


@contextlib.contextmanager
def triggers_lifted() -> Iterator[None]:
    """Let this test tamper with the trail (inside the test's transaction, restored after)."""
    table = AuditEvent._meta.db_table
    postgres = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        if postgres:
            # ALTER TABLE refuses while deferred foreign-key checks of this transaction are pending.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER workflow_auditevent_append_only")
        else:
            cursor.execute("DROP TRIGGER workflow_auditevent_no_update")
            cursor.execute("DROP TRIGGER workflow_auditevent_no_delete")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if postgres:
                cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER workflow_auditevent_append_only")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            else:
                for statement in APPEND_ONLY.SQLITE_UP:
                    cursor.execute(statement)


def tamper(sql: str, params: list) -> None:
    with triggers_lifted(), connection.cursor() as cursor:
        cursor.execute(sql, params)
    # The guard is back: the trail refuses changes again.
    refused(lambda: AuditEvent.objects.update(comment="again"))


def verify_output(*args: str) -> str:
    out = io.StringIO()
    call_command("verify_audit", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def verify_error(*args: str) -> str:
    with pytest.raises(CommandError) as caught:
        call_command("verify_audit", *args, stdout=io.StringIO(), stderr=io.StringIO())
    return str(caught.value)


def names_event(message: str, event: AuditEvent) -> bool:
    return re.search(rf"event #{event.pk}\b", message) is not None


@pytest.fixture
def trail(world):
    """Five events in district 5001, two in 5002, one national."""
    a = f.make_project(world.officer, world.entry, "10000.00")
    b = f.make_project(world.officer, world.entry2, "10000.00")
    svc.project_approve(project=a, acting_user=world.chief, comment="ok")
    svc.project_comment(project=b, acting_user=world.chief, comment="ดูอีกครั้ง")
    svc.project_return(project=b, acting_user=world.chief, comment="แก้ไข")
    c = f.make_project(world.other_officer, world.other_entry, "10000.00")
    svc.project_approve(project=c, acting_user=world.other_chief)
    programme.edition_update(acting_user=world.admin, edition=world.edition, values={"title": "ใหม่"})
    assert AuditEvent.objects.filter(chain="5001").count() == 5
    return world


def chain_event(chain: str, seq: int) -> AuditEvent:
    return AuditEvent.objects.get(chain=chain, chain_seq=seq)


def test_a_clean_trail_prints_ok(trail):
    assert verify_output().strip() == "OK: 3 chain(s), 8 event(s) verified"
    assert verify_output("--district", "5002").strip() == "OK: 1 chain(s), 2 event(s) verified"


def test_a_changed_comment_is_caught_and_named(trail):
    forged = chain_event("5001", 3)
    tamper(f"UPDATE {AuditEvent._meta.db_table} SET comment = %s WHERE id = %s", ["ไม่อนุมัติ", forged.pk])  # noqa: S608
    assert AuditEvent.objects.get(pk=forged.pk).comment == "ไม่อนุมัติ"

    message = verify_error()
    assert names_event(message, forged), message
    assert "content does not match its hash" in message
    assert names_event(verify_error("--district", "5001"), forged)
    assert verify_output("--district", "5002").startswith("OK")
    assert verify_output("--district", "TH").startswith("OK")
    [found] = audit.verify()
    assert (found.event_id, found.chain, found.chain_seq) == (forged.pk, "5001", 3)


def test_a_rehashed_forgery_breaks_the_link_to_the_next_event(trail):
    forged = chain_event("5001", 2)
    forged.comment = "ไม่อนุมัติ"
    new_hash = audit.compute_hash(forged)
    tamper(
        f"UPDATE {AuditEvent._meta.db_table} SET comment = %s, hash = %s WHERE id = %s",  # noqa: S608
        [forged.comment, new_hash, forged.pk],
    )
    following = chain_event("5001", 3)
    message = verify_error()
    assert names_event(message, following), message
    assert "previous hash does not match" in message


def test_a_deleted_event_leaves_a_gap_that_is_caught(trail):
    removed = chain_event("5001", 2)
    tamper(f"DELETE FROM {AuditEvent._meta.db_table} WHERE id = %s", [removed.pk])  # noqa: S608
    following = chain_event("5001", 3)

    message = verify_error()
    assert names_event(message, following), message
    assert "sequence gap: expected 2" in message
    assert verify_output("--district", "5002").startswith("OK")


def test_a_deleted_last_event_is_caught_by_the_chain_head(trail):
    last = chain_event("5001", 5)
    tamper(f"DELETE FROM {AuditEvent._meta.db_table} WHERE id = %s", [last.pk])  # noqa: S608
    message = verify_error("--district", "5001")
    assert names_event(message, chain_event("5001", 4)), message
    assert "events were removed" in message


# --- The fast verification path hashes exactly as compute_hash does ----------------------------


def recomputed() -> dict[int, tuple[str, str]]:
    """Each event's stored hash and the hash ``verify`` recomputes from its row, by id."""
    return {pk: (stored, fresh) for pk, stored, fresh in audit.hash_rows(AuditEvent.objects.all())}


def test_the_fast_path_and_compute_hash_agree(trail):
    world = trail
    with transaction.atomic():
        # An official acting for another, a national (district-less) event, nested JSON payloads.
        audit.record(
            actor=audit.Actor(
                user=world.officer2, role="district_chief", area_code="5001", acting_for=world.chief
            ),
            action="comment",
            object_type="project",
            object_id=7,
            district=None,
            comment='แทน "หัวหน้า" \\ ✓\n\ttab',
            is_late=True,
            rule_results=[
                {"code": "ข้อ", "passed": False, "detail": {"limit": Decimal("1.50"), "n": [1, 2.5]}}
            ],
            budget={"z": Decimal("0.10"), "a": {"ก": None, "b": [True, {"y": 1, "x": "ข"}]}},
            payload={"changed": {"title": {"from": "เดิม", "to": "ใหม่ \u00e9\u001f"}}, "n": -3, "f": 1e-7},
        )
        audit.record(actor=audit.Actor(user=None), action="edition_update", object_type="edition", payload={})
    events = list(AuditEvent.objects.all())
    assert any(e.acting_for_id for e in events) and any(e.district_id is None for e in events)
    found = recomputed()
    assert set(found) == {e.pk for e in events}
    for event in events:
        assert found[event.pk] == (event.hash, audit.compute_hash(event))
    assert audit.verify() == []


def test_a_built_event_hashes_as_compute_hash_does(trail):
    """``build`` hashes without walking the JSON fields again: the same hash as ``canonical``,
    for values that must be written as JSON first (keys that are numbers sort as text)."""
    import datetime

    at = datetime.datetime(2026, 1, 2, 3, 4, 5, 6789, tzinfo=datetime.timezone(datetime.timedelta(hours=7)))
    with transaction.atomic():
        event = audit.build(
            actor=audit.Actor(user=trail.officer, role="district_officer", area_code="5001"),
            action="comment",
            object_type="project",
            object_id=7,
            comment="ข้อความ",
            rule_results=[{"code": State.SELECTED, "amount": Decimal("1.50"), "at": at}],
            budget={10: "ten", 9: "nine", "k": (1, 2.5, None)},
            payload={"date": at.date(), "nested": {"b": [Decimal("0.10")], "a": True}},
        )
        assert event.payload == {"date": "2026-01-02", "nested": {"b": ["0.10"], "a": True}}
        assert list(event.budget) == ["10", "9", "k"]
        assert event.hash == audit.compute_hash(event)
        audit.append(event)
    assert audit.verify() == []


def test_the_fast_path_and_compute_hash_agree_on_tampered_values(trail):
    """Odd values the services never write still hash alike (and are caught alike)."""
    table = AuditEvent._meta.db_table
    first, second, third = chain_event("5001", 1), chain_event("5001", 2), chain_event("5002", 1)
    tamper(f"UPDATE {table} SET created_at = %s WHERE id = %s", ["0999-01-02 03:04:05", first.pk])  # noqa: S608
    reordered = '{"b": 1, "a": [2, {"d": null, "c": "ค"}]}'
    tamper(f"UPDATE {table} SET payload = %s WHERE id = %s", [reordered, second.pk])  # noqa: S608
    if connection.vendor == "sqlite":  # text kept as written: spaces around it, escapes, a BOM-less "é"
        tamper(f"UPDATE {table} SET budget = %s WHERE id = %s", [' {"\\u00e9": 1.0} ', third.pk])  # noqa: S608
    found = recomputed()
    for event in AuditEvent.objects.all():
        assert found[event.pk] == (event.hash, audit.compute_hash(event))
    assert found[first.pk][0] != found[first.pk][1]
    reasons = {(b.chain, b.chain_seq, b.reason) for b in audit.verify()}
    assert ("5001", 1, "content does not match its hash") in reasons


def test_verify_reports_events_without_a_chain_head_and_heads_without_events(trail):
    heads, key = AuditChain._meta.db_table, connection.ops.quote_name("key")
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {heads} WHERE {key} = %s", ["5002"])  # noqa: S608
        cursor.execute(
            f"INSERT INTO {heads} VALUES (%s, %s, %s)",  # noqa: S608
            ["9999", 3, "f" * 64],
        )
    orphan = chain_event("5002", 1)
    assert audit.verify() == [
        audit.Break(None, "9999", 0, "chain ends at 0 but its head records 3: events were removed"),
        audit.Break(orphan.pk, "5002", 1, "chain head missing"),
    ]
    assert audit.verify(district_code="5002") == [audit.Break(orphan.pk, "5002", 1, "chain head missing")]
    assert audit.verify(district_code="5001") == []


def test_escaped_is_what_the_encoder_escapes():
    """A str the fast path writes between quotes as it is: exactly those ``_ESCAPED`` passes."""
    from json.encoder import encode_basestring

    plain = [c for c in map(chr, range(0x110000)) if encode_basestring(c) == f'"{c}"']
    assert len(plain) == 0x110000 - 34  # '"', '\\' and U+0000-U+001F
    assert audit._ESCAPED.search("".join(plain)) is None
    assert all(audit._ESCAPED.search(c) for c in ['"', "\\", *map(chr, range(0x20))])


def no_reference_path(monkeypatch) -> None:
    """Make the reference path fail: whatever is hashed from here on, the fast path hashed it."""

    def refused(*args, **kwargs):
        raise AssertionError("the reference path was taken")

    monkeypatch.setattr(audit, "_event_rows", refused)
    monkeypatch.setattr(audit, "_reference_hash_rows", refused)


def test_the_fast_path_hashes_service_written_events_itself(trail, monkeypatch):
    """No shortcut is refused for what the services write, escapes and national events included."""
    world = trail
    with transaction.atomic():
        audit.record(
            actor=audit.Actor(
                user=world.officer2, role="district_chief", area_code="5001", acting_for=world.chief
            ),
            action="comment",
            object_type="project",
            object_id=7,
            district=None,
            comment='แทน "หัวหน้า" \\N \\ ✓\n\ttab\r\x01',
            is_late=True,
            payload={"text": '\\ " \t', "f": 0.1},
        )
    expected = {e.pk: (e.hash, audit.compute_hash(e)) for e in AuditEvent.objects.all()}
    no_reference_path(monkeypatch)
    assert recomputed() == expected
    assert audit.verify() == []


def test_the_fast_path_and_compute_hash_agree_on_odd_values(trail):
    """Values of shapes the services never write: each row hashes as compute_hash hashes it, by the
    fast path or (for a shape it does not take) by the reference path, and verify says the same."""
    table = AuditEvent._meta.db_table
    events = list(AuditEvent.objects.order_by("id"))
    changes = [
        ("created_at", "2026-01-02 03:04:05"),  # no microseconds
        ("comment", 'ขึ้นบรรทัด\nใหม่ \\N\t\\t "q" \x7f'),
        ("district_id", None),
        ("object_id", ""),
    ]
    if connection.vendor == "sqlite":
        changes += [
            ("created_at", "2026-01-02 03:04:05.123456+07:00"),  # an offset: the reference path
            ("created_at", "2026-02-30 03:04:05.123456"),  # not a date: the reference path, which fails
            ("is_late", 2),
            ("is_late", "yes"),
        ]
    else:
        changes += [("created_at", "9999-12-31 23:59:59.999999+00"), ("created_at", "1000-01-01 00:00:00+00")]
    for (column, value), event in zip(changes, events, strict=False):
        tamper(f"UPDATE {table} SET {column} = %s WHERE id = %s", [value, event.pk])  # noqa: S608
    if connection.vendor == "sqlite":
        # The reference path cannot read "2026-02-30" either: both fail the same way.
        with pytest.raises(ValueError):
            audit.verify()
        with pytest.raises(ValueError):
            list(AuditEvent.objects.filter(pk=events[5].pk))
        tamper(f"UPDATE {table} SET created_at = %s WHERE id = %s", ["2026-02-28 03:04:05", events[5].pk])  # noqa: S608
    found = recomputed()
    for event in AuditEvent.objects.all():
        assert found[event.pk] == (event.hash, audit.compute_hash(event))
    reasons = {(b.chain, b.chain_seq, b.reason) for b in audit.verify()}
    assert ("5001", 1, "content does not match its hash") in reasons


def test_the_fast_path_refuses_no_service_written_type(trail):
    """The checks of the fast path see the types the drivers give for what the services write."""
    raw = audit._Raw.of(connection)
    assert raw is not None
    for _, _, _, _, stored, fresh, _ in raw.items("1 = 1", []):
        assert fresh == stored


def test_split_balances_ranges_of_keys():
    heads = [("a", 10), ("b", 10), ("c", 10), ("d", 10)]
    assert audit._split(heads, 1) == [(None, None)]
    assert audit._split(heads, 2) == [(None, "c"), ("c", None)]
    assert audit._split(heads, 4) == [(None, "b"), ("b", "c"), ("c", "d"), ("d", None)]
    assert audit._split([("a", 100), ("b", 1), ("c", 1)], 2) == [(None, "b"), ("b", None)]
    assert audit._split([("a", 5)], 2) == [(None, None)]


# --- Verified side by side in worker processes ---------------------------------------------------


@pytest.fixture
def workers(monkeypatch) -> list[list[tuple[str | None, str | None]]]:
    """Any trail is verified by workers when asked; the key ranges of each such verification.

    The test process may keep idle threads of earlier tests (asgiref's executors, a live
    server's): what the thread rule decides is tested on its own below, so here it is lifted.
    """
    monkeypatch.setattr(audit, "PARALLEL_MIN_EVENTS", 0)
    monkeypatch.setattr(audit, "_threads_allow_fork", lambda: True)
    calls: list[list[tuple[str | None, str | None]]] = []
    in_workers = audit._in_workers

    def spy(alias, parts):
        calls.append(list(parts))
        return in_workers(alias, parts)

    monkeypatch.setattr(audit, "_in_workers", spy)
    return calls


def record_many(chains: int, per_chain: int) -> list[str]:
    """``per_chain`` events in each of ``chains`` districts and in the national chain, committed."""
    from django.contrib.auth import get_user_model

    from workflow.models import District, Province

    province = Province.objects.create(code="90", name_th="จังหวัดทดสอบ")
    districts = District.objects.bulk_create(
        District(code=f"9{n:03d}", province=province, name_th=f"อำเภอ {n}") for n in range(chains)
    )
    user = get_user_model().objects.create(username="ผู้บันทึก")
    with transaction.atomic():
        for i in range(per_chain):
            for district in [*districts, None]:
                audit.record(
                    actor=audit.Actor(
                        user=user, role="district_chief", area_code=district.code if district else "TH"
                    ),
                    action="comment",
                    object_type="project",
                    object_id=i,
                    district=district,
                    comment=f'ความเห็น "{i}"\n' if i % 2 else "",
                    is_late=i % 3 == 0,
                    rule_results=ALL_PASSED,
                    budget={"cap": Decimal("150000.00"), "committed": Decimal(i)},
                    payload={"n": i, "title": f"โครงการ {i}", "z": [1.5, None, {"ข": True}]},
                )
    return [d.code for d in districts]


def part_of(key: str, parts: list[tuple[str | None, str | None]]) -> int:
    [index] = [
        i
        for i, (low, high) in enumerate(parts)
        if (low is None or low <= key) and (high is None or key < high)
    ]
    return index


def by_workers(count: int) -> audit.Verification:
    connection.close()  # as a command starts: no connection of the test's thread to inherit
    return audit.check(workers=count)


@pytest.mark.django_db(transaction=True)
def test_workers_verify_a_clean_trail_as_one_process_does(workers):
    record_many(chains=9, per_chain=4)
    alone = audit.check()
    assert (alone.breaks, alone.chains, alone.events) == ([], 10, 40)
    for count in (2, 3, 4):
        assert by_workers(count) == alone
    assert [len(parts) for parts in workers] == [2, 3, 4]
    assert workers[1] == [(None, "9004"), ("9004", "9007"), ("9007", None)]
    out = io.StringIO()
    call_command("verify_audit", "--workers", "3", stdout=out)
    assert out.getvalue().strip() == "OK: 10 chain(s), 40 event(s) verified"


@pytest.mark.django_db(transaction=True)
def test_workers_report_each_break_as_one_process_does(workers):
    """Breaks of every kind, in chains verified by different workers: the same Break, in the same
    order, whichever worker found it."""
    keys = record_many(chains=9, per_chain=4)
    table, heads = AuditEvent._meta.db_table, AuditChain._meta.db_table
    key_column = connection.ops.quote_name("key")
    changed = chain_event(keys[0], 2)
    tamper(f"UPDATE {table} SET comment = %s WHERE id = %s", ["ปลอม", changed.pk])  # noqa: S608
    removed = chain_event(keys[4], 2)
    tamper(f"DELETE FROM {table} WHERE id = %s", [removed.pk])  # noqa: S608
    odd = chain_event(keys[5], 3)  # a time the fast path leaves to the reference path, then a change
    tamper(f"UPDATE {table} SET created_at = %s WHERE id = %s", ["0999-01-02 03:04:05+00:00", odd.pk])  # noqa: S608
    last = chain_event(keys[7], 4)
    tamper(f"DELETE FROM {table} WHERE id = %s", [last.pk])  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {heads} WHERE {key_column} = %s", [keys[8]])  # noqa: S608
        cursor.execute(f"INSERT INTO {heads} VALUES (%s, %s, %s)", ["9100", 2, "e" * 64])  # noqa: S608
    expected = [
        audit.Break(changed.pk, keys[0], 2, "content does not match its hash"),
        audit.Break(chain_event(keys[4], 3).pk, keys[4], 3, "sequence gap: expected 2"),
        audit.Break(odd.pk, keys[5], 3, "content does not match its hash"),
        audit.Break(
            chain_event(keys[7], 3).pk,
            keys[7],
            3,
            "chain ends at 3 but its head records 4: events were removed",
        ),
        audit.Break(None, "9100", 0, "chain ends at 0 but its head records 2: events were removed"),
        audit.Break(chain_event(keys[8], 1).pk, keys[8], 1, "chain head missing"),
    ]
    assert audit.verify() == expected
    for count in (2, 3, 4):
        assert by_workers(count).breaks == expected
    assert len(workers) == 3
    # The broken chains were spread over the four workers.
    parts = workers[2]
    assert parts == [(None, "9003"), ("9003", "9005"), ("9005", "9100"), ("9100", None)]
    assert {part_of(brk.chain, parts) for brk in expected} == {0, 1, 2, 3}
    first = min(expected[:4] + expected[5:], key=lambda brk: brk.event_id)
    assert verify_error("--workers", "4") == (
        f"audit chain broken at event #{first.event_id} (chain {first.chain}, seq {first.chain_seq}): {first.reason}"
    )


@pytest.mark.django_db(transaction=True)
def test_a_worker_that_fails_fails_the_verification(workers, monkeypatch):
    record_many(chains=3, per_chain=2)

    def broken(connection, only, low, high):
        raise RuntimeError(f"worker failed on {low}..{high}")

    monkeypatch.setattr(audit, "_verify_part", broken)
    with pytest.raises(RuntimeError, match=r"worker failed on None\.\.9"):
        by_workers(2)


def test_inside_a_transaction_the_chains_are_verified_in_this_process(trail, workers):
    """Workers would not see this transaction's events: the verification stays here."""
    assert audit.check(workers=2) == audit.check()
    assert workers == []
    assert verify_output("--workers", "2").strip() == "OK: 3 chain(s), 8 event(s) verified"


@pytest.mark.django_db(transaction=True)
def test_a_small_trail_is_verified_in_this_process(monkeypatch):
    record_many(chains=2, per_chain=2)
    calls = []
    monkeypatch.setattr(audit, "_in_workers", lambda *args: calls.append(args))
    assert by_workers(2).breaks == []
    assert calls == []


def by_reference_path(monkeypatch) -> list[audit.Break]:
    """``verify`` with the fast path refused: every chain by the ORM's conversions."""
    with monkeypatch.context() as patch:
        patch.setattr(audit._Raw, "of", classmethod(lambda cls, connection: None))
        return audit.verify()


@pytest.mark.parametrize("chunk", [1, 2, 3, 1000])
def test_the_fast_path_finds_the_reference_paths_breaks_whatever_the_chunks(trail, monkeypatch, chunk):
    """Breaks of each kind, odd values among them, chains cut across chunks of rows."""
    table = AuditEvent._meta.db_table
    tamper(f"UPDATE {table} SET comment = %s WHERE id = %s", ["ปลอม", chain_event("5001", 3).pk])  # noqa: S608
    tamper(
        f"UPDATE {table} SET created_at = %s WHERE id = %s",  # noqa: S608
        ["0999-01-02 03:04:05", chain_event("5002", 2).pk],
    )
    tamper(f"DELETE FROM {table} WHERE id = %s", [chain_event(audit.NATIONAL_CHAIN, 1).pk])  # noqa: S608
    expected = by_reference_path(monkeypatch)
    assert [(b.chain, b.chain_seq, b.reason) for b in expected] == [
        ("5001", 3, "content does not match its hash"),
        ("5002", 2, "content does not match its hash"),
        ("TH", 0, "chain ends at 0 but its head records 1: events were removed"),
    ]
    monkeypatch.setattr(audit, "_RAW_CHUNK", chunk)
    assert audit.verify() == expected


def test_json_columns_are_written_as_the_reference_writes_them():
    """Texts parsed together, one by one (one of them is not JSON), repeated or not."""
    from json import dumps

    field = AuditEvent._meta.get_field("payload")

    def one(text):
        return audit._JsonTexts(lambda stored: field.from_db_value(stored, None, connection))[text]

    convert = audit._json_column(one, binary=False)
    repeated = ['{"b": 1, "a": [2.50, "ข"]}'] * 4
    assert convert(repeated) == ['{"a":[2.5,"ข"],"b":1}'] * 4
    unique = [dumps({"n": n, "t": "\u0e01\\"}) for n in range(4)]
    assert convert(unique) == [one(text) for text in unique]
    mixed = ["not json", "[1, 2]", " {} ", "null", "1 2"]
    assert convert(mixed) == ['"not json"', "[1,2]", "{}", "null", '"1 2"']
    assert audit._json_column(one, binary=True)([b'{"x": "\xe0\xb8\x81"}']) == ['{"x":"ก"}'.encode()]


def test_sqlite_times_are_written_as_the_reference_writes_them():
    usual = ["2026-12-06 14:50:20.496259", "2026-01-02 03:04:05"]
    assert audit._sqlite_times(usual) == ['"2026-12-06T14:50:20.496259Z"', '"2026-01-02T03:04:05.000000Z"']
    odd = [
        "0999-01-02 03:04:05",
        "2026-02-30 03:04:05",
        "2026-01-02T03:04:05",
        "2026-01-02 03:04:05+07:00",
        7,
    ]
    assert audit._sqlite_times([*usual, *odd]) == [*audit._sqlite_times(usual), None, None, None, None, None]


def test_the_push_loop_lets_verification_fork_but_any_other_thread_does_not(monkeypatch):
    """Forking beside a thread is unsafe unless it says it holds nothing a child needs: the
    websocket push loop (no database connection) does; an ordinary thread does not."""
    import threading

    from notifications import push

    push._push_loop()
    loop_thread = next(t for t in threading.enumerate() if t.name == "websocket-push")
    other = threading.Thread(target=lambda: None)
    current = threading.current_thread()
    monkeypatch.setattr(threading, "enumerate", lambda: [current, loop_thread])
    assert audit._threads_allow_fork()
    monkeypatch.setattr(threading, "enumerate", lambda: [current, loop_thread, other])
    assert not audit._threads_allow_fork()
    monkeypatch.setattr(threading, "enumerate", lambda: [current])
    assert audit._threads_allow_fork()

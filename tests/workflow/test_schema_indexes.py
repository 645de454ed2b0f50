"""The tables every transition writes carry no index another already covers, and no index of a
column the service leaves empty holds the rows that leave it empty: each index is one more
write per row a transition writes (issue 9), and one that no query needs only costs. Migration
0012 dropped seven; 0013 made viewflow's indexes of columns this service never sets partial and
dropped the covered ones, 0014 made the audit trail's index of the account a delegate acted for
partial, and notifications' 0006 dropped the index of a notice's event. This holds the schema
(as migrated, on each database) to it."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from viewflow.workflow.models import Task

from tests import factories as f
from workflow.models import AuditEvent
from workflow.services import projects as svc

WRITTEN_EVERY_TRANSITION = (
    "workflow_auditevent",
    "workflow_project",
    "notifications_notification",
    "viewflow_task",
    "viewflow_task_previous",
)
# viewflow's task columns this service never sets, and the audit trail's delegate column that
# most events leave empty: each one's index holds only the rows where it is set.
ONLY_WHERE_SET = {
    "viewflow_task": [
        "owner_permission_content_type_id",
        "artifact_content_type_id",
        "seed_content_type_id",
        "scheduled",
        "external_task_id",
    ],
    "viewflow_process": ["seed_content_type_id", "parent_task_id", "artifact_content_type_id"],
    "workflow_auditevent": ["acting_for_id"],
}


def indexes(table: str) -> dict[str, tuple[tuple[str, ...], bool]]:
    """Each index of ``table``: its columns, and whether it is unique (or the primary key)."""
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, table)
    return {
        name: (tuple(c["columns"]), bool(c["unique"] or c["primary_key"]))
        for name, c in found.items()
        if c["index"] or c["primary_key"] or c["unique"]
    }


def definitions(table: str) -> dict[str, str]:
    """Each index of ``table`` as the database holds it (``CREATE … INDEX …``), by name."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s", [table])
        else:
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s", [table]
            )
        return {name: sql or "" for name, sql in cursor.fetchall()}  # SQLite: no text for a key's own


def is_partial(definition: str) -> bool:
    return " WHERE " in definition.upper()


@pytest.mark.django_db
@pytest.mark.parametrize("table", WRITTEN_EVERY_TRANSITION)
def test_no_index_of_a_table_every_transition_writes_is_covered_by_another(table):
    found = indexes(table)
    text = definitions(table)
    covered = []
    for name, (columns, unique) in found.items():
        if unique:
            continue  # a unique index is a rule, not a look-up
        for other, (wider, _unique) in found.items():
            # A look-up by ``columns`` can read ``other``: the same leading columns, and all
            # rows (a partial index holds only some).
            if other != name and wider[: len(columns)] == columns and not is_partial(text.get(other, "")):
                covered.append(f"{name} {columns} by {other} {wider}")
    assert not covered, covered


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("table", "column"), [(t, c) for t, columns in ONLY_WHERE_SET.items() for c in columns]
)
def test_an_index_of_a_column_mostly_left_empty_holds_only_rows_where_it_is_set(table, column):
    text = definitions(table)
    leading = [name for name, (columns, _unique) in indexes(table).items() if columns[0] == column]
    assert leading, f"{table}.{column} has no index: a look-up by it (a cascade's) would read the whole table"
    for name in leading:
        assert is_partial(text[name]) and "IS NOT NULL" in text[name].upper(), text[name]


@pytest.mark.django_db
def test_a_look_up_by_a_value_still_reads_the_partial_index():
    """The look-up a content type's deletion makes (``seed_content_type_id = …``) is answered
    from the partial index: a value implies the column is set."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")  # a near-empty table is scanned otherwise
            cursor.execute("EXPLAIN SELECT id FROM viewflow_task WHERE seed_content_type_id = %s", [1])
        else:
            cursor.execute(
                "EXPLAIN QUERY PLAN SELECT id FROM viewflow_task WHERE seed_content_type_id = %s", [1]
            )
        plan = " ".join(str(part) for row in cursor.fetchall() for part in row)
    assert "rm_task_seed_content_type_id_set" in plan, plan


@pytest.mark.django_db
def test_a_transitions_rows_leave_the_partially_indexed_columns_empty(world: Any):
    """What makes the partial indexes pay: the tasks a transition writes and its event (taken by
    the chief, not a delegate) set none of those columns."""
    p = f.make_project(world.officer, world.entry)
    last = Task.objects.order_by("-pk").values_list("pk", flat=True).first()
    svc.project_approve(project=p.pk, acting_user=world.chief)
    written = Task.objects.filter(pk__gt=last)
    assert written.count() == 2  # the Switch and the next node (the closed one is older)
    for column in ONLY_WHERE_SET["viewflow_task"]:
        assert not written.filter(**{f"{column}__isnull": False}).exists(), column
    event = AuditEvent.objects.filter(project=p).latest("id")
    assert event.action == "approve" and event.acting_for_id is None


@pytest.mark.django_db
def test_the_audit_trail_keeps_its_list_indexes():
    """The keys' indexes were dropped by name, not by rebuilding the table (on SQLite a rebuild
    would have lost 0006's list indexes, and 0003's append-only triggers: ``test_audit``)."""
    assert {
        "rm_audit_district_id",
        "rm_audit_action_id",
        "audit_chain_seq_unique",
        "audit_province",
        "audit_acting_for",
    } <= set(indexes("workflow_auditevent"))

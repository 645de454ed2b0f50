"""The tables every transition writes carry no index another already covers: each index is
one more write per event and per change of state (issue 9), and one that no query needs only
costs. Migration 0012 dropped seven; this holds the schema (as migrated, on each database) to it."""

from __future__ import annotations

import pytest
from django.db import connection

WRITTEN_EVERY_TRANSITION = ("workflow_auditevent", "workflow_project", "notifications_notification")


def indexes(table: str) -> dict[str, tuple[tuple[str, ...], bool]]:
    """Each index of ``table``: its columns, and whether it is unique (or the primary key)."""
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, table)
    return {
        name: (tuple(c["columns"]), bool(c["unique"] or c["primary_key"]))
        for name, c in found.items()
        if c["index"] or c["primary_key"] or c["unique"]
    }


@pytest.mark.django_db
@pytest.mark.parametrize("table", WRITTEN_EVERY_TRANSITION)
def test_no_index_of_a_table_every_transition_writes_is_covered_by_another(table):
    found = indexes(table)
    covered = []
    for name, (columns, unique) in found.items():
        if unique:
            continue  # a unique index is a rule, not a look-up
        for other, (wider, wider_unique) in found.items():
            # A look-up by ``columns`` can read ``other``: the same leading columns, all rows
            # (a partial unique index covers only some rows, so only the primary key counts).
            if (
                other != name
                and wider[: len(columns)] == columns
                and (not wider_unique or other.endswith("pkey"))
            ):
                covered.append(f"{name} {columns} by {other} {wider}")
    assert not covered, covered


@pytest.mark.django_db
def test_the_audit_trail_keeps_its_list_indexes():
    """The keys' indexes were dropped by name, not by rebuilding the table (on SQLite a rebuild
    would have lost 0006's list indexes, and 0003's append-only triggers: ``test_audit``)."""
    assert {"rm_audit_district_id", "rm_audit_action_id", "audit_chain_seq_unique", "audit_province"} <= set(
        indexes("workflow_auditevent")
    )

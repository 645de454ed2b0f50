"""viewflow's indexes of columns this service never sets hold only the rows where they are set.

Every transition writes three of viewflow's task rows (the task it closes, the ``Switch`` after
it and the node it leads to) and two links between them, and every index of those tables is
one more write for each row. viewflow indexes columns this service leaves empty (it has no
timers of viewflow's, no jobs, no artifacts or seeds, no per-task permission, no
subprocesses): the content types' keys, ``scheduled`` and ``external_task_id``. Here those
indexes are partial, ``WHERE column IS NOT NULL``: a look-up by a value (a content type's
cascade, viewflow's timer query) still reads one, and a row that leaves the column empty
writes nothing to it. Measured (issue 9, docs/benchmarks.md "Ninth pass"): 16 % less
write-ahead log per transition on PostgreSQL, about 9 % more transitions a second on SQLite.

Dropped outright, because another index answers every look-up they served: on PostgreSQL
the text-pattern twins of ``status`` and ``external_task_id`` (nothing matches a pattern on
either), the link table's ``from_task_id`` (its unique ``(from_task_id, to_task_id)`` leads
with it) and the process's ``artifact_content_type_id`` (``(artifact_content_type_id,
artifact_object_id)`` leads with it, and is itself partial now).

viewflow's tables are not ours, so this is plain SQL on the names Django gave its indexes
(the same on every database), valid on SQLite and PostgreSQL; viewflow's model state is left
as it is.
"""

from django.db import migrations

# (table, the index viewflow's migrations made, its columns)
ONLY_WHERE_SET = [
    (
        "viewflow_task",
        "viewflow_task_owner_permission_content_type_id_5fc72a99",
        "owner_permission_content_type_id",
    ),
    ("viewflow_task", "viewflow_task_artifact_content_type_id_50385e8d", "artifact_content_type_id"),
    ("viewflow_task", "viewflow_task_seed_content_type_id_bed3f17b", "seed_content_type_id"),
    ("viewflow_task", "viewflow_task_scheduled_bbd49899", "scheduled"),
    ("viewflow_task", "viewflow_task_external_task_id_2f93bc2f", "external_task_id"),
    ("viewflow_process", "viewflow_process_seed_content_type_id_d648268f", "seed_content_type_id"),
    ("viewflow_process", "viewflow_process_parent_task_id_d3453359", "parent_task_id"),
    ("viewflow_process", "viewflow_pr_artifac_64c8a3_idx", "artifact_content_type_id, artifact_object_id"),
]
# (table, index, its columns): covered by another index
COVERED = [
    ("viewflow_task_previous", "viewflow_task_previous_from_task_id_da5536f6", "from_task_id"),
    ("viewflow_process", "viewflow_process_artifact_content_type_id_8e40f778", "artifact_content_type_id"),
]
# PostgreSQL's text-pattern twins (``varchar_pattern_ops``) of these indexes
LIKE_TWINS = [
    ("viewflow_task", "viewflow_task_status_ffb4516b", "status"),
    ("viewflow_task", "viewflow_task_external_task_id_2f93bc2f", "external_task_id"),
]


def partial_name(table: str, columns: str) -> str:
    """``rm_task_scheduled_set``, ``rm_process_seed_content_type_id_set``…"""
    return f"rm_{table.removeprefix('viewflow_')}_{columns.split(',')[0]}_set"


def forwards(apps, schema_editor):
    q = schema_editor.quote_name
    if schema_editor.connection.vendor == "postgresql":
        for _table, name, _columns in LIKE_TWINS:
            schema_editor.execute(f"DROP INDEX IF EXISTS {q(name + '_like')}")
    for _table, name, _columns in COVERED:
        schema_editor.execute(f"DROP INDEX IF EXISTS {q(name)}")
    for table, name, columns in ONLY_WHERE_SET:
        schema_editor.execute(f"DROP INDEX IF EXISTS {q(name)}")
        first = columns.split(",")[0]
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {q(partial_name(table, columns))} "
            f"ON {q(table)} ({columns}) WHERE {first} IS NOT NULL"
        )


def backwards(apps, schema_editor):
    q = schema_editor.quote_name
    for table, name, columns in ONLY_WHERE_SET:
        schema_editor.execute(f"DROP INDEX IF EXISTS {q(partial_name(table, columns))}")
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {q(name)} ON {q(table)} ({columns})")
    for table, name, columns in COVERED:
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {q(name)} ON {q(table)} ({columns})")
    if schema_editor.connection.vendor == "postgresql":
        for table, name, columns in LIKE_TWINS:
            schema_editor.execute(
                f"CREATE INDEX IF NOT EXISTS {q(name + '_like')} ON {q(table)} ({columns} varchar_pattern_ops)"
            )


class Migration(migrations.Migration):
    dependencies = [
        ("workflow", "0012_fewer_indexes_written"),
        ("viewflow", "0015_task_scheduled"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]

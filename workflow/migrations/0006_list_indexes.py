"""Indexes for the lists that must not slow down as the history grows.

``rm_task_open`` holds only open tasks (new, assigned, started): the inbox, the claimable
queue and their counts read it instead of walking every task ever created. It is partial, so
its size follows the work waiting, not the history. SQLite uses a partial index only when the
query repeats its WHERE term word for word with the values written in, which is why
``approvals.selectors.open_task`` writes ``status IN ('NEW', 'ASSIGNED', 'STARTED')``
literally.

The audit search lists the newest events first (``ORDER BY id DESC``): with ``(district_id,
id)`` and ``(action, id)`` a filtered first page reads 50 index entries instead of sorting
all of a district's or an action's events.

viewflow's table is not one of ours, so these are plain SQL, valid on SQLite and PostgreSQL.
"""

from django.db import migrations

OPEN = "('NEW', 'ASSIGNED', 'STARTED')"

INDEXES = [
    (
        "rm_task_open",
        f"viewflow_task (flow_task, created, id) WHERE status IN {OPEN}",
    ),
    ("rm_audit_district_id", "workflow_auditevent (district_id, id)"),
    ("rm_audit_action_id", "workflow_auditevent (action, id)"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("workflow", "0005_schedule"),
        ("viewflow", "0015_task_scheduled"),
    ]

    operations = [
        migrations.RunSQL(
            sql=f"CREATE INDEX IF NOT EXISTS {name} ON {definition}",
            reverse_sql=f"DROP INDEX IF EXISTS {name}",
        )
        for name, definition in INDEXES
    ]

"""No index of a notice's audit event: nothing looks notices up by their event, and no event is
ever deleted (the audit table's triggers refuse it), so the index was only one more write with
every notice. Dropped by name, as ``workflow`` 0012 drops the audit keys' indexes (an altered
``db_index`` would make SQLite rebuild the table)."""

import django.db.models.deletion
from django.db import migrations, models

KEY_INDEX = "notifications_notification_event_id_28551f97"


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0005_verbose_names"),
        ("workflow", "0014_audit_acting_for_only_where_set"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="notification",
                    name="event",
                    field=models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="workflow.auditevent",
                        verbose_name="audit event",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{KEY_INDEX}"',
                    f'CREATE INDEX IF NOT EXISTS "{KEY_INDEX}" ON "notifications_notification" ("event_id")',
                ),
            ],
        ),
    ]

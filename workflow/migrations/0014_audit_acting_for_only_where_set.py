"""The index of the account a delegate acted for holds only the events a delegate took.

Nearly every event is taken by the account's own holder and leaves ``acting_for`` empty; the
key's full index was one more write with each of them. ``audit_acting_for`` is partial
(``WHERE acting_for_id IS NOT NULL``): the look-up by an account (the ``PROTECT`` check when an
account is deleted) still reads it. The key's index is dropped by name: altering ``db_index``
would make SQLite rebuild the audit table, which drops its append-only triggers (0003) and the
list indexes of 0006 (as in 0012).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

KEY_INDEX = "workflow_auditevent_acting_for_id_9ae7d8e9"


class Migration(migrations.Migration):
    dependencies = [
        ("workflow", "0013_viewflow_indexes_only_where_set"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="auditevent",
                    name="acting_for",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="account acted for",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{KEY_INDEX}"',
                    f'CREATE INDEX IF NOT EXISTS "{KEY_INDEX}" ON "workflow_auditevent" ("acting_for_id")',
                ),
            ],
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(
                condition=models.Q(("acting_for__isnull", False)),
                fields=["acting_for"],
                name="audit_acting_for",
            ),
        ),
    ]

"""Fewer indexes written with every event and every change of a project's state.

The audit trail kept two indexes twice (the actor's, ``action`` beside ``rm_audit_action_id``)
and indexes of its district, province and project keys that the composite indexes cover (on
PostgreSQL each code's key also had a text-pattern twin); a project's district key is covered
by ``(district, edition, state)``. Each was one more write per event or transition.

The keys' indexes are dropped by name: altering ``db_index`` would make SQLite rebuild the
audit table, which drops its append-only triggers (0003) and the list indexes of 0006.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# (table, column, the index Django made for the key, whether PostgreSQL also has a "_like" twin)
KEY_INDEXES = [
    ("workflow_auditevent", "district_id", "workflow_auditevent_district_id_992f4e9d", True),
    ("workflow_auditevent", "project_id", "workflow_auditevent_project_id_e1c16d5c", False),
    ("workflow_auditevent", "province_id", "workflow_auditevent_province_id_bf89a137", True),
    ("workflow_project", "district_id", "workflow_project_district_id_c891b5dc", True),
]


def drop_key_indexes(apps, schema_editor):
    postgres = schema_editor.connection.vendor == "postgresql"
    for _table, _column, name, like in KEY_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(name)}")
        if like and postgres:
            schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(name + '_like')}")


def restore_key_indexes(apps, schema_editor):
    postgres = schema_editor.connection.vendor == "postgresql"
    for table, column, name, like in KEY_INDEXES:
        q = schema_editor.quote_name
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {q(name)} ON {q(table)} ({q(column)})")
        if like and postgres:
            schema_editor.execute(
                f"CREATE INDEX IF NOT EXISTS {q(name + '_like')} ON {q(table)} ({q(column)} varchar_pattern_ops)"
            )


class Migration(migrations.Migration):
    dependencies = [
        ("workflow", "0011_verbose_names"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="auditevent",
            name="workflow_au_action_70bf62_idx",
        ),
        migrations.RemoveIndex(
            model_name="auditevent",
            name="workflow_au_actor_i_f5a0dd_idx",
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(fields=["province"], name="audit_province"),
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="auditevent",
                    name="district",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="workflow.district",
                        verbose_name="district",
                    ),
                ),
                migrations.AlterField(
                    model_name="auditevent",
                    name="project",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="events",
                        to="workflow.project",
                        verbose_name="project",
                    ),
                ),
                migrations.AlterField(
                    model_name="auditevent",
                    name="province",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="workflow.province",
                        verbose_name="province",
                    ),
                ),
                migrations.AlterField(
                    model_name="project",
                    name="district",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="projects",
                        to="workflow.district",
                        verbose_name="district",
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(drop_key_indexes, restore_key_indexes)],
        ),
    ]

"""Role Model districts per edition, and a bank entry taken once while its project is live.

* ``RoleModelDistrict``: the districts designated for an edition (who and when). Existing
  editions keep working: every district that already has a project in an edition is
  designated for it (``designated_by`` empty: done by this migration).
* ``project_bank_entry_once_live``: a partial unique index on (edition, bank entry) over
  projects that are not rejected or withdrawn, so two concurrent selections of one entry
  cannot both commit. A database that already holds two live projects of one entry in one
  edition stops here naming them: withdraw or reject the extra one, then migrate again.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models
from django.db.models import Count

RELEASED = ["rejected", "withdrawn"]


def designate_districts_with_projects(apps, schema_editor):
    Project = apps.get_model("workflow", "Project")
    RoleModelDistrict = apps.get_model("workflow", "RoleModelDistrict")
    pairs = Project.objects.values_list("edition_id", "district_id").distinct().order_by()
    now = django.utils.timezone.now()
    RoleModelDistrict.objects.bulk_create(
        [RoleModelDistrict(edition_id=e, district_id=d, designated_at=now) for e, d in pairs],
        ignore_conflicts=True,
    )


def refuse_entries_taken_twice(apps, schema_editor):
    Project = apps.get_model("workflow", "Project")
    twice = list(
        Project.objects.exclude(state__in=RELEASED)
        .values("edition_id", "bank_entry_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .order_by("edition_id", "bank_entry_id")
    )
    if not twice:
        return
    names = []
    for row in twice:
        ids = Project.objects.exclude(state__in=RELEASED).filter(
            edition_id=row["edition_id"], bank_entry_id=row["bank_entry_id"]
        )
        names.append(
            f"edition {row['edition_id']}, bank entry {row['bank_entry_id']}: projects "
            + ", ".join(str(pk) for pk in ids.order_by("id").values_list("id", flat=True))
        )
    raise RuntimeError(
        "A bank entry is selected by more than one live project; withdraw or reject the extra "
        "ones and migrate again. " + "; ".join(names)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("workflow", "0006_list_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="RoleModelDistrict",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "designated_at",
                    models.DateTimeField(default=django.utils.timezone.now, verbose_name="designated"),
                ),
                (
                    "designated_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="designated by",
                    ),
                ),
                (
                    "district",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="designations",
                        to="workflow.district",
                        verbose_name="district",
                    ),
                ),
                (
                    "edition",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="designations",
                        to="workflow.edition",
                        verbose_name="edition",
                    ),
                ),
            ],
            options={
                "verbose_name": "Role Model district",
                "verbose_name_plural": "Role Model districts",
                "ordering": ["edition", "district"],
                "constraints": [
                    models.UniqueConstraint(fields=("edition", "district"), name="role_model_district_once")
                ],
            },
        ),
        migrations.RunPython(designate_districts_with_projects, migrations.RunPython.noop),
        migrations.RunPython(refuse_entries_taken_twice, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="project",
            constraint=models.UniqueConstraint(
                condition=models.Q(("state__in", RELEASED), _negated=True),
                fields=("edition", "bank_entry"),
                name="project_bank_entry_once_live",
            ),
        ),
    ]

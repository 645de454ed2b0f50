"""Edition 2564 exactly as the guideline sets it: 150,000.00 THB per district, due 2021-08-31."""

import datetime
from decimal import Decimal

from django.db import migrations

DIMENSIONS = ["economy", "social", "environment", "security", "administration", "other"]


def create_2564(apps, schema_editor):
    Edition = apps.get_model("workflow", "Edition")
    Edition.objects.get_or_create(
        code="2564",
        defaults={
            "title": "อำเภอต้นแบบ (Role Model) ตามโครงการพัฒนาตำบลแบบบูรณาการ (Tambon Smart Team) ปี 2564",
            "budget_cap": Decimal("150000.00"),
            "deadline": datetime.date(2021, 8, 31),
            "is_active": True,
            "dimensions": DIMENSIONS,
            "central_email": "dopa.areaplan@gmail.com",
        },
    )


def remove_2564(apps, schema_editor):
    Edition = apps.get_model("workflow", "Edition")
    Edition.objects.filter(code="2564", projects__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("workflow", "0001_initial")]
    operations = [migrations.RunPython(create_2564, remove_2564)]

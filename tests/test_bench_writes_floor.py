"""The benchmark's floor of our own writes writes what a transition writes.

``bench/writes_floor.py`` times the rows the services wrote, written again as bare SQL; the
services' rate is divided by it. Were a transition to write a table the floor does not copy,
the floor would be too low a yardstick and the ratio would flatter the services: this test
reads the tables every statement of the four steps writes and holds them to the floor's. It
times nothing.
"""

from __future__ import annotations

import re
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bench import writes_floor
from tests import factories as f
from workflow.models import State
from workflow.services import projects as svc

User = get_user_model()
# The services and Django quote every table they write ("FOR UPDATE OF p", "DO UPDATE SET" are not writes).
WRITES = re.compile(r'(?:INSERT INTO|UPDATE|DELETE FROM)\s+"(\w+)"', re.IGNORECASE)


def test_the_floor_writes_every_table_the_four_steps_write_and_the_same_rows(world):
    project = f.make_project(world.officer, world.entry)
    record = svc.ImplementationInput(
        spend_lines=[svc.LineInput("วัสดุ", "activity_materials", Decimal("30000.00"))],
        activities_done="อบรม",
        villages_reached=2,
        households_reached=40,
    )
    steps = [
        (svc.project_approve, world.chief, {}),
        (svc.project_implement, world.officer, {"record": record}),
        (svc.project_monitor, world.inspector, {"findings": "ครบ"}),
        (svc.project_report, world.officer, {"result_narrative": "รายได้เพิ่ม"}),
    ]
    written: set[str] = set()
    for service, user, arguments in steps:
        with CaptureQueriesContext(connection) as captured:
            service(project=project.pk, acting_user=User.objects.get(pk=user.pk), **arguments)
        for query in captured.captured_queries:
            written.update(WRITES.findall(query["sql"]))
    project.refresh_from_db()
    assert project.state == State.REPORTED

    copied = {model._meta.db_table for model in writes_floor._tables().values()}
    assert written, "no write was captured"
    assert written <= copied, f"written but not in the floor: {sorted(written - copied)}"

    before = set(connection.introspection.table_names())
    result = writes_floor.run_writes_floor([project.pk])
    assert result["transitions"] == 4
    # One statement a transition on PostgreSQL; elsewhere one per table written.
    if connection.vendor == "postgresql":
        assert result["sql_per_transition"] == 1
    else:
        assert result["sql_per_transition"] >= 6
    assert set(connection.introspection.table_names()) == before, "the floor's copies were left behind"

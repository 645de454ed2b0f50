"""``workflow.sql`` prepares the values it writes the short way where Django's preparation would
return them unchanged: for every model and every stored row, the values are Django's own."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.apps import apps
from django.db import connection

from tests import factories as f
from workflow import sql
from workflow.services import projects as svc


def _moving(field) -> bool:
    """A field whose value is made at each preparation (``auto_now``): compared by type only."""
    return bool(getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False))


@pytest.mark.django_db
def test_the_short_preparation_gives_djangos_values_for_every_model(world):
    project = f.make_project(world.officer, world.entry)
    svc.project_approve(project=project, acting_user=world.chief)
    checked = 0
    for model in apps.get_models():
        fields = sql._writable(model)
        for obj in model.objects.all()[:20]:
            for add in (True, False):
                kept = [f for f in fields if add or not f.primary_key]
                ours = [
                    prep(obj, fd, connection)
                    for prep, fd in zip(sql._preparers(model, add), kept, strict=True)
                ]
                django = [fd.get_db_prep_save(fd.pre_save(obj, add), connection) for fd in kept]
                for field, mine, theirs in zip(kept, ours, django, strict=True):
                    if _moving(field):
                        assert type(mine) is type(theirs), (model, field.name)
                    else:  # psycopg's Jsonb wrapper has no equality: compare what it wraps
                        assert (getattr(mine, "obj", mine), type(mine)) == (
                            getattr(theirs, "obj", theirs),
                            type(theirs),
                        ), (model, field.name)
            checked += 1
    assert checked > 50  # projects, lines, tasks, events, notices, users, areas...
    # And the short way is taken: a plain text column is read straight from the instance.
    assert sql._natural_types(project._meta.get_field("title")) == (str,)
    assert sql._natural_types(project._meta.get_field("created_at")) is None


@pytest.mark.django_db
def test_keys_numbers_and_hand_set_times_take_the_short_way_unless_the_backend_adapts_them(world):
    """A foreign key to an automatic key and any integer are stored as they are where the
    backend leaves integers alone (SQLite, PostgreSQL); a time set by hand goes straight to the
    backend's adaptation. A backend that adapts integers gets Django's preparation."""
    import datetime
    from types import SimpleNamespace

    from viewflow.workflow.models import Task

    from workflow.models import Project, SpendLine

    process = Task._meta.get_field("process")
    position = SpendLine._meta.get_field("position")
    assert sql._natural_types(process) == (int,)
    assert sql._natural_types(position) == (int,)
    assert sql._plain_datetime(Task._meta.get_field("finished"))
    assert not sql._plain_datetime(Project._meta.get_field("created_at"))  # auto_now_add
    line = SpendLine(project_id=41, position=7, description="x", category="wages", amount="1.00")
    index = [f.attname for f in sql._writable(SpendLine)].index("position")
    prepare = sql._preparers(SpendLine, True)[index]
    assert prepare(line, position, connection) == 7

    class Adapting(type(connection.ops)):  # type: ignore[misc]
        def adapt_integerfield_value(self, value, internal_type):
            return f"int:{value}"

    from django.db import connections

    other = SimpleNamespace(ops=Adapting(connections["default"]))  # what the preparation asks of it
    assert prepare(line, position, other) == "int:7"
    when = datetime.datetime(2026, 12, 7, 3, 0, tzinfo=datetime.UTC)
    task = Task(finished=when)
    finished = Task._meta.get_field("finished")
    at = [f.attname for f in sql._writable(Task)].index("finished")
    assert sql._preparers(Task, True)[at](task, finished, connection) == finished.get_db_prep_save(
        when, connection
    )


def test_each_thread_and_each_forked_child_writes_through_its_own_connection():
    """``sql.db()`` keeps the thread's connection: another thread gets its own, and a child
    process that replaced its connection after the fork writes through the new one."""
    import asyncio
    import os
    import threading

    from django.db import DEFAULT_DB_ALIAS, connections

    mine = connections[DEFAULT_DB_ALIAS]
    assert sql.db() is mine and sql.db() is mine
    seen: list[object] = []
    thread = threading.Thread(target=lambda: seen.extend([sql.db(), connections[DEFAULT_DB_ALIAS]]))
    thread.start()
    thread.join()
    assert seen[0] is seen[1] and seen[0] is not mine

    async def on_a_loop() -> tuple[object, object]:
        return sql.db(), connections[DEFAULT_DB_ALIAS]

    found, expected = asyncio.run(on_a_loop())
    assert found is expected
    assert sql.db() is mine

    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: replace the connection, as audit's workers do, then ask again
        ok = False
        try:
            replacement = type(mine)(dict(mine.settings_dict), DEFAULT_DB_ALIAS)
            connections[DEFAULT_DB_ALIAS] = replacement
            ok = sql.db() is replacement
        finally:
            os.write(write, b"1" if ok else b"0")
            os._exit(0)
    os.close(write)
    answer = os.read(read, 1)
    os.waitpid(pid, 0)
    assert answer == b"1"


@pytest.mark.django_db
def test_an_instance_made_without_the_constructor_is_the_constructors(world):
    """``sql.new`` gives what the model's class gives for the same values: every column's value
    (defaults made afresh where they are callables), the related objects it was handed cached,
    and an unsaved state; values it does not know go through the class itself."""
    from django.utils import timezone
    from viewflow.workflow.models import Task

    from notifications.models import Notification
    from workflow.models import AuditEvent

    project = f.make_project(world.officer, world.entry)
    now = timezone.now()
    link = Task.previous.through
    cases = [
        (Task, {"process_id": 1, "flow_task_type": "HUMAN", "status": "NEW", "created": now}),
        (Task, {"process_id": 1, "started": now, "finished": now}),
        (link, {"from_task_id": 3, "to_task_id": 2}),
        (
            Notification,
            {
                "recipient_id": world.chief.pk,
                "kind": "task_new",
                "project": project,
                "event": None,
                "text_th": "ไทย",
                "text_en": "en",
                "created_at": now,
            },
        ),
        (Notification, {"recipient_id": world.chief.pk, "project": None, "text_en": "en"}),
        (
            AuditEvent,
            {
                "chain": "5001",
                "chain_seq": 4,
                "actor": world.chief,
                "acting_for": None,
                "district": project.district,
                "project": project,
                "payload": {"a": 1},
            },
        ),
    ]
    for model, values in cases:
        ours, theirs = sql.new(model, **values), model(**values)
        assert type(ours) is model
        made = {  # a default made at each construction (a time): compared by type
            fd.attname
            for fd in model._meta.concrete_fields
            if fd.has_default() and callable(fd.default) and not {fd.name, fd.attname} & set(values)
        }

        def seen(obj: object, model: type = model, made: set[str] = made) -> dict[str, object]:
            return {
                fd.attname: type(v) if fd.attname in made and not isinstance(v, dict) else v
                for fd in model._meta.concrete_fields
                for v in [getattr(obj, fd.attname)]
            }

        assert seen(ours) == seen(theirs), model
        assert ours._state.fields_cache == theirs._state.fields_cache
        assert (ours._state.adding, ours._state.db) == (theirs._state.adding, theirs._state.db)
    fresh = [sql.new(AuditEvent, chain="TH") for _ in range(2)]
    fresh[0].payload["x"] = 1
    assert fresh[1].payload == {}  # a callable default is made for each instance
    with pytest.raises(TypeError):
        sql.new(Task, flow_task_type="HUMAN", no_such_field=1)  # as the class refuses it


@pytest.mark.django_db(transaction=True)
def test_the_modules_statements_are_logged_and_survive_a_new_connection():
    """The statements of the hot path are seen by Django's query log whenever it is on (a test's
    count of them relies on it), and run on the new connection after the old one closed."""
    from django.test.utils import CaptureQueriesContext

    for prepared in (False, True):  # Django's own cursor, and the module's kept one
        assert sql.rows("SELECT 1", [], prepared=prepared) == [(1,)]
        with CaptureQueriesContext(connection) as seen:
            assert sql.rows("SELECT CAST(%s AS INTEGER) + 1", [1], prepared=prepared) == [(2,)]
            sql.execute("SELECT 3", [])
        assert [q["sql"] for q in seen] == ["SELECT CAST(1 AS INTEGER) + 1", "SELECT 3"]
        assert sql.rows("SELECT 4", [], prepared=prepared) == [(4,)]
        connection.close()
        assert sql.rows("SELECT 5", [], prepared=prepared) == [(5,)]
        with CaptureQueriesContext(connection) as seen:
            sql.rows("SELECT 6", [], prepared=prepared)
        assert len(seen) == 1
        assert sql.rows("SELECT 7", [], prepared=prepared) == [(7,)]  # logging off again


def test_a_long_statements_kept_conversion_is_psycopgs_own():
    """PostgreSQL's server binding: the step's and the event's statements are past psycopg's own
    cache of ``%s`` → ``$n`` conversions, so the module keeps them; what it sends is what psycopg
    would send (the text, each parameter, its type and format), the first time and from the cache."""
    import datetime
    from decimal import Decimal

    from psycopg._queries import PostgresQuery
    from psycopg.adapt import Transformer

    kept = sql._binding_cursor()._query_cls
    assert kept is not PostgresQuery
    values = [
        1,
        "ก'ข",
        None,
        Decimal("1.50"),
        True,
        datetime.datetime(2026, 1, 2, tzinfo=datetime.UTC),
        b"\x00",
    ]
    params = [values[i % len(values)] for i in range(80)]
    text = "SELECT " + ", ".join(["%s"] * 80) + " WHERE 'a%%b' = %s -- " + "x" * 5000
    for _ in range(2):
        ours, theirs = kept(Transformer()), PostgresQuery(Transformer())
        ours.convert(text, [*params, "a%b"])
        theirs.convert(text, [*params, "a%b"])
        assert ours.query == theirs.query and b"$81" in ours.query
        assert (ours.params, ours.types, ours.formats) == (theirs.params, theirs.types, theirs.formats)


@pytest.mark.django_db
def test_the_project_details_statement_is_prepared_and_reads_the_same_once_it_is(world):
    """Every transition through the API renders the project's detail: its one statement binds on
    the server and PostgreSQL keeps its plan after ``prepare_threshold`` runs (planning it took
    three times as long as running it). Before and after, the same figures and lines."""
    import dataclasses

    from django.test.utils import CaptureQueriesContext

    from workflow.api import serializers as s
    from workflow.models import Project

    p = f.make_project(world.officer, world.entry)
    svc.project_approve(project=p, acting_user=world.chief)
    project = Project.objects.select_related("district", "edition").get(pk=p.pk)

    def read() -> tuple[dict, list]:
        parts = s.detail_parts(project)
        lines = [(line.description, line.amount) for line in project.budget_lines.all()]
        return dataclasses.asdict(parts), [*lines, *(sub.code for sub in project.subdistricts.all())]

    with CaptureQueriesContext(connection) as captured:
        first = read()
    assert len(captured) == 1
    assert first[0]["committed"] == Decimal("50000.00")  # the district's one approved project
    assert first[1] == [("วัสดุฝึกปฏิบัติ", Decimal("40000.00")), ("ค่าวิทยากร", Decimal("10000.00")), "500101"]
    threshold = connection.settings_dict.get("OPTIONS", {}).get("prepare_threshold") or 0
    for _ in range(threshold + 1):
        assert read() == first
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT statement FROM pg_prepared_statements WHERE statement LIKE %s", ["%UNION ALL%"]
            )
            prepared = [text for (text,) in cursor.fetchall()]
        assert any("workflow_budgetline" in text and "workflow_monitoringrecord" in text for text in prepared)

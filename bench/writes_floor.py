"""The floor of our own writes: the rows the services wrote, written again as bare SQL.

The peer's floor (``transitions.run_floor``) writes what the peer's transition writes: a
project's state, the task closed, the task opened. A transition of this service writes more
(the issue: "the same writes as bare SQL in the same run"): the project's row (with
implement's and report's fields), the task closed, the switch and the next node viewflow
records and their two ``previous`` links, the audit chain's head, the audit event, the
notices, and implement's spend lines or monitor's record.

This floor writes exactly those rows. After the services have driven N projects through the
four steps, their rows are read back (untimed): for each transition, the event, its notices,
the tasks it closed and created, the links, the spend lines or the record, and the project's
fields. Copies of the tables (``LIKE … INCLUDING ALL`` on PostgreSQL: the same columns,
defaults and indexes; without foreign keys and triggers, which only make a floor lower) start
with the N projects as they were before approval and their open approval tasks; then each
transition is one transaction writing the same rows with the same values. On PostgreSQL
that is one prepared statement (data-modifying ``WITH`` parts, the new tasks' keys taken
beforehand, the notices' event key from the event's part), elsewhere one statement per
table. Nothing is read and nothing is computed while timed: a lower bound for the writes
alone, which the services' time divides into.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Sequence
from typing import Any

from workflow.sql import q as _q  # the service's own quoting of names

FLOOR_PREFIX = "floorw_"
ACTIONS = ("approve", "implement", "monitor", "report")
STATES = ("selected", "approved", "implemented", "monitored", "reported")


def _tables() -> dict[str, Any]:
    from viewflow.workflow.models import Task

    from notifications.models import Notification
    from workflow.models import AuditChain, AuditEvent, MonitoringRecord, Project, SpendLine

    return {
        "project": Project,
        "task": Task,
        "link": Task.previous.through,
        "chain": AuditChain,
        "event": AuditEvent,
        "notice": Notification,
        "spend": SpendLine,
        "record": MonitoringRecord,
    }


def _columns(model: Any) -> list[str]:
    return [f.column for f in model._meta.concrete_fields]


def _copy_tables(cursor: Any, vendor: str) -> None:
    for model in _tables().values():
        name = model._meta.db_table
        copy = FLOOR_PREFIX + name
        if vendor == "postgresql":
            cursor.execute(f"CREATE TABLE {_q(copy)} (LIKE {_q(name)} INCLUDING ALL)")
            continue
        cursor.execute(
            "SELECT type, sql FROM sqlite_master WHERE tbl_name = %s AND sql IS NOT NULL "
            "AND type IN ('table', 'index') ORDER BY type DESC",
            [name],
        )
        for kind, text in cursor.fetchall():
            text = re.sub(r'\s*REFERENCES "[^"]+" \("[^"]+"\)( DEFERRABLE INITIALLY DEFERRED)?', "", text)
            if kind == "index":
                found = re.search(r'INDEX (IF NOT EXISTS )?"?(\w+)"? ON "?(\w+)"?', text)
                if found is None:
                    raise RuntimeError(f"writes floor: an index not understood: {text}")
                renamed = f'INDEX {found.group(1) or ""}"{FLOOR_PREFIX}{found.group(2)}" ON {_q(copy)}'
                text = text[: found.start()] + renamed + text[found.end() :]
            else:
                text = re.sub(r'TABLE "?' + re.escape(name) + r'"?', f"TABLE {_q(copy)}", text, count=1)
            cursor.execute(text)


def _drop_tables(cursor: Any) -> None:
    for model in _tables().values():
        cursor.execute(f"DROP TABLE IF EXISTS {_q(FLOOR_PREFIX + model._meta.db_table)}")


def _rows(
    cursor: Any, model: Any, where: str, params: Sequence[Any], order: str = "id"
) -> list[dict[str, Any]]:
    columns = _columns(model)
    cursor.execute(
        f"SELECT {', '.join(_q(c) for c in columns)} FROM {_q(model._meta.db_table)} WHERE {where} ORDER BY {order}",
        list(params),
    )
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def _insert(
    model: Any, rows: list[dict[str, Any]], *, skip: Sequence[str] = ("id",), event_ref: str = ""
) -> tuple[str, list[Any]]:
    """An INSERT of ``rows`` into the floor's copy, without the columns in ``skip``;
    ``event_ref``: the column that takes the event's key from the statement's ``event`` part
    (PostgreSQL, where the event gets a key of its own; elsewhere the rows keep theirs)."""
    columns = [c for c in _columns(model) if c not in skip]
    params: list[Any] = []
    values = []
    for row in rows:
        cells = []
        for c in columns:
            if c == event_ref:
                cells.append("(SELECT id FROM event)")
            else:
                cells.append("%s")
                params.append(_plain(row[c]))
        values.append(f"({', '.join(cells)})")
    text = f"INSERT INTO {_q(FLOOR_PREFIX + model._meta.db_table)} ({', '.join(_q(c) for c in columns)}) VALUES {', '.join(values)}"
    return text, params


def _plain(value: Any) -> Any:
    """A value read back as a parameter again (JSON read as Python objects goes back as JSON)."""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return value


def run_writes_floor(project_ids: list[int]) -> dict[str, Any]:
    """The floor of our writes for ``project_ids`` (driven to reported by the services)."""
    from django.db import connection, transaction

    from bench.transitions import summarise

    t = _tables()
    vendor = connection.vendor
    latencies: list[float] = []
    sent = 0  # statements
    with connection.cursor() as cursor:
        with transaction.atomic():
            _drop_tables(cursor)
            _copy_tables(cursor, vendor)
            plans = _plans(cursor, project_ids, t, vendor)
        raw = connection.connection.cursor() if vendor == "postgresql" else None
        try:
            for k in range(len(ACTIONS)):
                for steps in plans:
                    checks, statements = steps[k]
                    start = time.perf_counter()
                    with transaction.atomic():
                        for text, params, must_change in statements:
                            sent += 1
                            if raw is not None:
                                raw.execute(text, params, prepare=True)
                                changed = raw.fetchone() if raw.description else None
                                if must_change and changed is not None and tuple(changed[:2]) != (1, 1):
                                    raise RuntimeError(f"writes floor: {checks} did not change as expected")
                            else:
                                cursor.execute(text, params)
                                if must_change and cursor.rowcount != 1:
                                    raise RuntimeError(f"writes floor: {checks} did not change as expected")
                    latencies.append(time.perf_counter() - start)
            cursor.execute(
                f"SELECT COUNT(*) FROM {_q(FLOOR_PREFIX + t['project']._meta.db_table)} WHERE state = 'reported'"
            )
            if cursor.fetchone()[0] != len(project_ids):
                raise RuntimeError("writes floor: not every project reached reported")
        finally:
            if raw is not None:
                raw.close()
            with transaction.atomic():
                _drop_tables(cursor)
    out = summarise(latencies)
    out["sql_per_transition"] = sent / len(latencies)
    return out


def _plans(
    cursor: Any, project_ids: list[int], t: dict[str, Any], vendor: str
) -> list[list[tuple[str, list[tuple[str, list[Any], bool]]]]]:
    """For each project, its four transitions' statements; the copies filled with the
    projects as they were before approval, their open approval tasks and their chains' heads."""
    from workflow.models import ProjectProcess

    project_model, task_model, link_model = t["project"], t["task"], t["link"]
    plans = []
    heads: dict[str, tuple[int, str]] = {}
    first_rows: list[tuple[Any, list[dict[str, Any]]]] = []
    for pk in project_ids:
        project = _rows(cursor, project_model, "id = %s", [pk])[0]
        cursor.execute(
            f"SELECT process_ptr_id FROM {_q(ProjectProcess._meta.db_table)} WHERE project_id = %s", [pk]
        )
        process_id = cursor.fetchone()[0]
        tasks = _rows(cursor, task_model, "process_id = %s", [process_id])
        by_id = {row["id"]: row for row in tasks}
        links = _link_pairs(cursor, link_model, [row["id"] for row in tasks])
        events = _rows(
            cursor,
            t["event"],
            "project_id = %s AND action IN ('approve', 'implement', 'monitor', 'report')",
            [pk],
        )
        if [e["action"] for e in events] != list(ACTIONS):
            raise RuntimeError(f"writes floor: project {pk} has events {[e['action'] for e in events]}")
        # The chain of tasks: closed -> routed -> following, following closed by the next step.
        following_of: dict[int, list[int]] = {}
        for a, b in links:
            following_of.setdefault(b, []).append(a)
        human = [row for row in tasks if row["flow_task_type"] == "HUMAN"]
        opened = min(human, key=lambda row: row["id"])  # the approval task, opened at creation
        chain = []
        closed_id = opened["id"]
        for _ in ACTIONS:
            (routed_id,) = following_of[closed_id]
            (next_id,) = following_of[routed_id]
            chain.append((closed_id, routed_id, next_id))
            closed_id = next_id
        spend = _rows(cursor, t["spend"], "project_id = %s", [pk])
        records = _rows(cursor, t["record"], "project_id = %s", [pk])
        steps = []
        for k, (action, event) in enumerate(zip(ACTIONS, events, strict=True)):
            notices = _rows(cursor, t["notice"], "event_id = %s", [event["id"]])
            closed_id, routed_id, next_id = chain[k]
            closed = by_id[closed_id]
            fields = ["state", "state_changed_at", "updated_at"]
            if action == "implement":
                fields += ["activities_done", "villages_reached", "households_reached"]
            if action == "report":
                fields += ["result_narrative", "problems", "suggestions"]
            set_params = [STATES[k + 1], event["created_at"], event["created_at"]] + [
                project[f] for f in fields[3:]
            ]
            update = (
                f"UPDATE {_q(FLOOR_PREFIX + project_model._meta.db_table)} SET "
                + ", ".join(f"{_q(f)} = %s" for f in fields)
                + " WHERE id = %s AND state = %s"
            )
            update_params = [*set_params, pk, STATES[k]]
            close = (
                f"UPDATE {_q(FLOOR_PREFIX + task_model._meta.db_table)} SET status = %s, owner_id = %s, "
                "assigned = %s, started = %s, finished = %s "
                "WHERE id = %s AND status IN ('NEW', 'ASSIGNED', 'STARTED')"
            )
            close_params = [
                closed["status"],
                closed["owner_id"],
                closed["assigned"],
                closed["started"],
                closed["finished"],
                closed_id,
            ]
            following = by_id[next_id]
            if following["flow_task_type"] == "HUMAN":  # as it was written: open (it is closed later)
                following = dict(
                    following, status="NEW", owner_id=None, assigned=None, started=None, finished=None
                )
            new_tasks, new_params = _insert(task_model, [by_id[routed_id], following], skip=())
            link_text, link_params = _insert(
                link_model,
                [
                    {"from_task_id": routed_id, "to_task_id": closed_id},
                    {"from_task_id": next_id, "to_task_id": routed_id},
                ],
            )
            chain_key = event["chain"]
            heads.setdefault(chain_key, (event["chain_seq"] - 1, event["prev_hash"]))
            head = f"UPDATE {_q(FLOOR_PREFIX + t['chain']._meta.db_table)} SET last_seq = %s, last_hash = %s WHERE key = %s"
            head_params = [event["chain_seq"], event["hash"], chain_key]
            batch = spend if action == "implement" else records[:1] if action == "monitor" else []
            batch_model = t["spend"] if action == "implement" else t["record"]
            statements: list[tuple[str, list[Any], bool]] = []
            if vendor == "postgresql":
                event_text, event_params = _insert(t["event"], [event])
                parts = [
                    f"changed AS ({update} RETURNING 1)",
                    f"closed AS ({close} RETURNING 1)",
                    f"tasks AS ({new_tasks})",
                    f"links AS ({link_text})",
                    f"head AS ({head})",
                    f"event AS ({event_text} RETURNING id)",
                ]
                params = [
                    *update_params,
                    *close_params,
                    *new_params,
                    *link_params,
                    *head_params,
                    *event_params,
                ]
                if notices:
                    text, more = _insert(t["notice"], notices, event_ref="event_id")
                    parts.append(f"notices AS ({text})")
                    params += more
                if batch:
                    text, more = _insert(batch_model, batch)
                    parts.append(f"batch AS ({text})")
                    params += more
                statements.append(
                    (
                        "WITH "
                        + ", ".join(parts)
                        + " SELECT (SELECT COUNT(*) FROM changed), (SELECT COUNT(*) FROM closed)",
                        params,
                        True,
                    )
                )
            else:
                statements.append((update, update_params, True))
                statements.append((close, close_params, True))
                statements.append((new_tasks, new_params, False))
                statements.append((link_text, link_params, False))
                statements.append((head, head_params, True))
                text, more = _insert(t["event"], [event], skip=())
                statements.append((text, more, False))
                if notices:
                    text, more = _insert(t["notice"], notices, skip=())
                    statements.append((text, more, False))
                if batch:
                    text, more = _insert(batch_model, batch, skip=())
                    statements.append((text, more, False))
            steps.append((f"project {pk} {action}", statements))
        first_rows.append((project, [by_id[chain[0][0]]]))
        plans.append(steps)
    # The copies as before the first approval: the projects selected, their approval tasks open.
    for project, (opened,) in first_rows:
        before = dict(project, state="selected")
        text, params = _insert(project_model, [before], skip=())
        cursor.execute(text, params)
        task = dict(opened, status="NEW", owner_id=None, assigned=None, started=None, finished=None)
        text, params = _insert(task_model, [task], skip=())
        cursor.execute(text, params)
    for key, (seq, last_hash) in heads.items():
        cursor.execute(
            f"INSERT INTO {_q(FLOOR_PREFIX + t['chain']._meta.db_table)} (key, last_seq, last_hash) VALUES (%s, %s, %s)",
            [key, seq, last_hash],
        )
    return plans


def _link_pairs(cursor: Any, link_model: Any, task_ids: list[int]) -> list[tuple[int, int]]:
    if not task_ids:
        return []
    marks = ", ".join(["%s"] * len(task_ids))
    cursor.execute(
        f"SELECT from_task_id, to_task_id FROM {_q(link_model._meta.db_table)} WHERE to_task_id IN ({marks})",
        task_ids,
    )
    return [(int(a), int(b)) for a, b in cursor.fetchall()]

"""Drill: PostgreSQL server processes killed with SIGKILL during a stream of transitions (issue 12, item 4).

    .venv/bin/python -m drills.sigkill [--kills 50] [--clients 6] [--workers 2] [--pool 0]

A private PostgreSQL cluster (``initdb`` in a temp dir, a free port) is migrated and given three
districts, their officers and chiefs, two inspectors and a few hundred selected projects
(``tests/factories``, through the services). ``uvicorn config.asgi:application`` serves it.
Client threads drive the projects over HTTP (approve, return, resubmit, implement, the
inspector's return, monitor, report: each project only by one thread), every transition carrying
a unique marker as its comment. Meanwhile the killer picks a backend of the drill's database
from ``pg_stat_activity`` (one in a transaction when there is one) and sends it SIGKILL; the
postmaster then ends every backend and recovers. The next kill comes once the stream has made
progress again, so the service must recover by itself each time.

Afterwards, with the server stopped: every transition answered 2xx has exactly one audit event
(its marker) with the action and the state the answer gave; no marker is in the trail twice;
each project's events follow each other (every event starts where the previous one ended) and
the project's state is its last event's ``to_state``; every project not finished has exactly
one open task, of the step its state waits for; and ``manage.py verify_audit`` passes. A
transition without an answer (its connection killed) may or may not have committed: the drill
counts both. Exit status 0 only when all of that held and the kills were made.
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import os
import random
import signal
import statistics
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from drills import infra
from drills.infra import NEXT, Client, World, actor_of, log, transition_body

DATABASE = "drill"
BUSY_STATES = ("active", "idle in transaction", "idle in transaction (aborted)")
# Transitions answered 2xx after a kill before the next one: the service recovered by itself.
PROGRESS = 8


@dataclass
class Attempt:
    project: int
    action: str
    marker: str
    status: int
    kind: str
    state: str | None
    seconds: float


@dataclass
class Stream:
    """What the clients did, shared between the client threads and the killer."""

    port: int
    world: World
    seed: int
    attempts: list[Attempt] = field(default_factory=list)
    reads: Counter[str] = field(default_factory=Counter)
    ok: int = 0
    ok_times: list[float] = field(default_factory=list)  # monotonic time of each 2xx transition
    finished_projects: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)

    def client(self, number: int, projects: list[int]) -> None:
        rng = random.Random(self.seed * 1000 + number)  # noqa: S311 - a drill's choices, not secrets
        http = Client(self.port, timeout=30)
        states: dict[int, str | None] = dict.fromkeys(projects, "selected")
        active = list(projects)
        officer_token = {pk: self.world.tokens[actor_of(self.world, pk, "officer")] for pk in projects}
        while active and not self.stop.is_set():
            pk = rng.choice(active)
            state = states[pk]
            if state is None:  # the last answer was lost: read where the project is
                read = http.request("GET", f"/api/v1/projects/{pk}/", token=officer_token[pk])
                with self.lock:
                    self.reads[read.kind] += 1
                if read.status != 200:
                    time.sleep(0.05)
                    continue
                state = states[pk] = str(read.body["state"])
            choices = NEXT.get(state)
            if not choices:
                active.remove(pk)
                with self.lock:
                    self.finished_projects += 1
                continue
            action, role, _weight = rng.choices(choices, weights=[c[2] for c in choices])[0]
            marker = f"drill:{uuid.uuid4().hex}"
            token = self.world.tokens[actor_of(self.world, pk, role)]
            answer = http.request(
                "POST",
                f"/api/v1/projects/{pk}/transitions/{action}/",
                transition_body(action, marker),
                token=token,
            )
            ok = 200 <= answer.status < 300
            new_state = str(answer.body["state"]) if ok else None
            states[pk] = new_state
            with self.lock:
                self.attempts.append(
                    Attempt(pk, action, marker, answer.status, answer.kind, new_state, answer.seconds)
                )
                if ok:
                    self.ok += 1
                    self.ok_times.append(time.monotonic())
            if not ok:
                time.sleep(0.05)  # the database is recovering: do not spin

    def ok_count(self) -> int:
        with self.lock:
            return self.ok


@dataclass
class Kill:
    pid: int
    state: str
    query: str
    at: float
    recovered_after: float = -1.0  # seconds from the kill to the next 2xx transition


def killer(pg: infra.PrivatePostgres, stream: Stream, kills: int, deadline: float, made: list[Kill]) -> None:
    rng = random.Random(stream.seed)  # noqa: S311 - a drill's choices, not secrets
    while len(made) < kills and time.monotonic() < deadline and not stream.stop.is_set():
        # Wait for the stream to make progress after the previous kill: the service recovered by itself.
        baseline = stream.ok_count()
        while stream.ok_count() < baseline + PROGRESS and time.monotonic() < deadline:
            time.sleep(0.01)
        if made and stream.ok_count() < baseline + PROGRESS:
            break  # not recovered in time: the check after the stream says so
        time.sleep(rng.uniform(0.2, 1.2))
        victim = None
        pick_until = time.monotonic() + 10
        while victim is None and time.monotonic() < pick_until:
            try:
                with pg.connect("postgres") as conn:
                    rows = conn.execute(
                        "SELECT pid, coalesce(state, ''), left(query, 40) FROM pg_stat_activity "
                        "WHERE datname = %s AND backend_type = 'client backend' AND pid <> pg_backend_pid()",
                        [DATABASE],
                    ).fetchall()
            except Exception:
                time.sleep(0.05)
                continue
            busy = [r for r in rows if r[1] in BUSY_STATES]
            pool = busy or rows
            if pool:
                victim = rng.choice(pool)
            else:
                time.sleep(0.005)
        if victim is None:
            continue
        pid, state, query = victim
        try:
            os.kill(int(pid), signal.SIGKILL)
        except ProcessLookupError:
            continue  # it ended on its own meanwhile
        made.append(Kill(int(pid), str(state), (str(query).split() or ["?"])[0].upper(), time.monotonic()))
    # The last kill's recovery.
    baseline = stream.ok_count()
    while made and stream.ok_count() < baseline + PROGRESS and time.monotonic() < deadline + 30:
        time.sleep(0.01)
    with stream.lock:
        ok_times = sorted(stream.ok_times)
    for kill in made:
        after = bisect.bisect_right(ok_times, kill.at)
        if after < len(ok_times):
            kill.recovered_after = ok_times[after] - kill.at


def check(stream: Stream, env: dict[str, str]) -> dict[str, Any]:
    """What the database holds against what the clients were told."""
    from workflow import flows
    from workflow.models import AuditEvent, Project
    from workflow.transitions import STEP_OF_STATE

    attempts = stream.attempts
    by_marker: dict[str, list[tuple[int | None, str, str, str]]] = {}
    for comment, project, action, from_state, to_state in AuditEvent.objects.filter(
        comment__startswith="drill:"
    ).values_list("comment", "project_id", "action", "from_state", "to_state"):
        by_marker.setdefault(comment, []).append((project, action, from_state, to_state))
    tried = {a.marker for a in attempts}
    answered = [a for a in attempts if 200 <= a.status < 300]
    lost = [a for a in answered if a.marker not in by_marker]

    def differs(a: Attempt) -> bool:
        project, action, _from_state, to_state = by_marker[a.marker][0]
        return (project, action, to_state) != (a.project, a.action, a.state)

    wrong = [a for a in answered if a.marker in by_marker and differs(a)]
    duplicates = [m for m, rows in by_marker.items() if len(rows) > 1]
    strangers = [m for m in by_marker if m not in tried]
    unanswered = [a for a in attempts if not 200 <= a.status < 300]
    committed_unanswered = [a for a in unanswered if a.marker in by_marker]

    projects = sorted(stream.world.projects)
    broken_sequences: list[str] = []
    state_mismatch: list[str] = []
    task_mismatch: list[str] = []
    events = (
        AuditEvent.objects.filter(project_id__in=projects)
        .exclude(to_state="")
        .order_by("chain", "chain_seq")
        .values_list("project_id", "from_state", "to_state", "action")
    )
    by_project: dict[int, list[tuple[str, str, str]]] = {}
    for project, from_state, to_state, action in events:
        by_project.setdefault(project, []).append((from_state, to_state, action))
    for project in Project.objects.filter(pk__in=projects):
        rows = by_project.get(project.pk, [])
        for before, after in itertools.pairwise(rows):
            if after[0] != before[1]:
                broken_sequences.append(f"project {project.pk}: {before} then {after}")
        if not rows or rows[-1][1] != project.state:
            state_mismatch.append(
                f"project {project.pk}: {project.state} but last event {rows[-1] if rows else None}"
            )
        open_tasks = list(flows._open_tasks(project))
        expected = STEP_OF_STATE.get(project.state)
        names = [flows.step_name(t) for t in open_tasks]
        if expected is not None and names != [expected]:
            task_mismatch.append(f"project {project.pk} ({project.state}): open steps {names}")
    verify = infra.manage(env, "verify_audit", "--workers", "1")
    return {
        "answered": len(answered),
        "lost": lost,
        "wrong": wrong,
        "duplicates": duplicates,
        "strangers": strangers,
        "committed_unanswered": len(committed_unanswered),
        "not_committed_unanswered": len(unanswered) - len(committed_unanswered),
        "broken_sequences": broken_sequences,
        "state_mismatch": state_mismatch,
        "task_mismatch": task_mismatch,
        "verify_ok": verify.returncode == 0,
        "verify_out": (verify.stdout + verify.stderr).strip(),
        "events_checked": sum(len(v) for v in by_project.values()),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else "")
    parser.add_argument("--kills", type=int, default=50)
    parser.add_argument("--clients", type=int, default=6, help="client threads (default 6)")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes (default 2)")
    parser.add_argument(
        "--pool",
        type=int,
        default=0,
        help="DATABASE_POOL_SIZE of the server (default 0: a connection per request)",
    )
    parser.add_argument("--projects-per-district", type=int, default=60)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--max-seconds", type=float, default=240, help="give up the stream after this long")
    parser.add_argument(
        "--fail-on-500",
        action="store_true",
        help="fail when any transition answered 500 (by default counted and reported, e.g. deadlocks)",
    )
    args = parser.parse_args(argv)

    started = time.monotonic()
    pg = infra.PrivatePostgres("sigkill")
    server: infra.Server | None = None
    with infra.scratch("rm-drill-media-") as media:
        try:
            pg.init()
            pg.start()
            pg.create_database(DATABASE)
            env = infra.service_env(pg.url(DATABASE), media, DATABASE_POOL_SIZE=str(args.pool))
            log(f"private PostgreSQL on port {pg.port}; migrating")
            migrated = infra.manage(env, "migrate", "--noinput")
            if migrated.returncode != 0:
                print(migrated.stdout, migrated.stderr, file=sys.stderr)
                return 2
            infra.setup_django(env)
            from django.db import connections

            world = infra.build_world(args.projects_per_district)
            connections.close_all()
            log(
                f"{len(world.projects)} projects in 3 districts; starting the server ({args.workers} workers)"
            )
            server = infra.Server(env, workers=args.workers, logfile=media / "server.log")
            server.start()
            stream = Stream(server.port, world, args.seed)
            shares: list[list[int]] = [[] for _ in range(args.clients)]
            for i, pk in enumerate(world.projects):
                shares[i % args.clients].append(pk)
            threads = [
                threading.Thread(target=stream.client, args=(n, share), daemon=True)
                for n, share in enumerate(shares)
            ]
            kills: list[Kill] = []
            deadline = time.monotonic() + args.max_seconds
            stream_started = time.monotonic()
            for t in threads:
                t.start()
            killer(pg, stream, args.kills, deadline, kills)
            stream.stop.set()
            for t in threads:
                t.join(timeout=60)
            stream_seconds = time.monotonic() - stream_started
            server.stop()
            pg.wait_ready()
            connections.close_all()
            log("stream over; checking the database against the answers")
            result = check(stream, env)
        finally:
            if server is not None:
                server.stop()
            deadlocks = infra.count_in_file(media / "server.log", "psycopg.errors.DeadlockDetected")
            infra.keep_logs({"server.log": media / "server.log", "postgres.log": pg.logfile})
            pg.teardown()

    kinds = Counter(a.kind for a in stream.attempts)
    errors = {k: v for k, v in sorted(kinds.items()) if not k.startswith("2")}
    recoveries = [k.recovered_after for k in kills if k.recovered_after >= 0]
    mid_transaction = sum(1 for k in kills if k.state != "idle")
    failures = []
    if len(kills) < args.kills:
        failures.append(f"only {len(kills)} of {args.kills} kills were made")
    if len(recoveries) < len(kills):
        failures.append(f"the service did not recover after {len(kills) - len(recoveries)} kill(s)")
    for name in (
        "lost",
        "wrong",
        "duplicates",
        "strangers",
        "broken_sequences",
        "state_mismatch",
        "task_mismatch",
    ):
        if result[name]:
            failures.append(f"{name}: {len(result[name])}: {result[name][:3]}")
    server_errors = sum(v for k, v in kinds.items() if k.startswith("500"))
    if args.fail_on_500 and server_errors:
        failures.append(f"{server_errors} transitions answered 500 ({deadlocks} deadlocks in the server log)")
    if not result["verify_ok"]:
        failures.append(f"verify_audit failed: {result['verify_out'][-500:]}")

    print("SIGKILL drill (PostgreSQL backends killed during a stream of transitions over HTTP)")
    print(
        f"  server: uvicorn, {args.workers} worker(s), DATABASE_POOL_SIZE={args.pool}; {args.clients} clients"
    )
    print(f"  projects: {len(world.projects)} ({stream.finished_projects} driven to reported)")
    print(
        f"  transitions tried: {len(stream.attempts)} in {stream_seconds:.0f} s; project reads after errors: {sum(stream.reads.values())}"
    )
    print(
        f"  kills (SIGKILL of a backend): {len(kills)} ({mid_transaction} while it was active or in a transaction)"
    )
    print(
        f"  statements the killed backends were running: {dict(Counter(k.query for k in kills).most_common())}"
    )
    print(f"  answered 2xx: {result['answered']}")
    print(f"  errors by kind: {errors or 'none'}")
    if server_errors:
        print(f"  of the 500s, deadlocks detected by PostgreSQL (server log): {deadlocks}")
    print(
        f"  without an answer: {result['committed_unanswered']} committed, "
        f"{result['not_committed_unanswered']} not committed"
    )
    if recoveries:
        print(
            f"  recovery (kill to the next 2xx): median {statistics.median(recoveries):.2f} s, "
            f"max {max(recoveries):.2f} s"
        )
    print(
        f"  records lost: {len(result['lost'])}; answered but different in the trail: {len(result['wrong'])}"
    )
    print(
        f"  duplicate transitions: {len(result['duplicates'])}; events out of sequence: {len(result['broken_sequences'])}"
    )
    print(
        f"  states not matching their last audit event: {len(result['state_mismatch'])}; open tasks wrong: {len(result['task_mismatch'])}"
    )
    print(
        f"  verify_audit: {'OK' if result['verify_ok'] else 'FAILED'} ({result['verify_out'].splitlines()[-1] if result['verify_out'] else ''})"
    )
    print(f"  total time: {time.monotonic() - started:.0f} s")
    if failures:
        print("FAILED: " + "; ".join(failures))
        return 1
    print("PASSED")
    return 0


if __name__ == "__main__":
    sys.exit(main())

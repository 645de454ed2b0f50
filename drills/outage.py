"""Drill: Redis stopped and started, then PostgreSQL restarted, under a running service (issue 12, item 4).

    .venv/bin/python -m drills.outage [--redis-down 6] [--postgres-down 5] [--workers 2]

A private PostgreSQL cluster and a private redis-server (free ports) serve ``uvicorn
config.asgi:application`` with ``REDIS_URL`` set (channels-redis carries the websocket pushes
between the server's processes).

**Redis.** Two websocket clients (a district's officer and chief, ``/ws/notifications/`` with
their API tokens) listen while a stream of transitions runs (the chief returns a project, the
officer resubmits it: each transition gives the other one exactly one notice). Redis is stopped
for a few seconds and started again. Must hold: no transition answered 5xx (every one 2xx); one
notice stored in the database for every transition; each client, reconnecting with
``?after=<last id it saw>`` until the server accepts it again, ends up having received every
one of its notices (catch-up), and pushes arrive again after Redis is back.

**PostgreSQL.** Three clients keep asking (transitions, the project list of the API, the inbox
page with a session) while the cluster is stopped (``pg_ctl stop -m fast``) for a few seconds
and started again. Must hold: every request made while it was down answered 503 within 2 s —
problem+json ``database_unavailable`` with ``Retry-After`` on the API, the Thai 503 page on the
pages —; no answer other than 2xx or that 503 at any time; and once PostgreSQL is back, requests
succeed again with the same server processes (nothing restarted).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from drills import infra
from drills.infra import Client, log, transition_body

DATABASE = "drill"
THAI_503 = "ระบบไม่พร้อมให้บริการชั่วคราว"
MAX_OUTAGE_ANSWER_SECONDS = 2.0


# --- Websocket clients -------------------------------------------------------------------------


@dataclass
class Listener:
    """A websocket client that reconnects with ``?after=<last id>`` whenever it loses the socket."""

    name: str
    port: int
    token: str
    seen: dict[int, str] = field(default_factory=dict)  # notice id -> "push" or "catch-up"
    last_id: int = 0
    connections: int = 0
    failures: Counter[str] = field(default_factory=Counter)
    pushes_at: list[float] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self) -> None:
        from websockets.sync.client import connect
        from websockets.typing import Origin

        while not self.stop.is_set():
            uri = f"ws://127.0.0.1:{self.port}/ws/notifications/?after={self.last_id}"
            try:
                with connect(
                    uri,
                    origin=Origin(f"http://127.0.0.1:{self.port}"),
                    additional_headers={"Authorization": f"Token {self.token}"},
                    open_timeout=5,
                    close_timeout=1,
                ) as ws:
                    with self.lock:
                        self.connections += 1
                    catching_up = True
                    while not self.stop.is_set():
                        try:
                            raw = ws.recv(timeout=0.5)
                        except TimeoutError:
                            continue
                        message = json.loads(raw)
                        kind = message.get("type")
                        if kind == "notification":
                            pk = int(message["notification"]["id"])
                            with self.lock:
                                if pk not in self.seen:
                                    self.seen[pk] = "catch-up" if catching_up else "push"
                                    if not catching_up:
                                        self.pushes_at.append(time.monotonic())
                                self.last_id = max(self.last_id, pk)
                        elif kind == "caught_up":
                            if message.get("more"):
                                ws.send(json.dumps({"type": "hello", "after": self.last_id}))
                            else:
                                catching_up = False
                        elif kind == "error":
                            with self.lock:
                                self.failures[f"error {message.get('code')}"] += 1
            except Exception as exc:
                with self.lock:
                    self.failures[type(exc).__name__] += 1
                time.sleep(0.2)

    def ids(self) -> set[int]:
        with self.lock:
            return set(self.seen)


@dataclass
class Call:
    what: str
    started: float
    ended: float
    status: int
    code: str
    content_type: str
    retry_after: str
    thai: bool
    kind: str

    @property
    def seconds(self) -> float:
        return self.ended - self.started


def transition_cycle(
    client: Client, project: int, state: str, chief: str, officer: str
) -> tuple[infra.Answer, str]:
    """The chief returns a selected project; the officer resubmits a returned one."""
    if state == "selected":
        action, token = "return", chief
    else:
        action, token = "resubmit", officer
    marker = f"outage:{time.monotonic_ns()}"
    answer = client.request(
        "POST",
        f"/api/v1/projects/{project}/transitions/{action}/",
        transition_body(action, marker),
        token=token,
    )
    return answer, action


# --- The Redis outage --------------------------------------------------------------------------


def redis_outage(
    server: infra.Server, redis: infra.PrivateRedis, world: infra.World, district: str, down_seconds: float
) -> tuple[dict[str, Any], list[str]]:
    from notifications.models import Notification

    officer, chief = world.officer[district], world.chief[district]
    projects = [pk for pk in world.projects if world.district_of[pk] == district][:10]
    start_id = Notification.objects.order_by("-id").values_list("id", flat=True).first() or 0
    listeners = [
        Listener("officer", server.port, world.tokens[officer], last_id=start_id),
        Listener("chief", server.port, world.tokens[chief], last_id=start_id),
    ]
    threads = [threading.Thread(target=listener.run, daemon=True) for listener in listeners]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 15
    while any(listener.connections == 0 for listener in listeners) and time.monotonic() < deadline:
        time.sleep(0.05)

    client = Client(server.port)
    states = dict.fromkeys(projects, "selected")
    answers: list[tuple[float, infra.Answer, str, int]] = []
    marks: dict[str, float] = {}

    def drive(seconds: float) -> None:
        until = time.monotonic() + seconds
        i = 0
        while time.monotonic() < until:
            pk = projects[i % len(projects)]
            i += 1
            answer, action = transition_cycle(
                client, pk, states[pk], world.tokens[chief], world.tokens[officer]
            )
            answers.append((time.monotonic(), answer, action, pk))
            if 200 <= answer.status < 300:
                states[pk] = str(answer.body["state"])
            time.sleep(0.1)

    drive(3)
    marks["redis_stop"] = time.monotonic()
    redis.stop()
    log("Redis stopped")
    drive(down_seconds)
    marks["redis_start"] = time.monotonic()
    redis.start()
    log("Redis started again")
    drive(4)
    marks["stream_end"] = time.monotonic()

    # Every notice of the stream, stored; each client has it (from a push or from its catch-up).
    stored = {
        who: set(Notification.objects.filter(recipient_id=pk, id__gt=start_id).values_list("id", flat=True))
        for who, pk in (("officer", officer), ("chief", chief))
    }
    wait_until = time.monotonic() + 30
    while time.monotonic() < wait_until and not all(
        stored[listener.name] <= listener.ids() for listener in listeners
    ):
        time.sleep(0.1)
    for listener in listeners:
        listener.stop.set()
    for t in threads:
        t.join(timeout=10)

    ok = [a for _, a, _, _ in answers if 200 <= a.status < 300]
    during = [a for at, a, _, _ in answers if marks["redis_stop"] <= at <= marks["redis_start"]]
    kinds = Counter(a.kind for _, a, _, _ in answers)
    failures: list[str] = []
    five = [a.kind for _, a, _, _ in answers if a.status >= 500 or a.status == 0]
    if five:
        failures.append(f"Redis outage: {len(five)} transitions answered 5xx or nothing: {Counter(five)}")
    if len(ok) != len(answers):
        failures.append(f"Redis outage: {len(answers) - len(ok)} transitions not 2xx: {kinds}")
    notices = sum(len(ids) for ids in stored.values())
    if notices != len(ok):
        failures.append(
            f"Redis outage: {notices} notices stored for {len(ok)} transitions (one each expected)"
        )
    missing = {listener.name: len(stored[listener.name] - listener.ids()) for listener in listeners}
    if any(missing.values()):
        failures.append(f"Redis outage: notices never received by the clients: {missing}")
    pushed_after = sum(1 for listener in listeners for at in listener.pushes_at if at > marks["redis_start"])
    if pushed_after == 0:
        failures.append("Redis outage: no push arrived after Redis was back")
    if not during:
        failures.append("Redis outage: no transition was made while Redis was down")
    result = {
        "transitions": len(answers),
        "during_outage": len(during),
        "ok": len(ok),
        "kinds": dict(kinds),
        "max_seconds_during": max((a.seconds for a in during), default=0.0),
        "notices_stored": notices,
        "received": {
            listener.name: dict(Counter(listener.seen[pk] for pk in stored[listener.name] & listener.ids()))
            for listener in listeners
        },
        "missing": missing,
        "connections": {listener.name: listener.connections for listener in listeners},
        "failed_connects": {listener.name: dict(listener.failures) for listener in listeners},
        "pushes_after_restart": pushed_after,
    }
    return result, failures


# --- The PostgreSQL outage ---------------------------------------------------------------------


def session_cookie(user_pk: int) -> str:
    """A logged-in session of the user, made in the database as a login would make it."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
    from django.contrib.sessions.backends.db import SessionStore

    user = get_user_model().objects.get(pk=user_pk)
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return str(session.session_key)


def worker_pids(pid: int) -> set[int]:
    found = {pid}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        found.add(int(entry))
            except (OSError, ValueError, IndexError):
                continue
    return found


def postgres_outage(
    server: infra.Server, pg: infra.PrivatePostgres, world: infra.World, district: str, down_seconds: float
) -> tuple[dict[str, Any], list[str]]:
    from django.db import connections

    officer, chief = world.officer[district], world.chief[district]
    projects = [pk for pk in world.projects if world.district_of[pk] == district][:10]
    cookie = session_cookie(officer)
    connections.close_all()
    assert server.process is not None
    pids_before = worker_pids(server.process.pid)
    calls: list[Call] = []
    lock = threading.Lock()
    stop = threading.Event()

    def record(what: str, started: float, answer: infra.Answer) -> None:
        body = answer.body if isinstance(answer.body, str) else ""
        call = Call(
            what,
            started,
            started + answer.seconds,
            answer.status,
            answer.code,
            answer.headers.get("content-type", ""),
            answer.headers.get("retry-after", ""),
            THAI_503 in body,
            f"{answer.kind} (the Thai page)" if THAI_503 in body else answer.kind,
        )
        with lock:
            calls.append(call)

    def transitions() -> None:
        client = Client(server.port, timeout=30)
        states: dict[int, str | None] = dict.fromkeys(projects, "selected")
        i = 0
        while not stop.is_set():
            pk = projects[i % len(projects)]
            i += 1
            state = states[pk]
            if state is None:
                started = time.monotonic()
                read = client.request("GET", f"/api/v1/projects/{pk}/", token=world.tokens[officer])
                record("read", started, read)
                if read.status == 200:
                    states[pk] = str(read.body["state"])
                time.sleep(0.1)
                continue
            started = time.monotonic()
            answer, _action = transition_cycle(client, pk, state, world.tokens[chief], world.tokens[officer])
            record("transition", started, answer)
            states[pk] = str(answer.body["state"]) if 200 <= answer.status < 300 else None
            time.sleep(0.1)

    def api_list() -> None:
        client = Client(server.port, timeout=30)
        while not stop.is_set():
            started = time.monotonic()
            record(
                "api list", started, client.request("GET", "/api/v1/projects/", token=world.tokens[officer])
            )
            time.sleep(0.1)

    def page() -> None:
        client = Client(server.port, timeout=30)
        while not stop.is_set():
            started = time.monotonic()
            answer = client.request(
                "GET", "/inbox/", headers={"Cookie": f"sessionid={cookie}", "Accept": "text/html"}
            )
            record("page", started, answer)
            time.sleep(0.1)

    threads = [threading.Thread(target=fn, daemon=True) for fn in (transitions, api_list, page)]
    for t in threads:
        t.start()
    time.sleep(3)
    marks = {"stop_begin": time.monotonic()}
    pg.stop("fast")
    marks["down"] = time.monotonic()
    log("PostgreSQL stopped")
    time.sleep(down_seconds)
    marks["start_begin"] = time.monotonic()
    pg.start()
    marks["up"] = time.monotonic()
    log("PostgreSQL started again")
    time.sleep(5)
    stop.set()
    for t in threads:
        t.join(timeout=40)
    pids_after = worker_pids(server.process.pid)

    failures: list[str] = []
    during = [c for c in calls if c.started >= marks["down"] and c.ended <= marks["start_begin"]]
    wrong_during = [
        c
        for c in during
        if c.status != 503
        or not c.retry_after
        or (c.what == "page" and not (c.thai and c.content_type.startswith("text/html")))
        or (
            c.what != "page"
            and (c.code != "database_unavailable" or c.content_type != "application/problem+json")
        )
    ]
    slow = [c for c in during if c.seconds > MAX_OUTAGE_ANSWER_SECONDS]
    unexpected = [
        c
        for c in calls
        if not (200 <= c.status < 300 or (c.status == 503 and (c.thai or c.code == "database_unavailable")))
    ]
    first_ok = {}
    for what in ("transition", "api list", "page"):
        oks = [
            c.ended for c in calls if c.what == what and c.started >= marks["up"] and 200 <= c.status < 300
        ]
        first_ok[what] = (min(oks) - marks["up"]) if oks else None
    settled = [c for c in calls if c.started >= marks["up"] + 1.0]
    not_recovered = [c for c in settled if not 200 <= c.status < 300]
    if not during:
        failures.append("PostgreSQL outage: no request was made while it was down")
    if wrong_during:
        failures.append(
            f"PostgreSQL outage: {len(wrong_during)} answers during the outage were not the 503: {Counter(c.kind for c in wrong_during)}"
        )
    if slow:
        failures.append(
            f"PostgreSQL outage: {len(slow)} answers took over {MAX_OUTAGE_ANSWER_SECONDS} s (max {max(c.seconds for c in slow):.2f} s)"
        )
    if unexpected:
        failures.append(
            f"PostgreSQL outage: answers neither 2xx nor the 503: {Counter(c.what + ' ' + c.kind for c in unexpected)}"
        )
    if any(v is None for v in first_ok.values()):
        failures.append(
            f"PostgreSQL outage: no success after the restart for {[k for k, v in first_ok.items() if v is None]}"
        )
    if not_recovered:
        failures.append(
            f"PostgreSQL outage: {len(not_recovered)} failures a second after the restart: {Counter(c.kind for c in not_recovered)}"
        )
    if pids_after != pids_before:
        failures.append(
            f"PostgreSQL outage: the server's processes changed ({sorted(pids_before)} -> {sorted(pids_after)})"
        )
    result = {
        "requests": len(calls),
        "during": len(during),
        "during_by_what": dict(Counter(c.what for c in during)),
        "during_kinds": dict(Counter(c.kind for c in during)),
        "max_seconds_during": max((c.seconds for c in during), default=0.0),
        "edges": dict(Counter(c.kind for c in calls if c not in during and not 200 <= c.status < 300)),
        "first_ok_after_start": first_ok,
        "down_seconds": marks["start_begin"] - marks["down"],
        "restart_seconds": marks["up"] - marks["start_begin"],
        "all_kinds": dict(Counter(c.kind for c in calls)),
    }
    return result, failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--redis-down", type=float, default=6, help="seconds Redis stays down (default 6)")
    parser.add_argument(
        "--postgres-down", type=float, default=5, help="seconds PostgreSQL stays down (default 5)"
    )
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes (default 2)")
    parser.add_argument(
        "--pool",
        type=int,
        default=0,
        help="DATABASE_POOL_SIZE of the server (default 0: a connection per request)",
    )
    args = parser.parse_args(argv)

    started = time.monotonic()
    pg = infra.PrivatePostgres("outage")
    redis = infra.PrivateRedis()
    server: infra.Server | None = None
    with infra.scratch("rm-drill-media-") as media:
        try:
            pg.init()
            pg.start()
            pg.create_database(DATABASE)
            redis.start()
            env = infra.service_env(
                pg.url(DATABASE), media, redis_url=redis.url, DATABASE_POOL_SIZE=str(args.pool)
            )
            log(f"private PostgreSQL on port {pg.port}, Redis on {redis.port}; migrating")
            migrated = infra.manage(env, "migrate", "--noinput")
            if migrated.returncode != 0:
                print(migrated.stdout, migrated.stderr, file=sys.stderr)
                return 2
            infra.setup_django(env)
            from django.db import connections

            world = infra.build_world(10)
            connections.close_all()
            server = infra.Server(env, workers=args.workers, logfile=media / "server.log")
            server.start()
            log("the Redis outage")
            redis_result, redis_failures = redis_outage(server, redis, world, "5001", args.redis_down)
            connections.close_all()
            log("the PostgreSQL outage")
            pg_result, pg_failures = postgres_outage(server, pg, world, "5002", args.postgres_down)
        finally:
            if server is not None:
                server.stop()
            infra.keep_logs({"server.log": media / "server.log", "postgres.log": pg.logfile})
            redis.teardown()
            pg.teardown()

    r, p = redis_result, pg_result
    print(
        f"OUTAGE drill (uvicorn, {args.workers} workers, DATABASE_POOL_SIZE={args.pool}, private PostgreSQL and Redis)"
    )
    print(f"  Redis down for {args.redis_down:.0f} s:")
    print(
        f"    transitions tried: {r['transitions']} ({r['during_outage']} while Redis was down); 2xx: {r['ok']}; by kind: {r['kinds']}"
    )
    print(f"    slowest transition while Redis was down: {r['max_seconds_during']:.2f} s")
    print(f"    notices stored: {r['notices_stored']} (one per transition)")
    print(f"    websocket connections: {r['connections']}; failed (re)connects: {r['failed_connects']}")
    print(f"    notices received (first by): {r['received']}; never received: {r['missing']}")
    print(f"    pushes after Redis was back: {r['pushes_after_restart']}")
    print(f"  PostgreSQL down for {p['down_seconds']:.1f} s (restart took {p['restart_seconds']:.1f} s):")
    print(f"    requests: {p['requests']}; during the outage: {p['during']} {p['during_by_what']}")
    print(f"    answers during the outage: {p['during_kinds']}; slowest {p['max_seconds_during']:.3f} s")
    print(f"    answers around the stop and start (not 2xx): {p['edges'] or 'none'}")
    print(
        "    first success after the start: "
        + ", ".join(
            f"{k} {v:.2f} s" if v is not None else f"{k} never" for k, v in p["first_ok_after_start"].items()
        )
    )
    print(f"    all answers: {p['all_kinds']}")
    print(f"  total time: {time.monotonic() - started:.0f} s")
    failures = redis_failures + pg_failures
    if failures:
        print("FAILED: " + "; ".join(failures))
        return 1
    print("PASSED")
    return 0


if __name__ == "__main__":
    sys.exit(main())

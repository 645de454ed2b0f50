#!/usr/bin/env python
"""Websocket notification benchmark: commit-to-receive latency and server memory.

Run from the project folder with the project's virtualenv::

    .venv/bin/python bench/notifications.py --quick          # smoke run: 100 sockets, 3 s
    .venv/bin/python bench/notifications.py                  # 1,000 sockets, 10 s, then 2,000
    .venv/bin/python bench/notifications.py --server uvicorn

What it does, all on 127.0.0.1 and bounded in count and time (``--timeout``):

1. sets up its own world: a temporary SQLite database (or ``--database-url``), ``migrate``,
   N users with API tokens (bulk inserts, unusable passwords), a private ``redis-server`` on a
   free port (or ``--redis-url``), and the ASGI server (daphne, or uvicorn) as a subprocess
   with ``REDIS_URL``/``DATABASE_URL`` so pushes cross processes through Redis;
2. opens N websocket clients in this process (asyncio, the ``websockets`` library), each
   authenticated by ``Authorization: Token <key>``, sends ``hello`` and waits for ``caught_up``;
3. targeted: for ``--duration`` seconds, ``--rate`` notices per second, each to one random
   connected user, through the real path (``notifications.services.notify`` inside
   ``transaction.atomic()``; the push runs on commit, through Redis, to the server);
4. broadcast: one ``notify`` call to all N users (one transaction, N rows);
5. memory: the server's VmRSS idle, with N sockets, and with ``--memory-sockets`` (2,000);
   then one more broadcast to all of them.

Latency is measured from commit to receipt by id: an ``on_commit`` callback registered before
``notify``'s own runs first and stamps the commit time; each client stamps the time a frame
arrives, before parsing it. Both stamps are ``time.monotonic_ns()`` in this one process.
The clients, the notifier thread, Redis and the server share the machine's cores, so the
figures include the clients' own CPU time: they are an upper bound for the server.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import math
import os
import random
import re
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# Run as a script, this file's folder is sys.path[0] and "notifications" would be this file.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

try:
    import websockets
    from websockets.asyncio.client import connect as ws_connect
except ImportError:  # pragma: no cover - told to the user below
    websockets = None  # type: ignore[assignment]

VENV_BIN = Path(sys.executable).parent
TEXT_TH = "มีงานใหม่รอการพิจารณา: แผนพัฒนาอำเภอต้นแบบ ด้านการบริหารจัดการ ปีงบประมาณ ๒๕๗๐"
TEXT_EN = "A new task awaits your review: Role Model district plan, management dimension, FY 2027"


class Timeout(Exception):
    """The whole run took longer than ``--timeout``."""


# --------------------------------------------------------------------------------------------
# Figures


def percentile(values: Sequence[float], p: float) -> float | None:
    """Nearest-rank percentile of already sorted values."""
    if not values:
        return None
    rank = max(1, math.ceil(p / 100 * len(values)))
    return values[min(rank, len(values)) - 1]


def summary_ms(latencies_ns: Iterable[int]) -> dict[str, Any]:
    values = sorted(v / 1e6 for v in latencies_ns)
    return {
        "count": len(values),
        "p50": percentile(values, 50),
        "p95": percentile(values, 95),
        "p99": percentile(values, 99),
        "max": values[-1] if values else None,
        "min": values[0] if values else None,
    }


def fmt_ms(value: float | None) -> str:
    return "-" if value is None else f"{value:8.1f}"


def rss_mb(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (from /proc/<pid>/stat)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        ticks = os.sysconf("SC_CLK_TCK")
        return (int(fields[11]) + int(fields[12])) / ticks
    except (OSError, IndexError, ValueError):
        return 0.0


def machine_busy_seconds() -> float:
    """CPU time all processes on the machine have used (busy jiffies in /proc/stat)."""
    try:
        with open("/proc/stat") as fh:
            parts = fh.readline().split()[1:]
        user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in parts[:8])
        return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError):
        return 0.0


class CpuMeter:
    """CPU seconds used during a phase: the server, this process, our Redis, and everything else."""

    def __init__(self, server_pid: int, redis_pid: int | None) -> None:
        self.server_pid, self.redis_pid = server_pid, redis_pid

    def sample(self) -> tuple[float, ...]:
        redis = cpu_seconds(self.redis_pid) if self.redis_pid else 0.0
        return (
            cpu_seconds(self.server_pid),
            self_cpu_seconds(),
            redis,
            machine_busy_seconds(),
            time.monotonic(),
        )

    def since(self, before: tuple[float, ...]) -> dict[str, float]:
        after = self.sample()
        server, bench, redis, machine, wall = (a - b for a, b in zip(after, before, strict=True))
        return {
            "server": round(server, 2),
            "bench": round(bench, 2),
            "redis": round(redis, 2),
            "others": round(max(0.0, machine - server - bench - redis), 2),
            "wall": round(wall, 2),
        }


def self_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# --------------------------------------------------------------------------------------------
# Processes (redis-server, the ASGI server): started here, stopped here, nothing else touched


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, proc: subprocess.Popen[bytes] | None, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{what} exited with code {proc.returncode} before listening")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not listen on 127.0.0.1:{port} within {timeout:.0f} s")


class Processes:
    """Children of this benchmark; each stopped by its own pid (and its own process group)."""

    def __init__(self) -> None:
        self.procs: list[tuple[str, subprocess.Popen[bytes]]] = []

    def start(
        self, name: str, cmd: list[str], *, env: dict[str, str], log_path: Path
    ) -> subprocess.Popen[bytes]:
        with open(log_path, "wb") as out:
            proc = subprocess.Popen(  # noqa: S603 - fixed argument lists built here
                cmd,
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.procs.append((name, proc))
        return proc

    def stop_all(self) -> None:
        for _name, proc in reversed(self.procs):
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
        for _name, proc in reversed(self.procs):
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)
        self.procs.clear()


def start_redis(procs: Processes, tmp: Path) -> str:
    exe = shutil.which("redis-server")
    if exe is None:
        raise SystemExit(
            "redis-server not found: install it (apt-get install redis-server) or pass --redis-url"
        )
    port = free_port()
    cmd = [
        exe,
        "--bind", "127.0.0.1",
        "--port", str(port),
        "--save", "",
        "--appendonly", "no",
        "--dir", str(tmp),
        "--maxclients", "10000",
    ]  # fmt: skip
    proc = procs.start("redis", cmd, env=dict(os.environ), log_path=tmp / "redis.log")
    wait_for_port(port, proc, 15, "redis-server")
    return f"redis://127.0.0.1:{port}/0"


def server_command(kind: str, port: int) -> list[str]:
    if kind == "daphne":
        return [str(VENV_BIN / "daphne"), "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"]
    if kind == "uvicorn":
        return [
            str(VENV_BIN / "uvicorn"),
            "config.asgi:application",
            "--host", "127.0.0.1",
            "--port", str(port),
            "--lifespan", "off",
            "--log-level", "warning",
            "--no-access-log",
        ]  # fmt: skip
    raise SystemExit(f"unknown server {kind!r}")


# --------------------------------------------------------------------------------------------
# The world: database, users, tokens (in this process, with the same settings as the server)


def setup_django() -> None:
    import django

    django.setup()


def migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def create_users(count: int, prefix: str) -> list[tuple[int, str]]:
    """``count`` active users with tokens; returns (user id, token key)."""
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from rest_framework.authtoken.models import Token

    user_model = get_user_model()
    with transaction.atomic():
        users = user_model.objects.bulk_create(
            [
                user_model(username=f"{prefix}{i:05d}", password="!bench-unusable", is_active=True)  # noqa: S106
                for i in range(count)
            ],
            batch_size=500,
        )
        if any(u.pk is None for u in users):  # a backend without RETURNING
            users = list(user_model.objects.filter(username__startswith=prefix).order_by("username"))
        tokens = [Token(key=Token.generate_key(), user_id=u.pk) for u in users]
        Token.objects.bulk_create(tokens, batch_size=500)
    return [(t.user_id, t.key) for t in tokens]


def delete_users(prefix: str) -> None:
    from django.contrib.auth import get_user_model

    get_user_model().objects.filter(username__startswith=prefix).delete()


# --------------------------------------------------------------------------------------------
# The notifier: the real write path, in one worker thread of this process


@dataclass
class Sent:
    commit_ns: int  # stamped by an on_commit callback that runs before the push
    returned_ns: int  # after the atomic block (and so the push) returned
    recipient: int


def notify_once(recipients: list[int]) -> tuple[list[int], int, int]:
    """One ``notify`` in one transaction; returns (row ids, commit time, return time)."""
    from django.db import transaction

    from notifications.services import notify

    stamp: list[int] = []
    with transaction.atomic():
        # Registered first, so it runs right after COMMIT and before notify's push callback.
        transaction.on_commit(lambda: stamp.append(time.monotonic_ns()))
        rows = notify(recipients=recipients, kind="reminder", project=None, text_th=TEXT_TH, text_en=TEXT_EN)
    returned = time.monotonic_ns()
    return [r.pk for r in rows], stamp[0], returned


def targeted_sender(
    uids: list[int], rate: float, duration: float, seed: int, sent: dict[int, Sent], stop: threading.Event
) -> dict[str, Any]:
    rng = random.Random(seed)
    total = round(rate * duration)
    interval = 1.0 / rate
    start = time.monotonic()
    late = 0
    for i in range(total):
        if stop.is_set():
            break
        due = start + i * interval
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        elif delay < -interval:
            late += 1
        uid = rng.choice(uids)
        ids, committed, returned = notify_once([uid])
        sent[ids[0]] = Sent(committed, returned, uid)
    elapsed = time.monotonic() - start
    return {"planned": total, "sent": len(sent), "elapsed_s": elapsed, "late": late}


def close_db_connections() -> None:
    from django.db import connections

    connections.close_all()


# --------------------------------------------------------------------------------------------
# Websocket clients (asyncio, in this process)


@dataclass(eq=False)
class Client:
    uid: int
    key: str
    ws: Any = None
    caught_up: asyncio.Event = field(default_factory=asyncio.Event)
    error: str | None = None
    closed_code: int | None = None
    task: asyncio.Task[None] | None = None


@dataclass
class Receipts:
    at: dict[int, int] = field(default_factory=dict)  # notification id -> receive time (ns)
    by: dict[int, int] = field(default_factory=dict)  # notification id -> receiving user id
    duplicates: int = 0
    other_frames: int = 0


async def client_reader(client: Client, receipts: Receipts) -> None:
    try:
        async for frame in client.ws:
            now = time.monotonic_ns()
            message = json.loads(frame)
            kind = message.get("type")
            if kind == "notification":
                nid = message["notification"]["id"]
                if nid in receipts.at:
                    receipts.duplicates += 1
                else:
                    receipts.at[nid] = now
                    receipts.by[nid] = client.uid
            elif kind == "caught_up":
                client.caught_up.set()
            else:
                receipts.other_frames += 1
    except websockets.ConnectionClosed:
        pass
    except Exception as exc:
        client.error = f"{type(exc).__name__}: {exc}"
    finally:
        client.closed_code = client.ws.close_code if client.ws is not None else None
        client.caught_up.set()  # never leave a waiter hanging


async def open_client(
    client: Client, url: str, origin: str, receipts: Receipts, sem: asyncio.Semaphore
) -> None:
    async with sem:
        try:
            client.ws = await ws_connect(
                url,
                origin=origin,  # type: ignore[arg-type]
                additional_headers={"Authorization": f"Token {client.key}"},
                compression=None,
                ping_interval=None,
                open_timeout=30,
                close_timeout=5,
                proxy=None,
            )
        except Exception as exc:
            client.error = f"connect: {type(exc).__name__}: {exc}"
            client.caught_up.set()
            return
        client.task = asyncio.create_task(client_reader(client, receipts))
        await client.ws.send(json.dumps({"type": "hello", "after": 0}))
        await client.caught_up.wait()


async def connect_clients(
    clients: list[Client], url: str, origin: str, receipts: Receipts, concurrency: int, timeout: float
) -> dict[str, Any]:
    sem = asyncio.Semaphore(concurrency)
    start = time.monotonic()
    await asyncio.wait_for(
        asyncio.gather(*(open_client(c, url, origin, receipts, sem) for c in clients)), timeout=timeout
    )
    elapsed = time.monotonic() - start
    ok = [c for c in clients if c.error is None and c.closed_code is None]
    errors = [c.error or f"closed {c.closed_code}" for c in clients if c.error or c.closed_code is not None]
    return {
        "requested": len(clients),
        "connected": len(ok),
        "failed": len(clients) - len(ok),
        "elapsed_s": elapsed,
        "per_s": len(clients) / elapsed if elapsed else None,
        "errors": sorted(set(errors))[:5],
    }


async def close_clients(clients: list[Client]) -> None:
    async def close(c: Client) -> None:
        if c.ws is not None:
            with contextlib.suppress(Exception):
                await c.ws.close()
        if c.task is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(c.task, 5)

    sem = asyncio.Semaphore(200)

    async def bounded(c: Client) -> None:
        async with sem:
            await close(c)

    await asyncio.gather(*(bounded(c) for c in clients))


async def wait_received(ids: Iterable[int], receipts: Receipts, grace: float) -> None:
    pending = set(ids)
    deadline = time.monotonic() + grace
    while pending and time.monotonic() < deadline:
        pending = {i for i in pending if i not in receipts.at}
        if pending:
            await asyncio.sleep(0.02)


def connected(clients: list[Client]) -> list[Client]:
    return [c for c in clients if c.ws is not None and c.error is None and c.closed_code is None]


# --------------------------------------------------------------------------------------------
# Phases


class Profiler:
    """``py-spy record`` on the server and on this process for one phase (``--py-spy DIR``)."""

    def __init__(self, out: Path | None, server_pid: int) -> None:
        self.out = out
        self.server_pid = server_pid
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self, phase: str) -> None:
        if self.out is None:
            return
        exe = VENV_BIN / "py-spy"
        if not exe.exists():
            log("py-spy is not installed in the venv: no profile")
            self.out = None
            return
        self.out.mkdir(parents=True, exist_ok=True)
        for who, pid in (("server", self.server_pid), ("bench", os.getpid())):
            cmd = [str(exe), "record", "--pid", str(pid), "--rate", "250", "--format", "raw",
                   "--output", str(self.out / f"{phase}-{who}.txt"), "--nonblocking"]  # fmt: skip
            self.procs.append(
                subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603
            )
        time.sleep(0.5)  # let py-spy attach

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
        for proc in self.procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.procs.clear()


class Bench:
    def __init__(
        self,
        args: argparse.Namespace,
        users: list[tuple[int, str]],
        server_pid: int,
        port: int,
        redis_pid: int | None,
    ) -> None:
        self.args = args
        self.users = users
        self.server_pid = server_pid
        self.url = f"ws://127.0.0.1:{port}/ws/notifications/"
        self.origin = f"http://127.0.0.1:{port}"
        self.receipts = Receipts()
        self.clients: list[Client] = []
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="notifier")
        self.stop = threading.Event()
        self.results: dict[str, Any] = {}
        self.profiler = Profiler(args.py_spy, server_pid)
        self.cpu = CpuMeter(server_pid, redis_pid)
        self.drops = LayerDrops().install()

    async def profiled(self, phase: str, coro_fn: Callable[[], Any]) -> Any:
        self.profiler.start(phase)
        dropped = self.drops.dropped
        try:
            result = await coro_fn()
        finally:
            self.profiler.stop()
        result["layer_dropped_over_capacity"] = self.drops.dropped - dropped
        return result

    async def in_notifier(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self.executor, fn, *args)

    def rss(self) -> float | None:
        return rss_mb(self.server_pid)

    async def settle_rss(self) -> float | None:
        await asyncio.sleep(1.0)
        return self.rss()

    async def grow_to(self, n: int) -> dict[str, Any]:
        new = [Client(uid, key) for uid, key in self.users[len(self.clients) : n]]
        self.clients.extend(new)
        cpu0 = self.cpu.sample()
        stats = await connect_clients(
            new, self.url, self.origin, self.receipts, self.args.connect_concurrency, self.args.phase_timeout
        )
        stats["cpu_s"] = self.cpu.since(cpu0)
        stats["total_connected"] = len(connected(self.clients))
        return stats

    def redis_connections(self) -> int | None:
        """Connections Redis has accepted so far (INFO stats), to count new ones per phase."""
        try:
            import redis

            client = redis.Redis.from_url(os.environ["REDIS_URL"])
            try:
                return int(client.info("stats")["total_connections_received"])
            finally:
                client.close()
        except Exception:
            return None

    def dropped(self) -> int:
        """Sockets that were open and were closed (by the server or the network) since."""
        return sum(1 for c in self.clients if c.ws is not None and c.closed_code is not None)

    async def warm_up(self) -> dict[str, Any]:
        """One notice before the timed phases: the first push pays one-off imports in both processes."""
        uid = connected(self.clients)[0].uid
        ids, committed, returned = await self.in_notifier(notify_once, [uid])
        await wait_received(ids, self.receipts, self.args.grace)
        got = self.receipts.at.get(ids[0])
        return {
            "push_call_ms": (returned - committed) / 1e6,
            "latency_ms": None if got is None else (got - committed) / 1e6,
        }

    async def targeted(self) -> dict[str, Any]:
        uids = [c.uid for c in connected(self.clients)]
        sent: dict[int, Sent] = {}
        redis0 = self.redis_connections()
        cpu0 = self.cpu.sample()
        run = await self.in_notifier(
            targeted_sender, uids, self.args.rate, self.args.duration, self.args.seed, sent, self.stop
        )
        await wait_received(sent, self.receipts, self.args.grace)
        run["cpu_s"] = self.cpu.since(cpu0)
        run["achieved_rate"] = run["sent"] / run["elapsed_s"] if run["elapsed_s"] else None
        received = {nid: s for nid, s in sent.items() if nid in self.receipts.at}
        wrong = sum(1 for nid, s in received.items() if self.receipts.by[nid] != s.recipient)
        run["latency_ms"] = summary_ms(self.receipts.at[nid] - s.commit_ns for nid, s in received.items())
        run["push_call_ms"] = summary_ms(s.returned_ns - s.commit_ns for s in sent.values())
        run["lost"] = len(sent) - len(received)
        redis1 = self.redis_connections()
        if redis0 is not None and redis1 is not None:
            run["new_redis_connections"] = redis1 - redis0 - 1  # minus the first probe's own
        run["wrong_recipient"] = wrong
        return run

    async def broadcast(self) -> dict[str, Any]:
        uids = [c.uid for c in connected(self.clients)]
        cpu0 = self.cpu.sample()
        ids, committed, returned = await self.in_notifier(notify_once, uids)
        await wait_received(ids, self.receipts, self.args.grace)
        got = [self.receipts.at[i] for i in ids if i in self.receipts.at]
        return {
            "recipients": len(uids),
            "rows": len(ids),
            "push_call_ms": (returned - committed) / 1e6,
            "latency_ms": summary_ms(t - committed for t in got),
            "lost": len(ids) - len(got),
            "cpu_s": self.cpu.since(cpu0),
        }

    async def run(self) -> dict[str, Any]:
        a = self.args
        r = self.results
        r["rss_mb"] = {"idle": self.rss()}
        log(f"server RSS idle: {r['rss_mb']['idle']:.1f} MB")

        log(f"opening {a.sockets} websockets (hello, wait for caught_up) …")
        r["connect"] = await self.grow_to(a.sockets)
        log(f"  {r['connect']['connected']} connected in {r['connect']['elapsed_s']:.1f} s")
        r["rss_mb"][f"sockets_{a.sockets}"] = await self.settle_rss()

        r["warm_up"] = await self.warm_up()
        log(f"targeted: {a.rate:g}/s for {a.duration:g} s, each to one random user …")
        r["targeted"] = await self.profiled("targeted", self.targeted)
        log(f"broadcast: one notice to all {len(connected(self.clients))} users …")
        r["broadcast"] = await self.profiled("broadcast", self.broadcast)
        r["rss_mb"][f"sockets_{a.sockets}_after_traffic"] = await self.settle_rss()

        if a.memory_sockets > a.sockets:
            log(f"opening {a.memory_sockets - a.sockets} more websockets (total {a.memory_sockets}) …")
            r["connect_more"] = await self.grow_to(a.memory_sockets)
            log(f"  {r['connect_more']['total_connected']} connected in total")
            r["rss_mb"][f"sockets_{a.memory_sockets}"] = await self.settle_rss()
            log(f"broadcast: one notice to all {len(connected(self.clients))} users …")
            r["broadcast_max"] = await self.profiled("broadcast_max", self.broadcast)
            r["rss_mb"][f"sockets_{a.memory_sockets}_after_traffic"] = await self.settle_rss()

        if a.idle > 0:
            before = self.dropped()
            log(f"idle: {a.idle:g} s without traffic, counting sockets the server closes …")
            await asyncio.sleep(a.idle)
            r["idle"] = {"seconds": a.idle, "sockets_closed": self.dropped() - before}
        r["dropped_sockets"] = self.dropped()
        r["close_codes"] = sorted({c.closed_code for c in self.clients if c.closed_code is not None})
        r["duplicates"] = self.receipts.duplicates
        r["bench_rss_mb"] = rss_mb(os.getpid())
        log("closing the websockets …")
        await close_clients(self.clients)
        r["rss_mb"]["after_close"] = await self.settle_rss()
        await self.in_notifier(close_db_connections)
        self.executor.shutdown(wait=True)
        return r


# --------------------------------------------------------------------------------------------
# Report


def fmt_cpu(cpu: dict[str, float]) -> str:
    return (
        f"CPU s over {cpu['wall']:.1f} s: server {cpu['server']:.1f}, benchmark {cpu['bench']:.1f}, "
        f"redis {cpu['redis']:.1f}, other processes on the machine {cpu['others']:.1f}"
    )


def print_report(args: argparse.Namespace, meta: dict[str, Any], r: dict[str, Any]) -> None:
    targets = {"targeted_p99_ms": 100.0, "broadcast_p99_ms": 1000.0, "rss_mb_2000": 300.0}
    print()
    print("=" * 78)
    print(f"notifications benchmark — server {args.server}, {meta['cores']} cores, {meta['date']}")
    print(f"database {meta['database']}, redis {meta['redis']}")
    c = r["connect"]
    print(
        f"connect: {c['connected']}/{c['requested']} in {c['elapsed_s']:.1f} s "
        f"({c['per_s']:.0f}/s); failed {c['failed']} {c['errors'] or ''}"
    )
    t = r["targeted"]
    lat = t["latency_ms"]
    print()
    print(
        f"targeted: {t['sent']} notices in {t['elapsed_s']:.1f} s ({t['achieved_rate']:.1f}/s), "
        f"received {lat['count']}, lost {t['lost']} (layer over capacity {t['layer_dropped_over_capacity']}), "
        f"wrong recipient {t['wrong_recipient']}"
    )
    print("                     p50      p95      p99      max   (ms)")
    print(
        f"  commit→receive {fmt_ms(lat['p50'])} {fmt_ms(lat['p95'])} {fmt_ms(lat['p99'])} {fmt_ms(lat['max'])}"
    )
    pc = t["push_call_ms"]
    print(f"  commit→push ret{fmt_ms(pc['p50'])} {fmt_ms(pc['p95'])} {fmt_ms(pc['p99'])} {fmt_ms(pc['max'])}")
    print(f"  {fmt_cpu(t['cpu_s'])}; new Redis connections {t.get('new_redis_connections', '?')}")
    w = r["warm_up"]
    print(f"  (untimed warm-up notice before: push call {w['push_call_ms']:.0f} ms, "
          f"commit→receive {fmt_ms(w['latency_ms']).strip()} ms)")  # fmt: skip
    for key in ("broadcast", "broadcast_max"):
        if key not in r:
            continue
        b = r[key]
        lat = b["latency_ms"]
        print()
        print(
            f"{key.replace('_max', ' (all sockets)')}: 1 notify, {b['rows']} rows, received {lat['count']}, "
            f"lost {b['lost']} (layer over capacity {b['layer_dropped_over_capacity']}); "
            f"push call returned after {b['push_call_ms']:.0f} ms"
        )
        print("                     p50      p95      p99      max   (ms)")
        print(
            f"  commit→receive {fmt_ms(lat['p50'])} {fmt_ms(lat['p95'])} {fmt_ms(lat['p99'])} {fmt_ms(lat['max'])}"
        )
        print(f"  {fmt_cpu(b['cpu_s'])}")
    print()
    print("server RSS (MB): " + ", ".join(f"{k} {v:.1f}" for k, v in r["rss_mb"].items() if v is not None))
    print(f"benchmark process RSS: {r['bench_rss_mb']:.1f} MB")
    idle = r.get("idle")
    print(f"sockets closed by the server during the run: {r['dropped_sockets']} (close codes {r['close_codes']})"
          + (f", of which {idle['sockets_closed']} in {idle['seconds']:g} s idle" if idle else "")
          + f"; duplicate notices {r['duplicates']}")  # fmt: skip
    sl = r["server_log"]
    print(f"server log: {sl['application_exceptions']} application exceptions {sl['exception_kinds'] or ''}")
    print()
    print("targets:")
    tp99 = r["targeted"]["latency_ms"]["p99"]
    bp99 = r["broadcast"]["latency_ms"]["p99"]
    met = {
        "targeted p99 ≤ 100 ms": tp99 is not None
        and tp99 <= targets["targeted_p99_ms"]
        and r["targeted"]["lost"] == 0,
        "broadcast p99 ≤ 1 s": bp99 is not None
        and bp99 <= targets["broadcast_p99_ms"]
        and r["broadcast"]["lost"] == 0,
    }
    rss2000 = r["rss_mb"].get("sockets_2000")
    if rss2000 is not None:
        met["RSS ≤ 300 MB with 2,000 sockets"] = rss2000 <= targets["rss_mb_2000"]
    met["(check) every notice delivered"] = all(
        r[k]["lost"] == 0 for k in ("targeted", "broadcast", "broadcast_max") if k in r
    )
    met["(check) no socket closed by the server"] = r["dropped_sockets"] == 0
    for name, ok in met.items():
        print(f"  {'MET ' if ok else 'MISS'} {name}")
    if args.sockets != 1000:
        print(f"  (targets are for 1,000 sockets; this run used {args.sockets})")
    print("=" * 78)


# --------------------------------------------------------------------------------------------
# Main


EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt)\b")


def scan_server_log(path: Path) -> dict[str, Any]:
    """Counts of what went wrong in the server, from its log (daphne's and uvicorn's wording)."""
    text = path.read_text(errors="replace") if path.exists() else ""
    lines = text.splitlines()
    exceptions = [
        i for i, line in enumerate(lines)
        if line.startswith(("Exception inside application", "Exception in ASGI application"))
    ]  # fmt: skip
    kinds: set[str] = set()
    for i in exceptions:
        # The traceback's last exception line, before the next log record.
        last = ""
        for line in lines[i + 1 : i + 200]:
            if (
                line.startswith(("Exception inside application", "Exception in ASGI application"))
                or " - - [" in line
            ):
                break
            if EXCEPTION_LINE.match(line):
                last = line
        kinds.add((last or lines[i]).strip()[:120])
    return {"application_exceptions": len(exceptions), "exception_kinds": sorted(kinds)[:5]}


class LayerDrops(logging.Handler):
    """Counts messages channels-redis dropped in this (sending) process: "N of M channels over capacity"."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.dropped = 0

    def emit(self, record: logging.LogRecord) -> None:
        if "over capacity" in str(record.msg):
            try:
                self.dropped += int(record.args[0])  # type: ignore[index]
            except (TypeError, ValueError, IndexError):
                self.dropped += 1

    def install(self) -> LayerDrops:
        logger = logging.getLogger("channels_redis.core")
        logger.setLevel(logging.INFO)
        logger.addHandler(self)
        logger.propagate = False  # counted here, not printed once per message
        return self


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sockets", type=int, default=1000, help="websockets for the latency phases (1000)")
    p.add_argument("--memory-sockets", type=int, default=2000,
                   help="then grow to this many sockets for the memory figure and a second broadcast "
                   "(2000; 0 to skip)")  # fmt: skip
    p.add_argument("--duration", type=float, default=10.0, help="seconds of targeted notices (10)")
    p.add_argument("--rate", type=float, default=20.0, help="targeted notices per second (20)")
    p.add_argument(
        "--idle",
        type=float,
        default=15.0,
        help="then seconds without traffic, counting sockets the server closes (15; 0 to skip)",
    )
    p.add_argument("--server", choices=["daphne", "uvicorn"], default="daphne")
    p.add_argument("--quick", action="store_true", help="smoke run: 100 sockets, 3 s, grow to 200, 6 s idle")
    p.add_argument("--database-url", help="use this database instead of a temporary SQLite file")
    p.add_argument("--redis-url", help="use this Redis instead of a private redis-server")
    p.add_argument("--connect-concurrency", type=int, default=50, help="handshakes in flight (50)")
    p.add_argument("--grace", type=float, default=10.0, help="seconds to wait for late notices (10)")
    p.add_argument("--phase-timeout", type=float, default=180.0, help="limit for opening the sockets (180 s)")
    p.add_argument("--timeout", type=int, default=900, help="limit for the whole run in seconds (900)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    p.add_argument(
        "--py-spy",
        type=Path,
        metavar="DIR",
        help="profile the server and this process with py-spy during each timed phase "
        "(collapsed stacks in DIR; needs py-spy in the venv)",
    )
    p.add_argument(
        "--server-log-level",
        default="WARNING",
        help="LOG_LEVEL for the server and this process (WARNING); the server's log is scanned for exceptions",
    )
    p.add_argument(
        "--settings",
        default="config.settings",
        help="DJANGO_SETTINGS_MODULE for both processes, to compare a configuration",
    )
    p.add_argument("--keep", action="store_true", help="keep the temporary folder (logs, database)")
    args = p.parse_args(argv)
    if args.quick:
        args.sockets, args.duration, args.memory_sockets, args.idle = 100, 3.0, 200, 6.0
    if not 1 <= args.sockets <= 10000 or args.memory_sockets > 10000:
        p.error("--sockets and --memory-sockets must be between 1 and 10000")
    if not 0 < args.rate <= 1000 or not 0 < args.duration <= 600:
        p.error("--rate must be in (0, 1000] and --duration in (0, 600]")
    return args


def raise_fd_limit(needed: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, max(soft, needed))
    if want > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    if want < needed:
        log(f"warning: open-file limit {want} is below the {needed} this run needs")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if websockets is None:
        print("this benchmark needs the 'websockets' package: .venv/bin/pip install websockets==17.4")
        return 2

    def on_alarm(signum: int, frame: Any) -> None:
        raise Timeout(f"the run took longer than --timeout {args.timeout} s")

    def on_term(signum: int, frame: Any) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGALRM, on_alarm)
    signal.signal(signal.SIGTERM, on_term)
    signal.alarm(args.timeout)

    total = max(args.sockets, args.memory_sockets)
    raise_fd_limit(3 * total + 512)  # client end + server end (the server inherits) + slack
    tmp = Path(tempfile.mkdtemp(prefix="rm-bench-notifications-"))
    procs = Processes()
    prefix = f"bench-{secrets.token_hex(3)}-"
    created_users = False
    try:
        redis_url = args.redis_url or start_redis(procs, tmp)
        database_url = args.database_url or f"sqlite:///{tmp / 'bench.sqlite3'}"
        os.environ.update(
            {
                "DJANGO_SETTINGS_MODULE": args.settings,
                "DATABASE_URL": database_url,
                "REDIS_URL": redis_url,
                "DEBUG": "0",
                "SECRET_KEY": secrets.token_urlsafe(40),
                "ALLOWED_HOSTS": "127.0.0.1,localhost",
                "LOG_LEVEL": args.server_log_level,
                "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p),
            }
        )
        setup_django()
        log(f"migrating {database_url.split('://')[0]} database …")
        migrate()
        start = time.monotonic()
        users = create_users(total, prefix)
        created_users = True
        log(f"created {len(users)} users with tokens in {time.monotonic() - start:.1f} s")

        port = free_port()
        server = procs.start(args.server, server_command(args.server, port), env=dict(os.environ),
                             log_path=tmp / f"{args.server}.log")  # fmt: skip
        wait_for_port(port, server, 60, args.server)
        time.sleep(1.0)  # let the import settle before the idle figure
        log(f"{args.server} listening on 127.0.0.1:{port} (pid {server.pid}); redis {redis_url}")

        redis_pid = next((proc.pid for name, proc in procs.procs if name == "redis"), None)
        bench = Bench(args, users, server.pid, port, redis_pid)
        try:
            results = asyncio.run(bench.run())
        finally:
            bench.stop.set()
        if server.poll() is not None:
            log(f"warning: the server exited during the run (code {server.returncode})")
        results["server_log"] = scan_server_log(tmp / f"{args.server}.log")
        meta = {
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "cores": os.cpu_count(),
            "server": args.server,
            "sockets": args.sockets,
            "memory_sockets": args.memory_sockets,
            "duration": args.duration,
            "rate": args.rate,
            "database": "temporary SQLite (WAL)" if not args.database_url else database_url.split("://")[0],
            "redis": "private redis-server" if not args.redis_url else "given",
            "argv": sys.argv[1:],
        }
        print_report(args, meta, results)
        if args.json:
            args.json.write_text(json.dumps({"meta": meta, "results": results}, indent=2, ensure_ascii=False))
        return 0
    finally:
        signal.alarm(0)
        procs.stop_all()
        if created_users and args.database_url:
            with contextlib.suppress(Exception):
                delete_users(prefix)
        if args.keep:
            log(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

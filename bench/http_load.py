"""Transitions over HTTP: a real ASGI server and concurrent clients, all on 127.0.0.1.

The server is uvicorn from the virtualenv serving ``config.asgi:application`` with ``--workers``
processes, on the benchmark's database, ``DEBUG=0``. Each client is a thread with its own
keep-alive connection; it takes projects from a shared list and drives each one approve →
implement → monitor → report with ``POST /api/v1/projects/{id}/transitions/{name}/`` as the
step's user (token authentication: ``/api/v1/auth/token/`` for one user, to check the endpoint,
the others' tokens made with the same model). Before the clock starts, a few untimed reads of a
project's detail on concurrent connections let every server process pay its one-off first-request
costs (``warm_up``). Bounded: a fixed number of projects and a per-request timeout. Throughput
is transitions over the wall time of the whole run.
"""

from __future__ import annotations

import http.client
import json
import os
import queue
import secrets
import socket
import subprocess
import sys
import threading
import time
from typing import Any

from bench.common import ROOT, log, percentile
from bench.country import World
from bench.transitions import STEPS, actors_of, pick_projects

BODIES: dict[str, dict[str, Any]] = {
    "approve": {"comment": ""},
    "implement": {
        "spend_lines": [
            {"description": "วัสดุฝึกปฏิบัติ", "category": "activity_materials", "amount": "8000.00"},
            {"description": "ค่าวิทยากร", "category": "wages", "amount": "3000.00"},
        ],
        "activities_done": "อบรมอาชีพ 3 ครั้ง",
        "villages_reached": 3,
        "households_reached": 110,
    },
    "monitor": {"findings": "ดำเนินการครบตามแผน"},
    "report": {"result_narrative": "ประชาชนมีรายได้เพิ่มขึ้น"},
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(database_url: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "0",
        "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(40),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "LOG_LEVEL": "ERROR",
        # Each process keeps a few PostgreSQL connections (README: production settings).
        "DATABASE_POOL_SIZE": os.environ.get("DATABASE_POOL_SIZE", "4"),
    }
    env.pop("REDIS_URL", None)
    command = [
        str(ROOT / ".venv" / "bin" / "uvicorn"),
        "config.asgi:application",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    server = subprocess.Popen(command, cwd=ROOT, env=env)  # noqa: S603
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/accounts/login/")
            if conn.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.3)
    server.kill()
    raise RuntimeError("the server did not start within 60 s")


def peak_rss_of_tree(pid: int) -> list[float]:
    """VmHWM (peak RSS, MB) of a process and its direct children, read from /proc."""
    pids = [pid, *_children(pid)]
    peaks = []
    for p in pids:
        try:
            with open(f"/proc/{p}/status", encoding="ascii") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        peaks.append(round(int(line.split()[1]) / 1024, 1))
        except OSError:
            continue
    return peaks


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        found.append(int(entry))
            except (OSError, ValueError, IndexError):
                continue
    return found


def cpu_seconds_of_tree(pid: int) -> float:
    """User + system CPU seconds of a process and its direct children (the server's workers)."""
    total = 0
    for p in [pid, *_children(pid)]:
        try:
            with open(f"/proc/{p}/stat", encoding="ascii", errors="replace") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, ValueError, IndexError):
            continue
    return total / os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> float:
    """CPU seconds all cores spent not idle, since boot (``/proc/stat``): everyone's work."""
    with open("/proc/stat", encoding="ascii") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
    return (sum(values[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def tokens(user_pks: set[int], port: int) -> dict[int, str]:
    """An API token per user; the first through ``/api/v1/auth/token/`` with a password."""
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    users = get_user_model().objects
    first = users.get(pk=min(user_pks))
    password = secrets.token_urlsafe(16)
    first.set_password(password)
    first.save(update_fields=["password"])
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    body = json.dumps({"username": first.username, "password": password})
    conn.request("POST", "/api/v1/auth/token/", body, {"Content-Type": "application/json"})
    response = conn.getresponse()
    data = json.loads(response.read())
    if response.status != 200:
        raise RuntimeError(f"token endpoint: HTTP {response.status} {data}")
    result = {first.pk: data["token"]}
    for pk in user_pks - {first.pk}:
        token, _created = Token.objects.get_or_create(user_id=pk)
        result[pk] = token.key
    return result


def warm_up(port: int, key: str, project_id: int, connections: int) -> int:
    """Untimed: ``connections`` concurrent keep-alive clients read a project's detail a few times,
    so that every server process has paid its one-off costs (the URLconf and the modules it
    imports on its first request, about 0.5 s of CPU; its first pooled database connections)
    before the clock starts. Returns the number of answers that were not 200."""
    failures: list[int] = []

    def one() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            for _ in range(3):
                conn.request(
                    "GET", f"/api/v1/projects/{project_id}/", headers={"Authorization": f"Token {key}"}
                )
                response = conn.getresponse()
                response.read()
                if response.status != 200:
                    failures.append(response.status)
        finally:
            conn.close()

    threads = [threading.Thread(target=one) for _ in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return len(failures)


def run_http(
    world: World, database_url: str, *, projects: int, clients: int, workers: int, skip: set[int]
) -> tuple[dict[str, Any], list[int]]:
    """Drive ``projects`` projects over HTTP with ``clients`` threads; figures and projects used."""
    from django.db import connections

    project_ids = pick_projects(world, projects, skip=skip)
    actors = actors_of(world, project_ids)
    port = free_port()
    connections.close_all()
    server = start_server(database_url, port, workers)
    try:
        keys = tokens({pk for a in actors.values() for pk in a.values()}, port)
        connections.close_all()
        first = project_ids[0]
        if warm_up(port, keys[actors[first]["chief"]], first, connections=4 * workers):
            raise RuntimeError("the warm-up requests failed")
        work: queue.Queue[int] = queue.Queue()
        for pk in project_ids:
            work.put(pk)
        latencies: list[float] = []
        errors: list[str] = []
        lock = threading.Lock()

        def client() -> None:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            while True:
                try:
                    pk = work.get_nowait()
                except queue.Empty:
                    return
                for step, who in STEPS:
                    headers = {
                        "Authorization": f"Token {keys[actors[pk][who]]}",
                        "Content-Type": "application/json",
                    }
                    start = time.perf_counter()
                    try:
                        path = f"/api/v1/projects/{pk}/transitions/{step}/"
                        conn.request("POST", path, json.dumps(BODIES[step]), headers)
                        response = conn.getresponse()
                        response.read()
                        status = response.status
                    except (OSError, http.client.HTTPException) as exc:
                        conn.close()
                        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                        status, exc_text = 0, repr(exc)
                    elapsed = time.perf_counter() - start
                    with lock:
                        latencies.append(elapsed)
                        if status != 200:
                            errors.append(f"{step} {pk}: {status or exc_text}")
                    if status != 200:
                        break

        server_cpu, busy, client_cpu = (
            cpu_seconds_of_tree(server.pid),
            machine_busy_seconds(),
            time.process_time(),
        )
        wall = time.perf_counter()
        threads = [threading.Thread(target=client) for _ in range(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - wall
        server_cpu = cpu_seconds_of_tree(server.pid) - server_cpu
        busy = machine_busy_seconds() - busy
        client_cpu = time.process_time() - client_cpu
        server_rss = peak_rss_of_tree(server.pid)
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
    if errors:
        log(f"HTTP errors ({len(errors)}): {errors[:5]}")
    ok = len(latencies) - len(errors)
    return {
        "server_workers": workers,
        "clients": clients,
        "requests": len(latencies),
        "errors": len(errors),
        "rate": ok / wall if wall else 0.0,
        "p50_ms": percentile(latencies, 50) * 1000,
        "p95_ms": percentile(latencies, 95) * 1000,
        "p99_ms": percentile(latencies, 99) * 1000,
        "server_peak_rss_mb": server_rss,
        # CPU per request of the server processes and of the clients (this process), and how busy
        # the whole machine was: all cores, everyone's work (PostgreSQL and whatever else ran too).
        "server_cpu_ms_per_request": 1000 * server_cpu / len(latencies) if latencies else 0.0,
        "client_cpu_ms_per_request": 1000 * client_cpu / len(latencies) if latencies else 0.0,
        "machine_busy": busy / (wall * (os.cpu_count() or 1)) if wall else 0.0,
    }, project_ids


if __name__ == "__main__":  # pragma: no cover - run through bench/suite.py
    sys.exit("run this through: python -m bench.suite --db postgres")

"""Real processes for the multi-process notification tests: a private Redis, Daphne, Uvicorn.

Nothing here reads the suite's DATABASE_URL or REDIS_URL: the stack gets its own SQLite file,
its own redis-server on a free port and its own servers, and every process it starts is
stopped again (terminate, then kill) by :meth:`Stack.close`, also when a start fails.
Each process writes its output to a log file in the stack's folder.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Origin

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
HOST = "127.0.0.1"
WS_PATH = "/ws/notifications/"
START_TIMEOUT = 30.0
STOP_TIMEOUT = 5.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def redis_server_binary() -> str:
    found = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not Path(found).exists():
        raise RuntimeError("redis-server is not installed (Debian package redis-server)")
    return found


def run_async(coroutine: Any, timeout: float = 120.0) -> Any:
    """Run a coroutine on a fresh event loop in its own thread.

    Independent of pytest-asyncio and of any loop another fixture left marked as running in
    the test thread (Playwright's sync API does that).
    """

    async def bounded() -> Any:
        return await asyncio.wait_for(coroutine, timeout)

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, bounded()).result()


# --- Processes -------------------------------------------------------------------------------


@dataclass
class Process:
    """A child process whose output goes to ``log``; stopped with terminate, then kill."""

    name: str
    args: list[str]
    log: Path
    env: dict[str, str]
    popen: subprocess.Popen[bytes] | None = None

    def start(self) -> Process:
        with self.log.open("ab") as out:
            out.write(f"\n=== start: {' '.join(self.args)}\n".encode())
            out.flush()
            self.popen = subprocess.Popen(
                self.args,
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    @property
    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def stop(self) -> None:
        popen, self.popen = self.popen, None
        if popen is None or popen.poll() is not None:
            return
        popen.terminate()
        try:
            popen.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            popen.kill()
            popen.wait(timeout=STOP_TIMEOUT)

    def tail(self, lines: int = 150) -> str:
        try:
            text = self.log.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])


def wait_until(what: str, check: Any, process: Process, timeout: float = START_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not process.running:
            raise RuntimeError(f"{process.name} exited while {what}:\n{process.tail()}")
        if check():
            return
        time.sleep(0.1)
    raise RuntimeError(f"{process.name}: timed out {what}:\n{process.tail()}")


def redis_answers(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def http_answers(port: int) -> bool:
    try:
        status, _body = http_request(port, "GET", "/api/v1/editions/", timeout=2)
    except OSError:
        return False
    return status in (200, 401, 403)


def http_request(
    port: int,
    method: str,
    path: str,
    *,
    token: str | None = None,
    body: Any = None,
    timeout: float = 30,
) -> tuple[int, Any]:
    """One HTTP request to a server of the stack; returns (status, decoded JSON or text)."""
    headers = {"Accept": "application/json", "Accept-Language": "en"}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = f"Token {token}"
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request(method, path, body=data, headers=headers)
        response = conn.getresponse()
        raw = response.read()
    finally:
        conn.close()
    text = raw.decode("utf-8", errors="replace")
    try:
        return response.status, json.loads(text) if text else None
    except ValueError:
        return response.status, text


# --- The stack -------------------------------------------------------------------------------


@dataclass
class Stack:
    """A private Redis, a SQLite database with the demo data and two ASGI servers on it."""

    folder: Path
    redis_port: int = field(default_factory=free_port)
    daphne_port: int = 0
    uvicorn_port: int = 0
    processes: list[Process] = field(default_factory=list)
    redis: Process | None = None

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
        env.update(
            DJANGO_SETTINGS_MODULE="config.settings",
            DATABASE_URL=f"sqlite:///{self.folder / 'db.sqlite3'}",
            REDIS_URL=f"redis://{HOST}:{self.redis_port}/0",
            DEBUG="1",
            ALLOWED_HOSTS=f"{HOST},localhost",
            LOG_LEVEL="WARNING",
            PYTHONUNBUFFERED="1",
        )
        return env

    def manage(self, *args: str) -> None:
        """A management command on the stack's database (with the in-memory layer: no Redis yet)."""
        log = self.folder / "manage.log"
        env = {k: v for k, v in self.env.items() if k != "REDIS_URL"}
        with log.open("ab") as out:
            result = subprocess.run(
                [PYTHON, "manage.py", *args],
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                timeout=120,
                check=False,
            )
        if result.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{log.read_text(errors='replace')}")

    def _spawn(self, name: str, args: list[str]) -> Process:
        process = Process(name, args, self.folder / f"{name}.log", self.env)
        self.processes.append(process)
        return process.start()

    def start_redis(self) -> None:
        if self.redis is not None:  # the same port, log and arguments as before
            self.redis.start()
            wait_until("waiting for PING", lambda: redis_answers(self.redis_port), self.redis)
            return
        self.redis = self._spawn(
            "redis",
            [
                redis_server_binary(),
                "--port",
                str(self.redis_port),
                "--bind",
                HOST,
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.folder),
            ],
        )
        wait_until("waiting for PING", lambda: redis_answers(self.redis_port), self.redis)

    def stop_redis(self) -> None:
        if self.redis is not None:
            self.redis.stop()
        deadline = time.monotonic() + STOP_TIMEOUT
        while redis_answers(self.redis_port):
            if time.monotonic() > deadline:
                raise RuntimeError("redis-server still answers after it was stopped")
            time.sleep(0.1)

    def start_servers(self) -> None:
        self.daphne_port, self.uvicorn_port = free_port(), free_port()
        while self.uvicorn_port == self.daphne_port:
            self.uvicorn_port = free_port()
        daphne = self._spawn(
            "daphne",
            [PYTHON, "-m", "daphne", "-b", HOST, "-p", str(self.daphne_port), "config.asgi:application"],
        )
        uvicorn = self._spawn(
            "uvicorn",
            [
                PYTHON,
                "-m",
                "uvicorn",
                "config.asgi:application",
                "--host",
                HOST,
                "--port",
                str(self.uvicorn_port),
                "--no-access-log",
            ],
        )
        wait_until("waiting for HTTP", lambda: http_answers(self.daphne_port), daphne)
        wait_until("waiting for HTTP", lambda: http_answers(self.uvicorn_port), uvicorn)

    def server(self, name: str) -> Process:
        return next(p for p in self.processes if p.name == name)

    def logs(self, lines: int = 150) -> str:
        parts = []
        for process in self.processes:
            parts.append(f"----- {process.name} ({process.log}) -----\n{process.tail(lines)}")
        manage = self.folder / "manage.log"
        if manage.exists():
            parts.append(f"----- manage.py ({manage}) -----")
        return "\n".join(parts)

    def close(self) -> None:
        for process in reversed(self.processes):
            with contextlib.suppress(Exception):
                process.stop()


@contextlib.contextmanager
def running_stack(folder: Path) -> Iterator[Stack]:
    """Migrate and seed a fresh database, start Redis and both servers; stop all at the end."""
    stack = Stack(folder)
    try:
        stack.manage("migrate", "--noinput", "--verbosity", "0")
        stack.manage("seed_demo")
        stack.start_redis()
        stack.start_servers()
        yield stack
    finally:
        stack.close()


# --- A websocket client as an API client would write it --------------------------------------


class Closed(Exception):
    pass


class NotificationClient:
    """The notification socket of one user: remembers the last id it saw and every id received."""

    def __init__(self, port: int, token: str, name: str = "") -> None:
        self.port, self.token, self.name = port, token, name
        self.last_id = 0
        self.received: list[int] = []
        self.ws: ClientConnection | None = None

    async def connect(self, timeout: float = 10) -> None:
        self.ws = await connect(
            f"ws://{HOST}:{self.port}{WS_PATH}",
            origin=Origin(f"http://{HOST}:{self.port}"),
            additional_headers={"Authorization": f"Token {self.token}"},
            compression=None,
            proxy=None,
            open_timeout=timeout,
            ping_interval=None,
            max_queue=None,
        )

    async def close(self) -> None:
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.ws.close(), 5)
            self.ws = None

    async def receive(self, timeout: float = 10) -> dict[str, Any]:
        assert self.ws is not None, "not connected"
        try:
            raw = await asyncio.wait_for(self.ws.recv(), timeout)
        except TimeoutError:
            raise AssertionError(f"{self.name}: nothing received within {timeout} s") from None
        except Exception as exc:  # websockets.ConnectionClosed and friends
            raise Closed(f"{self.name}: {exc!r}") from exc
        message = json.loads(raw)
        if message.get("type") == "notification":
            pk = int(message["notification"]["id"])
            self.received.append(pk)
            self.last_id = max(self.last_id, pk)
        return message

    async def hello(self, timeout: float = 10) -> list[dict[str, Any]]:
        """Ask for everything after ``last_id``; return the notices up to ``caught_up``."""
        assert self.ws is not None, "not connected"
        await self.ws.send(json.dumps({"type": "hello", "after": self.last_id}))
        notices = []
        while True:
            message = await self.receive(timeout)
            if message["type"] == "notification":
                notices.append(message["notification"])
            elif message["type"] == "caught_up":
                self.last_id = max(self.last_id, int(message["last_id"]))
                assert not message["more"], message
                return notices

    async def next_notification(self, timeout: float = 10) -> dict[str, Any]:
        """The next notice, skipping transient messages (task updates, read marks)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                raise AssertionError(f"{self.name}: no notification within {timeout} s")
            message = await self.receive(left)
            if message["type"] == "notification":
                return dict(message["notification"])

    async def reconnect(self, timeout: float = 30) -> list[dict[str, Any]]:
        """Close, connect again and catch up from ``last_id``, retrying like a real client.

        Right after Redis returns, a server may refuse the first handshake (500: its pool still
        holds a dead connection) or never answer it (Uvicorn was seen waiting over 30 s on a
        channels-redis receive task stuck cancelling; Daphne gives up after its 5 s connect
        timeout). The client gives each attempt 5 s, backs off and tries again.
        """
        await self.close()
        deadline = asyncio.get_running_loop().time() + timeout
        delay = 0.2
        while True:
            try:
                await self.connect(timeout=5)
                return await self.hello()
            except Exception as exc:  # refused, closed by the server, no answer
                await self.close()
                if asyncio.get_running_loop().time() + delay > deadline:
                    raise AssertionError(f"{self.name}: could not reconnect: {exc!r}") from exc
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)

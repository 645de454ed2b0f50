"""What the drills share: a private PostgreSQL cluster, a private Redis, the ASGI server, a small world.

Nothing here touches the shared PostgreSQL (5432) or Redis (6379): each drill makes its own
cluster with ``initdb`` in a temporary folder (owned by the ``postgres`` user when the drill runs
as root, since ``initdb`` refuses root) and its own ``redis-server``, both on free ports of
127.0.0.1, and removes them at the end.
"""

from __future__ import annotations

import contextlib
import glob
import http.client
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PYTHON = (
    str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv" / "bin" / "python").exists() else sys.executable
)
VENV_BIN = Path(PYTHON).parent
# One key for every process of a drill (server, commands, this process): the audit hashes and the
# checkpoints are keyed with it.
DRILL_SECRET_KEY = os.environ.get("DRILL_SECRET_KEY") or secrets.token_urlsafe(40)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S', time.gmtime())} UTC] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _postgres_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if not found:
        found = [shutil.which("initdb") or ""]
    if not found[-1]:
        raise SystemExit("initdb not found (Debian: apt-get install postgresql)")
    return Path(found[-1]).parent


class PrivatePostgres:
    """A throwaway PostgreSQL cluster on 127.0.0.1:<free port>, its socket and data in a temp dir."""

    def __init__(self, name: str = "drill") -> None:
        self.bin = _postgres_bin()
        self.port = free_port()
        self.base = Path(tempfile.mkdtemp(prefix=f"rm-{name}-pg-"))
        self.data = self.base / "data"
        self.logfile = self.base / "postgres.log"
        self.as_root = os.geteuid() == 0
        if self.as_root:
            user = pwd.getpwnam("postgres")
            os.chown(self.base, user.pw_uid, user.pw_gid)
        os.chmod(self.base, 0o700)

    def _run(self, *args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        command = [*args]
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(  # noqa: S603 - fixed programs, arguments of our own
            command, check=check, capture_output=True, text=True, timeout=timeout, cwd="/"
        )

    def init(self) -> None:
        self._run(
            str(self.bin / "initdb"),
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        )

    def start(self) -> None:
        options = " ".join(
            [
                f"-p {self.port}",
                f"-k {self.base}",
                "-c listen_addresses=127.0.0.1",
                "-c max_connections=100",
                "-c shared_buffers=64MB",
                "-c restart_after_crash=on",
                # A drill kills server processes, never the machine: what a commit wrote is in the
                # OS's cache either way. Without fsync the crash recovery skips its sync of the whole
                # data folder (seconds on this disk), so the drill spends its time on the service.
                "-c fsync=off",
                "-c log_min_messages=warning",
            ]
        )
        self._run(
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.logfile),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        self._run(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop", check=False
        )

    def url(self, dbname: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{dbname}"

    def dsn(self, dbname: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"

    def connect(self, dbname: str = "postgres", timeout: float = 2) -> Any:
        import psycopg

        return psycopg.connect(self.dsn(dbname), autocommit=True, connect_timeout=max(1, int(timeout)))

    def wait_ready(self, timeout: float = 60) -> float:
        """Seconds until the cluster accepts a connection again (after a crash restart)."""
        start = time.monotonic()
        while True:
            try:
                with self.connect() as conn:
                    conn.execute("SELECT 1")
                return time.monotonic() - start
            except Exception:
                if time.monotonic() - start > timeout:
                    raise
                time.sleep(0.05)

    def create_database(self, name: str) -> None:
        if not name.isidentifier():
            raise ValueError(name)
        with self.connect() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')

    def drop_database(self, name: str) -> None:
        if not name.isidentifier():
            raise ValueError(name)
        with self.connect() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def teardown(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.base, ignore_errors=True)


class PrivateRedis:
    """A throwaway redis-server on 127.0.0.1:<free port>, no persistence."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.base = Path(tempfile.mkdtemp(prefix="rm-drill-redis-"))

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        server = shutil.which("redis-server")
        if server is None:
            raise SystemExit("redis-server not found (Debian: apt-get install redis-server)")
        command = [
            server,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ]
        with open(self.base / "redis.log", "ab") as out:
            self.process = subprocess.Popen(  # noqa: S603
                command, stdout=out, stderr=subprocess.STDOUT, cwd=self.base
            )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def teardown(self) -> None:
        self.stop()
        shutil.rmtree(self.base, ignore_errors=True)


def service_env(database_url: str, media_root: Path, *, redis_url: str = "", **extra: str) -> dict[str, str]:
    """The environment of every process of a drill (server, management commands)."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": database_url,
        "MEDIA_ROOT": str(media_root),
        "SECRET_KEY": DRILL_SECRET_KEY,
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "LOG_LEVEL": "ERROR",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("REDIS_URL", None)
    if redis_url:
        env["REDIS_URL"] = redis_url
    env.update(extra)
    return env


def manage(env: dict[str, str], *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """``manage.py ARGS`` in a process of its own; the result (never raises on failure)."""
    return subprocess.run(  # noqa: S603
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )


def setup_django(env: dict[str, str]) -> None:
    """This process's Django on the drill's database (call once, before importing models)."""
    os.environ.update(env)
    if "REDIS_URL" not in env:
        os.environ.pop("REDIS_URL", None)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings

    # Building the world makes a few users: the production hasher would take seconds.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


class Server:
    """``uvicorn config.asgi:application`` on a free port, its output kept in a log file."""

    def __init__(self, env: dict[str, str], *, workers: int = 1, logfile: Path) -> None:
        self.env = env
        self.workers = workers
        self.port = free_port()
        self.logfile = logfile
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60) -> None:
        command = [
            str(VENV_BIN / "uvicorn"),
            "config.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--workers",
            str(self.workers),
            "--no-access-log",
            "--log-level",
            "warning",
        ]
        with open(self.logfile, "ab") as out:
            self.process = subprocess.Popen(  # noqa: S603
                command, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited ({self.process.returncode}); see {self.logfile}")
            with contextlib.suppress(OSError, http.client.HTTPException):
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/accounts/login/")
                if conn.getresponse().status == 200:
                    return
            time.sleep(0.2)
        raise RuntimeError("the server did not start in time")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


@dataclass
class Answer:
    status: int  # 0: no HTTP answer (connection refused or reset, timeout)
    body: Any
    headers: dict[str, str]
    seconds: float
    error: str = ""

    @property
    def code(self) -> str:
        if isinstance(self.body, dict):
            return str(self.body.get("code", ""))
        return ""

    @property
    def kind(self) -> str:
        """How the answer is counted: ``200``, ``503 database_unavailable``, ``no answer: ...``."""
        if self.status == 0:
            return f"no answer: {self.error}"
        return f"{self.status} {self.code}".strip()


class Client:
    """A keep-alive HTTP client of one thread (http.client), JSON in and out."""

    def __init__(self, port: int, token: str = "", timeout: float = 30) -> None:
        self.port = port
        self.token = token
        self.timeout = timeout
        self.conn: http.client.HTTPConnection | None = None

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        token: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        sent = {"Accept": "application/json", **(headers or {})}
        key = self.token if token is None else token
        if key:
            sent["Authorization"] = f"Token {key}"
        data = None
        if body is not None:
            data = json.dumps(body)
            sent["Content-Type"] = "application/json"
        start = time.monotonic()
        try:
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            self.conn.request(method, path, data, sent)
            response = self.conn.getresponse()
            raw = response.read()
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            return Answer(0, None, {}, time.monotonic() - start, type(exc).__name__)
        seconds = time.monotonic() - start
        answer_headers = {k.lower(): v for k, v in response.getheaders()}
        parsed: Any = raw
        if "json" in answer_headers.get("content-type", ""):
            with contextlib.suppress(ValueError):
                parsed = json.loads(raw)
        else:
            parsed = raw.decode("utf-8", "replace")
        if answer_headers.get("connection", "").lower() == "close":
            self.close()
        return Answer(response.status, parsed, answer_headers, seconds)

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


# --- A small world: three districts, their officers and chiefs, two inspectors, N projects ---------


@dataclass
class World:
    officer: dict[str, int] = field(default_factory=dict)  # district code -> user pk
    chief: dict[str, int] = field(default_factory=dict)
    inspector: dict[str, int] = field(default_factory=dict)  # district code -> user pk
    tokens: dict[int, str] = field(default_factory=dict)  # user pk -> API token
    projects: list[int] = field(default_factory=list)
    district_of: dict[int, str] = field(default_factory=dict)  # project pk -> district code


def build_world(projects_per_district: int) -> World:
    """Areas, an active edition with room for every project, users with tokens, selected projects."""
    from rest_framework.authtoken.models import Token

    from tests import factories as f
    from workflow.models import Role
    from workflow.services.projects import project_create

    geo = f.geography()
    f.active_edition(cap="900000000.00")
    world = World()
    inspectors = {
        "R15": f.user_with("drill_inspector_r15", Role.REGIONAL_INSPECTOR, geo["region"]),
        "R16": f.user_with("drill_inspector_r16", Role.REGIONAL_INSPECTOR, geo["region2"]),
    }
    for key in ("d1", "d2", "d3"):
        district = geo[key]
        officer = f.user_with(f"drill_officer_{district.code}", Role.DISTRICT_OFFICER, district)
        chief = f.user_with(f"drill_chief_{district.code}", Role.DISTRICT_CHIEF, district)
        world.officer[district.code] = officer.pk
        world.chief[district.code] = chief.pk
        world.inspector[district.code] = inspectors["R16" if key == "d3" else "R15"].pk
        for i in range(projects_per_district):
            subdistrict = f"{district.code}{i % 3 + 1:02d}"
            entry = f.bank_entry(geo["subs"][subdistrict], f"DR-{district.code}-{i}")
            project = project_create(
                acting_user=officer, bank_entry=entry, data=f.good_input([subdistrict], "12000.00")
            )
            world.projects.append(project.pk)
            world.district_of[project.pk] = district.code
    for pk in {*world.officer.values(), *world.chief.values(), *world.inspector.values()}:
        world.tokens[pk] = Token.objects.get_or_create(user_id=pk)[0].key
    return world


def actor_of(world: World, project: int, role: str) -> int:
    district = world.district_of[project]
    return {"officer": world.officer, "chief": world.chief, "inspector": world.inspector}[role][district]


# What each state allows the drill's stream to do next: (action, role, weight). Two cycles keep a
# project busy for long (chief's return and resubmit; the inspector's return and implement again).
NEXT: dict[str, list[tuple[str, str, int]]] = {
    "selected": [("approve", "chief", 1), ("return", "chief", 2)],
    "returned": [("resubmit", "officer", 1)],
    "approved": [("implement", "officer", 1)],
    "implemented": [("monitor", "inspector", 1), ("return", "inspector", 2)],
    "monitored": [("report", "officer", 1)],
}
IMPLEMENT_BODY: dict[str, Any] = {
    "spend_lines": [
        {"description": "วัสดุฝึกปฏิบัติ", "category": "activity_materials", "amount": "8000.00"},
        {"description": "ค่าวิทยากร", "category": "wages", "amount": "3000.00"},
    ],
    "activities_done": "อบรมอาชีพ 3 ครั้ง",
    "villages_reached": 3,
    "households_reached": 110,
}


def transition_body(action: str, marker: str) -> dict[str, Any]:
    """The body of a transition, carrying ``marker`` as its comment (found again in the trail)."""
    body: dict[str, Any] = {"comment": marker}
    if action == "implement":
        body.update(IMPLEMENT_BODY)
    elif action == "monitor":
        body["findings"] = "ดำเนินการครบตามแผน"
    elif action == "report":
        body["result_narrative"] = "ประชาชนมีรายได้เพิ่มขึ้น"
    return body


@contextlib.contextmanager
def scratch(prefix: str) -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def keep_logs(files: dict[str, Path]) -> None:
    """Copy the drill's logs to ``$DRILL_LOGS`` (a folder) before the temp dirs go, when it is set."""
    target = os.environ.get("DRILL_LOGS")
    if not target:
        return
    Path(target).mkdir(parents=True, exist_ok=True)
    for name, source in files.items():
        with contextlib.suppress(OSError):
            shutil.copyfile(source, Path(target) / name)
    log(f"logs kept in {target}")


def count_in_file(path: Path, needle: str) -> int:
    """How many lines of ``path`` hold ``needle`` (0 when it cannot be read)."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return sum(1 for line in f if needle in line)
    except OSError:
        return 0

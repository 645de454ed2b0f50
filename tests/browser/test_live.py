"""Live notices in a real browser: the badge, the toasts and the inbox change without a reload.

pytest-django's ``live_server`` speaks HTTP only (WSGI), so these tests start the project's
ASGI server (daphne) in a subprocess of their own, against the test database (the SQLite
test file, or the PostgreSQL test database), with a private Redis as the channel layer that
this process (where the changes are made through the services) shares with the server.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import quote
from urllib.request import urlopen

import pytest
from channels.layers import channel_layers
from django.conf import settings as django_settings
from django.contrib.sessions.models import Session
from django.db import connection, connections
from playwright.sync_api import expect

from approvals import services as task_services
from notifications.models import Kind
from notifications.services import notify
from tests import factories as f
from tests.browser.conftest import ARTIFACTS, login
from workflow import flows
from workflow.models import Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BASE_DIR = Path(django_settings.BASE_DIR)
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
WAIT_MS = 15_000

# Runs in the server subprocess: the project's ASGI application under daphne, accepting the
# tests' fast password hasher (tests/conftest.py).
SERVER_BOOT = """
import sys
import django
django.setup()
from django.conf import settings
settings.PASSWORD_HASHERS = [*settings.PASSWORD_HASHERS, "django.contrib.auth.hashers.MD5PasswordHasher"]
from daphne.cli import CommandLineInterface
CommandLineInterface().run(["--bind", "127.0.0.1", "--port", sys.argv[1], "config.asgi:application"])
"""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def stop_process(process: subprocess.Popen[Any] | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def database_url() -> str:
    """This test's database (the test file or test database), as the server's DATABASE_URL."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    if connection.vendor != "postgresql":
        pytest.fail(f"no live-server recipe for {connection.vendor}")
    user = quote(str(db.get("USER") or ""), safe="")
    password = quote(str(db.get("PASSWORD") or ""), safe="")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = db.get("HOST") or "localhost"
    port = db.get("PORT") or "5432"
    return f"postgres://{auth}{host}:{port}/{quote(str(db['NAME']), safe='')}"


@pytest.fixture
def redis_url() -> Iterator[str]:
    """A private, throw-away Redis (no persistence) for this test."""
    if not Path(REDIS_SERVER).exists():
        pytest.fail(f"redis-server is not installed ({REDIS_SERVER}): apt-get install redis-server")
    import redis

    port = free_port()
    process = subprocess.Popen(
        [REDIS_SERVER, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        client = redis.Redis(host="127.0.0.1", port=port)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("the private Redis did not start")
                time.sleep(0.05)
        client.close()
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        stop_process(process)


@pytest.fixture
def shared_channel_layer(settings: Any, redis_url: str) -> Iterator[str]:
    """This process pushes through the same Redis the server's sockets listen on."""
    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [redis_url]}}
    }
    channel_layers.backends.clear()
    yield redis_url
    channel_layers.backends.clear()


class AsgiServer:
    """Daphne serving the project in a subprocess; ``stop`` and ``start`` again on the same port."""

    def __init__(self, redis_url: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[Any] | None = None
        self.log = tempfile.NamedTemporaryFile(prefix="live-asgi-", suffix=".log", delete=False)
        env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
        env.update(
            DJANGO_SETTINGS_MODULE="config.settings",
            DATABASE_URL=database_url(),
            REDIS_URL=redis_url,
            DEBUG="1",  # static files straight from the source folders, no collectstatic needed
            PYTHONUNBUFFERED="1",
        )
        self.env = env

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", SERVER_BOOT, str(self.port)],
            cwd=BASE_DIR,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while True:
            if self.process.poll() is not None:
                pytest.fail(f"the ASGI server exited:\n{self.output()}")
            try:
                with urlopen(f"{self.url}/accounts/login/", timeout=2) as response:  # noqa: S310
                    if response.status == 200:
                        return
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the ASGI server did not answer:\n{self.output()}")
            time.sleep(0.1)

    def stop(self) -> None:
        stop_process(self.process)
        self.process = None

    def output(self) -> str:
        return Path(self.log.name).read_text(errors="replace")[-5000:]

    def close(self) -> None:
        self.stop()
        self.log.close()
        Path(self.log.name).unlink(missing_ok=True)


@pytest.fixture
def asgi_server(
    transactional_db: Any, shared_channel_layer: str, request: pytest.FixtureRequest
) -> Iterator[AsgiServer]:
    server = AsgiServer(shared_channel_layer)
    try:
        server.start()
        yield server
    finally:
        failed = getattr(request.node, "rep_call", None)
        if failed is not None and failed.failed:
            print(f"--- ASGI server output ---\n{server.output()}")
        # Stopped before the database is flushed: no connection of the server outlives the test.
        server.close()


@pytest.fixture
def open_page(
    browser: Any, asgi_server: AsgiServer, request: pytest.FixtureRequest
) -> Iterator[Callable[..., Any]]:
    """A new browser (a person of their own) on the ASGI server: ``open_page(locale="en-US")``."""
    contexts: list[Any] = []

    def make(**options: Any) -> Any:
        options.setdefault("locale", "th-TH")
        options.setdefault("viewport", {"width": 1280, "height": 900})
        context = browser.new_context(base_url=asgi_server.url, **options)
        context.set_default_timeout(WAIT_MS)
        contexts.append(context)
        return context.new_page()

    yield make
    failed = getattr(request.node, "rep_call", None)
    for number, context in enumerate(contexts):
        if failed is not None and failed.failed:
            ARTIFACTS.mkdir(exist_ok=True)
            name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)
            for page in context.pages:
                page.screenshot(path=str(ARTIFACTS / f"{name}-{number}.png"), full_page=True)
        context.close()


def in_worker(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run a service in a thread without an event loop, as a request would.

    Playwright's loop runs in the test's thread, and the websocket push (``async_to_sync``)
    cannot run there; in a thread of its own it reaches Redis after the commit.
    """

    def run() -> Any:
        try:
            return function(*args, **kwargs)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result(timeout=60)


def wait_live(page: Any, state: str = "live", timeout: int = WAIT_MS) -> None:
    page.wait_for_selector(f"body[data-live='{state}']", state="attached", timeout=timeout)


def open_task(project: Any) -> Any:
    task = flows.open_step_task(project)
    assert task is not None
    return task


# --- Journeys ----------------------------------------------------------------------------------------


def test_a_new_task_appears_in_the_open_inbox_and_is_marked_when_another_chief_takes_it(world, open_page):
    chief2 = f.user_with("chief2", Role.DISTRICT_CHIEF, world.d1)
    chief = open_page()
    login(chief, "chief", f.PASSWORD)
    wait_live(chief)
    badge = chief.locator("#unread-badge")
    expect(badge).to_be_hidden()
    assert chief.locator("table.inbox").count() == 0  # the empty inbox
    chief.evaluate("window.sameDocument = true")

    # The officer creates a project: the chief's review task arrives while the inbox is open.
    first = in_worker(f.make_project, world.officer, world.entry, title="บ่อปลาชุมชน")
    first_task = open_task(first)
    first_row = chief.locator(f"#task-{first_task.pk}")
    expect(first_row).to_be_visible()
    expect(first_row).to_contain_text("บ่อปลาชุมชน")
    expect(badge).to_have_text("1")
    expect(badge).to_be_visible()
    toast = chief.locator("#toasts .toast", has_text="บ่อปลาชุมชน")
    expect(toast).to_be_visible()
    expect(toast).to_have_attribute("role", "status")
    expect(toast).to_contain_text(world.d1.name_th)  # the Thai text on a Thai page
    assert chief.evaluate("window.sameDocument") is True  # no reload

    # A second one is added at the top of the table, again without a reload.
    second = in_worker(f.make_project, world.officer, world.entry2, title="ตลาดนัดชุมชน")
    second_task = open_task(second)
    second_row = chief.locator(f"#task-{second_task.pk}")
    expect(second_row).to_be_visible()
    expect(chief.locator("table.inbox tbody tr").first).to_have_attribute("id", f"task-{second_task.pk}")
    expect(badge).to_have_text("2")
    expect(chief.locator("#live")).to_contain_text("ตลาดนัดชุมชน")  # announced to screen readers
    assert chief.evaluate("window.sameDocument") is True

    # The chief ticks it for approval; then the other chief claims it.
    pick = chief.locator(f"#pick-{second_task.pk}")
    pick.check()
    expect(chief.locator("#bulk-count")).to_be_visible()
    in_worker(task_services.task_claim, task=second_task.pk, acting_user=chief2)
    expect(second_row).to_have_class(re.compile(r"\btaken\b"))
    expect(second_row.locator(".live-mark")).to_contain_text("chief2")
    expect(pick).not_to_be_checked()
    expect(pick).to_be_disabled()
    expect(second_row.locator("form[action*='/claim/'] button")).to_be_disabled()
    # The first task is untouched.
    expect(first_row.locator("form[action*='/claim/'] button")).to_be_enabled()
    expect(chief.locator(f"#pick-{first_task.pk}")).to_be_enabled()
    assert chief.evaluate("window.sameDocument") is True

    # Toasts go away with the keyboard.
    expect(chief.locator("#toasts .toast").first).to_be_visible()
    chief.keyboard.press("Escape")
    expect(chief.locator("#toasts .toast")).to_have_count(0)


def test_the_notices_page_and_the_toast_in_english(world, open_page):
    project = in_worker(f.make_project, world.officer, world.entry, title="Fish pond")
    chief = open_page(locale="en-US")
    login(chief, "chief", f.PASSWORD)
    assert chief.locator("html").get_attribute("lang") == "en"
    wait_live(chief)
    expect(chief.locator("#unread-badge")).to_have_text("1")  # the project's review task

    in_worker(
        notify,
        recipients=[world.chief],
        kind=Kind.REMINDER,
        project=project,
        text_th="เตือน: บ่อปลา",
        text_en="Reminder: Fish pond is due soon",
    )
    toast = chief.locator("#toasts .toast")
    expect(toast).to_contain_text("Reminder: Fish pond is due soon")
    expect(chief.locator("#unread-badge")).to_have_text("2")

    # The toast leads to the notices page, where both are listed and can be marked read.
    toast.locator("a").first.click()
    chief.wait_for_url(re.compile(r".*/notifications/$"))
    expect(chief.locator(".notice")).to_have_count(2)
    expect(chief.locator(".notice").first).to_contain_text("Reminder: Fish pond is due soon")
    chief.get_by_role("button", name="Mark all as read").click()
    chief.wait_for_url(re.compile(r".*/notifications/$"))
    expect(chief.locator(".notice.unread")).to_have_count(0)
    expect(chief.locator("#unread-badge")).to_be_hidden()


def test_after_a_drop_it_catches_up_and_after_a_logout_it_stops(world, open_page, asgi_server):
    chief = open_page()
    sockets: list[Any] = []
    chief.on("websocket", lambda ws: sockets.append(ws))
    login(chief, "chief", f.PASSWORD)
    wait_live(chief)
    badge = chief.locator("#unread-badge")
    expect(badge).to_be_hidden()

    # The server goes away; two notices are written meanwhile; the server comes back.
    asgi_server.stop()
    wait_live(chief, "offline")
    for text in ("เตือนหนึ่ง", "เตือนสอง"):
        in_worker(
            notify, recipients=[world.chief], kind=Kind.REMINDER, project=None, text_th=text, text_en=text
        )
    asgi_server.start()
    wait_live(chief, timeout=45_000)
    # Caught up by id: the count, and one toast that sums the missed notices up.
    expect(badge).to_have_text("2")
    toasts = chief.locator("#toasts .toast")
    expect(toasts).to_have_count(1)
    expect(toasts.first).to_contain_text("2")
    expect(chief.locator("#toasts")).not_to_contain_text("เตือนหนึ่ง")

    # A reload in the same tab starts after the last id seen: nothing to sum up.
    chief.reload()
    wait_live(chief)
    expect(badge).to_have_text("2")
    chief.wait_for_timeout(300)
    expect(chief.locator("#toasts .toast")).to_have_count(0)

    # Logged out meanwhile (the session is gone): the socket is refused with 4401, the page asks
    # to log in again and does not keep trying.
    Session.objects.all().delete()
    asgi_server.stop()
    wait_live(chief, "offline")
    asgi_server.start()
    wait_live(chief, "logged-out", timeout=45_000)
    login_toast = chief.locator("#toasts .toast.login")
    expect(login_toast).to_be_visible()
    expect(login_toast.locator("a")).to_have_attribute("href", re.compile(r"^/accounts/login/\?next="))
    tried = len(sockets)
    chief.wait_for_timeout(3_000)
    assert len(sockets) == tried
    assert chief.evaluate("document.body.getAttribute('data-live')") == "logged-out"

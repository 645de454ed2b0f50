"""Browser tests: Playwright driving Debian's Chromium against a live server.

Failures keep a screenshot in ``test-artifacts/``. Chromium comes from the distribution
(``/usr/bin/chromium``; ``make test`` installs it); Playwright's own browser download is not used.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# Playwright's sync API runs an event loop in this thread; Django's ORM calls made by the test
# itself (fixtures, assertions) are still synchronous and safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.browser


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    # Package scope: Playwright's loop is closed before async tests elsewhere run.
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Chromium is not installed at {CHROMIUM}: run `make test` (it installs Debian's chromium)"
        )
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def _new_page(
    browser: Any, request: pytest.FixtureRequest, live_server: Any, **context: Any
) -> Iterator[Any]:
    ctx = browser.new_context(base_url=live_server.url, **context)
    ctx.set_default_timeout(15_000)
    page = ctx.new_page()
    yield page
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    ctx.close()


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest, live_server: Any) -> Iterator[Any]:
    """A Thai-speaking desktop browser."""
    yield from _new_page(
        browser, request, live_server, locale="th-TH", viewport={"width": 1280, "height": 900}
    )


@pytest.fixture
def phone(browser: Any, request: pytest.FixtureRequest, live_server: Any) -> Iterator[Any]:
    """A 360 px wide phone, Thai."""
    yield from _new_page(
        browser, request, live_server, locale="th-TH", viewport={"width": 360, "height": 740}, is_mobile=True
    )


@pytest.fixture
def new_page(browser: Any, request: pytest.FixtureRequest, live_server: Any) -> Any:
    """Open another browser (another person) in the same test: ``new_page(locale="en-US")``."""
    pages: list[Iterator[Any]] = []

    def make(**context: Any) -> Any:
        context.setdefault("locale", "th-TH")
        context.setdefault("viewport", {"width": 1280, "height": 900})
        generator = _new_page(browser, request, live_server, **context)
        pages.append(generator)
        return next(generator)

    yield make
    for generator in pages:
        next(generator, None)


def login(page: Any, username: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    page.locator("form[action='/accounts/login/'] button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/inbox/.*"))

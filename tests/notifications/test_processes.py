"""Real processes exchange notifications through Redis, and a Redis outage loses nothing.

The module starts its own stack (``_servers.running_stack``): a SQLite file migrated and
seeded with the demo data, a private ``redis-server`` on a free port, and two ASGI servers
sharing both, Daphne and Uvicorn. It ignores the suite's DATABASE_URL and REDIS_URL, so it
runs the same on CI's PostgreSQL+Redis pass and on its SQLite pass. Clients talk to the
servers as an API client would: a token from ``/api/v1/auth/token/``, HTTP for changes, the
``/ws/notifications/`` socket with ``Authorization: Token`` and an allowed Origin.

Waits are generous bounds (a push normally arrives in milliseconds), never timing claims.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from itertools import count
from types import SimpleNamespace
from typing import Any

import pytest

from tests import factories as f
from tests.notifications._servers import (
    Closed,
    NotificationClient,
    Stack,
    http_request,
    run_async,
    running_stack,
)

pytestmark = pytest.mark.slow

WAIT = 10.0  # seconds a notice may take to arrive: a bound, not a measurement
DEMO_PASSWORD = "rolemodel-demo"
SOCKETS = 200
IDLE = 11.0  # seconds: longer than two of channels-redis' 5 s BZPOPMIN polls

_titles = count(1)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[Stack]:
    failed_before = request.session.testsfailed
    with running_stack(tmp_path_factory.mktemp("processes")) as running:
        yield running
        if request.session.testsfailed > failed_before:
            reporter = request.config.pluginmanager.get_plugin("terminalreporter")
            if reporter is not None:
                reporter.write_line(f"\nprocess tests: the servers' logs are kept in {running.folder}")


def token(port: int, username: str) -> str:
    status, body = http_request(
        port, "POST", "/api/v1/auth/token/", body={"username": username, "password": DEMO_PASSWORD}
    )
    assert status == 200, body
    return str(body["token"])


# A bank entry is taken once per district and edition: each project the tests create selects
# an entry of its own, from these (imported into the stack's bank).
EXTRA_ENTRIES = 40


@pytest.fixture(scope="module")
def world(stack: Stack) -> SimpleNamespace:
    """Tokens for the demo officer and chief of district 5001 (one from each server), and bank
    entries of 5001 that no project has selected yet."""
    try:
        rows = [
            f"TPB-PROC-{n:02d},500101,โครงการทดสอบ {n},ทดสอบ,environment,1000" for n in range(EXTRA_ENTRIES)
        ]
        bank_file = stack.folder / "extra-bank.csv"
        bank_file.write_text(
            "code,subdistrict_code,title,description,dimension,estimated_budget\n" + "\n".join(rows) + "\n",
            encoding="utf-8",
        )
        stack.manage("import_bank", str(bank_file))
        officer = token(stack.daphne_port, "officer")
        chief = token(stack.uvicorn_port, "chief")
        status, bank = http_request(
            stack.daphne_port, "GET", "/api/v1/bank/?district=5001&page_size=200", token=officer
        )
        assert status == 200, bank
        entries = [e["id"] for e in bank["results"] if e["code"].startswith("TPB-PROC-")]
        assert len(entries) == EXTRA_ENTRIES, bank
    except BaseException:
        print(stack.logs())
        raise
    return SimpleNamespace(officer=officer, chief=chief, entries=iter(entries))


def run(stack: Stack, coroutine: Any) -> Any:
    """Run a scenario; on failure, print the servers' logs into the test's report."""
    try:
        return run_async(coroutine)
    except BaseException:
        print(stack.logs())
        raise


async def call(port: int, method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
    return await asyncio.to_thread(http_request, port, method, path, **kwargs)


def project_body(world: SimpleNamespace) -> dict[str, Any]:
    return {
        "bank_entry": next(world.entries),
        "title": f"โครงการทดสอบหลายกระบวนการ {next(_titles)}",
        "dimension": "environment",
        "subdistricts": ["500101"],
        "target_villages": 1,
        "target_households": 10,
        "start_date": "2026-12-01",
        "end_date": "2027-02-28",
        "primary_objective": "development",
        "budget_lines": [{"description": "วัสดุ", "category": "activity_materials", "amount": "1000.00"}],
        "do_checklist": {"fits_district_plan": True, "feasible": True, "area_ready": True, "permitted": True},
        **f.PLAN,
    }


async def create_project(port: int, world: SimpleNamespace) -> int:
    status, body = await call(
        port, "POST", "/api/v1/projects/", token=world.officer, body=project_body(world)
    )
    assert status == 201, body
    return int(body["id"])


async def approve(port: int, world: SimpleNamespace, project_id: int) -> None:
    status, body = await call(
        port,
        "POST",
        f"/api/v1/projects/{project_id}/transitions/approve/",
        token=world.chief,
        body={"comment": "เห็นชอบ"},
    )
    assert status == 200, body


async def stored_after(port: int, user_token: str, after: int) -> list[dict[str, Any]]:
    status, body = await call(
        port, "GET", f"/api/v1/notifications/?after={after}&page_size=200", token=user_token
    )
    assert status == 200, body
    assert body["next"] is None, "more notices than one page"
    return list(body["results"])


# --- Across processes -------------------------------------------------------------------------


def test_a_change_through_one_server_reaches_a_socket_on_the_other(
    stack: Stack, world: SimpleNamespace
) -> None:
    async def scenario() -> None:
        chief = NotificationClient(stack.uvicorn_port, world.chief, "chief@uvicorn")
        officer = NotificationClient(stack.daphne_port, world.officer, "officer@daphne")
        try:
            for client in (chief, officer):
                await client.connect()
                await client.hello()

            # The officer selects a project through Daphne: the chief's socket on Uvicorn hears it.
            project_id = await create_project(stack.daphne_port, world)
            notice = await chief.next_notification(WAIT)
            assert (notice["kind"], notice["project"]) == ("task_new", project_id)
            assert notice["task"] is not None

            # The chief approves through Uvicorn: the officer's socket on Daphne hears it.
            await approve(stack.uvicorn_port, world, project_id)
            notice = await officer.next_notification(WAIT)
            assert (notice["kind"], notice["project"]) == ("decision", project_id)
        finally:
            await chief.close()
            await officer.close()

    run(stack, scenario())


# --- Idle sockets ---------------------------------------------------------------------------


def test_an_idle_socket_outlives_the_layers_poll(stack: Stack, world: SimpleNamespace) -> None:
    """channels-redis polls each channel with BZPOPMIN for 5 s; redis-py 8 reads with a 5 s
    ``socket_timeout`` by default. Unless the layer's hosts raise ``socket_timeout`` above the
    poll, the read times out as the poll ends and the server closes a quiet socket (1011)."""

    async def scenario() -> None:
        chiefs = [
            NotificationClient(stack.uvicorn_port, world.chief, "chief@uvicorn"),
            NotificationClient(stack.daphne_port, world.chief, "chief@daphne"),
        ]
        try:
            for client in chiefs:
                await client.connect()
                await client.hello()
            await asyncio.sleep(IDLE)  # quiet across two of the layer's polls
            project_id = await create_project(stack.daphne_port, world)
            for client in chiefs:
                try:
                    notice = await client.next_notification(WAIT)
                except Closed as exc:
                    raise AssertionError(
                        f"the server closed a socket idle for {IDLE} s ({exc}): the channel layer's"
                        " hosts need a socket_timeout above channels-redis' 5 s BZPOPMIN"
                    ) from exc
                assert (notice["kind"], notice["project"]) == ("task_new", project_id), client.name
        finally:
            for client in chiefs:
                await client.close()

    run(stack, scenario())


# --- A Redis outage ---------------------------------------------------------------------------


def test_a_redis_outage_loses_no_notification(stack: Stack, world: SimpleNamespace) -> None:
    async def scenario() -> None:
        # The chief has a tab on each server, caught up.
        chiefs = [
            NotificationClient(stack.uvicorn_port, world.chief, "chief@uvicorn"),
            NotificationClient(stack.daphne_port, world.chief, "chief@daphne"),
        ]
        try:
            for client in chiefs:
                await client.connect()
                await client.hello()
            last_seen = chiefs[0].last_id
            assert chiefs[1].last_id == last_seen
            officer_stored = await stored_after(stack.daphne_port, world.officer, 0)
            officer_last = max((n["id"] for n in officer_stored), default=0)

            await asyncio.to_thread(stack.stop_redis)

            # Changes go on through both servers: committed, their pushes dropped quietly.
            created = []
            for port in (stack.daphne_port, stack.uvicorn_port) * 2:
                created.append(await create_project(port, world))
            await approve(stack.uvicorn_port, world, created[0])

            during = await stored_after(stack.uvicorn_port, world.chief, last_seen)
            assert [(n["kind"], n["project"]) for n in during] == [("task_new", pk) for pk in created]
            outage_ids = [n["id"] for n in during]
            officer_during = await stored_after(stack.daphne_port, world.officer, officer_last)
            assert [(n["kind"], n["project"]) for n in officer_during] == [("decision", created[0])]
            logs = stack.server("daphne").tail(10_000) + stack.server("uvicorn").tail(10_000)
            assert "websocket push failed" in logs

            await asyncio.to_thread(stack.start_redis)

            # Each tab reconnects as a real client does (hello with the last id it saw) and gets
            # every notice of the outage exactly once.
            for client in chiefs:
                notices = await client.reconnect()
                assert [n["id"] for n in notices] == outage_ids, client.name

            # Live pushes flow again through the new Redis, and nothing of the outage comes twice.
            live = await create_project(stack.daphne_port, world)
            for client in chiefs:
                notice = await client.next_notification(WAIT)
                assert (notice["kind"], notice["project"]) == ("task_new", live), client.name
                assert len(client.received) == len(set(client.received)), client.received
                assert set(outage_ids) <= set(client.received)
        finally:
            for client in chiefs:
                await client.close()

    try:
        run(stack, scenario())
    finally:
        if stack.redis is None or not stack.redis.running:
            stack.start_redis()  # later tests need it whatever happened here


# --- Many sockets -------------------------------------------------------------------------------


@pytest.mark.parametrize("server", ["daphne", "uvicorn"])
def test_many_concurrent_sockets_all_connect_and_hear_a_push(
    stack: Stack, world: SimpleNamespace, server: str
) -> None:
    port = stack.daphne_port if server == "daphne" else stack.uvicorn_port

    async def scenario() -> None:
        clients = [NotificationClient(port, world.chief, f"chief#{i}@{server}") for i in range(SOCKETS)]
        try:
            await asyncio.gather(*(client.connect(timeout=30) for client in clients))
            await asyncio.gather(*(client.hello(timeout=30) for client in clients))
            other = stack.uvicorn_port if server == "daphne" else stack.daphne_port
            project_id = await create_project(other, world)
            notices = await asyncio.gather(*(client.next_notification(WAIT * 2) for client in clients))
            assert {(n["kind"], n["project"]) for n in notices} == {("task_new", project_id)}
        finally:
            await asyncio.gather(*(client.close() for client in clients))

    run(stack, scenario())
    log = stack.server(server).tail(10_000)
    assert "Too many connections" not in log
    assert "MaxConnectionsError" not in log

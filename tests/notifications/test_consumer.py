"""The notifications websocket through the real ASGI stack (Origin check, session, token).

Runs with the in-memory channel layer, and with Redis when REDIS_URL is set.
"""

from __future__ import annotations

import asyncio

import pytest
from channels import DEFAULT_CHANNEL_LAYER
from channels.db import database_sync_to_async
from channels.layers import channel_layers, get_channel_layer
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client
from rest_framework.authtoken.models import Token

from config.asgi import application
from notifications import selectors
from notifications.auth import token_from_headers
from notifications.models import Kind, Notification
from notifications.push import group_for
from notifications.services import notify
from tests import factories as f
from workflow import flows
from workflow.services import projects as svc

pytestmark = pytest.mark.django_db(transaction=True)

PATH = "/ws/notifications/"
ORIGIN = (b"origin", b"http://localhost")


@pytest.fixture(autouse=True)
def _foreign_running_loop_set_aside():
    """Playwright's sync API (the browser tests' session-wide ``browser`` fixture) leaves its
    event loop marked as running in this thread, and no asyncio test can start after it. Set
    the mark aside while this test runs and put it back after. (Better: scope that fixture to
    the browser package.)"""
    foreign = asyncio._get_running_loop()
    if foreign is not None:
        asyncio._set_running_loop(None)
    yield
    if foreign is not None:
        asyncio._set_running_loop(foreign)


# Seconds a socket waits for the application (asgiref's default is 1 s). A slow CI machine must
# never turn a late answer into a cancellation halfway through a Redis command.
WAIT = 10


class Socket(WebsocketCommunicator):
    """A test socket that waits ``WAIT`` seconds unless told otherwise."""

    async def connect(self, timeout: float = WAIT):
        return await super().connect(timeout)

    async def receive_output(self, timeout: float = WAIT):
        return await super().receive_output(timeout)

    async def receive_from(self, timeout: float = WAIT):
        return await super().receive_from(timeout)

    async def receive_json_from(self, timeout: float = WAIT):
        return await super().receive_json_from(timeout)

    async def disconnect(self, code: int = 1000, timeout: float = WAIT) -> None:
        await super().disconnect(code, timeout)


@pytest.fixture(autouse=True)
async def fresh_channel_layer():
    """A channel layer of this test's own, closed inside this test's event loop.

    Its Redis pools belong to this loop: they are closed here, while the loop runs, rather than
    by channels-redis' hook on the loop's ``close()`` at teardown.
    """
    channel_layers.backends.clear()
    yield
    layer = channel_layers.backends.get(DEFAULT_CHANNEL_LAYER)
    channel_layers.backends.clear()
    close_pools = getattr(layer, "close_pools", None)
    if close_pools is not None:
        async with asyncio.timeout(WAIT):
            await close_pools()


@database_sync_to_async
def session_cookie(user) -> tuple[bytes, bytes]:
    client = Client()
    client.force_login(user)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    return (b"cookie", f"{settings.SESSION_COOKIE_NAME}={key}".encode())


@database_sync_to_async
def token_header(user) -> tuple[bytes, bytes]:
    token, _ = Token.objects.get_or_create(user=user)
    return (b"authorization", f"Token {token.key}".encode())


@database_sync_to_async
def tell(user, text: str) -> Notification:
    (row,) = notify(recipients=[user], kind=Kind.REMINDER, project=None, text_th=text, text_en=text)
    return row


async def open_socket(user=None, path: str = PATH, headers=()) -> Socket:
    """A connected socket, authenticated by the user's session cookie."""
    extra = [await session_cookie(user)] if user is not None else []
    communicator = Socket(application, path, headers=[ORIGIN, *extra, *headers])
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def caught_up(communicator: Socket, after: int = 0) -> dict:
    await communicator.send_json_to({"type": "hello", "after": after})
    message = await communicator.receive_json_from()
    assert message["type"] == "caught_up", message
    return message


async def next_notice(communicator: Socket) -> dict:
    message = await communicator.receive_json_from()
    assert message["type"] == "notification", message
    return message["notification"]


# --- Who may connect ------------------------------------------------------------------------------


async def test_session_user_is_live_after_hello(world):
    socket = await open_socket(world.chief)
    assert (await caught_up(socket))["last_id"] == 0

    row = await tell(world.chief, "สวัสดี")
    notice = await next_notice(socket)
    assert (notice["id"], notice["kind"], notice["text_th"], notice["read"]) == (
        row.pk,
        "reminder",
        "สวัสดี",
        False,
    )
    await socket.disconnect()


async def test_token_header_authenticates_an_api_client(world):
    socket = await open_socket(headers=[await token_header(world.officer)])
    row = await tell(world.officer, "token")
    assert (await next_notice(socket))["id"] == row.pk
    await socket.disconnect()


async def test_a_wrong_token_is_not_authenticated_even_with_a_session(world):
    communicator = Socket(
        application,
        PATH,
        headers=[ORIGIN, await session_cookie(world.chief), (b"authorization", b"Token not-a-real-key")],
    )
    await communicator.connect()
    assert await communicator.receive_output() == {"type": "websocket.close", "code": 4401}


async def test_unauthenticated_handshake_is_closed_with_4401(world):
    communicator = Socket(application, PATH, headers=[ORIGIN])
    await communicator.connect()
    assert await communicator.receive_output() == {"type": "websocket.close", "code": 4401}


@pytest.mark.parametrize("origin", [b"http://evil.example", b"https://localhost.evil.example"])
async def test_a_foreign_origin_is_refused(world, origin):
    communicator = Socket(application, PATH, headers=[(b"origin", origin), await session_cookie(world.chief)])
    connected, _ = await communicator.connect()
    assert not connected


async def test_the_allowed_origins_are_accepted(world):
    for origin in (b"http://localhost", b"http://127.0.0.1:8000", b"http://testserver"):
        communicator = Socket(
            application, PATH, headers=[(b"origin", origin), await session_cookie(world.chief)]
        )
        connected, _ = await communicator.connect()
        assert connected, origin
        await communicator.disconnect()


# --- What arrives where -----------------------------------------------------------------------------


async def test_a_notice_for_one_user_never_reaches_another(world):
    chief = await open_socket(world.chief)
    officer = await open_socket(world.officer2)
    await caught_up(chief)
    await caught_up(officer)

    for_chief = await tell(world.chief, "for the chief")
    for_officer = await tell(world.officer2, "for the officer")

    # The officer's first message is their own notice, not the chief's (which went out first).
    assert (await next_notice(officer))["id"] == for_officer.pk
    assert (await next_notice(chief))["id"] == for_chief.pk
    assert await officer.receive_nothing()
    await chief.disconnect()
    await officer.disconnect()


async def test_a_notice_to_many_goes_out_as_one_batch_and_each_keeps_only_their_own(world):
    from notifications import push

    crowd = await database_sync_to_async(lambda: [f.user_with(f"crowd{i}") for i in range(push.BATCH_MIN)])()
    chief = await open_socket(world.chief)
    crowd_socket = await open_socket(crowd[0])
    outsider = await open_socket(world.officer2)
    for socket in (chief, crowd_socket, outsider):
        await caught_up(socket)

    rows = await database_sync_to_async(
        lambda: notify(
            recipients=[world.chief, *crowd],
            kind=Kind.REMINDER,
            project=None,
            text_th="ประกาศถึงทุกคน",
            text_en="to everyone",
        )
    )()
    by_user = {row.recipient_id: row for row in rows}
    got_chief = await next_notice(chief)
    got_crowd = await next_notice(crowd_socket)
    assert got_chief["id"] == by_user[world.chief.pk].pk and got_chief["text_en"] == "to everyone"
    assert got_crowd["id"] == by_user[crowd[0].pk].pk and got_crowd["read"] is False
    assert await outsider.receive_nothing()
    assert await chief.receive_nothing()
    for socket in (chief, crowd_socket, outsider):
        await socket.disconnect()


async def test_catch_up_after_a_reconnect(world):
    socket = await open_socket(world.chief, path=f"{PATH}?after=0")
    assert (await caught_up_from_url(socket))["last_id"] == 0
    first = await tell(world.chief, "one")
    assert (await next_notice(socket))["id"] == first.pk
    await socket.disconnect()

    # While the chief is away.
    second = await tell(world.chief, "two")
    await tell(world.officer, "someone else's")
    third = await tell(world.chief, "three")

    again = await open_socket(world.chief, path=f"{PATH}?after={first.pk}")
    assert [(await next_notice(again))["id"], (await next_notice(again))["id"]] == [second.pk, third.pk]
    done = await caught_up_from_url(again)
    assert (done["last_id"], done["more"], done["unread_count"]) == (third.pk, False, 3)

    # The same through a hello message on the open socket.
    assert (await caught_up(again, after=third.pk))["last_id"] == third.pk
    await again.send_json_to({"type": "hello", "after": second.pk})
    assert (await next_notice(again))["id"] == third.pk
    assert (await again.receive_json_from())["type"] == "caught_up"
    await again.disconnect()


async def caught_up_from_url(socket: Socket) -> dict:
    message = await socket.receive_json_from()
    assert message["type"] == "caught_up", message
    return message


async def test_a_long_absence_is_caught_up_in_pages(world, monkeypatch):
    monkeypatch.setattr(selectors, "CATCH_UP_LIMIT", 2)
    rows = [await tell(world.chief, f"n{i}") for i in range(3)]
    socket = await open_socket(world.chief, path=f"{PATH}?after=0")
    assert [(await next_notice(socket))["id"] for _ in range(2)] == [rows[0].pk, rows[1].pk]
    first = await caught_up_from_url(socket)
    assert (first["last_id"], first["more"]) == (rows[1].pk, True)
    await socket.send_json_to({"type": "hello", "after": first["last_id"]})
    assert (await next_notice(socket))["id"] == rows[2].pk
    second = await caught_up_from_url(socket)
    assert (second["last_id"], second["more"], second["unread_count"]) == (rows[2].pk, False, 3)
    await socket.disconnect()


async def test_a_notice_sent_in_the_catch_up_is_not_pushed_again(world):
    first = await tell(world.chief, "one")
    socket = await open_socket(world.chief)
    await socket.send_json_to({"type": "hello", "after": 0})
    caught = await next_notice(socket)
    assert caught["id"] == first.pk
    await caught_up_from_url(socket)

    # The race around a reconnect: the same notice also arrives as a push.
    await get_channel_layer().group_send(
        group_for(world.chief.pk), {"type": "notification.push", "notification": caught}
    )
    second = await tell(world.chief, "two")
    assert (await next_notice(socket))["id"] == second.pk  # not the duplicate of the first
    assert await socket.receive_nothing()
    await socket.disconnect()


async def test_live_push_after_a_real_transition(world):
    project = await database_sync_to_async(f.make_project)(world.officer, world.entry)
    chief = await open_socket(world.chief)
    officer = await open_socket(world.officer)
    officer2 = await open_socket(world.officer2)
    review_id = (await database_sync_to_async(flows.open_step_task)(project)).pk

    await database_sync_to_async(svc.project_approve)(project=project, acting_user=world.chief, comment="ดี")

    implement = await database_sync_to_async(flows.open_step_task)(project)
    decision = await next_notice(officer)
    assert (decision["kind"], decision["project"], decision["task"]) == ("decision", project.pk, implement.pk)
    assert "approved by chief" in decision["text_en"]
    task = await next_notice(officer2)
    assert (task["kind"], task["task"]) == ("task_new", implement.pk)
    # The chief's open inbox hears that the review is done (transient, not a notice).
    update = await chief.receive_json_from()
    assert update == {
        "type": "task.update",
        "task_id": review_id,
        "project_id": project.pk,
        "status": "DONE",
        "owner": world.chief.pk,
        "owner_name": "chief",
    }
    for socket in (chief, officer, officer2):
        await socket.disconnect()


async def test_read_over_the_socket_updates_every_tab(world):
    row = await tell(world.chief, "read me")
    foreign = await tell(world.officer, "not yours")
    tab1 = await open_socket(world.chief)
    tab2 = await open_socket(world.chief)

    await tab1.send_json_to({"type": "read", "id": row.pk})
    expected = {"type": "read", "ids": [row.pk], "all": False, "unread_count": 0}
    assert await tab1.receive_json_from() == expected
    assert await tab2.receive_json_from() == expected
    assert (await database_sync_to_async(Notification.objects.get)(pk=row.pk)).read_at is not None

    await tab1.send_json_to({"type": "read", "id": foreign.pk})
    assert await tab1.receive_json_from() == {"type": "error", "code": "not_found", "id": foreign.pk}
    assert (await database_sync_to_async(Notification.objects.get)(pk=foreign.pk)).read_at is None

    await tab1.send_json_to({"type": "subscribe", "to": "everything"})
    assert (await tab1.receive_json_from())["code"] == "unknown_type"
    await tab1.disconnect()
    await tab2.disconnect()


async def test_garbage_is_answered_not_fatal(world):
    socket = await open_socket(world.chief)
    await socket.send_to(text_data="{not json")
    assert await socket.receive_json_from() == {"type": "error", "code": "invalid_json"}
    await socket.send_json_to({"type": "hello", "after": "yesterday"})
    assert await socket.receive_json_from() == {"type": "error", "code": "invalid_after"}
    assert (await caught_up(socket))["last_id"] == 0  # still serving
    await socket.disconnect()


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (b"Token abc123", b"abc123"),
        (b"token abc123", b"abc123"),
        (b"Token", b""),  # malformed: authenticates nobody
        (b"Token a b", b""),
        (b"Bearer abc123", None),  # not ours: the session decides
    ],
)
def test_token_header_parsing(header, expected):
    assert token_from_headers([(b"origin", b"http://localhost"), (b"authorization", header)]) == expected
    assert token_from_headers([(b"origin", b"http://localhost")]) is None

"""Pushes from plain sync code (commands, timers, the services called outside a server) go
through the outbox: gathered by the push loop, sent in the order they were handed over, none
lost, and a layer that is down costs one warning for what was gathered with the failing batch."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from notifications import push


class Recording:
    """A channel layer that keeps what it is sent (or fails while ``down``)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self.down = False

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        if self.down:
            raise ConnectionError("Redis is restarting")
        self.sent.append((group, message))


@pytest.fixture
def layer(monkeypatch: pytest.MonkeyPatch) -> Recording:
    recording = Recording()
    push.flush()  # nothing of an earlier test left in the outbox
    monkeypatch.setattr(push, "get_channel_layer", lambda: recording)
    # Only ``flush`` sends here: what the test hands over is gathered whatever the machine's pace.
    monkeypatch.setattr(push, "PUSH_GATHER_SECONDS", 3600)
    return recording


def batch(n: int, user: int = 7) -> list[tuple[str, dict[str, Any]]]:
    return [(push.group_for(user), {"type": "task.update", "n": n, "i": i}) for i in range(2)]


def test_batches_handed_over_one_after_another_all_go_out_in_order(layer: Recording) -> None:
    handed = [push.send(batch(n)) for n in range(5)]
    push.flush()
    assert handed == [2] * 5
    assert [(m["n"], m["i"]) for _group, m in layer.sent] == [(n, i) for n in range(5) for i in range(2)]
    assert {group for group, _m in layer.sent} == {"user.7"}


def test_a_layer_that_is_down_drops_what_was_gathered_with_one_warning_and_the_next_push_goes_out(
    layer: Recording, caplog: pytest.LogCaptureFixture
) -> None:
    layer.down = True
    with caplog.at_level(logging.WARNING, logger="notifications.push"):
        for n in range(3):
            push.send(batch(n))
        push.flush()
    warnings = [r for r in caplog.records if "websocket push failed" in r.getMessage()]
    assert len(warnings) == 1 and "6 message(s) dropped" in warnings[0].getMessage()
    layer.down = False
    push.send(batch(9, user=8))
    push.flush()
    assert [(g, m["n"]) for g, m in layer.sent] == [("user.8", 9), ("user.8", 9)]


async def test_a_request_thread_hands_its_pushes_to_the_servers_loop_without_waiting(monkeypatch) -> None:
    """Sync code run for the server (a view, through ``sync_to_async``) goes on as soon as it
    handed its batches over: the layer here cannot send until the thread has returned, and
    the batches then go out in the order they came."""
    import asyncio

    from asgiref.sync import sync_to_async

    released = asyncio.Event()

    class Held(Recording):
        async def group_send(self, group: str, message: dict[str, Any]) -> None:
            await released.wait()
            await super().group_send(group, message)

    layer = Held()
    monkeypatch.setattr(push, "get_channel_layer", lambda: layer)
    handed = await sync_to_async(lambda: [push.send(batch(n)) for n in range(3)])()
    assert handed == [2, 2, 2] and layer.sent == []
    released.set()
    for _ in range(1000):  # the loop sends them as soon as this test lets it run
        if len(layer.sent) == 6:
            break
        await asyncio.sleep(0.01)
    assert [(m["n"], m["i"]) for _group, m in layer.sent] == [(n, i) for n in range(3) for i in range(2)]

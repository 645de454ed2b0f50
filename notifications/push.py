"""Websocket pushes through the channel layer: a hint that something changed, never the truth.

Every user's sockets join the group ``user.<id>``. The layer is at-most-once and may be down
(Redis restarting): a failed push is logged and dropped, never raised, because the rows are
in the database and the client catches up from them by id. Call these functions only after
commit (``transaction.on_commit``), so a client that is told about a row can also read it.

Messages on the layer (``type`` names the consumer's handler) and what the socket sends on:

* ``notification.push`` → ``{"type": "notification", "notification": {...}}``
* ``task.update``       → ``{"type": "task.update", "task_id", "project_id", "status", "owner",
  "owner_name"}`` (transient, not stored)
* ``notification.read`` → ``{"type": "read", "ids": [...], "all": bool, "unread_count": n}``
"""

from __future__ import annotations

import asyncio
import atexit
import collections
import concurrent.futures
import datetime
import functools
import logging
import os
import threading
import weakref
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any

from asgiref.sync import SyncToAsync
from channels.layers import get_channel_layer
from django.utils import timezone

from .models import Notification

logger = logging.getLogger(__name__)

# A push that takes longer than this (a hung Redis) is abandoned; the rows remain.
PUSH_TIMEOUT_SECONDS = 3.0


def group_for(user_id: Any) -> str:
    return f"user.{int(user_id)}"


def _when(value: datetime.datetime | None) -> str | None:
    """A time as the API's ``DateTimeField`` writes it: ISO 8601 in the active time zone, UTC as "Z"."""
    if value is None:
        return None
    text = value.astimezone(timezone.get_current_timezone()).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def notification_payload(notification: Notification) -> dict[str, Any]:
    """The notice as the socket and the REST API show it (the same keys and values in both:
    ``NotificationSerializer``'s, written here without its generic machinery, which cost more
    than the rest of a push; a test holds the two equal)."""
    n = notification
    return {
        "id": int(n.pk),
        "kind": str(n.kind),
        "project": None if n.project_id is None else int(n.project_id),
        "task": None if n.task_id is None else int(n.task_id),
        "text_th": str(n.text_th),
        "text_en": str(n.text_en),
        "created_at": _when(n.created_at),
        "read": n.read_at is not None,
        "read_at": _when(n.read_at),
    }


def _server_loop() -> asyncio.AbstractEventLoop | None:
    """The event loop of the ASGI server this thread runs sync code for (``None``: plain sync
    code, a command or a timer). The channel layer's connections belong to that loop."""
    loop = getattr(SyncToAsync.threadlocal, "main_event_loop", None)
    pid = getattr(SyncToAsync.threadlocal, "main_event_loop_pid", None)
    return loop if loop is not None and pid == os.getpid() and loop.is_running() else None


def _event_loop() -> asyncio.AbstractEventLoop | None:
    """The event loop running in this thread, or the one of the server this thread serves."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return _server_loop()


_loop_lock = threading.Lock()
_loop: tuple[asyncio.AbstractEventLoop, threading.Thread, int] | None = None


def _push_loop() -> asyncio.AbstractEventLoop:
    """One event loop per process, in a daemon thread, for pushes from plain sync code
    (management commands, timers, scripts). ``async_to_sync`` would start a new thread and a
    new loop for every push (milliseconds each, and a new Redis connection every time)."""
    global _loop
    with _loop_lock:
        if _loop is None or _loop[2] != os.getpid() or not _loop[1].is_alive():
            loop = asyncio.new_event_loop()
            thread = threading.Thread(target=loop.run_forever, name="websocket-push", daemon=True)
            # It holds no database connection and a forked child never pushes through it: a
            # process running it may still fork workers (``audit.check``).
            thread.fork_safe = True  # type: ignore[attr-defined]
            thread.start()
            _loop = (loop, thread, os.getpid())
        return _loop[0]


async def _send_all(layer: Any, messages: Sequence[tuple[str, dict[str, Any]]]) -> int:
    sent = 0
    for group, message in messages:
        await layer.group_send(group, message)
        sent += 1
    return sent


def send(messages: Sequence[tuple[str, dict[str, Any]]]) -> int:
    """Send each ``(group, message)``; return how many went out (from plain sync code: how many
    were put in the outbox, which the push loop sends within ``PUSH_GATHER_SECONDS``, in
    order). Never raises.

    The first failure stops the batch (and, from the outbox, the batches gathered with it):
    when the layer is down every further push would fail too (each after its own timeout).
    """
    if not messages:
        return 0
    layer = get_channel_layer()
    if layer is None:
        return 0

    async def run() -> int:
        return await asyncio.wait_for(_send_all(layer, messages), timeout=PUSH_TIMEOUT_SECONDS)

    try:
        loop = _event_loop()
        if loop is None:
            return _hand_over(list(messages))
        # A request's thread hands the batch to its server's loop and goes on (waiting for it
        # held the request, and the thread all of the process's sync code runs in, for two
        # hand-overs between threads); code on the loop itself schedules it there. The loop
        # sends the batches in the order they came.
        future = asyncio.run_coroutine_threadsafe(_in_order(run), loop)
        with _pending_lock:
            _pending.add(future)
        future.add_done_callback(functools.partial(_sent, count=len(messages)))
        return len(messages)
    except Exception:
        _dropped(len(messages))
        return 0


# Plain sync code puts its batches in the outbox and goes on. The push loop takes what has
# gathered there every ``PUSH_GATHER_SECONDS`` and sends it, batch after batch in the order
# they came. Waking the loop for every batch cost the caller far more than the sending: each
# wake-up is a hand-over of the interpreter's lock between two threads, and the caller's own
# next statement waited for it (a third of a transition's time). ``flush`` sends what is left.
PUSH_GATHER_SECONDS = 0.025
_outbox: collections.deque[list[tuple[str, dict[str, Any]]]] = collections.deque()
_outbox_lock = threading.Lock()
_collecting = False  # a collection is scheduled on the loop


def _hand_over(messages: list[tuple[str, dict[str, Any]]]) -> int:
    global _collecting
    with _outbox_lock:
        _outbox.append(messages)
        if _collecting:
            return len(messages)
        _collecting = True
    try:
        loop = _push_loop()
        loop.call_soon_threadsafe(loop.call_later, PUSH_GATHER_SECONDS, _collect_soon, loop)
    except Exception:
        with _outbox_lock:
            _collecting = False
        raise
    return len(messages)


def _collect_soon(loop: asyncio.AbstractEventLoop) -> None:
    future = asyncio.run_coroutine_threadsafe(_in_order(_send_outbox), loop)
    with _pending_lock:
        _pending.add(future)
    future.add_done_callback(functools.partial(_sent, count=0))


async def _send_outbox() -> int:
    """Send every batch in the outbox (each with its own time limit; a failed batch is logged
    and dropped, and the next is tried)."""
    global _collecting
    with _outbox_lock:
        batches = list(_outbox)
        _outbox.clear()
        _collecting = False
    sent = 0
    layer = get_channel_layer()
    for index, messages in enumerate(batches):
        if layer is None:
            break
        try:
            sent += await asyncio.wait_for(_send_all(layer, messages), timeout=PUSH_TIMEOUT_SECONDS)
        except Exception:
            # The layer is down: the rest would each wait out their own time limit too.
            _dropped(sum(len(rest) for rest in batches[index:]))
            break
    return sent


def _outbox_after_fork() -> None:
    """A forked child starts with an empty outbox of its own (its parent sends the parent's)."""
    global _outbox_lock, _collecting
    _outbox_lock = threading.Lock()
    _outbox.clear()
    _collecting = False


os.register_at_fork(after_in_child=_outbox_after_fork)


def _dropped(count: int) -> None:
    logger.warning(
        "websocket push failed; %d message(s) dropped (clients catch up from the database)",
        count,
        exc_info=True,
    )


_pending: set[concurrent.futures.Future[int]] = set()
_pending_lock = threading.Lock()
_orders: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = weakref.WeakKeyDictionary()


async def _in_order(run: Callable[[], Awaitable[int]]) -> int:
    """Run the batches one after another on this loop, in the order they were handed over."""
    loop = asyncio.get_running_loop()
    order = _orders.get(loop)
    if order is None:
        order = _orders[loop] = asyncio.Lock()
    async with order:
        return await run()


def _sent(future: concurrent.futures.Future[int], *, count: int) -> None:
    with _pending_lock:
        _pending.discard(future)
    if future.cancelled():
        return
    error = future.exception()
    if error is not None:
        try:
            raise error
        except Exception:
            _dropped(count)


def flush(timeout: float = PUSH_TIMEOUT_SECONDS + 1) -> None:
    """Send what waits in the outbox now, and wait until the pushes handed to the push loop
    have gone out (or failed, or timed out)."""
    with _outbox_lock:
        waiting_in_outbox = sum(len(messages) for messages in _outbox)
    if waiting_in_outbox:
        try:
            future = asyncio.run_coroutine_threadsafe(_in_order(_send_outbox), _push_loop())
        except Exception:
            _dropped(waiting_in_outbox)
        else:
            with _pending_lock:
                _pending.add(future)
            future.add_done_callback(functools.partial(_sent, count=0))
    with _pending_lock:
        waiting = list(_pending)
    if waiting:
        concurrent.futures.wait(waiting, timeout=timeout)


atexit.register(flush)  # a command that ends right after a transition still sends its pushes


# Every socket also listens here: one message carries a notice sent to many people at once.
BROADCAST_GROUP = "notify.all"
# From this many recipients of the same notice, one batch message replaces one message each.
BATCH_MIN = 20
PER_RECIPIENT = ("id", "created_at", "read", "read_at")


def push_notifications(notifications: Iterable[Notification]) -> int:
    """Push the notices: one message per recipient, or one batch for a large fan-out.

    A batch is one channel-layer message holding the common payload and, per recipient, the
    id and time of their own row; every socket receives it and keeps only its own entry. One
    notice to a thousand people is then one message, not a thousand.
    """
    rows = list(notifications)
    payloads = [notification_payload(row) for row in rows]
    alike: dict[tuple[Any, ...], list[tuple[Notification, dict[str, Any]]]] = {}
    for row, payload in zip(rows, payloads, strict=True):
        common = tuple((k, v) for k, v in sorted(dict(payload).items()) if k not in PER_RECIPIENT)
        alike.setdefault(common, []).append((row, dict(payload)))
    messages: list[tuple[str, dict[str, Any]]] = []
    for common, members in alike.items():
        if len(members) >= BATCH_MIN:
            per_user = {str(row.recipient_id): {k: p[k] for k in PER_RECIPIENT} for row, p in members}
            messages.append(
                (
                    BROADCAST_GROUP,
                    {"type": "notification.batch", "notification": dict(common), "per_user": per_user},
                )
            )
        else:
            messages.extend(
                (group_for(row.recipient_id), {"type": "notification.push", "notification": p})
                for row, p in members
            )
    return send(messages)


def push_task_update(
    *,
    user_ids: Iterable[Any],
    task_id: Any,
    project_id: Any,
    status: str,
    owner_id: Any = None,
    owner_name: str = "",
) -> int:
    """Tell the candidates of a task that it was claimed, released, assigned or completed."""
    message = {
        "type": "task.update",
        "task_id": task_id,
        "project_id": project_id,
        "status": str(status),
        "owner": owner_id,
        "owner_name": owner_name,
    }
    return send([(group_for(uid), message) for uid in sorted(set(user_ids)) if uid is not None])


def push_read(*, user_id: Any, ids: Sequence[int], all_read: bool, unread_count: int) -> int:
    """Tell the user's other tabs that notices were read, with the new unread count."""
    message = {
        "type": "notification.read",
        "ids": list(ids),
        "all": all_read,
        "unread_count": unread_count,
    }
    return send([(group_for(user_id), message)])

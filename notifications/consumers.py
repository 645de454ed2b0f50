"""``/ws/notifications/``: a user's live notices, with catch-up by id after a reconnect.

Client → server:

* ``{"type": "hello", "after": <id>}`` — send every notice of mine with id > after (also
  possible as ``?after=<id>`` on the URL), at most 500, then ``caught_up``;
* ``{"type": "read", "id": <id>}`` — mark one of my notices read.

Server → client:

* ``{"type": "notification", "notification": {id, kind, project, task, text_th, text_en,
  created_at, read, read_at}}`` — catch-up and live pushes alike. A push never repeats an id
  already sent on this connection; a catch-up sends exactly what was asked for. Clients dedup
  by id (a notice may arrive both in a catch-up and as a push around a reconnect);
* ``{"type": "caught_up", "last_id": <id>, "more": bool, "unread_count": n}`` — ``more``: ask
  again with ``after=last_id``;
* ``{"type": "task.update", "task_id", "project_id", "status", "owner", "owner_name"}``;
* ``{"type": "read", "ids": [...], "all": bool, "unread_count": n}`` — read on any tab;
* ``{"type": "error", "code": ...}``.

An unauthenticated socket is accepted and closed at once with code 4401, so the client can
tell "log in again" from a network failure (a close before accept reaches browsers as 1006).
"""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from workflow.errors import NotFound

from . import push, selectors, services

logger = logging.getLogger(__name__)

UNAUTHENTICATED = 4401
# Ids already sent on this connection (catch-up and pushes), remembered to drop duplicates.
REMEMBERED_IDS = 5000


def _parse_after(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        after = int(value)
    except (TypeError, ValueError):
        return None
    return after if after >= 0 else None


def _catch_up(user: Any, after: int) -> tuple[list[dict[str, Any]], bool, int]:
    rows, more = selectors.catch_up(user, after=after)
    return [push.notification_payload(n) for n in rows], more, selectors.unread_count(user)


def _mark_read(user: Any, pk: int) -> None:
    services.notification_mark_read(notification=pk, acting_user=user)


class NotificationConsumer(AsyncJsonWebsocketConsumer):
    group_name: str | None = None
    user: Any = None

    async def connect(self) -> None:
        self.sent_ids: dict[int, None] = {}
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.accept()
            await self.close(code=UNAUTHENTICATED)
            return
        self.user = user
        self.group_name = push.group_for(user.pk)
        # Join before reading the catch-up: whatever commits meanwhile arrives as a push.
        await self.channel_layer.group_add(self.group_name, self.channel_name)
        await self.channel_layer.group_add(push.BROADCAST_GROUP, self.channel_name)
        await self.accept()
        query = parse_qs(self.scope.get("query_string", b"").decode("latin1"))
        if "after" in query:
            after = _parse_after(query["after"][-1])
            if after is None:
                await self.send_json({"type": "error", "code": "invalid_after"})
            else:
                await self._send_catch_up(after)

    async def disconnect(self, code: int) -> None:
        if self.group_name is not None:
            try:
                await self.channel_layer.group_discard(self.group_name, self.channel_name)
                await self.channel_layer.group_discard(push.BROADCAST_GROUP, self.channel_name)
            except Exception:
                logger.warning("could not leave %s", self.group_name, exc_info=True)

    async def receive(
        self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any
    ) -> None:
        if self.user is None:
            return  # closed with 4401: nothing to answer
        try:
            content = json.loads(text_data) if text_data is not None else None
        except ValueError:
            content = None
        if content is None:
            await self.send_json({"type": "error", "code": "invalid_json"})
            return
        await self.receive_json(content, **kwargs)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "hello":
            after = _parse_after(content.get("after", 0))
            if after is None:
                await self.send_json({"type": "error", "code": "invalid_after"})
                return
            await self._send_catch_up(after)
        elif kind == "read":
            pk = _parse_after(content.get("id"))
            if pk is None:
                await self.send_json({"type": "error", "code": "invalid_id"})
                return
            try:
                await database_sync_to_async(_mark_read)(self.user, pk)
            except NotFound:
                await self.send_json({"type": "error", "code": "not_found", "id": pk})
            # The service pushes ``read`` to all of the user's sockets (this one included).
        else:
            await self.send_json({"type": "error", "code": "unknown_type"})

    async def _send_catch_up(self, after: int) -> None:
        payloads, more, unread = await database_sync_to_async(_catch_up)(self.user, after)
        last_id = after
        for payload in payloads:
            await self._send_notification(payload, force=True)
            last_id = payload["id"]
        await self.send_json({"type": "caught_up", "last_id": last_id, "more": more, "unread_count": unread})

    async def _send_notification(self, payload: dict[str, Any], *, force: bool = False) -> None:
        pk = payload["id"]
        if pk in self.sent_ids and not force:
            return
        self.sent_ids[pk] = None
        if len(self.sent_ids) > REMEMBERED_IDS:
            del self.sent_ids[next(iter(self.sent_ids))]
        await self.send_json({"type": "notification", "notification": payload})

    # --- Messages from the channel layer (see ``notifications.push``) ---

    async def notification_push(self, message: dict[str, Any]) -> None:
        await self._send_notification(message["notification"])

    async def notification_batch(self, message: dict[str, Any]) -> None:
        """A notice sent to many: keep this user's own entry, if any (the message is shared)."""
        mine = message["per_user"].get(str(self.user.pk))
        if mine is not None:
            await self._send_notification({**message["notification"], **mine})

    async def task_update(self, message: dict[str, Any]) -> None:
        await self.send_json({key: value for key, value in message.items()})

    async def notification_read(self, message: dict[str, Any]) -> None:
        await self.send_json(
            {
                "type": "read",
                "ids": message.get("ids", []),
                "all": message.get("all", False),
                "unread_count": message.get("unread_count"),
            }
        )

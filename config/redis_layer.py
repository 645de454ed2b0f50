"""The channel layer's Redis connections (channels-redis on redis-py's asyncio client).

Python 3.11's ``asyncio.wait_for`` drops a cancellation that arrives just as the awaited work
finishes (fixed in 3.12), and redis-py wraps every command it writes in ``wait_for`` when
``socket_timeout`` is set. A websocket consumer's channel-layer ``receive`` cancelled on
disconnect at that moment went on polling Redis (BZPOPMIN every 5 s) for good: the consumer
never finished, and whatever awaited it — a server shutting down, a test's event loop — waited
forever. These connections write under ``asyncio.timeout`` instead, which lets a cancellation
through, with the same time limit and the same error when it passes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from redis.asyncio.connection import (
    AbstractConnection,
    Connection,
    SSLConnection,
    UnixDomainSocketConnection,
    parse_url,
)
from redis.exceptions import TimeoutError as RedisTimeoutError

Command = bytes | str | Iterable[bytes]


async def _write(
    connection: AbstractConnection,
    send: Callable[[Command, bool], Awaitable[None]],
    command: Command,
    check_health: bool,
) -> None:
    limit = connection.socket_timeout
    if not limit:
        await send(command, check_health)
        return
    connection.socket_timeout = None  # redis-py writes without wait_for; the limit is ours
    try:
        async with asyncio.timeout(limit):
            await send(command, check_health)
    except TimeoutError:
        await connection.disconnect(nowait=True)
        raise RedisTimeoutError("Timeout writing to socket") from None
    finally:
        connection.socket_timeout = limit


class CancellableConnection(Connection):
    async def send_packed_command(self, command: Command, check_health: bool = True) -> None:
        await _write(self, super().send_packed_command, command, check_health)


class CancellableSSLConnection(SSLConnection):
    async def send_packed_command(self, command: Command, check_health: bool = True) -> None:
        await _write(self, super().send_packed_command, command, check_health)


class CancellableUnixDomainSocketConnection(UnixDomainSocketConnection):
    async def send_packed_command(self, command: Command, check_health: bool = True) -> None:
        await _write(self, super().send_packed_command, command, check_health)


_CANCELLABLE: dict[type[AbstractConnection], type[AbstractConnection]] = {
    Connection: CancellableConnection,
    SSLConnection: CancellableSSLConnection,
    UnixDomainSocketConnection: CancellableUnixDomainSocketConnection,
}


def channel_layer_host(url: str, **options: Any) -> dict[str, Any]:
    """A channels-redis ``hosts`` entry for ``url`` (redis://, rediss:// or unix://) and pool options."""
    kwargs = parse_url(url)
    plain = kwargs.pop("connection_class", Connection)
    return {**kwargs, **options, "connection_class": _CANCELLABLE[plain]}

"""Channel layers, tuned for what this site does with them (many idle sockets, bursts of pushes).

In-memory (one process, no REDIS_URL): channels' InMemoryChannelLayer sweeps every channel and
every group for expired entries on each ``receive`` and each ``group_send``: O(open sockets) work
per message, so one notification to each of 1,000 open pages cost O(1,000²) (p95 1.7 s in
`bench notify`). Expiry is counted in seconds (messages) and a day (groups), so sweeping at most
once a second changes nothing observable.

Redis (REDIS_URL, several processes): redis-py 8 gives every connection a 5 s socket timeout and
every pool a hard cap of 100 connections. channels_redis blocks in BZPOPMIN for 5 s when a
process is idle, so the read timeout races the pop: every few seconds a "Timeout reading" error
killed the consumers waiting on it and their sockets closed (2-4 of 1,000 clients lost per bench
run). A burst of handshakes or closes also hit the cap ("Too many connections"). Here the read
timeout is kept above the pop, and a blocking pool waits briefly for a free connection instead of
failing.

With a socket timeout set, redis-py sends every command through ``asyncio.wait_for``. On Python
3.11 that swallows a cancellation that lands while the send completes (the inner send is already
done, so ``wait_for`` returns its result instead of raising; fixed in 3.12). A consumer is stopped
by cancelling its pending ``receive``: when the socket closed just as the receive sent its BZPOPMIN,
the cancellation vanished and the receive polled Redis forever, holding a pooled connection (and a
test's event loop could never close). Here a send that a cancellation arrived during raises it.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from channels.layers import InMemoryChannelLayer as UpstreamInMemoryChannelLayer
from channels_redis.core import RedisChannelLayer as UpstreamRedisChannelLayer
from redis.asyncio import BlockingConnectionPool
from redis.asyncio.connection import Connection, SSLConnection, UnixDomainSocketConnection

SWEEP_INTERVAL_SECONDS = 1.0


class InMemoryChannelLayer(UpstreamInMemoryChannelLayer):
    _last_sweep = 0.0

    def _clean_expired(self) -> None:
        now = time.monotonic()
        if now - self._last_sweep < SWEEP_INTERVAL_SECONDS:
            return
        self._last_sweep = now
        super()._clean_expired()


class _HonoursCancellation:
    """Raises a cancellation requested during a send, which Python 3.11's ``wait_for`` swallowed."""

    async def send_packed_command(self, command: Any, check_health: bool = True) -> None:
        task = asyncio.current_task()
        requested = task.cancelling() if task is not None else 0
        await super().send_packed_command(command, check_health)  # type: ignore[misc]
        if task is not None and task.cancelling() > requested:
            # The command went out but its reply will never be read: the connection must not be reused.
            await self.disconnect(nowait=True)  # type: ignore[attr-defined]
            raise asyncio.CancelledError


# redis-py's own classes (TCP, TLS, unix socket), each with the behaviour above; from_url picks one.
_CONNECTION_CLASSES: dict[type, type] = {
    cls: type(f"CancellationHonouring{cls.__name__}", (_HonoursCancellation, cls), {})
    for cls in (Connection, SSLConnection, UnixDomainSocketConnection)
}


class RedisChannelLayer(UpstreamRedisChannelLayer):
    # Fail fast when Redis is down (a push is a hint; the request must not wait), but never time
    # out a read that is legitimately blocked in BZPOPMIN.
    CONNECT_TIMEOUT_SECONDS = 2.0
    POOL_SIZE = 500
    POOL_WAIT_SECONDS = 5.0

    def create_pool(self, index):
        host = dict(self.hosts[index])
        if "address" not in host:
            return super().create_pool(index)
        address = host.pop("address")
        host.setdefault("socket_timeout", self.brpop_timeout + 10)
        host.setdefault("socket_connect_timeout", self.CONNECT_TIMEOUT_SECONDS)
        host.setdefault("max_connections", self.POOL_SIZE)
        host.setdefault("timeout", self.POOL_WAIT_SECONDS)
        pool = BlockingConnectionPool.from_url(address, **host)
        pool.connection_class = _CONNECTION_CLASSES.get(pool.connection_class, pool.connection_class)
        return pool

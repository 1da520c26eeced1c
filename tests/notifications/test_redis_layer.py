"""The Redis channel layer stops when told to: a consumer's pending ``receive`` is cancelled when its
socket closes, and that cancellation must not be lost. On Python 3.11 redis-py's ``wait_for`` around
each send swallowed a cancellation landing during the send: the receive then polled Redis forever
(a leaked connection in production; a test's event loop that never closed, which hung CI).
Runs where REDIS_URL is set (CI's PostgreSQL + Redis pass)."""

from __future__ import annotations

import asyncio
import os
import uuid

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator

from notifications.layers import RedisChannelLayer
from planhub.asgi import application
from tests.notifications.test_websocket import isolated_layer  # noqa: F401

pytestmark = pytest.mark.skipif(
    not os.environ.get("REDIS_URL"),
    reason="REDIS_URL not set: the in-memory layer has no sends to lose a cancellation in "
    "(CI sets REDIS_URL=redis://127.0.0.1:6379/0)",
)

PROMPTLY = 2.0  # seconds; a lost cancellation lasts until a BZPOPMIN returns empty (5 s) and then forever


def layer() -> RedisChannelLayer:
    return RedisChannelLayer(hosts=[os.environ["REDIS_URL"]], prefix=f"test-{uuid.uuid4().hex[:12]}")


def test_a_receive_cancelled_at_any_point_of_its_round_trips_stops():
    """Cancelled after 0, 1, 2 … steps of the event loop, so at every await of its first round trips
    to Redis (the lock, the clean-up script, the pop), the receive ends, cancelled."""

    async def body():
        redis_layer = layer()
        channel = await redis_layer.new_channel()
        ignored = []
        for yields in range(32):
            receiving = asyncio.ensure_future(redis_layer.receive(channel))
            for _ in range(yields):
                await asyncio.sleep(0)
            receiving.cancel()
            done, _ = await asyncio.wait({receiving}, timeout=PROMPTLY)
            if receiving not in done or not receiving.cancelled():
                ignored.append(yields)
                receiving.cancel()
                await asyncio.wait({receiving}, timeout=10)
        await redis_layer.flush()
        assert ignored == [], f"the receive ignored its cancellation after {ignored} steps"

    async_to_sync(body)()


def test_a_receive_cancelled_stops_and_the_layer_still_delivers():
    """A connection whose reply was abandoned is not reused: the next message arrives intact."""

    async def body():
        redis_layer = layer()
        channel = await redis_layer.new_channel()
        for _ in range(5):
            receiving = asyncio.ensure_future(redis_layer.receive(channel))
            await asyncio.sleep(0)
            receiving.cancel()
            await asyncio.wait({receiving}, timeout=PROMPTLY)
        await redis_layer.send(channel, {"type": "hello", "n": 1})
        message = await asyncio.wait_for(redis_layer.receive(channel), PROMPTLY)
        assert message == {"type": "hello", "n": 1}
        await redis_layer.flush()

    async_to_sync(body)()


def test_a_refused_socket_closed_by_the_browser_ends_its_consumer():
    """The path that hung CI: a socket refused at the handshake, then closed, frees its consumer."""

    async def body():
        for _ in range(5):
            socket = WebsocketCommunicator(
                application,
                "/ws/notifications/",
                headers=[(b"host", b"127.0.0.1"), (b"origin", b"http://evil.example")],
            )
            connected, _ = await socket.connect()
            assert not connected
            await socket.send_input({"type": "websocket.disconnect", "code": 1000})
            done, _ = await asyncio.wait({socket.future}, timeout=PROMPTLY)
            assert socket.future in done, "the consumer kept polling Redis after its socket closed"

    async_to_sync(body)()

"""The edges of the websocket (issue 13): the site's own origin only, unknown paths refused at the
handshake, clean closes with codes a websocket server may send, and a frame rate per socket."""

from __future__ import annotations

import json
import logging

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from bench.harness import session_key_for
from notifications.consumers import FRAME_BURST, MAX_BAD_FRAMES, MAX_FRAME_CHARS
from planhub.asgi import application
from tests.notifications.test_websocket import isolated_layer, keep_the_test_connection, scenario  # noqa: F401

pytestmark = pytest.mark.django_db

PATH = "/ws/notifications/"
SITE = "127.0.0.1:8200"


def valid_close_code(code: int) -> bool:
    """RFC 6455 7.4.2: an application may close with 1000 or 3000-4999; 1008/1009 are the endpoint's."""
    return code == 1000 or 3000 <= code <= 4999


async def connect(user, *, origin, host=SITE, path=PATH, scheme="ws", extra=()):
    headers = [(b"host", host.encode())]
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    headers.extend(extra)
    key = await database_sync_to_async(session_key_for)(user)
    headers.append((b"cookie", f"sessionid={key}".encode()))
    socket = WebsocketCommunicator(application, path, headers=headers)
    socket.scope["scheme"] = scheme
    connected, code = await socket.connect()
    return socket, connected, code


@pytest.mark.parametrize(
    "origin",
    [
        "http://127.0.0.1:9999",  # another port of an allowed host
        "https://127.0.0.1:8200",  # another scheme
        "http://localhost:1",  # another allowed host name
        "http://127.0.0.1",  # the default port is another port
        "http://127.0.0.1:8200/path",
        "null",
        "http://evil.example",
    ],
)
def test_a_socket_from_another_origin_than_the_site_is_refused(county, origin):
    async def body():
        _, connected, _ = await connect(county.a.member, origin=origin)
        assert not connected

    scenario(body)


def test_the_sites_own_origin_is_accepted(county):
    async def body():
        socket, connected, _ = await connect(county.a.member, origin="http://127.0.0.1:8200")
        assert connected
        await socket.disconnect()
        socket, connected, _ = await connect(county.a.member, origin="https://127.0.0.1:8200", scheme="wss")
        assert connected
        await socket.disconnect()

    scenario(body)


def test_a_host_outside_allowed_hosts_is_refused_even_from_its_own_origin(county):
    async def body():
        _, connected, _ = await connect(county.a.member, origin="http://evil.example:8200", host="evil.example:8200")
        assert not connected

    scenario(body)


def test_csrf_trusted_origins_are_accepted(county, settings):
    settings.CSRF_TRUSTED_ORIGINS = ["https://plans.example.org"]

    async def body():
        socket, connected, _ = await connect(county.a.member, origin="https://plans.example.org")
        assert connected
        await socket.disconnect()
        _, connected, _ = await connect(county.a.member, origin="https://plans.example.org:8443")
        assert not connected

    scenario(body)


def test_behind_a_proxy_the_forwarded_scheme_counts(county, settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

    async def body():
        proto = [(b"x-forwarded-proto", b"https")]
        socket, connected, _ = await connect(county.a.member, origin="https://127.0.0.1:8200", extra=proto)
        assert connected
        await socket.disconnect()
        _, connected, _ = await connect(county.a.member, origin="http://127.0.0.1:8200", extra=proto)
        assert not connected

    scenario(body)


@pytest.mark.parametrize("path", ["/ws/nope/", "/ws/notifications/extra/", "/"])
def test_an_unknown_path_is_refused_at_the_handshake(county, path, caplog):
    async def body():
        _, connected, code = await connect(county.a.member, origin=f"http://{SITE}", path=path)
        assert not connected and valid_close_code(code)

    scenario(body)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_a_refused_path_opens_no_channel_on_the_layer(county, monkeypatch):
    """A refused handshake lives a moment; it must not open a channel (with Redis: a pooled
    connection polling for messages nobody will send)."""
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    opened = []
    real = layer.new_channel

    async def counting(*args, **kwargs):
        name = await real(*args, **kwargs)
        opened.append(name)
        return name

    monkeypatch.setattr(layer, "new_channel", counting)

    async def body():
        _, connected, _ = await connect(county.a.member, origin=f"http://{SITE}", path="/ws/nope/")
        assert not connected
        assert opened == []
        socket, connected, _ = await connect(county.a.member, origin=f"http://{SITE}")
        assert connected and len(opened) == 1  # the counter counts: the real socket opened one
        await socket.disconnect()

    scenario(body)


def closed_with(output) -> int:
    assert output["type"] == "websocket.close", output
    return output["code"]


def test_an_oversized_frame_closes_with_a_valid_code(county):
    async def body():
        socket, _, _ = await connect(county.a.member, origin=f"http://{SITE}")
        await socket.send_to(text_data="x" * (MAX_FRAME_CHARS + 1))
        assert valid_close_code(closed_with(await socket.receive_output(timeout=2)))

    scenario(body)


def test_too_many_bad_frames_close_with_a_valid_code(county):
    async def body():
        socket, _, _ = await connect(county.a.member, origin=f"http://{SITE}")
        for _ in range(MAX_BAD_FRAMES):
            await socket.send_to(text_data="?")
            await socket.receive_json_from()
        await socket.send_to(text_data="?")
        assert valid_close_code(closed_with(await socket.receive_output(timeout=2)))

    scenario(body)


def test_deeply_nested_json_is_a_bad_frame_not_a_traceback(county, caplog):
    async def body():
        socket, _, _ = await connect(county.a.member, origin=f"http://{SITE}")
        depth = MAX_FRAME_CHARS // 2 - 1
        await socket.send_to(text_data="[" * depth + "]" * depth)
        assert await socket.receive_json_from(timeout=2) == {"type": "error", "error": "malformed_json"}
        await socket.send_to(text_data=json.dumps({"ping": 1}))
        assert await socket.receive_json_from(timeout=2) == {"type": "pong"}
        await socket.disconnect()

    scenario(body)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_a_flood_of_frames_closes_the_socket(county):
    async def body():
        socket, _, _ = await connect(county.a.member, origin=f"http://{SITE}")
        for _ in range(FRAME_BURST):
            await socket.send_to(text_data=json.dumps({"ping": 1}))
            assert await socket.receive_json_from(timeout=2) == {"type": "pong"}
        await socket.send_to(text_data=json.dumps({"ping": 1}))
        assert valid_close_code(closed_with(await socket.receive_output(timeout=2)))

    scenario(body)

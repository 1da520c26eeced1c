"""ASGI application for `manage.py bench notify` only; never deploy it.

It is the site's application plus one HTTP route that creates notifications through
``notifications.services.notify`` inside this server process, the way a view does (on a worker
thread, pushing after commit). That matters for the in-memory channel layer, which only reaches
sockets of its own process. The route exists only when PLANHUB_BENCH_TOKEN is set, and answers
only requests carrying that token.
"""

from __future__ import annotations

import hmac
import json
import os

from asgiref.sync import sync_to_async

from planhub.asgi import application as site

TRIGGER_PATH = "/__bench__/notify"


async def application(scope, receive, send):
    token = os.environ.get("PLANHUB_BENCH_TOKEN", "")
    if scope["type"] == "http" and scope["path"] == TRIGGER_PATH and token:
        return await _trigger(receive, send, token)
    return await site(scope, receive, send)


async def _trigger(receive, send, token: str) -> None:
    from bench.notify import create_notifications

    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    try:
        data = json.loads(body)
        allowed = hmac.compare_digest(str(data.get("token", "")), token)
    except (ValueError, AttributeError):
        allowed = False
    if not allowed:
        return await _respond(send, 403, {"error": "forbidden"})
    created = await sync_to_async(create_notifications)(data["user_ids"], data.get("mode", "each"))
    await _respond(send, 200, {"created": created})


async def _respond(send, status: int, payload: dict) -> None:
    body = json.dumps(payload).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})

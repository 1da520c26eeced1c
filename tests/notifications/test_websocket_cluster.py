"""Across processes: two real ASGI servers (daphne) share the Redis channel layer; a notification
created by a request to one reaches a socket held by the other. Runs in CI's PostgreSQL + Redis
pass; skipped (with the reason) where REDIS_URL is not set."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import urllib.request
import uuid

import pytest
from django.conf import settings

from bench.harness import AsgiServer, database_env, session_key_for
from notifications.models import Notification
from tasks.models import Reminder

pytestmark = [
    pytest.mark.concurrency,
    pytest.mark.skipif(
        not os.environ.get("REDIS_URL"),
        reason="REDIS_URL not set: several server processes share a channel layer only through Redis "
        "(CI sets REDIS_URL=redis://127.0.0.1:6379/0)",
    ),
]


@pytest.fixture
def two_servers(transactional_db, tmp_path):
    env = {
        **database_env(),
        "REDIS_URL": os.environ["REDIS_URL"],
        "CHANNEL_LAYER_PREFIX": f"test-cluster-{uuid.uuid4().hex[:12]}",  # never hears a parallel run
        "DJANGO_SETTINGS_MODULE": "planhub.settings_test",
    }
    servers = [AsgiServer(env=env, log_path=str(tmp_path / f"daphne-{i}.log")) for i in range(2)]
    try:
        yield [server.start() for server in servers]
    finally:
        for server in servers:
            server.stop()


def post_nudge(server: AsgiServer, session_key: str, task_id: int) -> int:
    csrf = secrets.token_hex(16)  # a 32-character secret sent as cookie and header, as Django expects
    request = urllib.request.Request(
        f"{server.url}/tasks/{task_id}/nudge/",
        data=b"note=%E8%AF%B7%E5%B0%BD%E5%BF%AB",
        method="POST",
        headers={
            "Cookie": f"{settings.SESSION_COOKIE_NAME}={session_key}; {settings.CSRF_COOKIE_NAME}={csrf}",
            "X-CSRFToken": csrf,
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    try:
        with urllib.request.build_opener(NoRedirect).open(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


async def first_notification(url: str, origin: str, session_key: str, act) -> dict:
    from websockets.asyncio.client import connect

    async with connect(
        url, origin=origin, additional_headers={"Cookie": f"{settings.SESSION_COOKIE_NAME}={session_key}"}
    ) as ws:
        await asyncio.to_thread(act)
        while True:
            message = json.loads(await asyncio.wait_for(ws.recv(), timeout=15))
            if message["type"] == "notification":
                return message


def test_a_notification_created_on_one_server_reaches_a_socket_on_the_other(county, two_servers):
    a = county.a
    server_a, server_b = two_servers
    task = a.tasks[0]
    member_key, office_key = session_key_for(a.member), session_key_for(a.office)
    statuses = []

    message = asyncio.run(
        first_notification(
            f"ws://127.0.0.1:{server_b.port}/ws/notifications/",
            f"http://127.0.0.1:{server_b.port}",
            member_key,
            lambda: statuses.append(post_nudge(server_a, office_key, task.pk)),
        )
    )
    assert statuses == [302], "the office's 催办 on server A succeeded"
    assert message["item"]["kind"] == Notification.Kind.NUDGE and task.title in message["item"]["text"]
    stored = Notification.objects.get(pk=message["item"]["id"])
    assert stored.recipient == a.member and stored.url == f"/tasks/{task.pk}/"
    assert Reminder.objects.filter(task=task, kind=Reminder.Kind.MANUAL, actor=a.office).exists()

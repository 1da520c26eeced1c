"""The websocket consumer through the real ASGI stack (origin check, session auth, routing), with
the configured channel layer: in-memory, or Redis when REDIS_URL is set (with a prefix of its own).

pytest-asyncio is not a dependency: each test runs its scenario with async_to_sync, so database
work in the consumer (database_sync_to_async) runs on the test's thread and sees its transaction.
"""

from __future__ import annotations

import copy
import json
import uuid

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from bench.harness import session_key_for
from notifications import push
from notifications.consumers import CLOSE_POLICY, CLOSE_TOO_BIG, MAX_BAD_FRAMES, MAX_FRAME_CHARS
from notifications.models import Notification
from notifications.services import notify
from planhub.asgi import application

pytestmark = pytest.mark.django_db

PATH = "/ws/notifications/"
K = Notification.Kind


@pytest.fixture(autouse=True)
def isolated_layer(settings):
    """A channel-layer prefix per test, so runs sharing one Redis never hear each other."""
    layers = copy.deepcopy(settings.CHANNEL_LAYERS)
    config = layers["default"].setdefault("CONFIG", {})
    if "prefix" in config or "hosts" in config:
        config["prefix"] = f"test-{uuid.uuid4().hex[:12]}"
    settings.CHANNEL_LAYERS = layers


@pytest.fixture(autouse=True)
def keep_the_test_connection(monkeypatch):
    """channels closes "old" connections around every database_sync_to_async call; inside a test's
    transaction that would close the test's own connection. Production keeps the real behaviour."""
    monkeypatch.setattr("channels.db.close_old_connections", lambda: None)


def scenario(fn):
    """Run an async test body to completion from a synchronous test."""
    return async_to_sync(fn)()


async def open_socket(user=None, origin="http://127.0.0.1", path=PATH):
    headers = [(b"host", b"127.0.0.1")]
    if origin:
        headers.append((b"origin", origin.encode()))
    if user is not None:
        key = await database_sync_to_async(session_key_for)(user)
        headers.append((b"cookie", f"sessionid={key}".encode()))
    socket = WebsocketCommunicator(application, path, headers=headers)
    connected, code = await socket.connect()
    return socket, connected, code


async def send(socket, payload) -> dict:
    await socket.send_to(text_data=json.dumps(payload))
    return await socket.receive_json_from(timeout=2)


def create(**kwargs):
    """notify() in a committed transaction, with the on-commit push run (as a service would)."""
    from django.db import connection

    before = len(connection.run_on_commit)
    rows = notify(**kwargs)
    for _, callback, _ in connection.run_on_commit[before:]:
        callback()
    del connection.run_on_commit[before:]
    return rows


def test_anonymous_socket_is_closed():
    async def body():
        socket, connected, code = await open_socket(user=None)
        assert not connected and code == 4401

    scenario(body)


@pytest.mark.parametrize("origin", ["http://evil.example", "https://127.0.0.1.evil.example", None])
def test_foreign_or_missing_origin_is_refused(county, origin):
    async def body():
        socket, connected, _ = await open_socket(county.a.member, origin=origin)
        assert not connected

    scenario(body)


def test_inactive_user_is_closed(county):
    async def body():
        user = county.a.member
        key = await database_sync_to_async(session_key_for)(user)
        user.is_active = False
        await database_sync_to_async(user.save)()
        headers = [(b"host", b"127.0.0.1"), (b"origin", b"http://127.0.0.1"), (b"cookie", f"sessionid={key}".encode())]
        connected, _ = await WebsocketCommunicator(application, PATH, headers=headers).connect()
        assert not connected

    scenario(body)


def test_a_user_gets_their_own_notification_and_nobody_else_does(county):
    a = county.a

    async def body():
        mine, ok1, _ = await open_socket(a.member)
        other, ok2, _ = await open_socket(a.member2)
        overseer, ok3, _ = await open_socket(county.bureau_admin)
        assert ok1 and ok2 and ok3
        (row,) = await database_sync_to_async(create)(
            recipients=[a.member], kind=K.TASK_ASSIGNED, text="您有新任务", url=f"/tasks/{a.tasks[0].pk}/", plan=a.plan
        )
        message = await mine.receive_json_from(timeout=2)
        assert message["type"] == "notification" and isinstance(message["ts"], float)
        assert message["item"]["id"] == row.pk and message["item"]["text"] == "《义务教育优质均衡发展实施方案》您有新任务"
        assert message["item"]["url"] == f"/tasks/{a.tasks[0].pk}/" and "recipient" not in message["item"]
        assert await other.receive_nothing(timeout=0.3)
        assert await overseer.receive_nothing(timeout=0.1)
        for socket in (mine, other, overseer):
            await socket.disconnect()

    scenario(body)


def test_every_open_page_of_the_user_is_told_and_reading_syncs_them(county):
    from notifications.services import notification_mark_read

    a = county.a

    def read(pk):
        from django.db import connection

        before = len(connection.run_on_commit)
        notification_mark_read(user=a.member, notification_id=pk)
        for _, callback, _ in connection.run_on_commit[before:]:
            callback()
        del connection.run_on_commit[before:]

    async def body():
        tab1, _, _ = await open_socket(a.member)
        tab2, _, _ = await open_socket(a.member)
        (row,) = await database_sync_to_async(create)(recipients=[a.member], kind=K.COMMENT, text="x")
        assert (await tab1.receive_json_from(timeout=2))["item"]["id"] == row.pk
        assert (await tab2.receive_json_from(timeout=2))["item"]["id"] == row.pk
        await database_sync_to_async(read)(row.pk)
        assert (await tab1.receive_json_from(timeout=2))["type"] == "sync"
        assert (await tab2.receive_json_from(timeout=2))["type"] == "sync"
        await tab1.disconnect()
        await tab2.disconnect()

    scenario(body)


def test_bad_frames_get_an_error_and_the_socket_survives(county):
    async def body():
        socket, _, _ = await open_socket(county.a.member)
        await socket.send_to(text_data="{not json")
        assert await socket.receive_json_from() == {"type": "error", "error": "malformed_json"}
        assert await send(socket, [1, 2]) == {"type": "error", "error": "not_an_object"}
        assert await send(socket, {"subscribe": "plan", "id": True}) == {"type": "error", "error": "bad_ids"}
        assert await send(socket, {"subscribe": "plan", "ids": "1,2"}) == {"type": "error", "error": "bad_ids"}
        assert await send(socket, {"hello": 1}) == {"type": "error", "error": "unknown_message"}
        await socket.send_to(bytes_data=b"\x00\x01")
        assert await socket.receive_json_from() == {"type": "error", "error": "binary_not_supported"}
        assert await send(socket, {"ping": 1}) == {"type": "pong"}
        await socket.disconnect()

    scenario(body)


def test_too_many_bad_frames_close_the_socket(county):
    async def body():
        socket, _, _ = await open_socket(county.a.member)
        for _ in range(MAX_BAD_FRAMES):
            await socket.send_to(text_data="?")
            await socket.receive_json_from()
        await socket.send_to(text_data="?")
        assert await socket.receive_output(timeout=2) == {"type": "websocket.close", "code": CLOSE_POLICY}

    scenario(body)


def test_an_oversized_frame_closes_the_socket(county):
    async def body():
        socket, _, _ = await open_socket(county.a.member)
        await socket.send_to(text_data=json.dumps({"subscribe": "plan", "ids": [1] * MAX_FRAME_CHARS}))
        assert await socket.receive_output(timeout=2) == {"type": "websocket.close", "code": CLOSE_TOO_BIG}

    scenario(body)


def test_plan_subscription_is_checked_against_who_may_see_the_plan(county):
    a, c = county.a, county.c

    async def body():
        socket, _, _ = await open_socket(a.member)
        reply = await send(socket, {"subscribe": "plan", "ids": [a.plan.pk, c.plan.pk, county.b.plan.pk, 999999]})
        assert reply["plans"] == [a.plan.pk] and reply["denied"] == sorted([c.plan.pk, county.b.plan.pk, 999999])
        await database_sync_to_async(push.plan_changed)(c.plan.pk)
        assert await socket.receive_nothing(timeout=0.2)
        await database_sync_to_async(push.plan_changed)(a.plan.pk)
        assert await socket.receive_json_from(timeout=2) == {
            "type": "plan_changed",
            "plan": a.plan.pk,
            "ts": pytest.approx(0, abs=1e12),
        }
        reply = await send(socket, {"unsubscribe": "plan", "id": a.plan.pk})
        assert reply["plans"] == []
        await database_sync_to_async(push.plan_changed)(a.plan.pk)
        assert await socket.receive_nothing(timeout=0.2)
        await socket.disconnect()

    scenario(body)


@pytest.mark.parametrize(
    "who, hears, not_hears",
    [
        ("inspector", "a", "c"),  # supervision office of the county bureau: every school of the county
        ("bureau_admin", "b", "c"),  # the bureau: also schools under a centre
        ("centre_head", "b", "a"),  # a township centre: only its own schools
        ("other_bureau_user", "c", "a"),
        ("a_staff", "a", "b"),  # a school's own staff: their school's plans
    ],
)
def test_organisation_subscription_covers_the_plans_it_oversees(county, who, hears, not_hears):
    user = county.a.staff if who == "a_staff" else getattr(county, who)
    plan_heard = getattr(county, hears).plan
    plan_not_heard = getattr(county, not_hears).plan

    async def body():
        socket, _, _ = await open_socket(user)
        reply = await send(socket, {"subscribe": "org"})
        assert reply["org"] == user.organisation_id
        await database_sync_to_async(push.plan_changed)(plan_not_heard.pk)
        assert await socket.receive_nothing(timeout=0.2)
        await database_sync_to_async(push.plan_changed)(plan_heard.pk)
        assert (await socket.receive_json_from(timeout=2))["plan"] == plan_heard.pk
        await socket.disconnect()

    push._viewer_cache.clear()
    scenario(body)


def test_another_organisations_group_is_refused(county):
    async def body():
        socket, _, _ = await open_socket(county.centre_head)
        reply = await send(socket, {"subscribe": "org", "id": county.bureau.pk})
        assert reply["org"] is None and reply["error"] == "forbidden"
        await database_sync_to_async(push.plan_changed)(county.a.plan.pk)
        assert await socket.receive_nothing(timeout=0.2)
        await socket.disconnect()

    push._viewer_cache.clear()
    scenario(body)


def test_a_flooded_socket_does_not_hold_up_anyone_else(county, settings):
    """A page that never reads fills its channel; the layer drops its surplus (at-most-once) while
    others are served and the sender never fails. The page re-reads on reconnect."""
    layers = copy.deepcopy(settings.CHANNEL_LAYERS)
    layers["default"]["CONFIG"]["capacity"] = 5
    settings.CHANNEL_LAYERS = layers
    a = county.a

    async def body():
        slow, _, _ = await open_socket(a.member)
        fast, _, _ = await open_socket(a.member2)
        for _ in range(30):
            await database_sync_to_async(push.push_to_users)([a.member.pk])
        (row,) = await database_sync_to_async(create)(recipients=[a.member2], kind=K.COMMENT, text="准时")
        assert (await fast.receive_json_from(timeout=2))["item"]["id"] == row.pk
        await slow.disconnect()
        await fast.disconnect()

    scenario(body)

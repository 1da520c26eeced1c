"""A socket follows its session (issue 13, point 2): signing out, a password change, a disabled
account, a removed seat, an ended, idle or expired session close the socket (or stop what it hears)."""

from __future__ import annotations

import time

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from accounts.sessions import SEEN_KEY, session_store
from notifications import push
from notifications.consumers import CLOSE_UNAUTHENTICATED
from notifications.models import Notification
from planhub.asgi import application
from plans import services as plan_services
from tests.notifications.test_websocket import create, isolated_layer, keep_the_test_connection, scenario  # noqa: F401

pytestmark = pytest.mark.django_db

PATH = "/ws/notifications/"
PASSWORD = "correct horse battery staple"


def signed_in(user) -> Client:
    """A browser that signed in through the login page (so the sign-in hooks ran)."""
    if not user.check_password(PASSWORD):
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])
    client = Client()
    response = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, response.content[:300]
    return client


async def open_socket(client: Client):
    key = client.cookies["sessionid"].value
    headers = [(b"host", b"127.0.0.1"), (b"origin", b"http://127.0.0.1"), (b"cookie", f"sessionid={key}".encode())]
    socket = WebsocketCommunicator(application, PATH, headers=headers)
    connected, _ = await socket.connect()
    assert connected
    return socket


async def closed(socket) -> bool:
    output = await socket.receive_output(timeout=2)
    return output == {"type": "websocket.close", "code": CLOSE_UNAUTHENTICATED}


def run_committed(fn, *args, **kwargs):
    """Run ``fn`` and then the on-commit callbacks it scheduled (the test's transaction never commits)."""
    from django.db import connection

    before = len(connection.run_on_commit)
    result = fn(*args, **kwargs)
    for _, callback, _ in connection.run_on_commit[before:]:
        callback()
    del connection.run_on_commit[before:]
    return result


def committed(fn):
    return database_sync_to_async(lambda *args, **kwargs: run_committed(fn, *args, **kwargs))


def test_signing_out_closes_that_sessions_socket_and_no_other(county):
    user = county.a.member
    browser, other_browser = signed_in(user), signed_in(user)

    async def body():
        socket = await open_socket(browser)
        other = await open_socket(other_browser)
        await committed(browser.post)("/accounts/logout/")
        assert await closed(socket)
        assert await other.receive_nothing(timeout=0.2)
        await committed(create)(recipients=[user], kind=Notification.Kind.COMMENT, text="仍然收到")
        assert (await other.receive_json_from(timeout=2))["item"]["text"] == "仍然收到"
        await other.disconnect()

    scenario(body)


def test_a_password_change_closes_the_other_sessions_sockets(county):
    user = county.a.member
    browser = signed_in(user)

    def change_password():
        user.set_password("another long passphrase 42")
        user.save()

    async def body():
        socket = await open_socket(browser)
        await committed(change_password)()
        assert await closed(socket)

    scenario(body)


def test_disabling_the_account_closes_its_sockets(county):
    user = county.a.member
    browser = signed_in(user)

    def disable():
        user.is_active = False
        user.save()

    async def body():
        socket = await open_socket(browser)
        await committed(disable)()
        assert await closed(socket)

    scenario(body)


def test_ending_the_other_sessions_closes_their_sockets(county):
    user = county.a.member
    here, there = signed_in(user), signed_in(user)

    async def body():
        mine = await open_socket(here)
        theirs = await open_socket(there)
        await committed(here.post)("/accounts/sessions/end-others/")
        assert await closed(theirs)
        assert await mine.receive_nothing(timeout=0.2)
        await mine.disconnect()

    scenario(body)


def test_a_removed_seat_makes_the_users_sockets_recheck(county, monkeypatch):
    """A seat is a grant: its removal tells the user's sockets to re-read what they may hear."""
    a = county.a
    told = []
    monkeypatch.setattr("plans.services.sockets_recheck", told.append)
    run_committed(plan_services.seat_remove, actor=None, plan=a.plan, user=a.member2)
    assert told == [a.member2.pk]


def test_a_user_moved_to_another_school_stops_hearing_the_old_schools_plan(county):
    a, b = county.a, county.b
    user = a.staff
    browser = signed_in(user)

    def move():
        from orgs.grants import sync_user_organisation

        user.organisation = b.school
        user.save()
        sync_user_organisation(user)  # the organisation's grants follow (the group of school B)

    async def body():
        socket = await open_socket(browser)
        await socket.send_json_to({"subscribe": "plan", "id": a.plan.pk})
        assert (await socket.receive_json_from(timeout=2))["plans"] == [a.plan.pk]
        await committed(move)()
        await socket.receive_nothing(timeout=0.3)  # the recheck runs
        await database_sync_to_async(push.plan_changed)(a.plan.pk)
        assert await socket.receive_nothing(timeout=0.3)
        await socket.disconnect()

    scenario(body)


def test_an_expired_session_hears_no_more_notifications(county, monkeypatch):
    monkeypatch.setattr("notifications.consumers.SESSION_RECHECK_SECONDS", 0)
    user = county.a.member
    browser = signed_in(user)

    def expire():
        store = session_store(browser.cookies["sessionid"].value)
        store.set_expiry(-1)
        store.save()

    async def body():
        socket = await open_socket(browser)
        await database_sync_to_async(expire)()
        await committed(create)(recipients=[user], kind=Notification.Kind.COMMENT, text="不应送达")
        assert await closed(socket)

    scenario(body)


def test_an_idle_session_hears_no_more_notifications(county, monkeypatch, settings):
    monkeypatch.setattr("notifications.consumers.SESSION_RECHECK_SECONDS", 0)
    settings.SESSION_IDLE_TIMEOUT = 600
    user = county.a.member
    browser = signed_in(user)

    def idle():
        store = session_store(browser.cookies["sessionid"].value)
        store[SEEN_KEY] = int(time.time()) - 601
        store.save()

    async def body():
        socket = await open_socket(browser)
        await database_sync_to_async(idle)()
        await committed(create)(recipients=[user], kind=Notification.Kind.COMMENT, text="不应送达")
        assert await closed(socket)

    scenario(body)


def _edited_session(client: Client, **changes) -> None:
    store = session_store(client.cookies["sessionid"].value)
    store.load()
    for key, value in changes.items():
        store[key] = value
    store.save()


@pytest.mark.parametrize(
    "change",
    [
        {SEEN_KEY: 1},  # idle for decades
        {"_auth_user_backend": "somewhere.else.Backend"},  # signed in by a backend no longer configured
        {"_auth_user_id": "not-a-number"},  # a session that names no user
        {"_auth_user_hash": "0" * 64},  # the password changed since
    ],
    ids=["idle", "unknown-backend", "bad-user-id", "stale-password-hash"],
)
def test_a_session_that_does_not_hold_opens_no_socket(county, change):
    """The handshake applies the pages' rule (accounts.sessions.session_user) in its one trip."""
    client = signed_in(county.a.member)

    async def handshake():
        key = client.cookies["sessionid"].value
        headers = [(b"host", b"127.0.0.1"), (b"origin", b"http://127.0.0.1"), (b"cookie", f"sessionid={key}".encode())]
        socket = WebsocketCommunicator(application, PATH, headers=headers)
        connected, code = await socket.connect()
        await socket.disconnect()
        return connected, code

    async def body():
        assert await handshake() == (True, None)
        await database_sync_to_async(_edited_session)(client, **change)
        assert await handshake() == (False, CLOSE_UNAUTHENTICATED)

    scenario(body)

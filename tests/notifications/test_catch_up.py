"""A page load asks nothing over HTTP of the live header: the page is rendered with the bell's
unread count and newest id, and its socket's ``catch_up`` tells it whether the inbox changed since,
with the versions of what it watches (static/js/live.js, live_pages.js)."""

from __future__ import annotations

import re

import pytest
from channels.db import database_sync_to_async

from notifications.models import Notification
from notifications.selectors import inbox_state
from tasks import services
from tests.factories import PASSWORD
from tests.notifications.test_websocket import (  # noqa: F401 (autouse fixtures)
    create,
    isolated_layer,
    keep_the_test_connection,
    open_socket,
    scenario,
    send,
)
from tests.workflow_helpers import fresh, to_state

pytestmark = pytest.mark.django_db

K = Notification.Kind
BELL = re.compile(r'data-unread="(\d+)" data-latest-id="(\d+)"')
BADGE = re.compile(r'<span class="notif-badge" id="notif-badge"( hidden)?>([^<]*)</span>')


def rendered_bell(client, url="/") -> tuple[int, int, str | None]:
    html = client.get(url).content.decode()
    unread, latest = (int(x) for x in BELL.search(html).groups())
    hidden, text = BADGE.search(html).groups()
    return unread, latest, None if hidden else text


def test_the_header_renders_the_bells_count_and_newest_id(client, county):
    member = county.a.member
    client.login(username=member.username, password=PASSWORD)
    Notification.objects.filter(recipient=member).delete()
    assert rendered_bell(client) == (0, 0, None)  # no badge when nothing is unread

    rows = create(recipients=[member], kind=K.COMMENT, text="一", plan=county.a.plan)
    rows += create(recipients=[member], kind=K.COMMENT, text="二", plan=county.a.plan)
    rows[0].read_at = rows[0].created_at
    rows[0].save(update_fields=["read_at"])
    assert rendered_bell(client) == (1, rows[1].pk, "1")

    create(recipients=[member], kind=K.COMMENT, text="三", plan=county.a.plan)
    create(recipients=[county.b.member], kind=K.COMMENT, text="另一所学校的", plan=county.b.plan)
    unread, latest, text = rendered_bell(client)
    assert (unread, text) == (2, "2") and latest > rows[1].pk
    assert {"unread": unread, "latest": latest} == inbox_state(member)

    Notification.objects.bulk_create(
        Notification(recipient=member, kind=K.COMMENT, text=f"第{i}条") for i in range(120)
    )
    assert rendered_bell(client)[2] == "99+"


def test_catch_up_says_whether_the_inbox_changed_since_the_page(county):
    a = county.a
    member = a.member
    state = inbox_state(member)

    async def body():
        socket, connected, _ = await open_socket(member)
        assert connected
        same = await send(socket, {"catch_up": {**state, "watch": {}}})
        assert same == {"type": "caught_up", "inbox_changed": False, "versions": {}}

        # Created before the socket opened: its push went nowhere (no socket of the page yet).
        await database_sync_to_async(Notification.objects.create)(recipient=member, kind=K.COMMENT, text="缝隙里的")
        newer = await send(socket, {"catch_up": {**state, "watch": {}}})
        assert newer["inbox_changed"] is True
        await socket.disconnect()

    scenario(body)


def test_catch_up_sees_a_notification_read_elsewhere(county):
    member = county.a.member
    row = create(recipients=[member], kind=K.COMMENT, text="在另一页读了", plan=county.a.plan)[0]
    state = inbox_state(member)
    Notification.objects.filter(pk=row.pk).update(read_at=row.created_at)

    async def body():
        socket, _, _ = await open_socket(member)
        answer = await send(socket, {"catch_up": {**state, "watch": {}}})
        assert answer["inbox_changed"] is True  # the count went down: the badge must follow
        await socket.disconnect()

    scenario(body)


def test_catch_up_answers_the_versions_the_user_may_see(county):
    a, b = county.a, county.b
    task = to_state(a, "submitted")
    rendered_version = task.version
    foreign = b.tasks[0]
    services.task_return(task=task, actor=a.deputy, reason="再补充")
    stage = a.plan.stages.get(order=1)

    async def body():
        socket, _, _ = await open_socket(a.office)
        answer = await send(
            socket,
            {
                "catch_up": {
                    **await database_sync_to_async(inbox_state)(a.office),
                    "watch": {"task": [task.pk, foreign.pk, 999999], "stage": [stage.pk], "inbox": [0]},
                }
            },
        )
        await socket.disconnect()
        return answer

    answer = scenario(body)
    versions = answer["versions"]
    assert versions[f"task:{task.pk}"] == {"version": str(fresh(task).version), "label": "已退回"}
    assert versions[f"task:{task.pk}"]["version"] != str(rendered_version)
    assert f"task:{foreign.pk}" not in versions and "task:999999" not in versions  # as if unknown
    assert f"stage:{stage.pk}" in versions and "inbox:0" in versions
    assert answer["inbox_changed"] is False


@pytest.mark.parametrize(
    "frame",
    [
        {"catch_up": 1},
        {"catch_up": {"unread": 0}},
        {"catch_up": {"unread": True, "latest": 0}},
        {"catch_up": {"unread": -1, "latest": 0}},
        {"catch_up": {"unread": 0, "latest": "5"}},
        {"catch_up": {"unread": 0, "latest": 0, "watch": []}},
        {"catch_up": {"unread": 0, "latest": 0, "watch": {"user": [1]}}},
        {"catch_up": {"unread": 0, "latest": 0, "watch": {"task": "1"}}},
        {"catch_up": {"unread": 0, "latest": 0, "watch": {"task": [1.5]}}},
        {"catch_up": {"unread": 0, "latest": 0, "watch": {"task": list(range(1, 300))}}},
    ],
)
def test_a_bad_catch_up_gets_an_error_and_the_socket_survives(county, frame):
    async def body():
        socket, _, _ = await open_socket(county.a.member)
        bad = await send(socket, frame)
        good = await send(socket, {"ping": 1})
        await socket.disconnect()
        return bad, good

    bad, good = scenario(body)
    assert bad == {"type": "error", "error": "bad_catch_up"}
    assert good == {"type": "pong"}

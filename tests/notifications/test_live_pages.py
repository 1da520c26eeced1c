"""Live pages (issue 15, point 3): a transition tells the open pages of its plan that an object has
a new version, only through the plan's group (no other school hears it); the versions endpoint
answers only for what the caller may see."""

from __future__ import annotations

import datetime

import pytest
from channels.db import database_sync_to_async
from django.urls import reverse

from notifications import push
from tasks import services
from tasks.models import Task
from tests.factories import PASSWORD
from tests.notifications.test_websocket import (  # noqa: F401 (autouse fixtures)
    isolated_layer,
    keep_the_test_connection,
    open_socket,
    scenario,
    send,
)
from tests.workflow_helpers import fresh, to_state

pytestmark = pytest.mark.django_db


async def drain(socket, *, until_type: str, timeout: float = 2) -> list[dict]:
    """Messages up to and including the first of ``until_type``."""
    seen = []
    while True:
        message = await socket.receive_json_from(timeout=timeout)
        seen.append(message)
        if message["type"] == until_type:
            return seen


def test_a_returned_task_is_announced_to_its_plans_subscribers_only(county, django_capture_on_commit_callbacks):
    a, b = county.a, county.b
    task = to_state(a, "submitted")

    def return_it():
        with django_capture_on_commit_callbacks(execute=True):
            services.task_return(task=task, actor=a.office, reason="材料不全")
        return fresh(task).version

    async def body():
        watcher, _, _ = await open_socket(a.member2)  # same school, not the assignee
        outsider, _, _ = await open_socket(b.leader)  # another school asks for plan A: refused
        overseer, _, _ = await open_socket(county.other_bureau_user)  # another county's bureau
        assert (await send(watcher, {"subscribe": "plan", "id": a.plan.pk}))["plans"] == [a.plan.pk]
        assert (await send(outsider, {"subscribe": "plan", "id": a.plan.pk}))["denied"] == [a.plan.pk]
        assert (await send(overseer, {"subscribe": "org"}))["org"] == county.other_bureau_user.organisation_id

        version = await database_sync_to_async(return_it)()

        changed = (await drain(watcher, until_type="changed"))[-1]
        assert changed == {
            "type": "changed",
            "kind": "task",
            "id": task.pk,
            "version": str(version),
            "plan": a.plan.pk,
            "ts": pytest.approx(0, abs=1e12),
        }
        assert await outsider.receive_nothing(timeout=0.3)
        assert await overseer.receive_nothing(timeout=0.3)
        for socket in (watcher, outsider, overseer):
            await socket.disconnect()

    push._viewer_cache.clear()
    scenario(body)


def test_the_consumer_drops_a_change_of_a_plan_the_socket_did_not_subscribe(county):
    """Defence in depth: even if a change reached a socket's channel, it is not forwarded."""
    a = county.a

    async def body():
        socket, _, _ = await open_socket(a.member2)
        await send(socket, {"subscribe": "plan", "id": a.plan.pk})
        await database_sync_to_async(push.object_changed)(county.b.plan.pk, "task", 1, 3)
        assert await socket.receive_nothing(timeout=0.3)
        await database_sync_to_async(push.object_changed)(a.plan.pk, "task", a.tasks[0].pk, 7)
        message = await socket.receive_json_from(timeout=2)
        assert (message["type"], message["id"], message["version"]) == ("changed", a.tasks[0].pk, "7")
        await socket.disconnect()

    scenario(body)


# --- the versions endpoint -------------------------------------------------------------------------


def versions(client, **query):
    response = client.get(reverse("notifications:live_versions"), query, HTTP_ACCEPT="application/json")
    return response.status_code, response.json()


def test_versions_answer_only_for_what_the_user_may_see(client, county):
    a, b = county.a, county.b
    task = to_state(a, "submitted")
    client.login(username=a.office.username, password=PASSWORD)
    stage_a, stage_b = a.plan.stages.get(order=1), b.plan.stages.get(order=1)
    status, data = versions(
        client, task=f"{task.pk},{b.tasks[0].pk},999999", stage=f"{stage_a.pk},{stage_b.pk}", inbox="0"
    )
    assert status == 200
    found = data["versions"]
    assert found[f"task:{task.pk}"] == {"version": str(task.version), "label": "待审核"}
    assert f"task:{b.tasks[0].pk}" not in found and "task:999999" not in found  # another school: as unknown
    assert f"stage:{stage_a.pk}" in found and f"stage:{stage_b.pk}" not in found
    assert found["inbox:0"]["version"]


def test_versions_follow_transitions(client, county):
    a = county.a
    task = to_state(a, "submitted")
    stage = a.plan.stages.get(order=1)
    client.login(username=a.office.username, password=PASSWORD)
    _, before = versions(client, task=str(task.pk), stage=str(stage.pk), inbox="0")
    services.task_return(task=task, actor=a.deputy, reason="再补充")
    _, after = versions(client, task=str(task.pk), stage=str(stage.pk), inbox="0")
    assert after["versions"][f"task:{task.pk}"] == {"version": str(fresh(task).version), "label": "已退回"}
    for key in (f"task:{task.pk}", f"stage:{stage.pk}", "inbox:0"):
        assert before["versions"][key] != after["versions"][key], key


def test_versions_refuse_bad_input_and_anonymous(client, county):
    assert versions(client, task="1")[0] == 401
    client.login(username=county.a.office.username, password=PASSWORD)
    assert versions(client, task="1,x")[0] == 400
    assert versions(client, task=",".join(str(i) for i in range(1, 300)))[0] == 400
    assert versions(client, task="²")[0] == 400  # a digit to str.isdigit, not to int()
    assert versions(client, nonsense="1") == (200, {"versions": {}})


def test_pages_render_what_they_watch(client, county):
    a = county.a
    task = fresh(a.tasks[0])
    stage = a.plan.stages.get(order=1)
    client.login(username=a.leader.username, password=PASSWORD)
    page = client.get(reverse("tasks:task_detail", args=[task.pk])).content.decode()
    assert f'data-live-watch="task:{task.pk}:{task.version}"' in page and 'id="live-banner"' in page
    assert "js/live_pages.js" in page
    _, data = versions(client, stage=str(stage.pk), inbox="0")
    gate = client.get(reverse("workflows:stage_gate", args=[stage.pk])).content.decode()
    assert f'data-live-watch="stage:{stage.pk}:{data["versions"][f"stage:{stage.pk}"]["version"]}"' in gate
    assert "data-live-guard" in gate
    inbox = client.get(reverse("inbox")).content.decode()
    assert f'data-live-watch="inbox:0:{data["versions"]["inbox:0"]["version"]}"' in inbox


def test_a_stale_action_post_is_refused_and_changes_nothing(client, county):
    """The page's banner is a courtesy: the server refuses a form rendered before the change."""
    a = county.a
    task = to_state(a, "submitted")
    seen = task.version
    services.task_return(task=task, actor=a.deputy, reason="再补充")
    client.login(username=a.office.username, password=PASSWORD)
    client.post(reverse("tasks:task_act", args=[task.pk, "close"]), {"version": seen})
    after = fresh(task)
    assert after.status == Task.Status.RETURNED and after.version == seen + 1


def test_versions_cost_does_not_grow_with_the_ids_asked(client, county):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    a = county.a
    client.login(username=a.office.username, password=PASSWORD)
    stages = ",".join(str(s.pk) for s in a.plan.stages.all())
    first_stage = str(a.plan.stages.first().pk)
    versions(client, task=str(a.tasks[0].pk))  # warm the session and the registry
    with CaptureQueriesContext(connection) as one:
        versions(client, task=str(a.tasks[0].pk), stage=first_stage)
    with CaptureQueriesContext(connection) as many:
        versions(client, task=",".join(str(t.pk) for t in a.tasks), stage=stages)
    assert len(one.captured_queries) == len(many.captured_queries)
    with CaptureQueriesContext(connection) as inbox:
        versions(client, inbox="0")
    # Figures, not assertions (shown with -s).
    print(f"versions endpoint: {len(many.captured_queries)} queries for {len(a.tasks)} tasks and 3 stages")
    print(f"versions endpoint: {len(inbox.captured_queries)} queries for the office's inbox")


# --- every new version of a task is announced ------------------------------------------------------


def _announce_recorder(monkeypatch):
    """What the services announce after commit: (plan, kind, id, version); id and version None for
    a plan-wide hint."""
    heard: list[tuple] = []
    monkeypatch.setattr(
        push,
        "_send",
        lambda messages, what: heard.extend(
            (m["plan"], m["kind"], m["id"], m["version"]) for _, m in messages if m["type"] == "object.changed"
        ),
    )
    return heard


def _versions(plan) -> dict[int, int]:
    return dict(Task.objects.filter(plan=plan).values_list("pk", "version"))


@pytest.mark.parametrize("change", ["return", "edit", "cancel_measure", "shift_dates", "shift_many"])
def test_every_new_version_of_a_task_is_announced(county, change, monkeypatch, django_capture_on_commit_callbacks):
    """A task page re-reads its versions on its own task's hint only (live_pages.js), not on every
    change of its plan: so every service that gives a task a new version must send that hint, one
    per task or one for the whole plan."""
    from tasks.services import plan_dates_shift, task_update
    from tasks.services.cancelling import measure_cancel

    a = county.a
    plan = a.plan
    task = to_state(a, "submitted")
    if change == "shift_many":  # past OBJECTS_CHANGED_ONE_BY_ONE: one hint for the plan
        for i in range(push.OBJECTS_CHANGED_ONE_BY_ONE + 1):
            services.task_create(actor=None, measure=a.measure, title=f"批量任务{i}", due_on=datetime.date(2027, 3, 1))
    before = _versions(plan)
    heard = _announce_recorder(monkeypatch)
    with django_capture_on_commit_callbacks(execute=True):
        if change == "return":
            services.task_return(task=task, actor=a.office, reason="材料不全")
        elif change == "edit":
            task_update(task=task.pk, actor=a.office, title="改过的名称")
        elif change == "cancel_measure":
            measure_cancel(measure=a.measure, actor=a.office, reason="并入其他措施")
        else:
            plan_dates_shift(actor=a.leader, plan=plan, days=7)
    after = _versions(plan)
    changed = {pk: v for pk, v in after.items() if before.get(pk) != v}
    assert changed, "the change gave some task a new version"
    plan_wide = (plan.pk, "task", None, None) in heard
    for pk, version in changed.items():
        assert plan_wide or (plan.pk, "task", pk, str(version)) in heard, (change, pk, heard)
    assert plan_wide == (change == "shift_many")

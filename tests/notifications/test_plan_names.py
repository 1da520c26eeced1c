"""Every notification names its plan (issue 15, point 2): two plans may have tasks of the same
title, so the bell, the notification list and the websocket push show each one under its plan's
title, whatever its kind, and every call site of notify() says which plan it is about."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from notifications import push
from notifications.models import Notification, with_plan_title
from notifications.services import notify
from plans import services as plan_services
from tests.factories import PASSWORD, PlanFactory

pytestmark = pytest.mark.django_db

K = Notification.Kind
FIRST = "义务教育优质均衡发展实施方案"
SECOND = "课后服务实施方案"


@pytest.fixture
def two_plans(county):
    """The member sits in two plans of school a; both notify about a task called 印发文件."""
    Notification.objects.all().delete()
    a = county.a
    other = PlanFactory(school=a.school, title=SECOND)
    plan_services.seat_set(actor=None, plan=other, user=a.member, role="member")
    return a, other


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.mark.parametrize("kind", K.values)
def test_every_kind_is_shown_under_its_plans_title_in_the_bell_the_list_and_the_push(client, two_plans, kind):
    a, other = two_plans
    pushed = []
    for plan in (a.plan, other):
        pushed += notify(recipients=[a.member], kind=kind, text="任务“印发文件”有新动态。", url="/", plan=plan)
    # The push (toast) is built from the rows notify() returns.
    assert [push.serialize(n)["text"] for n in pushed] == [
        f"《{FIRST}》任务“印发文件”有新动态。",
        f"《{SECOND}》任务“印发文件”有新动态。",
    ]
    assert [push.serialize(n)["plan_title"] for n in pushed] == [FIRST, SECOND]
    # The bell re-reads the feed.
    items = login(client, a.member).get(reverse("notifications:feed")).json()["items"]
    assert {item["text"] for item in items} == {f"《{FIRST}》任务“印发文件”有新动态。", f"《{SECOND}》任务“印发文件”有新动态。"}
    # The notification list.
    body = client.get(reverse("notifications:inbox")).content.decode()
    assert f"《{FIRST}》任务“印发文件”" in body and f"《{SECOND}》任务“印发文件”" in body


def test_a_text_that_names_its_plan_already_is_not_prefixed():
    assert with_plan_title(f"“{FIRST}”进入实施阶段。", FIRST) == f"“{FIRST}”进入实施阶段。"
    assert with_plan_title("没有方案的通知", "") == "没有方案的通知"


def test_a_plan_hidden_from_the_reader_is_not_named(client, county):
    # A row left from when the reader could see the plan (notify() itself refuses to write it now).
    Notification.objects.create(recipient=county.b.member, kind=K.COMMENT, text="任务“印发文件”有新评论。",
                                url="/tasks/1/", plan=county.a.plan)
    items = login(client, county.b.member).get(reverse("notifications:feed")).json()["items"]
    assert items[0]["text"] == "任务“印发文件”有新评论。" and items[0]["url"] == "" and items[0]["plan_title"] == ""


def _notify_calls() -> list[tuple[str, int, set[str]]]:
    """Every call of notify(...) in the project's own code (not tests, benchmarks or the venv)."""
    root = Path(settings.BASE_DIR)
    skip = {".venv", "tests", "bench", "node_modules", "migrations", ".git"}
    calls = []
    for path in root.rglob("*.py"):
        if skip & set(path.relative_to(root).parts):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) == "notify":
                calls.append((str(path.relative_to(root)), node.lineno, {k.arg for k in node.keywords if k.arg}))
    return calls


def test_every_notify_call_site_says_which_plan_it_is_about():
    calls = _notify_calls()
    assert len(calls) >= 20  # the scan found the call sites (tasks, workflows, acceptance, archives...)
    missing = [f"{path}:{line}" for path, line, keywords in calls if "plan" not in keywords]
    assert missing == [], f"notify() without plan=: {missing}"

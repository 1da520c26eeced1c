"""我的待办: what waits for the user, overdue first, in a constant number of queries."""

from __future__ import annotations

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tasks import services
from tests.factories import PASSWORD
from tests.workflow_helpers import to_state
from workflows.selectors import inbox_counts

pytestmark = pytest.mark.django_db


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)


def test_member_sees_tasks_to_do_overdue_first(client, county):
    a = county.a
    login(client, a.member2)
    body = client.get(reverse("inbox")).content.decode()
    assert "召开会议" in body and "逾期2天" in body
    assert "印发文件" not in body  # someone else's
    assert "补充图书" not in body  # in a stage not yet open


def test_reviewer_sees_submitted_tasks_and_the_leader_sees_gates(client, county):
    a = county.a
    to_state(a, "submitted")
    login(client, a.office)
    body = client.get(reverse("inbox")).content.decode()
    assert "待我审核" in body and "印发文件" in body
    services.task_close(task=a.tasks[0], actor=a.office)
    services.task_submit(task=a.tasks[1], actor=a.member2)
    services.task_close(task=a.tasks[1], actor=a.office)
    services.task_waive(task=a.tasks[2], actor=a.leader, reason="不适用")
    client.logout()
    login(client, a.leader)
    body = client.get(reverse("inbox")).content.decode()
    assert "待签署的阶段关口" in body and "准备阶段" in body
    assert inbox_counts(a.leader) == 1


def test_header_shows_the_inbox_count(client, county):
    login(client, county.a.member2)
    body = client.get(reverse("home")).content.decode()
    assert 'id="inbox-count">1<' in body


def _header_count(body):
    found = re.search(r'id="inbox-count">(\d+)<', body)
    return int(found.group(1)) if found else 0


@pytest.mark.parametrize(
    ("scenario", "who", "waiting"),
    [
        ("submitted", "member", False),
        ("submitted", "member2", True),  # a task to do
        ("submitted", "office", True),  # a task to review
        ("gate", "leader", True),  # a stage gate to sign
        ("gate", "office", False),
    ],
)
def test_the_inbox_page_counts_what_it_lists_as_the_header_does_elsewhere(client, county, scenario, who, waiting):
    """On 我的待办 the header's number comes from the page's own lists, not the header's query: it
    must be the number every other page shows."""
    a = county.a
    to_state(a, "submitted")
    if scenario == "gate":
        services.task_close(task=a.tasks[0], actor=a.office)
        services.task_submit(task=a.tasks[1], actor=a.member2)
        services.task_close(task=a.tasks[1], actor=a.office)
        services.task_waive(task=a.tasks[2], actor=a.leader, reason="不适用")
    user = getattr(a, who)
    login(client, user)
    on_inbox = _header_count(client.get(reverse("inbox")).content.decode())
    elsewhere = _header_count(client.get(reverse("home")).content.decode())
    assert on_inbox == elsewhere == inbox_counts(user)
    assert (on_inbox > 0) is waiting


def test_other_school_work_never_shows(client, county):
    to_state(county.b, "submitted")
    login(client, county.a.office)
    body = client.get(reverse("inbox")).content.decode()
    assert "b学校" not in body


def _queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_inbox_query_count_does_not_grow_with_the_work(client, county):
    a = county.a
    login(client, a.office)
    services.task_assign(task=a.tasks[2], actor=a.office, assignee=a.office)
    to_state(a, "submitted")
    client.get(reverse("inbox"))  # process-wide caches (content types) warm, as in a running server
    small = _queries(client, reverse("inbox"))
    today = timezone.localdate()
    for i in range(40):
        task = services.task_create(
            actor=a.office,
            measure=a.measure,
            title=f"批量任务{i}",
            assignee=a.office,
            due_on=today + datetime.timedelta(days=i - 5),
        )
        if i % 2:
            services.task_submit(task=task, actor=a.office)
    large = _queries(client, reverse("inbox"))
    assert large == small
    assert large <= 12


def test_the_header_count_follows_every_transition_in_one_process(county):
    """The counts' SQL is compiled once per process and key (core.sqlmemo): the numbers must still
    be the database's at each moment, for the member, the reviewer and the leader."""
    from orgs.models import User

    a = county.a

    def counts():
        # A fresh user object per "request", as a page gets.
        return {who: inbox_counts(User.objects.get(pk=getattr(a, who).pk)) for who in ("member", "office", "leader")}

    before = counts()
    to_state(a, "submitted")
    submitted = counts()
    assert submitted["member"] == before["member"] - 1
    assert submitted["office"] == before["office"] + 1
    services.task_return(task=a.tasks[0], actor=a.office, reason="材料不全")
    returned = counts()
    assert returned["member"] == before["member"] and returned["office"] == before["office"]
    services.task_submit(task=a.tasks[0], actor=a.member, note="补充", files=[])
    services.task_close(task=a.tasks[0], actor=a.office)
    closed = counts()
    assert closed["member"] == before["member"] - 1 and closed["office"] == before["office"]

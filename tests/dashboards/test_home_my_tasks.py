"""The home page's 我的任务 lists the member's tasks under one heading per plan (issue 15,
point 2): two plans may have tasks of the same title."""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import timezone

from plans import services as plan_services
from tasks.services import task_create
from tests.factories import PASSWORD, PlanFactory

pytestmark = pytest.mark.django_db


def test_my_tasks_are_grouped_under_their_plans_titles(client, county):
    a = county.a
    other = PlanFactory(school=a.school, title="课后服务实施方案")
    plan_services.seat_set(actor=None, plan=other, user=a.member, role="member")
    measure = plan_services.measure_create(actor=None, stage=other.stages.get(order=1), title="课后服务")
    soon = timezone.localdate() + datetime.timedelta(days=1)  # sooner than a's 印发文件: this plan comes first
    task_create(actor=None, measure=measure, title="印发文件", assignee=a.member, due_on=soon)
    assert client.login(username=a.member.username, password=PASSWORD)
    body = client.get("/").content.decode()
    section = body[body.index('id="my-tasks"'):body.index("本校实施方案")]
    groups = re.findall(r'<section class="my-tasks-plan" data-plan="(\d+)">(.*?)</section>', section, re.S)
    assert [int(pk) for pk, _ in groups] == [other.pk, a.plan.pk]
    assert "《课后服务实施方案》" in groups[0][1] and groups[0][1].count("<tr class") == 1
    first = groups[1][1]
    assert "《义务教育优质均衡发展实施方案》" in first and "印发文件" in first and "补充图书" in first
    assert first.count("<tr class") == 2 and "召开会议" not in section  # someone else's task

"""Cancelling a task or a measure reads in the history as 已取消 with 原因 (the reason), not 说明."""

from __future__ import annotations

from django.urls import reverse

from tasks.services import task_create
from tasks.services.cancelling import measure_cancel, task_cancel


def test_cancelled_task_and_measure_read_with_their_reason(client, county):
    a = county.a
    task = task_create(actor=None, measure=a.measure, title="不再需要的任务", assignee=a.member)
    task_cancel(task=task, actor=a.office, reason="上级已统一安排")
    measure_cancel(measure=a.measure, actor=a.office, reason="并入其他措施")
    client.force_login(a.leader)
    html = client.get(reverse("history:plan", args=[a.plan.pk])).content.decode()
    assert "原因:上级已统一安排" in html or "原因：上级已统一安排" in html
    assert "原因:并入其他措施" in html or "原因：并入其他措施" in html
    assert "说明:上级已统一安排" not in html and "说明：上级已统一安排" not in html
    assert "已取消" in html

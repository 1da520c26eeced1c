"""The bulk path (imports, template issues) shares task_create's guards and audit rows."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from audit.models import AuditEntry
from core.errors import DomainError, NotAllowed
from notifications.models import Notification
from tasks.models import Task
from tasks.services import NewTask, task_create, task_waive, tasks_create_bulk
from workflows.services import stage_complete


def _counts():
    return Task.objects.count(), AuditEntry.objects.count(), Notification.objects.count()


def test_bulk_rows_match_single_rows(county, django_capture_on_commit_callbacks):
    a = county.a
    due = datetime.date(2026, 12, 1)
    single = task_create(actor=a.office, measure=a.measure, title="单个", assignee=a.member, due_on=due)
    with django_capture_on_commit_callbacks(execute=True):
        (bulk,) = tasks_create_bulk(
            actor=a.office, plan=a.plan, items=[NewTask(a.measure, "批量", assignee=a.member, due_on=due)]
        )
    for task in (single, bulk):
        task.refresh_from_db()
    assert (bulk.status, bulk.assignee, bulk.plan, bulk.order) == (single.status, single.assignee, single.plan, single.order + 1)
    one, many = (AuditEntry.objects.get(action="tasks.task.created", target_id=t.pk) for t in (single, bulk))
    assert (one.actor, one.plan_id, one.to_state) == (many.actor, many.plan_id, many.to_state)
    assert many.data == {**one.data, "title": "批量", "bulk": True}
    assert Notification.objects.filter(recipient=a.member, kind="task_assigned", text__contains="1 项").exists()


@pytest.mark.parametrize(
    ("item", "error", "message"),
    [
        (lambda a: NewTask(a.measure, "  "), DomainError, "任务名称"),
        (lambda a: NewTask(a.measure, "x", assignee=a.staff), DomainError, "不在该方案的领导小组"),
        (lambda a: NewTask(a.measure, "x", weight=Decimal("-1")), DomainError, "负数"),
        (
            lambda a: NewTask(a.measure, "x", starts_on=datetime.date(2026, 5, 2), due_on=datetime.date(2026, 5, 1)),
            DomainError,
            "截止日期",
        ),
    ],
)
def test_one_bad_item_refuses_the_whole_batch(county, item, error, message):
    a = county.a
    before = _counts()
    with pytest.raises(error, match=message):
        tasks_create_bulk(actor=a.office, plan=a.plan, items=[NewTask(a.measure, "好的"), item(a)])
    assert _counts() == before


def test_bulk_needs_the_same_permission_as_task_create(county):
    a = county.a
    before = _counts()
    for user in (a.member, county.b.office, county.bureau_admin):
        with pytest.raises(NotAllowed):
            tasks_create_bulk(actor=user, plan=a.plan, items=[NewTask(a.measure, "x")])
    assert _counts() == before


def test_bulk_refuses_a_signed_off_stage_and_another_plans_measure(county):
    a = county.a
    for task in a.tasks[:3]:
        task_waive(task=task, actor=a.leader, reason="不涉及")
    stage_complete(stage=a.measure.stage, actor=a.leader)
    before = _counts()
    with pytest.raises(DomainError, match="已签署完成"):
        tasks_create_bulk(actor=a.office, plan=a.plan, items=[NewTask(a.measure, "x")])
    with pytest.raises(DomainError, match="不属于该方案"):
        tasks_create_bulk(actor=None, plan=a.plan, items=[NewTask(county.b.measure, "x")])
    assert _counts() == before

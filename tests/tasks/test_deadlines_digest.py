"""The deadline engine chases only work that can be done, judges lateness from the day a stage
opens, and tells each person once per plan and scan (issue 15, point 1).

In the county fixture, school a's tasks are: [0] 印发文件 (member, due in 5 days), [1] 召开会议
(member2, 2 days overdue), [2] 明确分工 (unassigned), all in the open 准备阶段, and [3] 补充图书
(member, no due date) in the 实施阶段, which has not opened.
"""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from notifications.models import Notification
from plans import services as plan_services
from plans.models import Plan, Stage
from tasks.deadlines import effective_due_on, scan_deadlines
from tasks.models import Reminder, Task
from tasks.rules import work_refusal
from tasks.services import task_create
from tests.factories import PlanFactory
from workflows.services import stage_complete

pytestmark = pytest.mark.django_db

R = Reminder.Kind
K = Notification.Kind


@pytest.fixture(autouse=True)
def only_school_a_has_deadlines(county):
    Notification.objects.all().delete()
    Task.objects.exclude(plan=county.a.plan).update(due_on=None)


def day(offset: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=offset)


def notes(user) -> list[Notification]:
    return list(Notification.objects.filter(recipient=user).select_related("plan").order_by("id"))


def sign_first_gate(a, *, days_ago: int = 0) -> Stage:
    """Close the 准备阶段's tasks and sign its gate (which opens the 实施阶段), ``days_ago``."""
    first = a.plan.stages.get(order=1)
    Task.objects.filter(measure__stage=first).update(status=Task.Status.CLOSED)
    stage_complete(stage=first, actor=a.leader)
    Stage.objects.filter(pk=first.pk).update(completed_at=timezone.now() - datetime.timedelta(days=days_ago))
    Notification.objects.all().delete()
    return a.plan.stages.get(order=2)


def test_overdue_tasks_of_a_stage_that_has_not_opened_are_neither_reminded_nor_escalated(county):
    a = county.a
    Task.objects.filter(pk=a.tasks[1].pk).update(due_on=None)
    Task.objects.filter(pk=a.tasks[0].pk).update(due_on=None)
    Task.objects.filter(pk=a.tasks[3].pk).update(due_on=day(-20))  # 实施阶段, not open
    task = Task.objects.select_related("measure__stage__plan").get(pk=a.tasks[3].pk)
    assert work_refusal(task) == "“实施阶段”尚未开启，本阶段任务暂不能办理。"  # what the task page says
    for offset in (0, 5, 30):
        assert scan_deadlines(today=day(offset)).total == 0
    assert not Reminder.objects.exists() and not Notification.objects.exists()


def test_tasks_of_a_plan_under_acceptance_are_not_chased(county):
    a = county.a
    Plan.objects.filter(pk=a.plan.pk).update(status=Plan.Status.ACCEPTANCE)  # read-only from 请验 on
    assert scan_deadlines(today=day(5)).total == 0
    assert not Notification.objects.exists()


def test_lateness_counts_from_the_day_the_stage_opens(county):
    a = county.a
    Task.objects.filter(pk=a.tasks[3].pk).update(due_on=day(-10))  # passed while the stage was closed
    second = sign_first_gate(a)
    assert second.status == Stage.Status.OPEN

    result = scan_deadlines()  # the opening day: the usual first reminder, not 10 days overdue
    assert result.sent == {R.DUE_SOON: 1}
    reminder = Reminder.objects.get(task=a.tasks[3])
    assert (reminder.kind, reminder.step, reminder.due_on) == (R.DUE_SOON, 3, day(3))
    (note,) = notes(a.member)
    assert note.kind == K.DUE_SOON and "还有3天到期" in note.text and "阶段开启后顺延" in note.text

    assert scan_deadlines(today=day(4)).sent == {R.OVERDUE: 1, R.ESCALATED_OFFICE: 1}  # 1 day late
    assert "已逾期1天" in notes(a.member)[-1].text
    assert not Reminder.objects.filter(kind=R.ESCALATED_LEADER).exists()
    assert scan_deadlines(today=day(6)).sent == {R.ESCALATED_LEADER: 1}  # 3 days after the shifted date


def test_a_stage_opened_long_ago_keeps_the_tasks_own_dates(county):
    a = county.a
    Task.objects.filter(pk=a.tasks[3].pk).update(due_on=day(-2))
    sign_first_gate(a, days_ago=30)
    result = scan_deadlines()
    assert result.sent == {R.OVERDUE: 1, R.ESCALATED_OFFICE: 1}
    assert Reminder.objects.get(task=a.tasks[3], kind=R.OVERDUE).due_on == day(-2)
    assert effective_due_on(day(-2), day(-30)) == day(-2)
    assert effective_due_on(day(-20), day(-1)) == day(2)
    assert effective_due_on(day(-20), None) == day(-20)


def ten_tasks(measure, assignee, due_on, prefix="任务"):
    tasks = [
        task_create(actor=None, measure=measure, title=f"{prefix}{i}", assignee=assignee, due_on=due_on)
        for i in range(10)
    ]
    Notification.objects.all().delete()  # the 任务分派 ones
    return tasks


def test_ten_due_tasks_of_one_plan_make_one_digest_and_ten_reminders(county):
    a = county.a
    Task.objects.filter(plan=a.plan).update(due_on=None)
    tasks = ten_tasks(a.measure, a.member, day(2))
    result = scan_deadlines()
    assert result.sent == {R.DUE_SOON: 10}
    (note,) = notes(a.member)
    assert note.kind == K.DUE_SOON and note.url == "/tasks/inbox/" and note.plan == a.plan
    assert note.text.startswith("有10项任务需要处理：您负责的任务中10项即将到期（“任务0”、“任务1”、“任务2”等）")
    assert note.shown_text.startswith("《义务教育优质均衡发展实施方案》有10项任务需要处理")
    # The history keeps one 催办 entry per task, each naming who was told.
    for task in tasks:
        reminder = Reminder.objects.get(task=task)
        assert reminder.kind == R.DUE_SOON and list(reminder.recipients.all()) == [a.member]
    assert Notification.objects.count() == 1
    assert scan_deadlines().total == 0 and Notification.objects.count() == 1


def test_two_plans_make_two_digests(county):
    a = county.a
    Task.objects.filter(plan=a.plan).update(due_on=None)
    other = PlanFactory(school=a.school, title="课后服务实施方案")
    plan_services.seat_set(actor=None, plan=other, user=a.member, role="member")
    measure = plan_services.measure_create(actor=None, stage=other.stages.get(order=1), title="课后服务")
    ten_tasks(a.measure, a.member, day(-1))
    ten_tasks(measure, a.member, day(1))  # the same titles in the other plan
    scan_deadlines()
    mine = notes(a.member)
    assert [(n.plan_id, n.kind) for n in mine] == [(a.plan.pk, K.OVERDUE), (other.pk, K.DUE_SOON)]
    assert "《义务教育优质均衡发展实施方案》有10项任务需要处理：您负责的任务中10项已逾期" in mine[0].shown_text
    assert "《课后服务实施方案》有10项任务需要处理：您负责的任务中10项即将到期" in mine[1].shown_text


def test_escalations_to_the_office_come_as_one_digest(county):
    a = county.a
    Task.objects.filter(plan=a.plan).update(due_on=None)
    ten_tasks(a.measure, a.member2, day(-2))
    result = scan_deadlines()
    assert result.sent == {R.OVERDUE: 10, R.ESCALATED_OFFICE: 10}
    (escalation,) = notes(a.office)
    assert escalation.kind == K.ESCALATION and escalation.url == f"/plans/{a.plan.pk}/"
    assert "有10项任务需要处理：10项他人负责的任务已逾期（最长2天：" in escalation.text and "请督促办理" in escalation.text
    assert len(notes(a.member2)) == 1 and notes(a.leader) == []
    assert Reminder.objects.filter(kind=R.ESCALATED_OFFICE, recipients=a.office).count() == 10


def test_a_single_task_keeps_its_own_text_and_link(county):
    a = county.a
    scan_deadlines()
    (note,) = notes(a.member2)
    assert note.url == f"/tasks/{a.tasks[1].pk}/" and note.text.startswith("任务“召开会议”已逾期2天")

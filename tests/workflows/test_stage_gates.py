"""Stage gates: only when every task is closed or waived, only by the leader, and the next stage opens."""

from __future__ import annotations

import pytest
from django.urls import reverse

from audit.models import AuditEntry
from core.errors import InvalidTransition, NotAllowed
from notifications.models import Notification
from plans.models import Plan, Stage
from tasks import services
from tasks.models import Task
from tests.factories import PASSWORD
from tests.workflow_helpers import pdf
from workflows.selectors import gate_status, gates_awaiting
from workflows.services import stage_complete

pytestmark = pytest.mark.django_db


def finish_stage_one(a):
    """Close the two assigned tasks of stage 1 and waive the unassigned one."""
    for task, who in ((a.tasks[0], a.member), (a.tasks[1], a.member2)):
        services.task_submit(task=task, actor=who, files=[pdf()])
        services.task_close(task=task, actor=a.office)
    services.task_waive(task=a.tasks[2], actor=a.leader, reason="已由上级统一印发")


def test_gate_is_blocked_while_tasks_are_open(county):
    a = county.a
    stage = a.plan.stages.get(order=1)
    status = gate_status(stage)
    assert not status.ready and len(status.open_tasks) == 3
    with pytest.raises(InvalidTransition, match="3 项任务未完成"):
        stage_complete(stage=stage, actor=a.leader)
    assert fresh_stage(stage).status == Stage.Status.OPEN


def fresh_stage(stage):
    return Stage.objects.get(pk=stage.pk)


def test_leader_signs_and_the_next_stage_opens(county, django_capture_on_commit_callbacks):
    a = county.a
    finish_stage_one(a)
    stage = a.plan.stages.get(order=1)
    assert list(gates_awaiting(a.leader)) == [stage]
    assert Notification.objects.filter(recipient=a.leader, kind="gate_ready").exists()
    with django_capture_on_commit_callbacks(execute=True):
        stage_complete(stage=stage, actor=a.leader)
    stage = fresh_stage(stage)
    assert stage.status == Stage.Status.COMPLETED and stage.completed_by == a.leader
    nxt = a.plan.stages.get(order=2)
    assert nxt.status == Stage.Status.OPEN
    assert AuditEntry.objects.filter(action="plans.stage.completed", target_id=stage.pk).count() == 1
    assert AuditEntry.objects.filter(action="plans.stage.opened", target_id=nxt.pk).count() == 1
    assert Notification.objects.filter(kind="stage_opened", recipient=a.member).exists()
    later = services.task_start(task=a.tasks[3], actor=a.member)  # now actionable
    assert later.status == Task.Status.IN_PROGRESS
    with pytest.raises(InvalidTransition, match="已签署完成"):
        services.task_reopen(task=a.tasks[0], actor=a.leader, reason="x")
    assert list(gates_awaiting(a.leader)) == []


def test_only_the_leader_signs(county):
    a = county.a
    finish_stage_one(a)
    stage = a.plan.stages.get(order=1)
    for user in (a.deputy, a.office, a.member, county.b.leader, county.inspector):
        with pytest.raises(NotAllowed):
            stage_complete(stage=stage, actor=user)
    assert fresh_stage(stage).status == Stage.Status.OPEN
    assert not AuditEntry.objects.filter(action="plans.stage.completed").exists()


def test_signing_twice_is_refused(county):
    a = county.a
    finish_stage_one(a)
    stage = a.plan.stages.get(order=1)
    stage_complete(stage=stage, actor=a.leader)
    with pytest.raises(InvalidTransition, match="已由他人签署"):
        stage_complete(stage=stage, actor=a.leader)
    assert AuditEntry.objects.filter(action="plans.stage.completed").count() == 1


def test_the_last_gate_does_not_complete_the_plan(client, county):
    """Only the bureau's acceptance completes a plan (acceptance.flows.PlanFlow); the last gate
    just closes the acceptance stage, and its page says what comes next."""
    a = county.a
    finish_stage_one(a)
    stage_complete(stage=a.plan.stages.get(order=1), actor=a.leader)
    services.task_waive(task=a.tasks[3], actor=a.leader, reason="不适用")
    stage_complete(stage=a.plan.stages.get(order=2), actor=a.leader)
    last = a.plan.stages.get(order=3)
    assert client.login(username=a.leader.username, password=PASSWORD)
    body = client.get(reverse("workflows:stage_gate", args=[last.pk])).content.decode()
    assert "申请验收" in body and "进入下一阶段" not in body
    stage_complete(stage=last, actor=a.leader)  # a stage without tasks
    assert fresh_stage(last).status == Stage.Status.COMPLETED
    assert Plan.objects.get(pk=a.plan.pk).status == Plan.Status.ACTIVE
    assert not AuditEntry.objects.filter(action="plans.plan.status_changed").exists()


def test_gate_page_explains_why_the_button_is_disabled(client, county):
    a = county.a
    stage = a.plan.stages.get(order=1)
    assert client.login(username=a.leader.username, password=PASSWORD)
    body = client.get(reverse("workflows:stage_gate", args=[stage.pk])).content.decode()
    assert "暂不能签署" in body and "3 项任务未完成" in body and "disabled" in body and "召开会议" in body
    client.logout()
    assert client.login(username=a.deputy.username, password=PASSWORD)
    body = client.get(reverse("workflows:stage_gate", args=[stage.pk])).content.decode()
    assert "只有领导小组组长可以签署" in body
    assert client.post(reverse("workflows:stage_sign", args=[stage.pk])).status_code == 403


def test_gate_page_of_another_school_is_404(client, county):
    assert client.login(username=county.b.leader.username, password=PASSWORD)
    stage = county.a.plan.stages.get(order=1)
    assert client.get(reverse("workflows:stage_gate", args=[stage.pk])).status_code == 404
    assert client.post(reverse("workflows:stage_sign", args=[stage.pk])).status_code == 404
    assert fresh_stage(stage).status == Stage.Status.OPEN


def test_waived_task_stays_visible_with_its_reason(client, county):
    a = county.a
    services.task_waive(task=a.tasks[2], actor=a.leader, reason="已由上级统一印发")
    assert client.login(username=a.staff.username, password=PASSWORD)
    body = client.get(reverse("tasks:task_detail", args=[a.tasks[2].pk])).content.decode()
    assert "已豁免" in body and "已由上级统一印发" in body

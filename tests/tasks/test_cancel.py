"""Cancelling a task or a measure with a reason (issue 12, "no hard delete"): audited, told to the
people who had the work, left out of the rollups, the reminders and the gate, and never worked again."""

from __future__ import annotations

import pytest
from django.utils import timezone

from audit.models import AuditEntry
from core.errors import DomainError, InvalidTransition, NotAllowed
from dashboards.rollups import plan_progress
from notifications.models import Notification
from plans import services as plan_services
from plans.models import Measure, Plan
from tasks import services
from tasks.deadlines import scan_deadlines
from tasks.models import Reminder, Task
from tests.workflow_helpers import fresh, to_state
from workflows.services import stage_complete

pytestmark = pytest.mark.django_db


def test_a_cancelled_task_keeps_its_reason_tells_the_assignee_and_is_audited(
    county, django_capture_on_commit_callbacks
):
    a = county.a
    task = to_state(a, "in_progress")
    with django_capture_on_commit_callbacks(execute=True):
        services.task_cancel(task=task, actor=a.office, reason="上级通知不再开展")
    task = fresh(task)
    assert (task.status, task.cancelled, task.cancel_reason) == (Task.Status.CLOSED, True, "上级通知不再开展")
    assert task.state_label == "已取消"
    entry = AuditEntry.objects.get(action="tasks.task.cancelled", target_id=task.pk)
    assert (entry.from_state, entry.reason, entry.actor) == ("in_progress", "上级通知不再开展", a.office)
    note = Notification.objects.get(recipient=a.member, text__contains="已取消")
    assert "上级通知不再开展" in note.text


def test_a_cancelled_task_cannot_be_worked_reopened_edited_or_cancelled_again(county):
    a = county.a
    task = services.task_cancel(task=a.tasks[0], actor=a.leader, reason="重复")
    before = (fresh(task).version, AuditEntry.objects.count())
    for call in (
        lambda: services.task_start(task=task, actor=a.member),
        lambda: services.task_submit(task=task, actor=a.member),
        lambda: services.task_reopen(task=task, actor=a.leader, reason="x"),
        lambda: services.task_waive(task=task, actor=a.leader, reason="x"),
        lambda: services.task_update(task=task, actor=a.leader, title="x"),
        lambda: services.task_cancel(task=task, actor=a.leader, reason="x"),
        lambda: services.task_assign(task=task, actor=a.leader, assignee=a.member2),
    ):
        with pytest.raises(InvalidTransition):
            call()
    assert (fresh(task).version, AuditEntry.objects.count()) == before


def test_a_reason_is_required_and_a_plan_in_acceptance_refuses(county):
    a = county.a
    task = a.tasks[0]
    with pytest.raises(DomainError, match="取消理由"):
        services.task_cancel(task=task, actor=a.leader, reason="  ")
    Plan.objects.filter(pk=a.plan.pk).update(status=Plan.Status.ACCEPTANCE)
    with pytest.raises(InvalidTransition):
        services.task_cancel(task=task, actor=a.leader, reason="x")
    with pytest.raises(InvalidTransition):
        services.measure_cancel(measure=a.measure, actor=a.leader, reason="x")
    Plan.objects.filter(pk=a.plan.pk).update(status=Plan.Status.RECTIFYING)
    with pytest.raises(InvalidTransition, match="整改中"):
        services.task_cancel(task=task, actor=a.leader, reason="x")
    assert not Task.objects.filter(cancelled=True).exists()
    assert not Measure.objects.filter(cancelled=True).exists()


def test_a_cancelled_task_counts_neither_as_done_nor_as_due(county):
    a = county.a
    overdue = a.tasks[1]  # due two days ago
    before = plan_progress([a.plan.pk])[a.plan.pk].measures[a.measure.pk]
    assert (before.total, before.done, before.overdue) == (3, 0, 1)
    services.task_cancel(task=overdue, actor=a.leader, reason="不再需要")
    after = plan_progress([a.plan.pk])[a.plan.pk].measures[a.measure.pk]
    assert (after.total, after.done, after.overdue) == (2, 0, 0)
    summary = plan_progress([a.plan.pk], detail=False)[a.plan.pk]
    assert (summary.total, summary.done, summary.overdue) == (3, 0, 0)  # 2 here + 1 in stage 2
    assert not fresh(overdue).is_overdue


def test_the_deadline_engine_does_not_remind_a_cancelled_task(county):
    a = county.a
    overdue, control = a.tasks[1], a.tasks[0]
    Task.objects.filter(pk=control.pk).update(due_on=overdue.due_on)  # both two days late
    services.task_cancel(task=overdue, actor=a.leader, reason="不再需要")
    scan_deadlines(today=timezone.localdate())
    assert not Reminder.objects.filter(task=overdue).exists()
    assert Reminder.objects.filter(task=control).exists()  # the engine did run


def test_a_cancelled_task_does_not_block_the_gate(county):
    a = county.a
    for task in a.tasks[:2]:
        services.task_submit(task=task, actor=task.assignee)
        services.task_close(task=task, actor=a.office)
    services.task_cancel(task=a.tasks[2], actor=a.office, reason="并入其他任务")
    assert Notification.objects.filter(recipient=a.leader, kind=Notification.Kind.GATE_READY).exists()
    stage = stage_complete(stage=a.plan.stages.get(order=1), actor=a.leader)
    assert stage.status == "completed"


def test_cancelling_a_measure_cancels_its_open_tasks_only(county, django_capture_on_commit_callbacks):
    a = county.a
    done = to_state(a, "closed")
    with django_capture_on_commit_callbacks(execute=True):
        cancelled = services.measure_cancel(measure=a.measure, actor=a.deputy, reason="本年度不实施")
    assert {t.pk for t in cancelled} == {a.tasks[1].pk, a.tasks[2].pk}
    measure = Measure.objects.get(pk=a.measure.pk)
    assert (measure.cancelled, measure.cancel_reason) == (True, "本年度不实施")
    assert measure.cancelled_at is not None
    assert not fresh(done).cancelled and fresh(done).status == Task.Status.CLOSED
    rows = AuditEntry.objects.filter(action="tasks.task.cancelled")
    assert {(r.target_id, r.from_state, r.reason) for r in rows} == {
        (a.tasks[1].pk, "assigned", "本年度不实施"),
        (a.tasks[2].pk, "unassigned", "本年度不实施"),
    }
    row = AuditEntry.objects.get(action="plans.measure.cancelled", target_id=measure.pk)
    assert sorted(row.data["tasks"]) == sorted(t.pk for t in cancelled) and row.reason == "本年度不实施"
    # told: the owner (leader) and the assignee of the open task (member2); not the actor
    told = set(Notification.objects.filter(text__contains="本年度不实施").values_list("recipient__username", flat=True))
    assert told == {"a_leader", "a_member2"}
    progress = plan_progress([a.plan.pk])[a.plan.pk]
    assert a.measure.pk not in progress.measures


def test_a_cancelled_measure_takes_no_new_task_and_no_edit(county):
    a = county.a
    services.measure_cancel(measure=a.measure, actor=a.leader, reason="取消")
    with pytest.raises(DomainError, match="已取消"):
        services.task_create(actor=a.leader, measure=a.measure, title="新任务")
    with pytest.raises(DomainError, match="已取消"):
        plan_services.measure_update(actor=a.leader, measure=a.measure, title="x")
    with pytest.raises(InvalidTransition, match="已取消"):
        services.measure_cancel(measure=a.measure, actor=a.leader, reason="again")
    assert Task.objects.filter(measure=a.measure).count() == 3


@pytest.mark.parametrize("who", ["member", "staff", "b_leader", "inspector", "bureau_admin"])
def test_only_the_plan_managers_cancel(county, who):
    a = county.a
    actor = {"b_leader": county.b.leader, "inspector": county.inspector, "bureau_admin": county.bureau_admin}.get(
        who
    ) or getattr(a, who)
    before = AuditEntry.objects.count()
    with pytest.raises(NotAllowed):
        services.task_cancel(task=a.tasks[0], actor=actor, reason="x")
    with pytest.raises(NotAllowed):
        services.measure_cancel(measure=a.measure, actor=actor, reason="x")
    assert AuditEntry.objects.count() == before
    assert not Task.objects.filter(cancelled=True).exists() and not Measure.objects.filter(cancelled=True).exists()


def test_the_task_page_cancels_with_a_confirm_and_shows_the_reason(client, county):
    a = county.a
    task = a.tasks[0]
    client.force_login(a.member)
    assert "cancel-form" not in client.get(f"/tasks/{task.pk}/").content.decode()
    assert client.post(f"/tasks/{task.pk}/act/cancel/", {"reason": "x", "version": task.version}).status_code == 403
    client.force_login(a.office)
    page = client.get(f"/tasks/{task.pk}/").content.decode()
    assert 'id="cancel-form"' in page and "data-confirm=" in page
    client.post(f"/tasks/{task.pk}/act/cancel/", {"reason": "", "version": task.version})
    assert not fresh(task).cancelled  # no reason: nothing happens
    client.post(f"/tasks/{task.pk}/act/cancel/", {"reason": "合并到其他任务", "version": task.version})
    assert fresh(task).cancelled
    page = client.get(f"/tasks/{task.pk}/").content.decode()
    assert "已取消" in page and "合并到其他任务" in page and "取消任务" in page  # state, reason, history
    assert 'id="cancel-form"' not in page


def test_the_measure_page_cancels_with_a_reason(client, county):
    a = county.a
    url = f"/plans/{a.plan.pk}/measures/{a.measure.pk}/cancel/"
    client.force_login(a.member)
    assert client.post(url, {"cancel-reason": "x"}).status_code == 404  # cannot see the edit pages
    client.force_login(county.b.leader)
    assert client.post(url, {"cancel-reason": "x"}).status_code == 404
    client.force_login(a.deputy)
    page = client.get(f"/plans/{a.plan.pk}/measures/{a.measure.pk}/edit/").content.decode()
    assert 'id="measure-cancel-form"' in page and "data-confirm=" in page
    client.post(url, {"cancel-reason": ""})
    assert not Measure.objects.get(pk=a.measure.pk).cancelled
    response = client.post(url, {"cancel-reason": "本年度不实施"})
    assert response.status_code == 302
    assert Measure.objects.get(pk=a.measure.pk).cancelled
    plan_page = client.get(f"/plans/{a.plan.pk}/").content.decode()
    assert "本年度不实施" in plan_page and "已取消" in plan_page

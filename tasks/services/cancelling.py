"""Cancelling (已取消) instead of deleting: a task, or a measure with all its open tasks, each with
a written reason. A cancelled task stays on the plan and in the history but cannot be worked, is
not reminded, and counts neither as done nor as due in the rollups (tasks.models.Task.cancelled)."""

from __future__ import annotations

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from audit.services import audit_entry, audit_record_many
from notifications import push
from notifications.models import Notification
from notifications.services import notify
from orgs.models import User
from plans import services as plan_services
from plans.models import Measure
from tasks.models import Task
from tasks.rules import check_task_action
from tasks.services._steps import _begin, _maybe_gate_ready, _move, _plan_changed, _record, _require_reason, _save


def _mark(task: Task, reason: str) -> str:
    """The one way a task becomes cancelled (single and measure-wide path); returns its old status."""
    old = _move(task, "cancel")
    task.cancelled = True
    task.cancel_reason = reason
    task.closed_at = task.updated_at = timezone.now()
    return old


@transaction.atomic
def task_cancel(*, task: Task | int, actor: User, reason: str, expected_version: int | None = None) -> Task:
    """Cancel an open task with a reason (leader, deputy or office, while the plan is 实施中 and the
    stage is not signed off). The assignee is told; the leader hears when the stage's gate is ready."""
    task = _begin(task, actor, expected_version, "cancel")
    reason = _require_reason(reason, "取消理由")
    old = _mark(task, reason)
    _save(task, "cancelled", "cancel_reason", "closed_at")
    if task.assignee_id:
        notify(
            recipients=[task.assignee],
            kind=Notification.Kind.TASK_CLOSED,
            text=f"任务“{task.title}”已取消：{reason}",
            url=task.get_absolute_url(),
            plan=task.plan,
            exclude=actor,
        )
    _maybe_gate_ready(task)
    _record(task, actor, "tasks.task.cancelled", old, reason=reason)
    return task


@transaction.atomic
def measure_cancel(*, measure: Measure | int, actor: User, reason: str) -> list[Task]:
    """Cancel a measure and every open task under it, with one reason; returns the tasks cancelled.

    Each task passes the single path's rule (tasks.rules "cancel") and gets its own audit row with
    its old status; the measure's row lists them. The measure's owner and the tasks' assignees are
    told once each. All or nothing.
    """
    reason = _require_reason(reason, "取消理由")
    measure_id = measure.pk if isinstance(measure, Measure) else measure
    # Lock order: tasks before their measure. A task transition holds its task and then shares its
    # measure's row (the tally trigger); taking the measure first would deadlock with it. Every
    # task of the measure, closed ones too (a reopen is a transition).
    locked = Task.objects.select_for_update(of=("self",)).filter(measure_id=measure_id).order_by("pk")
    list(locked.values_list("pk"))
    measure = plan_services.measure_mark_cancelled(actor=actor, measure=measure, reason=reason)
    plan = measure.stage.plan
    # Read again: a task reopened while we waited for the measure is open now (and locked here).
    tasks = list(locked.exclude(status=Task.Status.CLOSED).select_related("assignee"))
    entries = []
    for task in tasks:
        task.measure, task.plan = measure, plan
        check_task_action(actor, task, "cancel")
        old = _mark(task, reason)
        task.version += 1
        entries.append(
            audit_entry(
                actor=actor,
                action="tasks.task.cancelled",
                target=task,
                plan=plan,
                old=old,
                new=task.status,
                reason=reason,
                data={"measure": measure.pk},
            )
        )
    Task.objects.bulk_update(tasks, ["status", "cancelled", "cancel_reason", "closed_at", "version", "updated_at"])
    people = [measure.owner, *(t.assignee for t in tasks)]
    notify(
        recipients=people,
        kind=Notification.Kind.TASK_CLOSED,
        text=f"措施“{measure.title}”已取消（{len(tasks)} 项未完成任务一并取消）：{reason}",
        url=reverse("plans:plan_detail", args=[plan.pk]) + f"#measure-{measure.pk}",
        plan=plan,
        exclude=actor,
    )
    if tasks:
        _maybe_gate_ready(tasks[0])
    entries.append(
        audit_entry(
            actor=actor,
            action="plans.measure.cancelled",
            target=measure,
            plan=plan,
            old="active",
            new="cancelled",
            reason=reason,
            data={"title": measure.title, "tasks": [t.pk for t in tasks]},
        )
    )
    # The audit rows go last: writing them takes the hash chain's lock, held until commit.
    audit_record_many(entries)
    _plan_changed(plan.pk)
    versions = [(task.pk, task.version) for task in tasks]
    transaction.on_commit(lambda: push.objects_changed(plan.pk, "task", versions))
    return tasks

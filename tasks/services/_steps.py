"""Shared steps of the task services: lock, version, the action's rule (tasks.rules), the fsm move,
the audit row and the notifications. Only the modules of this package use them."""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import Any

from django.db import transaction
from django.urls import reverse

from audit.services import audit_record
from core.errors import DomainError, StaleObject
from notifications import push
from notifications.models import Notification
from notifications.services import notify
from orgs.models import User
from plans.models import LeadingGroupMember, Measure
from tasks.flows import TaskFlow
from tasks.models import Task
from tasks.rules import RULES, check_task_action

Role = LeadingGroupMember.Role
REVIEWER_ROLES = (Role.LEADER, Role.DEPUTY, Role.OFFICE)


def _locked(task: Task | int) -> Task:
    """Re-read the task under a row lock, then read its plan and stage in a statement of their own.

    Only the task row is locked. The stage is read after the lock is held so that, on PostgreSQL,
    a gate signed while we waited is seen (a joined row would come from the older snapshot).
    """
    pk = task.pk if isinstance(task, Task) else task
    task = Task.objects.select_for_update(of=("self",)).select_related("assignee").get(pk=pk)
    task.measure = Measure.objects.select_related("stage__plan__school").get(pk=task.measure_id)
    task.plan = task.measure.stage.plan
    return task


def _check_version(task: Task, expected_version: int | None) -> None:
    if expected_version is not None and task.version != expected_version:
        raise StaleObject(f"任务“{task.title}”已被他人更新（当前状态：{task.get_status_display()}），请刷新页面后再操作。")


def _begin(task: Task | int, actor: User, expected_version: int | None, action: str) -> Task:
    """The first steps of every transition: lock, the version the page saw, the action's rule."""
    task = _locked(task)
    _check_version(task, expected_version)
    check_task_action(actor, task, action)
    return task


def _move(task: Task, action: str) -> str:
    """Apply the action's fsm transition (its rule has been checked); returns the old status."""
    old = task.status
    transition = RULES[action].transition
    assert transition is not None, action
    getattr(TaskFlow(task), transition(task))()
    return old


def _save(task: Task, *fields: str) -> None:
    task.version += 1
    task.save(update_fields=["status", "version", "updated_at", *fields])


def _require_reason(reason: str, what: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(f"请填写{what}。")
    return reason


def _record(
    task: Task, actor: User, action: str, old: str, reason: str = "", data: dict[str, Any] | None = None
) -> None:
    """The audit row of a transition, and the after-commit hint that the plan's numbers changed.
    Transitions call it last: the audit write takes the hash chain's lock (audit.chain), held until
    commit, so nothing else should run after it."""
    audit_record(
        actor=actor, action=action, target=task, plan=task.plan_id, old=old, new=task.status, reason=reason, data=data
    )
    _plan_changed(task.plan_id)
    transaction.on_commit(partial(push.object_changed, task.plan_id, "task", task.pk, task.version))


def _tell_assignee(task: Task, actor: User, kind: str, text: str) -> None:
    if task.assignee_id:
        notify(
            recipients=[task.assignee],
            kind=kind,
            text=text,
            url=_task_url(task),
            plan=task.plan,
            exclude=actor,
        )


def _task_url(task: Task) -> str:
    return task.get_absolute_url()


def _seats(plan_id: int, roles: Iterable[str]) -> list[User]:
    return [
        seat.user
        for seat in LeadingGroupMember.objects.filter(plan_id=plan_id, role__in=list(roles)).select_related("user")
    ]


def _plan_changed(plan_id: int) -> None:
    transaction.on_commit(lambda: push.plan_changed(plan_id))


def _maybe_gate_ready(task: Task) -> None:
    """Tell the leader when the last open task of a stage is done."""
    stage = task.measure.stage
    if Task.objects.filter(measure__stage=stage).exclude(status=Task.Status.CLOSED).exists():
        return
    notify(
        recipients=_seats(task.plan_id, [Role.LEADER]),
        kind=Notification.Kind.GATE_READY,
        text=f"“{stage.name}”的任务已全部完成，请签署阶段关口。",
        url=reverse("workflows:stage_gate", args=[stage.pk]),
        plan=task.plan,
    )

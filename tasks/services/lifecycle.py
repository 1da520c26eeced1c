"""The work itself: the assignee starts and submits; reviewers close or return; the leader
reopens or waives."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone

from core.uploads import StagedFile
from notifications.models import Notification
from notifications.services import notifications_settle, notify
from orgs.models import User
from tasks.models import Comment, Task
from tasks.services._steps import (
    REVIEWER_ROLES,
    _begin,
    _maybe_gate_ready,
    _move,
    _record,
    _require_reason,
    _save,
    _seats,
    _task_url,
    _tell_assignee,
)
from tasks.services.discussion import _store_evidence, staged_evidence

# --- the assignee's side -----------------------------------------------------------------------


@transaction.atomic
def task_start(*, task: Task | int, actor: User, expected_version: int | None = None) -> Task:
    """The assignee starts work: 待办/已退回 → 进行中."""
    task = _begin(task, actor, expected_version, "start")
    old = _move(task, "start")
    _save(task)
    _record(task, actor, "tasks.task.started", old)
    return task


def task_submit(
    *,
    task: Task | int,
    actor: User,
    note: str = "",
    files: Iterable[Any] = (),
    expected_version: int | None = None,
) -> Task:
    """The assignee hands the work in (with a note and evidence files): → 待审核. Reviewers are told.

    The files are checked and stored first, outside the task's lock; a refused submission removes them.
    """
    with staged_evidence(task, files) as staged:
        return _submit(task=task, actor=actor, note=note, staged=staged, expected_version=expected_version)


@transaction.atomic
def _submit(
    *, task: Task | int, actor: User, note: str, staged: list[StagedFile], expected_version: int | None
) -> Task:
    task = _begin(task, actor, expected_version, "submit")
    old = _move(task, "submit")
    for item in staged:
        _store_evidence(task, actor, item)
    task.submitted_at = timezone.now()
    _save(task, "submitted_at")
    if note.strip():
        Comment.objects.create(task=task, author=actor, body=f"【提交说明】{note.strip()}")
    notify(
        recipients=_seats(task.plan_id, REVIEWER_ROLES),
        kind=Notification.Kind.TASK_SUBMITTED,
        text=f"{actor} 提交了任务“{task.title}”，请审核。",
        url=_task_url(task),
        plan=task.plan,
        exclude=actor,
    )
    _record(task, actor, "tasks.task.submitted", old, reason=note)
    return task


# --- the reviewers' and the leader's side -------------------------------------------------------


@transaction.atomic
def task_close(*, task: Task | int, actor: User, comment: str = "", expected_version: int | None = None) -> Task:
    """A reviewer accepts the work: 待审核 → 已完成. The assignee is told."""
    task = _begin(task, actor, expected_version, "close")
    old = _move(task, "close")
    task.closed_at = timezone.now()
    _save(task, "closed_at")
    _tell_assignee(task, actor, Notification.Kind.TASK_CLOSED, f"任务“{task.title}”已审核通过。")
    notifications_settle(kind=Notification.Kind.TASK_SUBMITTED, url=task.get_absolute_url())  # reviewed
    _maybe_gate_ready(task)
    _record(task, actor, "tasks.task.closed", old, reason=comment)
    return task


@transaction.atomic
def task_return(*, task: Task | int, actor: User, reason: str, expected_version: int | None = None) -> Task:
    """A reviewer sends the work back with a reason: 待审核 → 已退回. The assignee is told."""
    task = _begin(task, actor, expected_version, "return")
    reason = _require_reason(reason, "退回理由")
    old = _move(task, "return")
    task.return_reason = reason
    _save(task, "return_reason")
    _tell_assignee(task, actor, Notification.Kind.TASK_RETURNED, f"任务“{task.title}”被退回：{reason}")
    notifications_settle(kind=Notification.Kind.TASK_SUBMITTED, url=task.get_absolute_url())  # reviewed
    _record(task, actor, "tasks.task.returned", old, reason=reason)
    return task


@transaction.atomic
def task_reopen(*, task: Task | int, actor: User, reason: str, expected_version: int | None = None) -> Task:
    """The leader reopens a closed task with a reason: 已完成 → 已退回 (back to the assignee)."""
    task = _begin(task, actor, expected_version, "reopen")
    reason = _require_reason(reason, "重新打开的理由")
    old = _move(task, "reopen")
    task.return_reason = reason
    task.closed_at = None
    _save(task, "return_reason", "closed_at")
    _tell_assignee(task, actor, Notification.Kind.TASK_REOPENED, f"任务“{task.title}”已被组长重新打开：{reason}")
    _record(task, actor, "tasks.task.reopened", old, reason=reason)
    return task


@transaction.atomic
def task_waive(*, task: Task | int, actor: User, reason: str, expected_version: int | None = None) -> Task:
    """The leader exempts an open task with a written reason; it then counts as done (已豁免)."""
    task = _begin(task, actor, expected_version, "waive")
    reason = _require_reason(reason, "豁免理由")
    old = _move(task, "waive")
    task.waived = True
    task.waive_reason = reason
    task.closed_at = timezone.now()
    _save(task, "waived", "waive_reason", "closed_at")
    _tell_assignee(task, actor, Notification.Kind.TASK_CLOSED, f"任务“{task.title}”已由组长豁免：{reason}")
    _maybe_gate_ready(task)
    _record(task, actor, "tasks.task.waived", old, reason=reason)
    return task

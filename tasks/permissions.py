"""Who may do what to a task. Role checks only: tasks.rules combines them with the stage and state
guards into one rule per action, which pages and services both ask."""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone

from plans.permissions import can_manage_plan_tasks, can_sign_plan_gate, can_view_plan, can_work_on_plan
from tasks.models import Comment, Task


def can_view_task(user: Any, task: Task) -> bool:
    return can_view_plan(user, task.plan)


def can_create_task(user: Any, plan: Any) -> bool:
    """Leader, deputy and office create tasks under a measure."""
    return can_manage_plan_tasks(user, plan)


def can_assign_task(user: Any, task: Task) -> bool:
    """Leader, deputy and office assign and reassign."""
    return can_manage_plan_tasks(user, task.plan)


def is_assignee(user: Any, task: Task) -> bool:
    return bool(user.is_authenticated and task.assignee_id == user.pk and can_work_on_plan(user, task.plan))


def can_work_task(user: Any, task: Task) -> bool:
    """Only the assignee starts and submits."""
    return is_assignee(user, task)


def can_review_task(user: Any, task: Task) -> bool:
    """Office, deputy or leader of the task's plan close or return it."""
    return can_manage_plan_tasks(user, task.plan)


def can_reopen_task(user: Any, task: Task) -> bool:
    """Only the leader reopens a closed task."""
    return can_sign_plan_gate(user, task.plan)


def can_waive_task(user: Any, task: Task) -> bool:
    """Only the leader waives a task."""
    return can_sign_plan_gate(user, task.plan)


def can_cancel_task(user: Any, task: Task) -> bool:
    """Whoever may edit the task (leader, deputy, office) may cancel it: plans.permissions
    can_cancel_measure is the same check one level up."""
    return can_manage_plan_tasks(user, task.plan)


def can_add_evidence(user: Any, task: Task) -> bool:
    """The assignee, and the office side of the leading group, file evidence."""
    return is_assignee(user, task) or can_manage_plan_tasks(user, task.plan)


def can_comment_task(user: Any, task: Task) -> bool:
    """Members of the plan's leading group take part in the thread."""
    return can_work_on_plan(user, task.plan)


COMMENT_WITHDRAW_HOURS = 24


def comment_withdraw_window_open(comment: Comment, now: datetime.datetime | None = None) -> bool:
    """Its author may withdraw a comment for COMMENT_WITHDRAW_HOURS after posting it."""
    return (now or timezone.now()) - comment.created_at <= datetime.timedelta(hours=COMMENT_WITHDRAW_HOURS)


def can_withdraw_comment(user: Any, comment: Comment) -> bool:
    """The author, still on the plan's leading group and within COMMENT_WITHDRAW_HOURS of posting;
    the plan's leader, deputy and office, at any time. A withdrawn comment stays withdrawn."""
    if comment.withdrawn_at is not None:
        return False
    plan = comment.task.plan
    if can_manage_plan_tasks(user, plan):
        return True
    return comment.author_id == getattr(user, "pk", None) and can_work_on_plan(user, plan) and (
        comment_withdraw_window_open(comment)
    )


def can_nudge_task(user: Any, task: Task) -> bool:
    """Leader, deputy and office of the task's plan may 催办 by hand."""
    return can_manage_plan_tasks(user, task.plan)

"""Reads for tasks, scoped to what the viewing user may see."""

from __future__ import annotations

from typing import Any

from django.db.models import F, QuerySet
from django.http import Http404

from orgs.permissions import permission_cache
from plans.models import Stage
from plans.selectors import plan_ids_granted, visible_plans
from tasks.models import Reminder, Task
from tasks.rules import task_action_refusal


def visible_tasks(user: Any) -> QuerySet[Task]:
    return Task.objects.filter(plan__in=visible_plans(user))


def task_for(user: Any, pk: int) -> Task:
    """The task if the user may see its plan; 404 otherwise."""
    task = (
        visible_tasks(user)
        .select_related("plan", "plan__school", "measure", "measure__stage", "assignee")
        .filter(pk=pk)
        .first()
    )
    if task is None:
        raise Http404("任务不存在或您无权查看。")
    return task


def open_tasks_of(user: Any) -> QuerySet[Task]:
    """The user's own unfinished tasks, overdue and soonest due first, undated last (on every
    database: SQLite would put them first)."""
    return (
        visible_tasks(user)
        .filter(assignee=user, status__in=Task.OPEN_STATUSES, waived=False)
        .exclude(status=Task.Status.SUBMITTED)
        .select_related("plan", "plan__school", "measure", "measure__stage")
        .order_by(F("due_on").asc(nulls_last=True), "id")
    )


def work_grants(user: Any) -> dict[str, set[int]]:
    """Plans the user reviews (``manage_plan_tasks``) and leads (``sign_plan_gate``), cached on the user."""
    cache = permission_cache(user)
    if "work_grants" not in cache:
        cache["work_grants"] = plan_ids_granted(user, "manage_plan_tasks", "sign_plan_gate")
    grants: dict[str, set[int]] = cache["work_grants"]
    return grants


def tasks_to_review(user: Any) -> QuerySet[Task]:
    """Submitted tasks of plans the user reviews, oldest submission first."""
    managed = work_grants(user)["manage_plan_tasks"]
    if not managed:
        return Task.objects.none()
    return (
        Task.objects.filter(plan_id__in=managed, status=Task.Status.SUBMITTED)
        .select_related("plan", "plan__school", "measure", "measure__stage", "assignee")
        .order_by("submitted_at", "id")
    )


def tasks_to_do(user: Any) -> QuerySet[Task]:
    """The user's tasks that wait for them to act (in open stages), due soonest first, undated last."""
    return (
        open_tasks_of(user)
        .filter(measure__stage__status=Stage.Status.OPEN)
        .order_by(F("due_on").asc(nulls_last=True), "id")
    )


def task_reminders(task: Task) -> list[Reminder]:
    """催办 entries of a task, newest first, with actor and recipients loaded (two queries)."""
    return list(task.reminders.select_related("actor").prefetch_related("recipients").order_by("-created_at", "-id"))


def task_reminder_context(user: Any, task: Task) -> dict[str, Any]:
    """Context for templates/tasks/_task_reminders.html. The caller has already checked that the
    user may see the task."""
    return {"task": task, "reminders": task_reminders(task), "can_nudge": task_action_refusal(user, task, "nudge") is None}

"""Reads for tasks, scoped to what the viewing user may see."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from plans.selectors import visible_plans
from tasks.models import Task


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
    """The user's own unfinished tasks, overdue and soonest due first."""
    return (
        visible_tasks(user)
        .filter(assignee=user, status__in=Task.OPEN_STATUSES, waived=False)
        .exclude(status=Task.Status.SUBMITTED)
        .select_related("plan", "plan__school", "measure", "measure__stage")
        .order_by("due_on", "id")
    )

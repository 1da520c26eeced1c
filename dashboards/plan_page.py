"""Reads for the plan page: the plan's structure down to its tasks, and its latest history."""

from __future__ import annotations

from django.db.models import Prefetch

from audit.labels import action_label
from audit.models import AuditEntry
from plans.models import Measure, Plan, Stage
from tasks.models import Task


def plan_structure(plan: Plan) -> list[Stage]:
    """Stages with their measures and tasks (assignees loaded), in order, in a fixed number of queries."""
    tasks = Task.objects.select_related("assignee").order_by("order", "id")
    measures = Measure.objects.select_related("owner", "working_group").prefetch_related(
        Prefetch("tasks", queryset=tasks)
    )
    return list(plan.stages.select_related("completed_by").prefetch_related(Prefetch("measures", queryset=measures)))


def plan_history(plan: Plan, limit: int = 30) -> list:
    """The plan's latest audit entries, each with a human ``label`` and the ``subject`` it concerns."""
    entries = list(AuditEntry.objects.filter(plan_id=plan.pk).select_related("actor").order_by("-created_at", "-id")[:limit])
    task_ids = {e.target_id for e in entries if e.target_type == "tasks.task"}
    stage_ids = {e.target_id for e in entries if e.target_type == "plans.stage"}
    titles = {("tasks.task", pk): t for pk, t in Task.objects.filter(pk__in=task_ids).values_list("pk", "title")}
    titles |= {("plans.stage", pk): n for pk, n in Stage.objects.filter(pk__in=stage_ids).values_list("pk", "name")}
    for entry in entries:
        entry.label = action_label(entry.action)
        entry.subject = titles.get((entry.target_type, entry.target_id), "")
    return entries

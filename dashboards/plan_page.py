"""Reads for the plan page: the plan's structure down to its tasks, and its latest history."""

from __future__ import annotations

from django.db.models import Prefetch, Q

from audit.labels import action_label
from audit.models import AuditEntry
from orgs.models import User
from plans.models import LeadingGroupMember, Measure, Plan, Stage
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
    measure_ids = {e.target_id for e in entries if e.target_type == "plans.measure"}
    titles |= {
        ("plans.measure", pk): t for pk, t in Measure.objects.filter(pk__in=measure_ids).values_list("pk", "title")
    }
    for entry in entries:
        entry.label = action_label(entry.action)
        entry.subject = titles.get((entry.target_type, entry.target_id), "")
    return entries


LEADING_GROUP_ACTIONS = ("plans.seat.", "plans.working_group.", "plans.leading_group.")


def leading_group_history(plan: Plan, limit: int = 100) -> list:
    """Changes to the plan's leading group, newest first, each with its ``label``."""
    query = Q()
    for prefix in LEADING_GROUP_ACTIONS:
        query |= Q(action__startswith=prefix)
    entries = list(
        AuditEntry.objects.filter(query, plan_id=plan.pk).select_related("actor").order_by("-created_at", "-id")[:limit]
    )
    role_labels = dict(LeadingGroupMember.Role.choices)
    usernames = {e.data.get("user") for e in entries if isinstance(e.data, dict) and e.data.get("user")}
    names = dict(User.objects.filter(username__in=usernames).values_list("username", "full_name"))
    for entry in entries:
        username = entry.data.get("user", "") if isinstance(entry.data, dict) else ""
        entry.subject = names.get(username) or username
        entry.label = action_label(entry.action)
        entry.old_label = role_labels.get(entry.from_state, entry.from_state)
        entry.new_label = role_labels.get(entry.to_state, entry.to_state)
    return entries

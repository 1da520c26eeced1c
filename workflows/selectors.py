"""Reads about stage gates (what still blocks a gate, which gates wait for a user) and the inbox of
everything that waits for a user: tasks to do, tasks to review, gates to sign."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet

from core import sqlmemo
from orgs.permissions import is_overseer
from plans.models import Plan, Stage
from tasks.models import Task
from tasks.selectors import tasks_to_do, tasks_to_review, work_grants
from workflows.inbox import InboxSection, contributed_count, contributed_count_parts
from workflows.rules import gate_blockers


@dataclass
class GateStatus:
    stage: Stage
    open_tasks: list[Task] = field(default_factory=list)
    total: int = 0
    done: int = 0
    waived: int = 0
    blockers: list[str] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        return not self.blockers


def gate_status(stage: Stage, user: Any = None) -> GateStatus:
    """Everything that stops the stage's gate from being signed (by ``user``), in words a principal
    reads: the rules of workflows.rules, which the signing service enforces."""
    status = GateStatus(stage=stage)
    tasks = list(
        Task.objects.filter(measure__stage=stage)
        .select_related("assignee", "measure")
        .order_by("measure__order", "order")
    )
    status.total = len(tasks)
    status.open_tasks = [t for t in tasks if t.status != Task.Status.CLOSED]
    # A waived task is closed too, but the leader signs knowing how many were exempted, not done.
    status.waived = sum(1 for t in tasks if t.status == Task.Status.CLOSED and t.waived)
    status.done = status.total - len(status.open_tasks) - status.waived
    status.blockers = [refusal.message for refusal in gate_blockers(user, stage, len(status.open_tasks))]
    return status


def gates_awaiting(user: Any) -> QuerySet[Stage]:
    """Open stages of plans the user leads whose tasks are all closed: gates waiting for a signature."""
    led = work_grants(user)["sign_plan_gate"]
    if not led:
        return Stage.objects.none()
    return (
        Stage.objects.filter(plan_id__in=led, status=Stage.Status.OPEN)
        .exclude(plan__status__in=(Plan.Status.ACCEPTANCE, Plan.Status.COMPLETED))
        .annotate(n_open=Count("measures__tasks", filter=~Q(measures__tasks__status=Task.Status.CLOSED)))
        .filter(n_open=0)
        .select_related("plan", "plan__school")
        .order_by("ends_on", "pk")
    )


def inbox_counts(user: Any) -> int:
    """The number shown beside 我的待办 in the header, in one query: the user's tasks to do and to
    review, gates to sign, plus what the apps above contribute (workflows.inbox: inspections,
    rectification items)."""
    grants = work_grants(user)
    # Asked on every page, so one query: each count's SQL is compiled once per process for what
    # fixes its text (the user, the plans they review or lead) and read afresh (core.sqlmemo).
    parts: list[sqlmemo.CountPart] = [
        (("workflows.todo", user.pk, bool(user.is_superuser)), lambda: tasks_to_do(user))
    ]
    if managed := grants["manage_plan_tasks"]:
        parts.append((("workflows.review", tuple(sorted(managed))), lambda: tasks_to_review(user)))
    if led := grants["sign_plan_gate"]:
        parts.append((("workflows.gates", tuple(sorted(led))), lambda: gates_awaiting(user)))
    contributed, counted = contributed_count_parts(user)
    return counted + sqlmemo.count_sum(parts + contributed)


def counts_own_work(user: Any) -> bool:
    """Bureau and centre staff have no tasks or gates: their number is only what the apps above
    contribute (an inspector's inspections). The header and 我的待办 (its count, and whether it
    shows the cards of tasks to do) both ask this."""
    return not is_overseer(user)


def header_inbox_count(user: Any) -> int:
    """The number beside 我的待办 in every page's header (one query)."""
    return inbox_counts(user) if counts_own_work(user) else contributed_count(user)


def listed_inbox_count(
    user: Any, *, to_do: list[Task], to_review: list[Task], gates: list[Stage], sections: list[InboxSection]
) -> int:
    """The same number, counted from what 我的待办 itself lists (no query): the page's header shows
    it, so the two never disagree."""
    listed = sum(len(section.entries) for section in sections)
    if counts_own_work(user):
        listed += len(to_do) + len(to_review) + len(gates)
    return listed

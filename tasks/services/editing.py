"""Edits of a plan's content after it was made: a task's title, description, due date and weight,
and shifting every date of a plan by N days (stages and measures through plans.services, tasks
here). Old and new values go to the audit row."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import QuerySet

from audit.services import audit_record
from core.errors import DomainError
from core.text import bounded
from notifications import push
from orgs.models import User
from plans import services as plan_services
from plans.models import Plan, Stage
from tasks.models import Task
from tasks.services._steps import _begin


@transaction.atomic
def task_update(
    *,
    task: Task | int,
    actor: User,
    title: str,
    description: str = "",
    due_on: datetime.date | None = None,
    weight: Decimal = Decimal("1"),
    expected_version: int | None = None,
) -> Task:
    """Edit an open task (leader, deputy, office; not in a signed-off stage, not done)."""
    task = _begin(task, actor, expected_version, "edit")
    title = bounded(title, Task, "title", "任务名称")
    if not title:
        raise DomainError("任务名称不能为空。")
    if weight < 0:
        raise DomainError("权重不能为负数。")
    if due_on and task.starts_on and due_on < task.starts_on:
        raise DomainError("截止日期不能早于开始日期。")
    changes: dict[str, list[str]] = {}
    for name, new in (
        ("title", title),
        ("description", description or ""),
        ("due_on", due_on),
        ("weight", weight),
    ):
        old = getattr(task, name)
        if old != new:
            changes[name] = ["" if old is None else str(old), "" if new is None else str(new)]
            setattr(task, name, new)
    if changes:
        task.version += 1
        task.save(update_fields=["title", "description", "due_on", "weight", "version", "updated_at"])
        audit_record(
            actor=actor, action="tasks.task.updated", target=task, plan=task.plan_id, data={"changes": changes}
        )
        plan_id, task_id, version = task.plan_id, task.pk, task.version
        transaction.on_commit(lambda: push.plan_changed(plan_id))
        transaction.on_commit(lambda: push.object_changed(plan_id, "task", task_id, version))
    return task


@dataclass(frozen=True)
class DateShift:
    kind: str
    name: str
    old: datetime.date | None
    new: datetime.date | None


def plan_dates_shift_preview(plan: Plan, days: int) -> list[DateShift]:
    """What ``plan_dates_shift`` would change (signed-off stages and done tasks stay)."""
    rows = [DateShift(*row) for row in plan_services.structure_date_shifts(plan, days)]
    for task in _movable_tasks(plan).order_by("measure__stage__order", "measure__order", "order", "id"):
        first = task.starts_on or task.due_on
        rows.append(DateShift("任务", task.title, first, first + datetime.timedelta(days=days) if first else None))
    return rows


def plan_earliest_date(plan: Plan) -> datetime.date | None:
    """The first date a shift of the plan moves (what "move to a new start date" moves)."""
    return min((row.old for row in plan_dates_shift_preview(plan, 0) if row.old), default=None)


def _movable_tasks(plan: Plan) -> QuerySet[Task]:
    return (
        Task.objects.filter(plan=plan, waived=False)
        .exclude(status=Task.Status.CLOSED)
        .exclude(measure__stage__status=Stage.Status.COMPLETED)
        .exclude(starts_on=None, due_on=None)
    )


@transaction.atomic
def plan_dates_shift(*, actor: User | None, plan: Plan, days: int) -> dict[str, int]:
    """Shift every date of the plan by ``days`` (a template for next year: 365): the windows of
    its open and pending stages and their measures, and the dates of its unfinished tasks. One
    audit row with the counts; all or nothing."""
    plan_services.check_shift_days(days)
    # NO KEY UPDATE: a transition inserting a row that points at the plan (audit, notification)
    # takes KEY SHARE on it while holding its task; a plain FOR UPDATE here would deadlock with it.
    plan = Plan.objects.select_for_update(no_key=True).get(pk=plan.pk)
    # Lock order: tasks before their measures (a task transition holds its task and then shares its
    # measure's row through the tally trigger): every task of the plan, then the structure, then the
    # tasks to move read again.
    list(Task.objects.select_for_update(of=("self",)).filter(plan=plan).order_by("pk").values_list("pk"))
    stages, measures = plan_services.structure_dates_shift(actor=actor, plan=plan, days=days)
    tasks = list(_movable_tasks(plan).select_for_update(of=("self",)))
    delta = datetime.timedelta(days=days)
    for task in tasks:
        task.starts_on = task.starts_on + delta if task.starts_on else None
        task.due_on = task.due_on + delta if task.due_on else None
        task.version += 1
    Task.objects.bulk_update(tasks, ["starts_on", "due_on", "version"])
    counts = {"days": days, "stages": stages, "measures": measures, "tasks": len(tasks)}
    audit_record(actor=actor, action="plans.plan.dates_shifted", target=plan, plan=plan, data=counts)
    versions = [(task.pk, task.version) for task in tasks]
    transaction.on_commit(lambda: push.plan_changed(plan.pk))
    transaction.on_commit(lambda: push.objects_changed(plan.pk, "task", versions))
    return counts

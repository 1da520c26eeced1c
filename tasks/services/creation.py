"""Creating tasks (one, or many at once for imports and template issues) and assigning them."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.urls import reverse

from audit.services import audit_entry, audit_record, audit_record_many
from core.errors import DomainError, InvalidTransition, require
from core.text import bounded
from notifications.models import Notification
from notifications.services import notify
from orgs.models import User
from plans.models import Measure, Plan, Stage, WorkingGroup
from plans.permissions import can_work_on_plan
from tasks import permissions as perms
from tasks.models import Task
from tasks.services._steps import _begin, _locked, _move, _plan_changed, _record, _save, _task_url

BULK_BATCH = 1000

# --- creation ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewTask:
    """One task to create under ``measure`` (the bulk path's input)."""

    measure: Measure
    title: str
    assignee: User | None = None
    starts_on: datetime.date | None = None
    due_on: datetime.date | None = None
    weight: Decimal = Decimal("1")
    description: str = ""


def _locked_stages(stage_ids: set[int]) -> dict[int, Stage]:
    # Lock the stages: a gate being signed at this instant must not miss the new tasks.
    stages = Stage.objects.select_for_update(of=("self",)).select_related("plan").filter(pk__in=stage_ids)
    return {stage.pk: stage for stage in stages.order_by("pk")}


def _cancelled_measures(measure_ids: set[int]) -> set[int]:
    # Read after the stages are locked: measure_cancel locks the stage too, so this is current.
    return set(Measure.objects.filter(pk__in=measure_ids, cancelled=True).values_list("pk", flat=True))


def _checked(actor: User | None, plan: Plan, stage: Stage, new: NewTask, cancelled: set[int]) -> Task:
    """The guards every new task passes, single or bulk; returns the unsaved row (order unset).
    ``cancelled``: the ids of cancelled measures among those asked for."""
    if actor is not None:
        require(perms.can_create_task(actor, plan), "只有组长、副组长或办公室主任可以新建任务。")
    title = bounded(new.title, Task, "title", "任务名称")
    if not title:
        raise DomainError("请填写任务名称。")
    if stage.status == Stage.Status.COMPLETED:
        raise DomainError(f"“{stage.name}”已签署完成，不能再新建任务。")
    if new.measure.pk in cancelled:
        raise DomainError(f"措施“{new.measure.title}”已取消，不能再新建任务。")
    if new.assignee is not None and not can_work_on_plan(new.assignee, plan):
        raise DomainError(f"{new.assignee} 不在该方案的领导小组中，不能承担任务。")
    if new.weight < 0:
        raise DomainError("权重不能为负数。")
    if new.starts_on and new.due_on and new.due_on < new.starts_on:
        raise DomainError("截止日期不能早于开始日期。")
    return Task(
        plan=plan,
        measure=new.measure,
        title=title,
        description=new.description,
        assignee=new.assignee,
        starts_on=new.starts_on,
        due_on=new.due_on,
        weight=new.weight,
        status=Task.Status.ASSIGNED if new.assignee else Task.Status.UNASSIGNED,
    )


def _created(actor: User | None, task: Task, **extra: object) -> dict[str, Any]:
    """The audit row of a new task, the same for the single and the bulk path."""
    data = {"title": task.title, "assignee": task.assignee.username if task.assignee else None, **extra}
    return {
        "actor": actor,
        "action": "tasks.task.created",
        "target": task,
        "plan": task.plan_id,
        "new": task.status,
        "data": data,
    }


@transaction.atomic
def task_create(
    *,
    actor: User | None,
    measure: Measure,
    title: str,
    description: str = "",
    assignee: User | None = None,
    starts_on: datetime.date | None = None,
    due_on: datetime.date | None = None,
    weight: Decimal = Decimal("1"),
) -> Task:
    """Create a task under a measure; with an assignee it starts as 待办, else 待分派.

    The actor must manage the plan's tasks (or be None for a system job); an assignee must hold a
    seat on the plan's leading group; the measure's stage must not be signed off yet.
    """
    stage = _locked_stages({measure.stage_id})[measure.stage_id]
    measure.stage = stage
    new = NewTask(measure, title, assignee, starts_on, due_on, weight, description)
    task = _checked(actor, stage.plan, stage, new, _cancelled_measures({measure.pk}))
    task.order = (measure.tasks.order_by("-order").values_list("order", flat=True).first() or 0) + 1
    task.save()
    audit_record(**_created(actor, task))
    if assignee is not None:
        _notify_assigned(task, actor)
    _plan_changed(task.plan_id)
    return task


@transaction.atomic
def tasks_create_bulk(*, actor: User | None, plan: Plan, items: list[NewTask]) -> list[Task]:
    """Create many tasks of one plan at once (Excel import, template issue) with every guard of
    ``task_create`` and one audit row per task, in a few statements: task_create costs ~10 queries
    and one notification per task, so 10,000 imported tasks would take minutes and flood every
    inbox. Instead each assignee gets one notification for the batch, and the plan's dashboards
    one refresh hint. All or nothing: one refused task refuses the batch.
    """
    stages = _locked_stages({item.measure.stage_id for item in items})
    if any(stage.plan_id != plan.pk for stage in stages.values()):
        raise DomainError("任务的措施不属于该方案。")
    next_order = _next_task_orders({item.measure.pk for item in items})
    cancelled = _cancelled_measures({item.measure.pk for item in items})
    rows = []
    for item in items:
        task = _checked(actor, plan, stages[item.measure.stage_id], item, cancelled)
        next_order[item.measure.pk] += 1
        task.order = next_order[item.measure.pk]
        rows.append(task)
    tasks = Task.objects.bulk_create(rows, batch_size=BULK_BATCH)
    audit_record_many(audit_entry(**_created(actor, task, bulk=True)) for task in tasks)
    per_assignee: dict[int, list[Task]] = defaultdict(list)
    for task in tasks:
        if task.assignee is not None:
            per_assignee[task.assignee.pk].append(task)
    url = reverse("plans:plan_detail", args=[plan.pk])
    for assigned in per_assignee.values():
        notify(
            recipients=[assigned[0].assignee],
            kind=Notification.Kind.TASK_ASSIGNED,
            plan=plan,
            url=url,
            text=f"方案“{plan.title}”新增了 {len(assigned)} 项由您负责的任务。",
            exclude=actor,
        )
    _plan_changed(plan.pk)
    return tasks


def _next_task_orders(measure_ids: set[int]) -> dict[int, int]:
    orders: dict[int, int] = defaultdict(int)
    rows = Task.objects.filter(measure_id__in=measure_ids).values("measure_id").annotate(top=Max("order"))
    for row in rows:
        orders[row["measure_id"]] = row["top"] or 0
    return orders


# --- assignment --------------------------------------------------------------------------------


def _notify_assigned(task: Task, actor: User | None) -> None:
    due = f"，截止 {task.due_on:%Y-%m-%d}" if task.due_on else ""
    notify(
        recipients=[task.assignee],
        kind=Notification.Kind.TASK_ASSIGNED,
        text=f"您有新任务：“{task.title}”{due}。",
        url=_task_url(task),
        plan=task.plan,
        exclude=actor,
    )


@transaction.atomic
def task_assign(*, task: Task | int, actor: User, assignee: User, expected_version: int | None = None) -> Task:
    """Assign (待分派 → 待办) or reassign (待办/进行中/已退回 → 待办) a task to a seat of its plan."""
    task = _begin(task, actor, expected_version, "assign")
    if not can_work_on_plan(assignee, task.plan):
        raise DomainError(f"{assignee} 不在该方案的领导小组中，不能承担任务。")
    if task.assignee_id == assignee.pk and task.status != Task.Status.UNASSIGNED:
        raise InvalidTransition(f"任务已由 {assignee} 负责。")
    action = "assign" if task.status == Task.Status.UNASSIGNED else "reassign"
    previous = task.assignee
    old = _move(task, "assign")
    task.assignee = assignee
    task.return_reason = ""
    _save(task, "assignee", "return_reason")
    data = {"assignee": assignee.username, "previous": previous.username if previous else None}
    _record(task, actor, f"tasks.task.{action}ed", old, data=data)
    _notify_assigned(task, actor)
    return task


@transaction.atomic
def tasks_assign_bulk(
    *,
    actor: User,
    tasks: Iterable[Task | int],
    assignee: User | None = None,
    working_group: WorkingGroup | None = None,
) -> list[Task]:
    """Assign several tasks at once: all to one person, or round-robin over a working group's members.

    All or nothing: one refused task (permission, state, stage) refuses the whole batch.
    """
    ids = sorted({t.pk if isinstance(t, Task) else int(t) for t in tasks})
    if not ids:
        raise DomainError("请至少选择一项任务。")
    if (assignee is None) == (working_group is None):
        raise DomainError("请选择一位责任人或一个专业工作组。")
    if assignee is not None:
        people = [assignee]
    else:
        assert working_group is not None  # exactly one of the two, checked just above
        people = _group_members(working_group)
        if not people:
            raise DomainError(f"专业工作组“{working_group.name}”还没有成员。")
    done = []
    for i, pk in enumerate(ids):
        task = _locked(pk)
        if working_group is not None and working_group.plan_id != task.plan_id:
            raise DomainError("专业工作组不属于该任务所在的方案。")
        person = people[i % len(people)]
        if task.assignee_id == person.pk and task.status != Task.Status.UNASSIGNED:
            done.append(task)
            continue
        done.append(task_assign(task=task, actor=actor, assignee=person))
    return done


def _group_members(group: WorkingGroup) -> list[User]:
    seats = group.members.select_related("user").order_by("user__full_name", "user__username")
    return [seat.user for seat in seats]

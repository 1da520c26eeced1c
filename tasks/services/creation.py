"""Creating and assigning tasks."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal

from django.db import transaction

from notifications.models import Notification
from notifications.services import notify
from plans.audit import audit_record
from plans.errors import DomainError, InvalidTransition
from plans.models import Measure, Stage, User, WorkingGroup
from plans.permissions import can_work_on_plan
from tasks import permissions as perms
from tasks.models import Task
from tasks.services._steps import _begin, _locked, _move, _plan_changed, _record, _require, _save, _task_url

# --- creation ----------------------------------------------------------------------------------


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
    # Lock the stage: a gate being signed at this instant must not miss the new task.
    stage = Stage.objects.select_for_update(of=("self",)).select_related("plan").get(pk=measure.stage_id)
    measure.stage = stage
    plan = stage.plan
    if actor is not None:
        _require(perms.can_create_task(actor, plan), "只有组长、副组长或办公室主任可以新建任务。")
    title = (title or "").strip()
    if not title:
        raise DomainError("请填写任务名称。")
    if measure.stage.status == Stage.Status.COMPLETED:
        raise DomainError(f"“{measure.stage.name}”已签署完成,不能再新建任务。")
    if assignee is not None and not can_work_on_plan(assignee, plan):
        raise DomainError(f"{assignee} 不在该方案的领导小组中,不能承担任务。")
    if weight < 0:
        raise DomainError("权重不能为负数。")
    if starts_on and due_on and due_on < starts_on:
        raise DomainError("截止日期不能早于开始日期。")
    order = (measure.tasks.order_by("-order").values_list("order", flat=True).first() or 0) + 1
    task = Task.objects.create(
        plan=plan,
        measure=measure,
        order=order,
        title=title,
        description=description,
        assignee=assignee,
        starts_on=starts_on,
        due_on=due_on,
        weight=weight,
        status=Task.Status.ASSIGNED if assignee else Task.Status.UNASSIGNED,
    )
    audit_record(
        actor=actor,
        action="tasks.task.created",
        target=task,
        plan=plan,
        new=task.status,
        data={"title": title, "assignee": assignee.username if assignee else None},
    )
    if assignee is not None:
        _notify_assigned(task, actor)
    _plan_changed(plan.pk)
    return task


# --- assignment --------------------------------------------------------------------------------


def _notify_assigned(task: Task, actor: User | None) -> None:
    due = f",截止 {task.due_on:%Y-%m-%d}" if task.due_on else ""
    notify(
        recipients=[task.assignee],
        kind=Notification.Kind.TASK_ASSIGNED,
        text=f"您有新任务:“{task.title}”{due}。",
        url=_task_url(task),
        plan=task.plan,
        task=task,
        exclude=actor,
    )


@transaction.atomic
def task_assign(*, task: Task | int, actor: User, assignee: User, expected_version: int | None = None) -> Task:
    """Assign (待分派 → 待办) or reassign (待办/进行中/已退回 → 待办) a task to a seat of its plan."""
    task = _begin(
        task,
        actor,
        expected_version,
        perms.can_assign_task,
        "只有组长、副组长或办公室主任可以分派任务。",
        open_only=False,
    )
    if not can_work_on_plan(assignee, task.plan):
        raise DomainError(f"{assignee} 不在该方案的领导小组中,不能承担任务。")
    if task.assignee_id == assignee.pk and task.status != Task.Status.UNASSIGNED:
        raise InvalidTransition(f"任务已由 {assignee} 负责。")
    action = "assign" if task.status == Task.Status.UNASSIGNED else "reassign"
    previous = task.assignee
    old = _move(task, action)
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
    people = [assignee] if assignee is not None else _group_members(working_group)
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

"""Writes for tasks: creation now; the lifecycle transitions live in tasks.transitions."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import transaction

from plans.audit import audit_record
from plans.errors import DomainError, NotAllowed
from plans.models import Measure, User
from plans.permissions import can_manage_plan_tasks, can_work_on_plan
from tasks.models import Task


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
    seat on the plan's leading group.
    """
    plan = measure.stage.plan
    if actor is not None and not can_manage_plan_tasks(actor, plan):
        raise NotAllowed("只有组长、副组长或办公室可以新建任务。")
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
    return task

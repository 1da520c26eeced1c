"""Reads about stage gates: what still blocks a gate, and which gates wait for a user."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet

from plans.models import Stage
from tasks.models import Task


@dataclass
class GateStatus:
    stage: Stage
    open_tasks: list[Task] = field(default_factory=list)
    total: int = 0
    blockers: list[str] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        return not self.blockers


def gate_status(stage: Stage) -> GateStatus:
    """Everything that stops the stage's gate from being signed, in words a principal reads."""
    status = GateStatus(stage=stage)
    tasks = list(
        Task.objects.filter(measure__stage=stage)
        .select_related("assignee", "measure")
        .order_by("measure__order", "order")
    )
    status.total = len(tasks)
    status.open_tasks = [t for t in tasks if t.status != Task.Status.CLOSED]
    if stage.status == Stage.Status.PENDING:
        status.blockers.append("本阶段尚未开启:请先完成上一阶段并签署关口。")
    elif stage.status == Stage.Status.COMPLETED:
        status.blockers.append("本阶段关口已签署。")
    if status.open_tasks:
        status.blockers.append(f"还有 {len(status.open_tasks)} 项任务未完成(需全部审核通过或由组长豁免)。")
    return status


def gates_awaiting(user: Any) -> QuerySet[Stage]:
    """Open stages of plans the user leads whose tasks are all closed: gates waiting for a signature."""
    from tasks.selectors import work_grants

    led = work_grants(user)["sign_plan_gate"]
    if not led:
        return Stage.objects.none()
    return (
        Stage.objects.filter(plan_id__in=led, status=Stage.Status.OPEN)
        .annotate(n_open=Count("measures__tasks", filter=~Q(measures__tasks__status=Task.Status.CLOSED)))
        .filter(n_open=0)
        .select_related("plan", "plan__school")
        .order_by("ends_on", "pk")
    )

"""When a measure may be cancelled: one check, asked by the page (to offer the button) and by
tasks.services.measure_cancel (to refuse). Who may is plans.permissions.can_cancel_measure; the
rest is state: the plan is still 实施中 (not from the application for acceptance on, nor in
rectification), the measure's stage is not signed off, and the measure is not cancelled already."""

from __future__ import annotations

from typing import Any

from core.errors import DomainError, InvalidTransition, NotAllowed
from plans.models import Measure, Plan, Stage
from plans.permissions import can_cancel_measure


def measure_cancel_refusal(user: Any, measure: Measure) -> DomainError | NotAllowed | None:
    """Why ``user`` may not cancel ``measure`` now, or None. The measure comes with its stage and
    plan loaded (the service passes the rows it has locked)."""
    if not can_cancel_measure(user, measure):
        return NotAllowed("只有组长、副组长或办公室主任可以取消措施。")
    plan = measure.stage.plan
    if plan.status != Plan.Status.ACTIVE:
        return InvalidTransition(f"方案{plan.get_status_display()}，不能再取消措施。")
    if measure.stage.status == Stage.Status.COMPLETED:
        return InvalidTransition(f"“{measure.stage.name}”已签署完成，其措施不能再取消。")
    if measure.cancelled:
        return InvalidTransition(f"措施“{measure.title}”已取消。")
    return None

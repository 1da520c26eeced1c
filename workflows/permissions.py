"""Who may sign a stage gate."""

from __future__ import annotations

from typing import Any

from plans.models import Stage
from plans.permissions import can_sign_plan_gate


def can_sign_stage(user: Any, stage: Stage) -> bool:
    """Only the plan's leader (组长) signs its gates."""
    return can_sign_plan_gate(user, stage.plan)

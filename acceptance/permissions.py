"""Who may change a plan's acceptance form."""

from __future__ import annotations

from typing import Any

from plans.models import Plan
from plans.permissions import can_manage_plan_tasks


def can_edit_criteria(user: Any, plan: Plan) -> bool:
    """Leader, deputy and office of the plan (the form comes with the plan's workbook)."""
    return can_manage_plan_tasks(user, plan)

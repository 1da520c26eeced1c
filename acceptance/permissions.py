"""Who may do what in a plan's acceptance (predicates only; the state guards are in acceptance.rules)."""

from __future__ import annotations

from typing import Any

from orgs.permissions import can_administer
from plans.models import Plan
from plans.permissions import can_manage_plan_tasks, can_sign_plan_gate, can_view_plan


def can_edit_criteria(user: Any, plan: Plan) -> bool:
    """Leader, deputy and office of the plan (the form comes with the plan's workbook), and the
    bureau admin over the school."""
    return can_manage_plan_tasks(user, plan) or can_administer(user, plan.school)


def can_set_form_rules(user: Any, plan: Plan) -> bool:
    """Tier fractions and the pass rule are the bureau's: its admin over the school only."""
    return can_administer(user, plan.school)


def can_view_acceptance(user: Any, plan: Plan) -> bool:
    """Whoever may see the plan sees its form, self-assessment and application."""
    return can_view_plan(user, plan)


def can_self_assess(user: Any, plan: Plan) -> bool:
    """The leading group's leader, deputy and office rate the criteria (自评)."""
    return can_manage_plan_tasks(user, plan)


def can_apply_for_acceptance(user: Any, plan: Plan) -> bool:
    """Only the leader (组长) signs the application (请验)."""
    return can_sign_plan_gate(user, plan)

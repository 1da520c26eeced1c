"""Permission predicates for plans and their parts, used by views (to hide and refuse) and by
services (to enforce). Each takes the acting user first and answers a plain bool; they rest on the
object-permission checker of orgs.permissions and the grants of plans.grants."""

from __future__ import annotations

from typing import Any

from orgs.permissions import (
    can_administer,
    can_view_organisation,
    has_object_permission,
    is_active_user,
    permission_cache,
)
from plans.models import Indicator, IndicatorReading, LeadingGroupMember, Measure, Plan, PlanTemplate


def can_view_plan(user: Any, plan: Plan) -> bool:
    """Own school's staff, overseers of the school, and the plan's leading group."""
    return can_view_organisation(user, plan.school) or has_object_permission(user, "view_plan", plan)


def can_manage_plan_tasks(user: Any, plan: Plan) -> bool:
    """Leader, deputy and office: create, assign and review the plan's tasks; add measures and
    indicators."""
    return has_object_permission(user, "manage_plan_tasks", plan)


def can_sign_plan_gate(user: Any, plan: Plan) -> bool:
    """Only the leader (组长) signs stage gates."""
    return has_object_permission(user, "sign_plan_gate", plan)


def can_work_on_plan(user: Any, plan: Plan) -> bool:
    """Any seat of the leading group: may be given tasks and report indicator readings."""
    return has_object_permission(user, "work_on_plan", plan)


def can_create_plan(user: Any, school: Any) -> bool:
    """A bureau admin over the school (or a superuser) creates its plans."""
    return can_administer(user, school)


def can_edit_leading_group(user: Any, plan: Plan) -> bool:
    """Seats and working groups: the bureau admin over the school, or the plan's leader, deputy
    and office."""
    return can_administer(user, plan.school) or can_manage_plan_tasks(user, plan)


def can_edit_plan(user: Any, plan: Plan) -> bool:
    """Title, summary, stage windows, date shifts: the bureau admin over the school, or the plan's
    leader, deputy and office (the services also refuse a completed plan)."""
    return can_administer(user, plan.school) or can_manage_plan_tasks(user, plan)


def can_cancel_measure(user: Any, measure: Measure) -> bool:
    """Whoever may edit the measure (plans.services.measure_update: leader, deputy, office) may
    cancel it; plans.rules adds the state guards."""
    return can_manage_plan_tasks(user, measure.stage.plan)


def can_edit_template(user: Any, template: PlanTemplate) -> bool:
    """A plan template (its dates): an admin of the template's own bureau (as excel.permissions
    can_view_template: another bureau's template is not theirs to see)."""
    bureau = getattr(user, "organisation", None)
    return bureau is not None and bureau.pk == template.bureau_id and can_administer(user, template.bureau)


def can_report_on_plan(user: Any, plan: Plan) -> bool:
    """Any seat of the leading group reports indicator readings, while the plan is the school's to
    change (not from the application for acceptance on)."""
    return can_work_on_plan(user, plan) and plan.status in (Plan.Status.ACTIVE, Plan.Status.RECTIFYING)


def can_report_indicator(user: Any, indicator: Indicator) -> bool:
    return can_report_on_plan(user, indicator.plan)


def can_void_reading(user: Any, reading: IndicatorReading) -> bool:
    """While the plan takes readings (can_report_on_plan): the reading's reporter, and the plan's
    leader, deputy and office for anyone's reading. A voided reading stays voided."""
    if reading.voided_at is not None:
        return False
    plan = reading.indicator.plan
    if not can_report_on_plan(user, plan):
        return False
    return reading.reported_by_id == getattr(user, "pk", None) or can_manage_plan_tasks(user, plan)


def plan_role(user: Any, plan: Plan) -> str | None:
    """The user's seat on the plan's leading group (a LeadingGroupMember.Role value) or None."""
    if not is_active_user(user):
        return None
    roles: dict[int, str | None] = permission_cache(user).setdefault("plan_roles", {})
    if plan.pk not in roles:
        roles[plan.pk] = LeadingGroupMember.objects.filter(plan=plan, user=user).values_list("role", flat=True).first()
    return roles[plan.pk]

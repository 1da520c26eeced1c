"""Who may do what in a plan's acceptance (predicates only; the state guards are in acceptance.rules)."""

from __future__ import annotations

from typing import Any

from orgs.models import Organisation
from orgs.permissions import can_administer, is_active_user, is_city_user
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


def can_form_inspection_team(user: Any, plan: Plan) -> bool:
    """The bureau (its admins, the supervision office's included) forms the team and sets the date."""
    return can_administer(user, plan.school)


def is_on_team(user: Any, application: Any) -> bool:
    """A member or the leader of the application's inspection team (bureau users only, by
    construction: acceptance.services.inspection_team_set refuses anyone else)."""
    if not is_active_user(user) or application.team_leader_id is None:
        return False
    if user.pk == application.team_leader_id:
        return True
    return bool(application.inspectors.filter(pk=user.pk).exists())


def can_rate_as_inspector(user: Any, application: Any) -> bool:
    """Each inspector of the team (leader included) rates every criterion on their own."""
    return is_on_team(user, application)


def can_settle_inspection(user: Any, application: Any) -> bool:
    """The team leader settles the final tiers and records the result."""
    return is_active_user(user) and application.team_leader_id is not None and user.pk == application.team_leader_id


def can_manage_rectification(user: Any, plan: Plan) -> bool:
    """Leader, deputy and office assign rectification items and close them."""
    return can_manage_plan_tasks(user, plan)


def can_handle_notice(user: Any, plan: Plan) -> bool:
    """The bureau records objections during the notice and ends it."""
    return can_administer(user, plan.school)


def city_over(plan: Plan) -> Organisation | None:
    """The city bureau (市教育局) above the plan's school, if its county is attached to one."""
    return next((org for org in plan.school.ancestors() if org.kind == Organisation.Kind.CITY), None)


def can_spot_check(user: Any, plan: Plan) -> bool:
    """Staff of the city over the plan's school open a spot check (抽检), name and re-form its team.
    A county bureau never does, nor a city for a school outside its counties."""
    if not is_city_user(user):
        return False
    city = city_over(plan)
    return city is not None and user.organisation_id == city.pk


def can_view_inspection_board(user: Any, application: Any) -> bool:
    """The scoring board: the team; the county's admins (their rounds, and read-only a city's spot
    check of their school); the city over the school for its spot checks."""
    if is_on_team(user, application) or can_form_inspection_team(user, application.plan):
        return True
    return application.kind == "spot" and can_spot_check(user, application.plan)

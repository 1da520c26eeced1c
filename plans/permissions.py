"""Permission predicates for organisations and plans, used by views (to hide and refuse) and by
services (to enforce). Each takes the acting user first and answers a plain bool.

Checks go through one django-guardian ObjectPermissionChecker per user object, so a page that asks
several questions about one plan pays for the grants once.
"""

from __future__ import annotations

from typing import Any

from guardian.core import ObjectPermissionChecker

from plans.models import LeadingGroupMember, Organisation, Plan


def _checker(user: Any) -> ObjectPermissionChecker:
    checker = getattr(user, "_planhub_perm_checker", None)
    if checker is None:
        checker = ObjectPermissionChecker(user)
        user._planhub_perm_checker = checker
    return checker


def forget_permissions(user: Any) -> None:
    """Drop the cached checker after grants of this user changed within one request."""
    for attr in ("_planhub_perm_checker", "_planhub_roles"):
        if hasattr(user, attr):
            delattr(user, attr)


def _active(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def _has(user: Any, codename: str, obj: Any) -> bool:
    return _active(user) and _checker(user).has_perm(codename, obj)


def is_overseer(user: Any) -> bool:
    """Bureau, supervision office or township centre staff: they oversee schools, read-only."""
    org = getattr(user, "organisation", None)
    return _active(user) and org is not None and org.kind != Organisation.Kind.SCHOOL


def is_bureau_user(user: Any) -> bool:
    org = getattr(user, "organisation", None)
    return _active(user) and org is not None and org.kind in (Organisation.Kind.BUREAU, Organisation.Kind.SUPERVISION)


def can_view_organisation(user: Any, org: Organisation) -> bool:
    """May the user see this school and its plans? Own school, or a level above it."""
    return _has(user, "view_organisation_plans", org)


def can_view_plan(user: Any, plan: Plan) -> bool:
    """Own school's staff, overseers of the school, and the plan's leading group."""
    return can_view_organisation(user, plan.school) or _has(user, "view_plan", plan)


def can_manage_plan_tasks(user: Any, plan: Plan) -> bool:
    """Leader, deputy and office: create, assign and review the plan's tasks."""
    return _has(user, "manage_plan_tasks", plan)


def can_sign_plan_gate(user: Any, plan: Plan) -> bool:
    """Only the leader (组长) signs stage gates."""
    return _has(user, "sign_plan_gate", plan)


def can_work_on_plan(user: Any, plan: Plan) -> bool:
    """Any seat of the leading group: may be given tasks and report indicator readings."""
    return _has(user, "work_on_plan", plan)


def plan_role(user: Any, plan: Plan) -> str | None:
    """The user's seat on the plan's leading group (a LeadingGroupMember.Role value) or None."""
    if not _active(user):
        return None
    cache = getattr(user, "_planhub_roles", None)
    if cache is None:
        cache = user._planhub_roles = {}
    if plan.pk not in cache:
        cache[plan.pk] = (
            LeadingGroupMember.objects.filter(plan=plan, user=user).values_list("role", flat=True).first()
        )
    return cache[plan.pk]

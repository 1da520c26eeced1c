"""Permission predicates for organisations and plans, used by views (to hide and refuse) and by
services (to enforce). Each takes the acting user first and answers a plain bool.

Grants are django-guardian object permissions held through groups (plans.access). A check reads
all of the user's codenames on one object in a single query over guardian's direct-foreign-key
tables (user grants UNION group grants) and caches them on the user object, so a page or a
service that asks several questions about one plan pays for its grants once. Guardian's own
ObjectPermissionChecker answers the same, in two queries per object.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Permission
from guardian.utils import get_group_obj_perms_model, get_user_obj_perms_model

from plans.models import LeadingGroupMember, Organisation, Plan

_PERMISSION_NAMES: dict[int, str] = {}


def _permission_name(pk: int) -> str:
    # Permission rows are fixed once migrations ran: read them once per process.
    if pk not in _PERMISSION_NAMES:
        _PERMISSION_NAMES.clear()
        _PERMISSION_NAMES.update(Permission.objects.values_list("pk", "codename"))
    return _PERMISSION_NAMES.get(pk, "")


def _codenames(user: Any, obj: Any) -> frozenset[str]:
    cache = user.__dict__.setdefault("_planhub_perm_checker", {})
    key = (obj._meta.label_lower, obj.pk)
    if key not in cache:
        if user.is_superuser:
            perms = Permission.objects.filter(
                content_type__app_label=obj._meta.app_label, content_type__model=obj._meta.model_name
            )
            cache[key] = frozenset(perms.values_list("codename", flat=True))
        else:
            direct = get_user_obj_perms_model(obj).objects.filter(user=user, content_object=obj)
            via_groups = get_group_obj_perms_model(obj).objects.filter(group__user=user, content_object=obj)
            ids = direct.values_list("permission_id", flat=True).union(
                via_groups.values_list("permission_id", flat=True)
            )
            cache[key] = frozenset(_permission_name(pk) for pk in ids)
    return cache[key]


def forget_permissions(user: Any) -> None:
    """Drop the cached checker after grants of this user changed within one request."""
    for attr in ("_planhub_perm_checker", "_planhub_roles", "_planhub_work_grants"):
        if hasattr(user, attr):
            delattr(user, attr)


def _active(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def _has(user: Any, codename: str, obj: Any) -> bool:
    return _active(user) and codename in _codenames(user, obj)


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
        cache[plan.pk] = LeadingGroupMember.objects.filter(plan=plan, user=user).values_list("role", flat=True).first()
    return cache[plan.pk]

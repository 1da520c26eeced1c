"""Grants of plans: how leading-group seats become guardian object permissions on the plan.

Groups ``plan:<id>:<role>`` hold the seats of a plan's leading group and get the plan's permissions
for that role. Measures and tasks are reached through their foreign keys, never granted one by one.
"""

from __future__ import annotations

from django.contrib.auth.models import Group

from orgs.grants import permissions_of
from orgs.models import User
from plans.models import LeadingGroupMember, Plan, PlanGroupObjectPermission

Role = LeadingGroupMember.Role

ROLE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    Role.LEADER: ("view_plan", "manage_plan_tasks", "sign_plan_gate", "work_on_plan"),
    Role.DEPUTY: ("view_plan", "manage_plan_tasks", "work_on_plan"),
    Role.OFFICE: ("view_plan", "manage_plan_tasks", "work_on_plan"),
    Role.MEMBER: ("view_plan", "work_on_plan"),
}


def plan_group_name(plan_id: int, role: str) -> str:
    return f"plan:{plan_id}:{role}"


def ensure_plan_groups(plan: Plan) -> dict[str, Group]:
    """Idempotent: the four role groups of a plan, each holding its role's permissions on the plan."""
    all_codenames = tuple({c for codes in ROLE_PERMISSIONS.values() for c in codes})
    perms = permissions_of(Plan, all_codenames)
    groups = {}
    for role, codenames in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=plan_group_name(plan.pk, role))
        for codename in codenames:
            PlanGroupObjectPermission.objects.get_or_create(
                group=group, permission=perms[codename], content_object=plan
            )
        groups[role] = group
    return groups


def sync_seat(user: User, plan: Plan, role: str | None) -> None:
    """Put the user in the group of ``role`` for the plan and out of the plan's other role groups."""
    groups = ensure_plan_groups(plan)
    for group_role, group in groups.items():
        if group_role == role:
            user.groups.add(group)
        else:
            user.groups.remove(group)

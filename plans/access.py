"""Grants: how organisation membership and leading-group seats become guardian object permissions.

Everything is granted through groups, at school or plan level, never per task:
- group ``org:<code>`` holds the users of one organisation; it (and the groups of the levels above
  a school) get ``view_organisation_plans`` on the school;
- groups ``plan:<id>:<role>`` hold the seats of a plan's leading group and get the plan's
  permissions for that role. Measures and tasks are reached through their foreign keys.
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType

from plans.models import (
    LeadingGroupMember,
    Organisation,
    OrganisationGroupObjectPermission,
    Plan,
    PlanGroupObjectPermission,
    User,
)

Role = LeadingGroupMember.Role

ROLE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    Role.LEADER: ("view_plan", "manage_plan_tasks", "sign_plan_gate", "work_on_plan"),
    Role.DEPUTY: ("view_plan", "manage_plan_tasks", "work_on_plan"),
    Role.OFFICE: ("view_plan", "manage_plan_tasks", "work_on_plan"),
    Role.MEMBER: ("view_plan", "work_on_plan"),
}


def org_group_name(org: Organisation) -> str:
    return f"org:{org.code}"


def plan_group_name(plan_id: int, role: str) -> str:
    return f"plan:{plan_id}:{role}"


def _permissions(model: type, codenames: tuple[str, ...]) -> dict[str, Permission]:
    ct = ContentType.objects.get_for_model(model)
    perms = Permission.objects.filter(content_type=ct, codename__in=codenames)
    return {p.codename: p for p in perms}


def viewer_organisations(school: Organisation) -> list[Organisation]:
    """The school itself, every level above it, and the supervision offices of its bureau."""
    chain = [school, *school.ancestors()]
    offices = Organisation.objects.filter(
        parent__in=[o for o in chain if o.kind == Organisation.Kind.BUREAU], kind=Organisation.Kind.SUPERVISION
    )
    return chain + list(offices)


def ensure_org_group(org: Organisation) -> Group:
    group, _ = Group.objects.get_or_create(name=org_group_name(org))
    return group


def grant_school_visibility(school: Organisation) -> None:
    """Idempotent: let the school's own staff and its overseers see the school's plans."""
    perm = _permissions(Organisation, ("view_organisation_plans",))["view_organisation_plans"]
    for viewer in viewer_organisations(school):
        group = ensure_org_group(viewer)
        OrganisationGroupObjectPermission.objects.get_or_create(group=group, permission=perm, content_object=school)


def resync_school_visibility(school: Organisation) -> None:
    """After a school moved in the tree: drop its viewer grants and grant them again."""
    OrganisationGroupObjectPermission.objects.filter(
        content_object=school, permission__codename="view_organisation_plans"
    ).delete()
    if school.kind == Organisation.Kind.SCHOOL:
        grant_school_visibility(school)


def sync_user_organisation(user: User) -> None:
    """Idempotent: the user is in exactly the group of their own organisation."""
    stale = user.groups.filter(name__startswith="org:")
    if user.organisation_id is not None:
        group = ensure_org_group(user.organisation)
        stale = stale.exclude(pk=group.pk)
        user.groups.add(group)
    user.groups.remove(*stale)


def ensure_plan_groups(plan: Plan) -> dict[str, Group]:
    """Idempotent: the four role groups of a plan, each holding its role's permissions on the plan."""
    all_codenames = tuple({c for codes in ROLE_PERMISSIONS.values() for c in codes})
    perms = _permissions(Plan, all_codenames)
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

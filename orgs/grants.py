"""Grants of organisations: how membership of an organisation becomes guardian object permissions.

Everything is granted through groups, at school level, never per task: group ``org:<code>`` holds
the users of one organisation; it (and the groups of the levels above a school, up to a city bureau
over the county) get ``view_organisation_plans`` on the school. Nothing is inherited at check time:
a county attached to (or moved between) cities has its schools' city grants rewritten
(``resync_county_visibility``). Plan-level grants follow leading-group seats (plans.grants).
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q

from orgs.models import Organisation, OrganisationGroupObjectPermission, User


def org_group_name(org: Organisation) -> str:
    return f"org:{org.code}"


def permissions_of(model: type[models.Model], codenames: tuple[str, ...]) -> dict[str, Permission]:
    """The Permission rows of ``model`` with these codenames, by codename."""
    ct = ContentType.objects.get_for_model(model)
    perms = Permission.objects.filter(content_type=ct, codename__in=codenames)
    return {p.codename: p for p in perms}


def viewer_organisations(school: Organisation) -> list[Organisation]:
    """The school itself, every level above it (read again: a caller's parent objects may predate a
    county's attachment to a city), and the supervision offices of its bureau."""
    chain = [school]
    parent_id = school.parent_id
    while parent_id is not None and len(chain) < 8:  # the tree is shallow; a cycle must not hang
        node = Organisation.objects.get(pk=parent_id)
        chain.append(node)
        parent_id = node.parent_id
    offices = Organisation.objects.filter(
        parent__in=[o for o in chain if o.kind == Organisation.Kind.BUREAU], kind=Organisation.Kind.SUPERVISION
    )
    return chain + list(offices)


def ensure_org_group(org: Organisation) -> Group:
    group, _ = Group.objects.get_or_create(name=org_group_name(org))
    return group


def grant_school_visibility(school: Organisation) -> None:
    """Idempotent: let the school's own staff and its overseers see the school's plans."""
    perm = permissions_of(Organisation, ("view_organisation_plans",))["view_organisation_plans"]
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
    if user.organisation is not None:
        group = ensure_org_group(user.organisation)
        stale = stale.exclude(pk=group.pk)
        user.groups.add(group)
    user.groups.remove(*stale)


def add_new_users_to_organisation_groups(users: list[User]) -> None:
    """``sync_user_organisation`` for accounts just created (no groups yet), in a few statements:
    one group lookup per organisation, one insert for every membership."""
    groups = {org.pk: ensure_org_group(org) for org in {u.organisation for u in users if u.organisation}}
    Through = User.groups.through
    Through.objects.bulk_create(
        [Through(user_id=u.pk, group_id=groups[u.organisation_id].pk) for u in users if u.organisation_id],
        batch_size=1000,
    )


def county_schools(bureau: Organisation) -> models.QuerySet[Organisation]:
    """The schools of a county: under the bureau directly or under one of its centre schools."""
    return Organisation.objects.filter(kind=Organisation.Kind.SCHOOL).filter(
        Q(parent=bureau) | Q(parent__parent=bureau)
    )


def resync_county_visibility(bureau: Organisation) -> int:
    """After a county bureau got another city (or none): drop every city group's view grant on the
    county's schools and grant the new city's group, in three statements whatever the county's size.
    Returns the number of schools now visible to the city (0 without one)."""
    perm = permissions_of(Organisation, ("view_organisation_plans",))["view_organisation_plans"]
    schools = list(county_schools(bureau).values_list("pk", flat=True))
    city_groups = [org_group_name(c) for c in Organisation.objects.filter(kind=Organisation.Kind.CITY)]
    OrganisationGroupObjectPermission.objects.filter(
        content_object_id__in=schools, permission=perm, group__name__in=city_groups
    ).delete()
    city = bureau.parent
    if city is None or city.kind != Organisation.Kind.CITY:
        return 0
    group = ensure_org_group(city)
    OrganisationGroupObjectPermission.objects.bulk_create(
        [OrganisationGroupObjectPermission(group=group, permission=perm, content_object_id=pk) for pk in schools],
        batch_size=1000,
        ignore_conflicts=True,
    )
    return len(schools)

"""Reads for organisations. Every selector takes the viewing user and never returns a row that
user may not see."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL
from guardian.shortcuts import get_objects_for_user

from core import sqlmemo
from orgs.models import Organisation, User
from orgs.permissions import administered_centre, can_administer, can_manage_cities, is_active_user, user_bureau


def visible_organisations(user: Any) -> QuerySet[Organisation]:
    """Schools whose plans the user may see: their own, or those under their bureau or centre."""
    if not is_active_user(user):
        return Organisation.objects.none()

    def build() -> QuerySet[Any]:
        granted = get_objects_for_user(
            user, "orgs.view_organisation_plans", klass=Organisation, accept_global_perms=False
        )
        return granted.order_by().values("pk")

    # Compiled once per process and user (core.sqlmemo): the grants are read afresh by every query.
    sql, params = sqlmemo.compiled(("orgs.visible_organisations", user.pk, bool(user.is_superuser)), build)
    return Organisation.objects.filter(pk__in=RawSQL(sql, params))


def visible_schools(user: Any) -> QuerySet[Organisation]:
    return visible_organisations(user).filter(kind=Organisation.Kind.SCHOOL)


def managed_organisations(user: Any) -> QuerySet[Organisation]:
    """Organisations whose accounts the user manages (``can_manage_accounts`` as a query): the
    whole county for its bureau admin, the township's schools for a centre school's admin."""
    if not is_active_user(user):
        return Organisation.objects.none()
    if user.is_superuser:
        return Organisation.objects.all()
    bureau = user_bureau(user)
    if bureau is not None and can_administer(user, bureau):
        return Organisation.objects.filter(Q(pk=bureau.pk) | Q(parent=bureau) | Q(parent__parent=bureau))
    centre = administered_centre(user)
    if centre is not None:
        return Organisation.objects.filter(parent=centre, kind=Organisation.Kind.SCHOOL)
    return Organisation.objects.none()


def parent_choices(user: Any) -> QuerySet[Organisation]:
    """Where the user may place a school: their bureau or one of its centre schools."""
    managed = managed_organisations(user)
    if not can_administer(user):
        return Organisation.objects.none()
    return managed.filter(kind__in=[Organisation.Kind.BUREAU, Organisation.Kind.CENTRE])


def city_choices(user: Any) -> QuerySet[Organisation]:
    """The city bureaus a county may be attached to (superusers only; none for anyone else)."""
    if not can_manage_cities(user):
        return Organisation.objects.none()
    return Organisation.objects.filter(kind=Organisation.Kind.CITY, is_active=True).order_by("code")


def organisation_people(user: Any, org: Organisation) -> QuerySet[User]:
    """The accounts of ``org``, if the user manages them (else none)."""
    if not managed_organisations(user).filter(pk=org.pk).exists():
        return User.objects.none()
    return User.objects.filter(organisation=org).order_by("-is_active", "full_name", "username")

"""Reads for organisations. Every selector takes the viewing user and never returns a row that
user may not see."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from guardian.shortcuts import get_objects_for_user

from orgs.models import Organisation
from orgs.permissions import is_active_user


def visible_organisations(user: Any) -> QuerySet[Organisation]:
    """Schools whose plans the user may see: their own, or those under their bureau or centre."""
    if not is_active_user(user):
        return Organisation.objects.none()
    return get_objects_for_user(user, "orgs.view_organisation_plans", klass=Organisation, accept_global_perms=False)


def visible_schools(user: Any) -> QuerySet[Organisation]:
    return visible_organisations(user).filter(kind=Organisation.Kind.SCHOOL)

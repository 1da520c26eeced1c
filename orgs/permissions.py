"""Permission predicates about organisations and people, and the object-permission checker every
predicate of the apps above is built on. Each predicate takes the acting user first and answers a
plain bool; views use them to hide and refuse, services call them again to enforce.

Grants are django-guardian object permissions held through groups (orgs.grants, plans.grants). A
check reads all of the user's codenames on one object in a single query over guardian's
direct-foreign-key tables (user grants UNION group grants) and caches them on the user object, so a
page or a service that asks several questions about one object pays for its grants once.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Permission
from django.db import models
from guardian.utils import get_group_obj_perms_model, get_user_obj_perms_model

from orgs.models import Organisation, User

_PERMISSION_NAMES: dict[int, str] = {}
_CACHE_ATTR = "_planhub_permission_cache"


def _permission_name(pk: int) -> str:
    # Permission rows are fixed once migrations ran: read them once per process.
    if pk not in _PERMISSION_NAMES:
        _PERMISSION_NAMES.clear()
        _PERMISSION_NAMES.update(Permission.objects.values_list("pk", "codename"))
    return _PERMISSION_NAMES.get(pk, "")


def permission_cache(user: Any) -> dict[str, Any]:
    """Per-user memo of grant-derived answers (codenames, seats, work lists), for one request.
    Every layer keeps its entries here, so that ``forget_permissions`` drops them all."""
    cache: dict[str, Any] = user.__dict__.setdefault(_CACHE_ATTR, {})
    return cache


def forget_permissions(user: Any) -> None:
    """Drop the cached answers after grants of this user changed (a seat, an organisation)."""
    user.__dict__.pop(_CACHE_ATTR, None)


def _codenames(user: Any, obj: models.Model) -> frozenset[str]:
    cache: dict[tuple[str, Any], frozenset[str]] = permission_cache(user).setdefault("codenames", {})
    key = (obj._meta.label_lower, obj.pk)
    if key not in cache:
        if user.is_superuser:
            perms = Permission.objects.filter(
                content_type__app_label=obj._meta.app_label, content_type__model=obj._meta.model_name
            )
            cache[key] = frozenset(perms.values_list("codename", flat=True))
        else:
            # guardian annotates both getters as returning type[Model]; they return its object
            # permission models, which have a manager.
            direct = get_user_obj_perms_model(obj).objects.filter(  # type: ignore[attr-defined]
                user=user, content_object=obj
            )
            via_groups = get_group_obj_perms_model(obj).objects.filter(  # type: ignore[attr-defined]
                group__user=user, content_object=obj
            )
            ids = direct.values_list("permission_id", flat=True).union(
                via_groups.values_list("permission_id", flat=True)
            )
            cache[key] = frozenset(_permission_name(pk) for pk in ids)
    return cache[key]


def is_active_user(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def has_object_permission(user: Any, codename: str, obj: models.Model) -> bool:
    """Does the active ``user`` hold ``codename`` on ``obj`` (directly or through a group)?"""
    return is_active_user(user) and codename in _codenames(user, obj)


def is_overseer(user: Any) -> bool:
    """City bureau, county bureau, supervision office or township centre staff: they oversee
    schools, read-only."""
    org = getattr(user, "organisation", None)
    return is_active_user(user) and org is not None and org.kind != Organisation.Kind.SCHOOL


def is_bureau_user(user: Any) -> bool:
    """Staff of a county bureau or its supervision office: they run the county (templates,
    inspections, ratings, archives). City staff are not: they oversee, read-only."""
    org = getattr(user, "organisation", None)
    return is_active_user(user) and org is not None and org.kind in (Organisation.Kind.BUREAU, Organisation.Kind.SUPERVISION)


def user_bureau(user: Any) -> Organisation | None:
    """The bureau a bureau or supervision-office user works for (None for anyone else)."""
    org: Organisation | None = getattr(user, "organisation", None)
    if org is None or not is_bureau_user(user):
        return None
    return org if org.kind == Organisation.Kind.BUREAU else org.parent


def is_city_user(user: Any) -> bool:
    """Staff of a city bureau (市教育局): read-only oversight of every school of its counties."""
    org = getattr(user, "organisation", None)
    return is_active_user(user) and org is not None and org.kind == Organisation.Kind.CITY


def can_manage_cities(user: Any) -> bool:
    """May the user create city and county bureaus and attach a county to a city? Superusers only:
    city staff oversee read-only, and a county's own admin manages only what is under it."""
    return is_active_user(user) and bool(user.is_superuser)


def can_view_organisation(user: Any, org: Organisation) -> bool:
    """May the user see this school and its plans? Own school, or a level above it."""
    return has_object_permission(user, "view_organisation_plans", org)


def can_administer(user: Any, org: Organisation | None = None) -> bool:
    """Superusers, and bureau admins for organisations under their bureau (or the bureau itself)."""
    if user is None or not user.is_active:
        return False
    if user.is_superuser:
        return True
    if not (is_bureau_user(user) and user.bureau_role == User.BureauRole.ADMIN):
        return False
    if org is None:
        return True
    bureau = user_bureau(user)
    return org == bureau or bureau in org.ancestors()


def administered_centre(user: Any) -> Organisation | None:
    """The township centre school whose admin the user is (its staff with the admin role), or None."""
    org: Organisation | None = getattr(user, "organisation", None)
    if not is_active_user(user) or org is None or org.kind != Organisation.Kind.CENTRE:
        return None
    return org if user.bureau_role == User.BureauRole.ADMIN else None


def can_manage_organisations(user: Any, parent: Organisation | None = None) -> bool:
    """May the user add or edit centre schools and schools (under ``parent``)? Bureau admins of
    the county and superusers; centre schools manage people, not organisations."""
    return can_administer(user, parent)


def can_manage_accounts(user: Any, org: Organisation | None) -> bool:
    """May the user add, edit, disable and reset the accounts of ``org``? The bureau admin for
    every organisation of the county; a centre school's admin for the schools of its township."""
    if org is None:
        return False
    if can_administer(user, org):
        return True
    centre = administered_centre(user)
    return centre is not None and org.kind == Organisation.Kind.SCHOOL and org.parent_id == centre.pk


def can_manage_account(user: Any, person: User) -> bool:
    """May the user edit, disable or reset this person's account? Never a superuser's, unless
    the user is one; otherwise as ``can_manage_accounts`` for the person's organisation."""
    if person.is_superuser and not getattr(user, "is_superuser", False):
        return False
    return can_manage_accounts(user, person.organisation)

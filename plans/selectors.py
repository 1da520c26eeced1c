"""Reads for plans. Every selector takes the viewing user and never returns a row that user may
not see."""

from __future__ import annotations

from typing import Any

from django.db.models import Case, Prefetch, Q, QuerySet, Value, When
from django.http import Http404
from guardian.shortcuts import get_objects_for_user

from orgs.permissions import is_active_user, permission_cache
from orgs.selectors import visible_organisations
from plans.models import (
    Indicator,
    IndicatorReading,
    LeadingGroupMember,
    Plan,
    PlanGroupObjectPermission,
    PlanUserObjectPermission,
)


def visible_plans(user: Any) -> QuerySet[Plan]:
    """Plans of visible schools, plus plans on whose leading group the user sits.

    Built once per user object (a request's user) and kept in the permission cache, which
    ``forget_permissions`` drops when the user's grants change: a page asks for it two or three
    times (header count, badges, the page itself), and guardian's query building costs a few
    milliseconds each time. Callers get a fresh clone, never the cached queryset itself."""
    if not is_active_user(user):
        return Plan.objects.none()
    cache = permission_cache(user)
    scope = cache.get("visible_plans")
    if scope is None:
        seated = get_objects_for_user(user, "plans.view_plan", klass=Plan, accept_global_perms=False)
        scope = cache["visible_plans"] = Plan.objects.filter(
            Q(school__in=visible_organisations(user)) | Q(pk__in=seated.values("pk"))
        )
    return scope.all()


def plan_for(user: Any, pk: int) -> Plan:
    """The plan with this id if the user may see it; 404 otherwise (foreign ids look like unknown ones)."""
    plan = visible_plans(user).select_related("school", "school__parent").filter(pk=pk).first()
    if plan is None:
        raise Http404("方案不存在或您无权查看。")
    return plan


def seat_rank() -> Case:
    """Seats in the order a leading group is printed: 组长, 副组长, 办公室, 成员 (not the
    alphabetical order of the stored role codes, which put 副组长 first)."""
    roles = LeadingGroupMember.Role
    ranks = (roles.LEADER, roles.DEPUTY, roles.OFFICE, roles.MEMBER)
    return Case(*(When(role=role, then=Value(i)) for i, role in enumerate(ranks)), default=Value(len(ranks)))


def plan_leading_group(plan: Plan) -> list[LeadingGroupMember]:
    """The plan's seats, 组长 first (seat_rank), then in the order they were set."""
    return list(plan.leading_group.select_related("user", "working_group").order_by(seat_rank(), "id"))


def plan_indicators(plan: Plan) -> list[Indicator]:
    """Indicators with their readings (newest first) prefetched; ``latest`` is set on each."""
    readings = IndicatorReading.objects.select_related("reported_by").order_by("-measured_on", "-id")
    indicators = list(plan.indicators.prefetch_related(Prefetch("readings", queryset=readings)))
    for indicator in indicators:
        all_readings = list(indicator.readings.all())
        indicator.latest = all_readings[0] if all_readings else None
        indicator.met = indicator.is_met_by(indicator.latest.value if indicator.latest else None)
    return indicators


def plan_ids_granted(user: Any, *codenames: str) -> dict[str, set[int]]:
    """For each codename, the ids of the plans on which the user holds it through a guardian grant
    (directly or through a group): one query. Superusers get no implicit entries here: these ids
    drive work lists (what waits for the user), not visibility.

    Work lists filter on these concrete ids rather than on a permission subquery, which keeps their
    cost tied to the user's own plans however large the county grows.
    """
    granted: dict[str, set[int]] = {codename: set() for codename in codenames}
    if not is_active_user(user):
        return granted
    via_groups = PlanGroupObjectPermission.objects.filter(group__user=user, permission__codename__in=codenames)
    direct = PlanUserObjectPermission.objects.filter(user=user, permission__codename__in=codenames)
    rows = via_groups.values_list("permission__codename", "content_object_id").union(
        direct.values_list("permission__codename", "content_object_id")
    )
    for codename, plan_id in rows:
        granted[codename].add(plan_id)
    return granted

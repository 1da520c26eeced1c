"""Reads for plans. Every selector takes the viewing user and never returns a row that user may
not see."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.models import Case, Prefetch, Q, QuerySet, Value, When
from django.db.models.expressions import RawSQL
from django.http import Http404
from guardian.shortcuts import get_objects_for_user

from core import sqlmemo
from orgs.permissions import is_active_user
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

    The scope is one SQL subquery, evaluated afresh inside every query that uses it. Its text
    depends only on the user's id and superuser flag (guardian's grant tables, the user's groups
    and the organisation tree are all read by the subquery itself), so it is compiled once per
    process and user (``_scope_sql``) and embedded as raw SQL: compiling guardian's nested
    querysets cost several milliseconds of CPU each time a page embedded them (the header's
    count, badges, the page itself)."""
    if not is_active_user(user):
        return Plan.objects.none()
    sql, params = _scope_sql(user)
    return Plan.objects.filter(pk__in=RawSQL(sql, params))


def _scope_sql(user: Any) -> tuple[str, tuple[Any, ...]]:
    """``SELECT id FROM plans_plan WHERE …`` for the plans ``user`` may see, with its parameters."""

    def build() -> QuerySet[Any]:
        seated = get_objects_for_user(user, "plans.view_plan", klass=Plan, accept_global_perms=False)
        scope = Plan.objects.filter(Q(school__in=visible_organisations(user)) | Q(pk__in=seated.values("pk")))
        return scope.order_by().values("pk")

    return sqlmemo.compiled(("plans.visible_plans", user.pk, bool(user.is_superuser)), build)


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

    def build() -> QuerySet[Any]:
        via_groups = PlanGroupObjectPermission.objects.filter(group__user=user, permission__codename__in=codenames)
        direct = PlanUserObjectPermission.objects.filter(user=user, permission__codename__in=codenames)
        return via_groups.values_list("permission__codename", "content_object_id").union(
            direct.values_list("permission__codename", "content_object_id")
        )

    sql, params = sqlmemo.compiled(("plans.plan_ids_granted", user.pk, codenames), build)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for codename, plan_id in cursor.fetchall():
            granted[codename].add(plan_id)
    return granted

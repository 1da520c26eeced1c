"""Reads for organisations and plans. Every selector takes the viewing user and never returns a
row that user may not see."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from guardian.shortcuts import get_objects_for_user

from plans.models import Indicator, IndicatorReading, LeadingGroupMember, Measure, Organisation, Plan, Stage


def visible_organisations(user: Any) -> QuerySet[Organisation]:
    """Schools whose plans the user may see: their own, or those under their bureau or centre."""
    if not (user.is_authenticated and user.is_active):
        return Organisation.objects.none()
    return get_objects_for_user(user, "plans.view_organisation_plans", klass=Organisation, accept_global_perms=False)


def visible_schools(user: Any) -> QuerySet[Organisation]:
    return visible_organisations(user).filter(kind=Organisation.Kind.SCHOOL)


def visible_plans(user: Any) -> QuerySet[Plan]:
    """Plans of visible schools, plus plans on whose leading group the user sits."""
    if not (user.is_authenticated and user.is_active):
        return Plan.objects.none()
    seated = get_objects_for_user(user, "plans.view_plan", klass=Plan, accept_global_perms=False)
    return Plan.objects.filter(Q(school__in=visible_organisations(user)) | Q(pk__in=seated.values("pk")))


def plan_for(user: Any, pk: int) -> Plan:
    """The plan with this id if the user may see it; 404 otherwise (foreign ids look like unknown ones)."""
    plan = visible_plans(user).select_related("school", "school__parent").filter(pk=pk).first()
    if plan is None:
        raise Http404("方案不存在或您无权查看。")
    return plan


def plan_structure(plan: Plan) -> list[Stage]:
    """Stages with their measures and tasks (assignees loaded), in order, in a fixed number of queries."""
    from tasks.models import Task

    tasks = Task.objects.select_related("assignee").order_by("order", "id")
    measures = Measure.objects.select_related("owner", "working_group").prefetch_related(
        Prefetch("tasks", queryset=tasks)
    )
    return list(plan.stages.select_related("completed_by").prefetch_related(Prefetch("measures", queryset=measures)))


def plan_leading_group(plan: Plan) -> list[LeadingGroupMember]:
    return list(plan.leading_group.select_related("user", "working_group").order_by("role", "id"))


def plan_indicators(plan: Plan) -> list[Indicator]:
    """Indicators with their readings (newest first) prefetched; ``latest`` is set on each."""
    readings = IndicatorReading.objects.select_related("reported_by").order_by("-measured_on", "-id")
    indicators = list(plan.indicators.prefetch_related(Prefetch("readings", queryset=readings)))
    for indicator in indicators:
        all_readings = list(indicator.readings.all())
        indicator.latest = all_readings[0] if all_readings else None
        indicator.met = indicator.is_met_by(indicator.latest.value if indicator.latest else None)
    return indicators


def plan_history(plan: Plan, limit: int = 30) -> list:
    """The plan's latest audit entries, each with a human ``label`` and the ``subject`` it concerns."""
    from plans.audit import action_label
    from tasks.models import Task

    entries = list(plan.audit_entries.select_related("actor").order_by("-created_at", "-id")[:limit])
    task_ids = {e.target_id for e in entries if e.target_type == "tasks.task"}
    stage_ids = {e.target_id for e in entries if e.target_type == "plans.stage"}
    titles = {("tasks.task", pk): t for pk, t in Task.objects.filter(pk__in=task_ids).values_list("pk", "title")}
    titles |= {("plans.stage", pk): n for pk, n in Stage.objects.filter(pk__in=stage_ids).values_list("pk", "name")}
    for entry in entries:
        entry.label = action_label(entry.action)
        entry.subject = titles.get((entry.target_type, entry.target_id), "")
    return entries


def plan_ids_granted(user: Any, *codenames: str) -> dict[str, set[int]]:
    """For each codename, the ids of the plans on which the user holds it through a guardian grant
    (directly or through a group): one query. Superusers get no implicit entries here: these ids
    drive work lists (what waits for the user), not visibility.

    Work lists filter on these concrete ids rather than on a permission subquery, which keeps their
    cost tied to the user's own plans however large the county grows.
    """
    from plans.models import PlanGroupObjectPermission, PlanUserObjectPermission

    granted: dict[str, set[int]] = {codename: set() for codename in codenames}
    if not (user.is_authenticated and user.is_active):
        return granted
    via_groups = PlanGroupObjectPermission.objects.filter(group__user=user, permission__codename__in=codenames)
    direct = PlanUserObjectPermission.objects.filter(user=user, permission__codename__in=codenames)
    rows = via_groups.values_list("permission__codename", "content_object_id").union(
        direct.values_list("permission__codename", "content_object_id")
    )
    for codename, plan_id in rows:
        granted[codename].add(plan_id)
    return granted

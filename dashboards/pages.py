"""Pages that show plans with their progress: the role-aware home page, a school's plans, and the
plan page (structure, tasks, leading group, indicators, latest history)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from acceptance.states import label_plans
from dashboards.plan_page import plan_history, plan_structure
from dashboards.rollups import plan_progress
from orgs.models import Organisation
from orgs.permissions import can_view_organisation, is_overseer
from orgs.selectors import visible_schools
from plans import selectors
from plans.models import LeadingGroupMember
from plans.permissions import (
    can_edit_leading_group,
    can_edit_plan,
    can_manage_plan_tasks,
    can_sign_plan_gate,
    plan_role,
)
from tasks.forms import seat_choices
from tasks.selectors import open_tasks_of


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Members see their tasks, the leading group its school's plans, overseers their schools."""
    user = request.user
    if is_overseer(user):
        return _overseer_home(request)
    plans = list(selectors.visible_plans(user).select_related("school"))
    progress = plan_progress([p.pk for p in plans])
    roles = dict(
        LeadingGroupMember.objects.filter(user=user, plan__in=[p.pk for p in plans]).values_list("plan_id", "role")
    )
    role_labels = dict(LeadingGroupMember.Role.choices)
    label_plans(plans)
    for plan in plans:
        plan.progress = progress[plan.pk]
        plan.my_role = role_labels.get(roles.get(plan.pk))
    my_tasks = list(open_tasks_of(user)[:50])
    return render(
        request,
        "dashboards/home_school.html",
        {"plans": plans, "my_tasks": my_tasks, "my_task_groups": _by_plan(my_tasks)},
    )


def _by_plan(tasks: list[Any]) -> list[dict[str, Any]]:
    """我的任务 under one heading per plan (two plans may have tasks of the same title); a plan
    comes where its most pressing task would (the tasks come soonest due first)."""
    groups: dict[int, dict[str, Any]] = {}
    for task in tasks:
        groups.setdefault(task.plan_id, {"plan": task.plan, "tasks": []})["tasks"].append(task)
    return list(groups.values())


def _overseer_home(request: HttpRequest) -> HttpResponse:
    schools = list(visible_schools(request.user).select_related("parent").order_by("township", "code"))
    plans = list(selectors.visible_plans(request.user).filter(school__in=schools).select_related("school"))
    progress = plan_progress([p.pk for p in plans])
    label_plans(plans)
    by_school: dict[int, list] = {}
    for plan in plans:
        plan.progress = progress[plan.pk]
        by_school.setdefault(plan.school_id, []).append(plan)
    for school in schools:
        school.plan_list = by_school.get(school.pk, [])
    return render(request, "dashboards/home_overseer.html", {"schools": schools})


@login_required
def school_detail(request: HttpRequest, pk: int) -> HttpResponse:
    school = Organisation.objects.filter(pk=pk, kind=Organisation.Kind.SCHOOL).select_related("parent").first()
    if school is None or not can_view_organisation(request.user, school):
        raise Http404("学校不存在或您无权查看。")
    plans = list(selectors.visible_plans(request.user).filter(school=school))
    progress = plan_progress([p.pk for p in plans])
    label_plans(plans)
    for plan in plans:
        plan.progress = progress[plan.pk]
    return render(request, "dashboards/school_detail.html", {"school": school, "plans": plans})


@login_required
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    plan = selectors.plan_for(request.user, pk)
    label_plans([plan])
    progress = plan_progress([plan.pk])[plan.pk]
    stages = plan_structure(plan)
    task_url = reverse("tasks:task_detail", args=[0]).replace("/0/", "/{}/")  # one reverse per page
    for stage in stages:
        stage.progress = progress.stages.get(stage.pk)
        for measure in stage.measures.all():
            measure.progress = progress.measures.get(measure.pk)
            for task in measure.tasks.all():
                task.url = task_url.format(task.pk)
    role = plan_role(request.user, plan)
    return render(
        request,
        "dashboards/plan_detail.html",
        {
            "plan": plan,
            "progress": progress,
            "stages": stages,
            "leading_group": selectors.plan_leading_group(plan),
            "indicators": selectors.plan_indicators(plan),
            "my_role": dict(LeadingGroupMember.Role.choices).get(role),
            "can_manage": can_manage_plan_tasks(request.user, plan),
            "can_sign": can_sign_plan_gate(request.user, plan),
            "can_edit_group": can_edit_leading_group(request.user, plan),
            "can_edit_plan": can_edit_plan(request.user, plan) and plan.status != plan.Status.COMPLETED,
            "read_only": not can_manage_plan_tasks(request.user, plan),
            "seat_options": seat_choices(plan) if can_manage_plan_tasks(request.user, plan) else [],
            "working_groups": list(plan.working_groups.all()),
            "history": plan_history(plan),
        },
    )

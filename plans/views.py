"""Pages for organisations and plans: login, the role-aware home page, school and plan detail."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from plans import selectors
from plans.forms import LoginForm
from plans.models import LeadingGroupMember, Organisation
from plans.permissions import can_manage_plan_tasks, can_sign_plan_gate, can_view_organisation, is_overseer, plan_role
from plans.rollups import plan_progress
from tasks.forms import seat_choices
from tasks.selectors import open_tasks_of


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    pass


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
    for plan in plans:
        plan.progress = progress[plan.pk]
        plan.my_role = role_labels.get(roles.get(plan.pk))
    my_tasks = list(open_tasks_of(user)[:50])
    return render(
        request,
        "plans/home_school.html",
        {"plans": plans, "my_tasks": my_tasks},
    )


def _overseer_home(request: HttpRequest) -> HttpResponse:
    schools = list(selectors.visible_schools(request.user).select_related("parent").order_by("township", "code"))
    plans = list(selectors.visible_plans(request.user).filter(school__in=schools).select_related("school"))
    progress = plan_progress([p.pk for p in plans])
    by_school: dict[int, list] = {}
    for plan in plans:
        plan.progress = progress[plan.pk]
        by_school.setdefault(plan.school_id, []).append(plan)
    for school in schools:
        school.plan_list = by_school.get(school.pk, [])
    return render(request, "plans/home_overseer.html", {"schools": schools})


@login_required
def school_detail(request: HttpRequest, pk: int) -> HttpResponse:
    school = Organisation.objects.filter(pk=pk, kind=Organisation.Kind.SCHOOL).select_related("parent").first()
    if school is None or not can_view_organisation(request.user, school):
        raise Http404("学校不存在或您无权查看。")
    plans = list(selectors.visible_plans(request.user).filter(school=school))
    progress = plan_progress([p.pk for p in plans])
    for plan in plans:
        plan.progress = progress[plan.pk]
    return render(request, "plans/school_detail.html", {"school": school, "plans": plans})


@login_required
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    plan = selectors.plan_for(request.user, pk)
    progress = plan_progress([plan.pk])[plan.pk]
    stages = selectors.plan_structure(plan)
    for stage in stages:
        stage.progress = progress.stages.get(stage.pk)
        for measure in stage.measures.all():
            measure.progress = progress.measures.get(measure.pk)
    role = plan_role(request.user, plan)
    return render(
        request,
        "plans/plan_detail.html",
        {
            "plan": plan,
            "progress": progress,
            "stages": stages,
            "leading_group": selectors.plan_leading_group(plan),
            "indicators": selectors.plan_indicators(plan),
            "my_role": dict(LeadingGroupMember.Role.choices).get(role),
            "can_manage": can_manage_plan_tasks(request.user, plan),
            "can_sign": can_sign_plan_gate(request.user, plan),
            "read_only": not can_manage_plan_tasks(request.user, plan),
            "seat_options": seat_choices(plan) if can_manage_plan_tasks(request.user, plan) else [],
            "working_groups": list(plan.working_groups.all()),
            "history": selectors.plan_history(plan),
        },
    )


def _error(request: HttpRequest, status: int, title: str, message: str) -> HttpResponse:
    return render(request, "error.html", {"title": title, "message": message, "status": status}, status=status)


def error_400(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 400, "请求无效", "请求的内容无法处理,请返回上一页重试。")


def error_403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    message = getattr(exception, "message", None) or "您没有权限访问此页面或执行此操作。"
    return _error(request, 403, "无权访问", str(message))


def error_404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 404, "页面不存在", "您要找的内容不存在,或您无权查看。")


def error_500(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "error.html",
        {"title": "服务器出错", "message": "系统暂时出现问题,已记录。请稍后重试。", "status": 500},
        status=500,
    )

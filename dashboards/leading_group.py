"""The leading-group page of a plan: its 组长, office and the bureau admin edit seats and working
groups (people picked by name from the school's staff), copy the group from another plan of the
school, and everyone who sees the plan reads the group and its history. Writes go through
plans.services; the one check is plans.permissions.can_edit_leading_group."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from core.errors import DomainError, require
from dashboards.forms import CopyForm, SeatForm, WorkingGroupForm
from dashboards.plan_page import leading_group_history
from orgs.models import User
from plans import selectors, services
from plans.models import Plan
from plans.permissions import can_edit_leading_group


def _copy_sources(request: HttpRequest, plan: Plan):
    return (
        selectors.visible_plans(request.user).filter(school=plan.school).exclude(pk=plan.pk).order_by("-year", "title")
    )


def _back(plan: Plan) -> HttpResponse:
    return redirect("plans:leading_group", plan.pk)


@login_required
@require_GET
def leading_group(request: HttpRequest, pk: int) -> HttpResponse:
    plan = selectors.plan_for(request.user, pk)
    can_edit = can_edit_leading_group(request.user, plan)
    seats = selectors.plan_leading_group(plan)
    context = {
        "plan": plan,
        "seats": seats,
        "working_groups": list(plan.working_groups.all()),
        "history": leading_group_history(plan),
        "can_edit": can_edit,
    }
    if can_edit:
        seated = {s.user_id for s in seats}
        add_form = SeatForm(plan=plan, initial={"role": "member"})
        add_form.fields["user"].queryset = add_form.fields["user"].queryset.exclude(pk__in=seated)
        context |= {
            "add_form": add_form,
            "seat_forms": [
                (
                    seat,
                    SeatForm(
                        plan=plan,
                        prefix=f"seat{seat.pk}",
                        form_id=f"seat-form-{seat.pk}",
                        initial={
                            "user": seat.user_id,
                            "role": seat.role,
                            "working_group": seat.working_group_id,
                            "duty": seat.duty,
                        },
                    ),
                )
                for seat in seats
            ],
            "group_form": WorkingGroupForm(),
            "copy_form": CopyForm(sources=_copy_sources(request, plan)),
        }
    return render(request, "dashboards/leading_group.html", context)


@login_required
@require_POST
def seat_save(request: HttpRequest, pk: int) -> HttpResponse:
    plan = selectors.plan_for(request.user, pk)
    require(can_edit_leading_group(request.user, plan))
    prefix = request.POST.get("prefix") or None
    form = SeatForm(request.POST, plan=plan, prefix=prefix)
    if not form.is_valid():
        messages.error(request, "请选择本校人员和角色。")
        return _back(plan)
    data = form.cleaned_data
    try:
        services.seat_set(
            actor=request.user,
            plan=plan,
            user=data["user"],
            role=data["role"],
            working_group=data["working_group"],
            duty=data["duty"],
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已保存 {data['user']} 的领导小组角色。")
    return _back(plan)


@login_required
@require_POST
def seat_remove(request: HttpRequest, pk: int, user_pk: int) -> HttpResponse:
    plan = selectors.plan_for(request.user, pk)
    require(can_edit_leading_group(request.user, plan))
    person = get_object_or_404(User, pk=user_pk, organisation=plan.school)
    try:
        services.seat_remove(actor=request.user, plan=plan, user=person)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已将 {person} 移出领导小组。")
    return _back(plan)


@login_required
@require_POST
def working_group_add(request: HttpRequest, pk: int) -> HttpResponse:
    plan = selectors.plan_for(request.user, pk)
    require(can_edit_leading_group(request.user, plan))
    form = WorkingGroupForm(request.POST)
    try:
        if not form.is_valid():
            raise DomainError("请填写专业工作组名称（不超过 50 字）。")
        group = services.working_group_create(actor=request.user, plan=plan, name=form.cleaned_data["name"])
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已添加专业工作组“{group.name}”。")
    return _back(plan)


@login_required
@require_POST
def leading_group_copy(request: HttpRequest, pk: int) -> HttpResponse:
    plan = selectors.plan_for(request.user, pk)
    require(can_edit_leading_group(request.user, plan))
    form = CopyForm(request.POST, sources=_copy_sources(request, plan))
    try:
        if not form.is_valid():
            raise DomainError("请选择本校的另一个方案。")
        copied = services.leading_group_copy(actor=request.user, plan=plan, source=form.cleaned_data["source"])
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已从“{form.cleaned_data['source'].title}”复制 {copied} 名领导小组成员。")
    return _back(plan)

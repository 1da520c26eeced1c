"""The stage gate page (what still blocks the gate, the leader's signature) and 我的待办, the inbox
of everything that waits for the user."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from core.errors import DomainError
from plans.models import Stage
from plans.selectors import visible_plans
from tasks.selectors import tasks_to_do, tasks_to_review, work_grants
from workflows.forms import StageSignForm
from workflows.inbox import contributed_sections
from workflows.live import inbox_fingerprint, stage_version
from workflows.permissions import can_sign_stage
from workflows.selectors import counts_own_work, gate_status, gates_awaiting, listed_inbox_count
from workflows.services import stage_complete


def _stage_for(request: HttpRequest, pk: int) -> Stage:
    stage = (
        Stage.objects.select_related("plan__school", "completed_by")
        .filter(pk=pk, plan__in=visible_plans(request.user))
        .first()
    )
    if stage is None:
        raise Http404("阶段不存在或您无权查看。")
    return stage


@login_required
def stage_gate(request: HttpRequest, pk: int, form: StageSignForm | None = None) -> HttpResponse:
    stage = _stage_for(request, pk)
    # The version first: a change committed while the page is built makes it stale, never current.
    live_version = stage_version(request.user, stage)
    status = gate_status(stage, request.user)
    can_sign = can_sign_stage(request.user, stage)
    is_last = not stage.plan.stages.filter(order__gt=stage.order).exists()
    context = {
        "stage": stage,
        "gate": status,
        "can_sign": can_sign,
        "plan": stage.plan,
        "is_last": is_last,
        "form": form or StageSignForm(),
        "live_version": live_version,
    }
    return render(request, "workflows/stage_gate.html", context, status=400 if form is not None else 200)


@login_required
@require_POST
def stage_sign(request: HttpRequest, pk: int) -> HttpResponse:
    stage = _stage_for(request, pk)
    if not can_sign_stage(request.user, stage):
        raise PermissionDenied("只有领导小组组长可以签署阶段关口。")
    form = StageSignForm(request.POST)
    if not form.is_valid():
        # Shown again with what was typed: a refused opinion is not lost.
        return stage_gate(request, pk, form=form)
    try:
        stage_complete(stage=stage, actor=request.user, opinion=form.cleaned_data["opinion"])
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("workflows:stage_gate", pk=stage.pk)
    messages.success(request, f"已签署“{stage.name}”关口。")
    return redirect("plans:plan_detail", pk=stage.plan_id)


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    """我的待办: tasks to do, tasks to review and gates to sign, overdue and soonest due first, then
    the sections the apps above contribute (workflows.inbox)."""
    to_do = list(tasks_to_do(request.user))
    to_do.sort(key=lambda t: (not t.is_overdue, t.due_on is None, t.due_on or t.created_at.date(), t.pk))
    to_review = list(tasks_to_review(request.user))
    to_review.sort(key=lambda t: (not t.is_overdue, t.due_on is None, t.due_on or t.created_at.date(), t.pk))
    grants = work_grants(request.user)
    gates = list(gates_awaiting(request.user))
    sections = contributed_sections(request.user)
    # The header's number is what this page lists (the same querysets, unsliced), counted here
    # instead of by the header's own query.
    listed = listed_inbox_count(request.user, to_do=to_do, to_review=to_review, gates=gates, sections=sections)
    return render(
        request,
        "workflows/inbox.html",
        {
            "to_do": to_do,
            # Bureau and centre staff never hold tasks: no empty 待我办理 card for them.
            "own_work": counts_own_work(request.user),
            "to_review": to_review,
            "gates": gates,
            "reviews_any": bool(grants["manage_plan_tasks"]),
            "leads_any": bool(grants["sign_plan_gate"]),
            "sections": sections,
            "live_version": inbox_fingerprint(to_do=to_do, to_review=to_review, gates=gates, sections=sections),
            "nav_inbox_count": listed,
        },
    )

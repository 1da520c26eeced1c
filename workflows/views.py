"""The stage gate page: what still blocks the gate, and the leader's signature."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from plans.errors import DomainError
from plans.models import Stage
from plans.selectors import visible_plans
from workflows.permissions import can_sign_stage
from workflows.selectors import gate_status
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
def stage_gate(request: HttpRequest, pk: int) -> HttpResponse:
    stage = _stage_for(request, pk)
    status = gate_status(stage)
    can_sign = can_sign_stage(request.user, stage)
    if not can_sign and stage.status == Stage.Status.OPEN:
        status.blockers.append("只有领导小组组长可以签署阶段关口。")
    return render(
        request, "workflows/stage_gate.html", {"stage": stage, "gate": status, "can_sign": can_sign, "plan": stage.plan}
    )


@login_required
@require_POST
def stage_sign(request: HttpRequest, pk: int) -> HttpResponse:
    stage = _stage_for(request, pk)
    if not can_sign_stage(request.user, stage):
        raise PermissionDenied("只有领导小组组长可以签署阶段关口。")
    try:
        stage_complete(stage=stage, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("workflows:stage_gate", pk=stage.pk)
    messages.success(request, f"已签署“{stage.name}”关口。")
    return redirect("plans:plan_detail", pk=stage.plan_id)

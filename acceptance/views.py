"""The plan's acceptance page: the form with the self-assessment (自评) and its running score, the
application (请验), and the bureau's scoring rules. Pages ask acceptance.rules (through the
selectors) what to offer; the services ask the same rules again to refuse."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from acceptance.models import TIERS, AcceptanceCriterion
from acceptance.permissions import can_apply_for_acceptance, can_self_assess, can_set_form_rules
from acceptance.rules import form_rules_refusal, self_assess_refusal
from acceptance.selectors import application_status, evidence_choices, plan_applications, self_assessment
from acceptance.services import application_submit, form_rules_set, self_rating_set
from core.errors import DomainError
from plans.selectors import plan_for


@login_required
def plan_acceptance(request: HttpRequest, pk: int) -> HttpResponse:
    plan = plan_for(request.user, pk)
    assessment = self_assessment(plan)
    can_rate = self_assess_refusal(request.user, plan) is None
    evidence, readings = evidence_choices(plan) if can_rate else ([], [])
    return render(
        request,
        "acceptance/plan_acceptance.html",
        {
            "plan": plan,
            "assessment": assessment,
            "result": assessment.result,
            "rules": assessment.rules,
            "tiers": TIERS,
            "can_rate": can_rate,
            "is_rater": can_self_assess(request.user, plan),
            "can_apply": can_apply_for_acceptance(request.user, plan),
            "apply_blockers": application_status(request.user, plan, assessment),
            "applications": plan_applications(plan),
            "can_set_rules": can_set_form_rules(request.user, plan),
            "rules_open": form_rules_refusal(request.user, plan) is None,
            "evidence": evidence,
            "readings": readings,
        },
    )


def _ids(values: list[str]) -> list[int]:
    return [int(v) for v in values if v.isdigit()]


@login_required
@require_POST
def criterion_rate(request: HttpRequest, pk: int, criterion_pk: int) -> HttpResponse:
    plan = plan_for(request.user, pk)
    criterion = AcceptanceCriterion.objects.filter(pk=criterion_pk, plan=plan).first()
    if criterion is None:
        messages.error(request, "评估要点不存在。")
        return redirect("acceptance:plan_acceptance", pk=plan.pk)
    if not can_self_assess(request.user, plan):
        raise PermissionDenied("只有组长、副组长或办公室主任可以填写自评。")
    tier_raw = request.POST.get("tier", "")
    version_raw = request.POST.get("version", "")
    try:
        self_rating_set(
            actor=request.user,
            criterion=criterion,
            tier=int(tier_raw) if tier_raw.lstrip("-").isdigit() else None,
            note=request.POST.get("note", ""),
            not_applicable=request.POST.get("not_applicable") == "on",
            na_reason=request.POST.get("na_reason", ""),
            evidence_ids=_ids(request.POST.getlist("evidence")),
            reading_ids=_ids(request.POST.getlist("readings")),
            version=int(version_raw) if version_raw.isdigit() else None,
        )
    except DomainError as exc:
        messages.error(request, f"第 {criterion.order} 项:{exc.message}")
    else:
        messages.success(request, f"已保存第 {criterion.order} 项自评。")
    return redirect(reverse("acceptance:plan_acceptance", args=[plan.pk]) + f"#criterion-{criterion.pk}")


@login_required
@require_POST
def plan_apply(request: HttpRequest, pk: int) -> HttpResponse:
    plan = plan_for(request.user, pk)
    if not can_apply_for_acceptance(request.user, plan):
        raise PermissionDenied("只有领导小组组长可以申请验收。")
    try:
        application = application_submit(actor=request.user, plan=plan, note=request.POST.get("note", ""))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已提交第 {application.round} 轮验收申请,方案进入验收中。")
    return redirect("acceptance:plan_acceptance", pk=plan.pk)


def _decimal(raw: str | None) -> Decimal | None:
    try:
        return Decimal((raw or "").strip()) if (raw or "").strip() else None
    except InvalidOperation:
        raise DomainError(f"“{raw}”不是有效的数字。") from None


def _count(raw: str | None) -> int | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise DomainError(f"“{raw}”不是有效的项数。")
    return int(raw)


@login_required
@require_POST
def form_rules(request: HttpRequest, pk: int) -> HttpResponse:
    plan = plan_for(request.user, pk)
    if not can_set_form_rules(request.user, plan):
        raise PermissionDenied("只有教育局管理员可以设置评估表的评分规则。")
    try:
        fractions = [_decimal(request.POST.get(f"tier{n}_fraction")) for n in (1, 2, 3, 4)]
        if any(f is None for f in fractions):
            raise DomainError("请填写四个档次的得分比例。")
        form_rules_set(
            actor=request.user,
            plan=plan,
            fractions=[f for f in fractions if f is not None],
            pass_rule=request.POST.get("pass_rule", "points"),
            pass_mark=_decimal(request.POST.get("pass_mark")) or Decimal("85"),
            min_tier1=_count(request.POST.get("min_tier1")),
            max_tier3=_count(request.POST.get("max_tier3")),
            max_tier4=_count(request.POST.get("max_tier4")),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "已保存评分规则。")
    return redirect("acceptance:plan_acceptance", pk=plan.pk)

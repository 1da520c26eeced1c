"""The plan's acceptance page: the form with the self-assessment (自评) and its running score, the
application (请验), and the bureau's scoring rules. Pages ask acceptance.rules (through the
selectors) what to offer; the services ask the same rules again to refuse."""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from acceptance import services
from acceptance.certificate import certificate_pdf
from acceptance.extensions import plan_badges, scoped_plan_badges
from acceptance.models import TIERS, AcceptanceCriterion, Application, RectificationItem
from acceptance.overview import OVERVIEW_PAGE_SIZE, STATES, acceptance_overview, my_inspections, townships
from acceptance.permissions import (
    can_apply_for_acceptance,
    can_form_inspection_team,
    can_handle_notice,
    can_manage_rectification,
    can_rate_as_inspector,
    can_self_assess,
    can_set_form_rules,
    can_settle_inspection,
    can_spot_check,
    can_view_inspection_board,
    is_on_team,
)
from acceptance.rendering import inspection_rows
from acceptance.rules import form_rules_refusal, self_assess_refusal
from acceptance.selectors import (
    application_status,
    certificate_void,
    city_staff,
    evidence_choices,
    inspection_board,
    latest_application,
    plan_applications,
    rectification_items,
    seat_users,
    self_assessment,
    spot_checks,
    team_choices,
)
from acceptance.services import application_submit, form_rules_set, self_rating_set
from acceptance.states import plan_state_label
from core.errors import DomainError
from core.storage import download_response
from orgs.models import Organisation, User
from orgs.permissions import is_city_user, is_overseer
from plans.models import Plan
from plans.permissions import can_view_plan
from plans.selectors import plan_for, visible_plans
from tasks.extensions import filing_apply, filing_choices, filing_offers


@login_required
def plan_acceptance(request: HttpRequest, pk: int) -> HttpResponse:
    plan = plan_for(request.user, pk)
    assessment = self_assessment(plan)
    can_rate = self_assess_refusal(request.user, plan) is None
    context = _bureau_context(request, plan)
    application = context["application"]
    plan.state_label = plan_state_label(plan, application.status if application else None)  # type: ignore[attr-defined]
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
            **context,
        },
    )


def _bureau_context(request: HttpRequest, plan: Plan) -> dict[str, Any]:
    """What the page shows about the bureau's side: the current round, the team form, the
    rectification items, the notice and the certificate."""
    application = latest_application(plan)
    team_members = list(application.inspectors.order_by("pk")) if application else []
    can_form = can_form_inspection_team(request.user, plan)
    items = rectification_items(plan)
    today = timezone.localdate()
    return {
        "application": application,
        "can_form_team": can_form and application is not None and application.status in ("applied", "inspecting"),
        "team_choices": team_choices(plan) if can_form else [],
        "team_members": team_members,
        "team_ids": {member.pk for member in team_members},
        "on_team": application is not None and is_on_team(request.user, application),
        "items": items,
        "can_manage_items": can_manage_rectification(request.user, plan) and plan.status == Plan.Status.RECTIFYING,
        "seats": seat_users(plan) if can_manage_rectification(request.user, plan) else [],
        "can_handle_notice": can_handle_notice(request.user, plan),
        "notice_over": application is not None
        and application.notice_ends_on is not None
        and today > application.notice_ends_on,
        "objections": list(application.objections.select_related("recorded_by")) if application else [],
        "today": today,
        "filing_offers": filing_offers(request.user, plan)
        if any(item.status == "assigned" and item.owner_id == request.user.pk for item in items)
        else [],
        "certificate_void": application is not None
        and application.status == "accepted"
        and certificate_void(application),
        **_spot_context(request, plan),
    }


def _spot_context(request: HttpRequest, plan: Plan) -> dict[str, Any]:
    """The city's spot checks (抽检) of the plan: shown to whoever sees the plan; the city over the
    school opens one on an accepted plan and re-forms an open one's team."""
    checks = spot_checks(plan)
    open_check = next((c for c in checks if c.status == Application.Status.INSPECTING), None)
    can_spot = can_spot_check(request.user, plan)
    return {
        "spot_checks": checks,
        "spot_open": open_check,
        "can_spot": can_spot,
        "can_open_spot": can_spot and open_check is None and plan.status == Plan.Status.COMPLETED,
        "spot_choices": city_staff(plan) if can_spot else [],
        "spot_team_ids": {m.pk for m in open_check.inspectors.all()} if open_check else set(),
        "on_spot_team": open_check is not None and is_on_team(request.user, open_check),
        "spot_board_ids": {c.pk for c in checks if can_view_inspection_board(request.user, c)},
    }


def _ids(values: list[str]) -> list[int]:
    return [int(v) for v in values if v.isdecimal()]


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
            tier=int(tier_raw) if tier_raw.lstrip("-").isdecimal() else None,
            note=request.POST.get("note", ""),
            not_applicable=request.POST.get("not_applicable") == "on",
            na_reason=request.POST.get("na_reason", ""),
            evidence_ids=_ids(request.POST.getlist("evidence")),
            reading_ids=_ids(request.POST.getlist("readings")),
            version=int(version_raw) if version_raw.isdecimal() else None,
        )
    except DomainError as exc:
        messages.error(request, f"第 {criterion.order} 项：{exc.message}")
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
        messages.success(request, f"已提交第 {application.round} 轮验收申请，方案进入验收中。")
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
    if not raw.isdecimal():
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


# --- the bureau's side ------------------------------------------------------------------------


def _application_for(request: HttpRequest, pk: int) -> Application:
    # The same predicate as plans.selectors.visible_plans, asked of one plan through the
    # permission cache: building the visible-plans query cost the scoring page about 10 ms.
    application = Application.objects.select_related("plan__school", "team_leader").filter(pk=pk).first()
    if application is None or not can_view_plan(request.user, application.plan):
        raise Http404("验收申请不存在或您无权查看。")
    return application


def _back(application: Application, anchor: str = "") -> HttpResponse:
    return redirect(reverse("acceptance:plan_acceptance", args=[application.plan_id]) + anchor)


def _run(request: HttpRequest, success: str, action: Any, **kwargs: Any) -> bool:
    try:
        action(actor=request.user, **kwargs)
    except DomainError as exc:
        messages.error(request, exc.message)
        return False
    messages.success(request, success)
    return True


def _date(raw: str | None) -> datetime.date:
    try:
        return datetime.date.fromisoformat((raw or "").strip())
    except ValueError:
        raise DomainError("请填写有效的日期。") from None


def _users(ids: list[str]) -> list[User]:
    return list(User.objects.filter(pk__in=_ids(ids)))


@login_required
@require_POST
def team_set(request: HttpRequest, pk: int) -> HttpResponse:
    application = _application_for(request, pk)
    if not can_form_inspection_team(request.user, application.plan):
        raise PermissionDenied("只有教育局管理员可以组建评估组。")
    leader_ids = _ids([request.POST.get("leader", "")])
    leader = User.objects.filter(pk=leader_ids[0]).first() if leader_ids else None
    if leader is None:
        messages.error(request, "请选择评估组组长。")
        return _back(application, "#inspection")
    try:
        day = _date(request.POST.get("inspection_date"))
    except DomainError as exc:
        messages.error(request, exc.message)
        return _back(application, "#inspection")
    _run(
        request,
        "已组建评估组。",
        services.inspection_team_set,
        application=application,
        leader=leader,
        members=_users(request.POST.getlist("members")),
        inspection_date=day,
    )
    return _back(application, "#inspection")


@login_required
def inspection(request: HttpRequest, pk: int) -> HttpResponse:
    """The team's page: every inspector's rating side by side, the user's own rating form, and
    for the team leader the final tiers and the result. The team and the bureau's admins only."""
    application = _application_for(request, pk)
    on_team = is_on_team(request.user, application)
    if not can_view_inspection_board(request.user, application):
        raise PermissionDenied("只有评估组成员和教育局管理员可以查看评分。")
    board = inspection_board(application, request.user)
    inspecting = application.status == Application.Status.INSPECTING
    can_rate = on_team and inspecting
    is_leader = can_settle_inspection(request.user, application) and inspecting
    # The rows are built in Python (acceptance.rendering): the template engine took well over
    # 100 ms of CPU for a form of 100 criteria.
    rows = inspection_rows(
        board,
        tiers=TIERS,
        csrf_token=get_token(request),
        rate_url=reverse("acceptance:inspector_rate", args=[application.pk]),
        final_url=reverse("acceptance:final_set", args=[application.pk]),
        can_rate=can_rate,
        is_leader=is_leader,
    )
    return render(
        request,
        "acceptance/inspection.html",
        {
            "application": application,
            "plan": application.plan,
            "board": board,
            "rows": rows,
            "archive_badges": [
                (template, values.get(application.plan_id))
                # _application_for found the plan through plans.selectors: scoped already.
                for template, values in scoped_plan_badges([application.plan])
            ],
            "can_rate": can_rate,
            "is_leader": is_leader,
        },
    )


def _criterion_id(request: HttpRequest) -> int:
    ids = _ids([request.POST.get("criterion", "")])
    return ids[0] if ids else 0


def _tier_value(request: HttpRequest) -> int:
    raw = request.POST.get("tier", "")
    return int(raw) if raw.isdecimal() else 0


def _version(request: HttpRequest) -> int | None:
    """The version the page was built from (None: an old page without one; not checked)."""
    raw = request.POST.get("version", "")
    return int(raw) if raw.isdecimal() else None


def _to_board(application: Application, criterion: int) -> HttpResponse:
    return redirect(reverse("acceptance:inspection", args=[application.pk]) + f"#row-{criterion}")


@login_required
@require_POST
def inspector_rate(request: HttpRequest, pk: int) -> HttpResponse:
    application = _application_for(request, pk)
    if not can_rate_as_inspector(request.user, application):
        raise PermissionDenied("只有本次评估组成员可以评分。")
    criterion = _criterion_id(request)
    _run(
        request,
        "已保存评分。",
        services.inspector_rating_set,
        application=application,
        criterion=criterion,
        tier=_tier_value(request),
        remark=request.POST.get("remark", ""),
        version=_version(request),
    )
    return _to_board(application, criterion)


@login_required
@require_POST
def final_set(request: HttpRequest, pk: int) -> HttpResponse:
    application = _application_for(request, pk)
    if not can_settle_inspection(request.user, application):
        raise PermissionDenied("只有评估组组长可以确定最终等级。")
    criterion = _criterion_id(request)
    if request.POST.get("claim") in ("confirm", "overrule"):
        _run(
            request,
            "已处理不适用申报。",
            services.na_claim_decide,
            application=application,
            criterion=criterion,
            confirm=request.POST.get("claim") == "confirm",
            remark=request.POST.get("remark", ""),
            version=_version(request),
        )
    else:
        _run(
            request,
            "已确定最终等级。",
            services.final_rating_set,
            application=application,
            criterion=criterion,
            tier=_tier_value(request),
            rectify=request.POST.get("rectify") == "on",
            remark=request.POST.get("remark", ""),
            version=_version(request),
        )
    return _to_board(application, criterion)


@login_required
@require_POST
def result_record(request: HttpRequest, pk: int) -> HttpResponse:
    application = _application_for(request, pk)
    if not can_settle_inspection(request.user, application):
        raise PermissionDenied("只有评估组组长可以记录验收结论。")
    spot = application.is_spot_check
    record = services.spot_check_result_record if spot else services.inspection_result_record
    if _run(
        request,
        "已记录抽检结论。" if spot else "已记录验收结论。",
        record,
        application=application,
        note=request.POST.get("note", ""),
    ):
        return _back(application, "#spot-check" if spot else "#inspection")
    return redirect("acceptance:inspection", pk=application.pk)


@login_required
@require_POST
def objection_add(request: HttpRequest, pk: int) -> HttpResponse:
    application = _application_for(request, pk)
    if not can_handle_notice(request.user, application.plan):
        raise PermissionDenied("只有教育局管理员可以登记公示异议。")
    _run(
        request,
        "已登记异议。",
        services.objection_record,
        application=application,
        text=request.POST.get("text", ""),
        handling=request.POST.get("handling", ""),
    )
    return _back(application, "#inspection")


@login_required
@require_POST
def finalise(request: HttpRequest, pk: int) -> HttpResponse:
    application = _application_for(request, pk)
    if not can_handle_notice(request.user, application.plan):
        raise PermissionDenied("只有教育局管理员可以确认验收通过。")
    _run(request, "公示期满，方案已通过验收。", services.acceptance_finalise, application=application)
    return _back(application, "#inspection")


@login_required
def certificate(request: HttpRequest, pk: int) -> HttpResponse:
    """The certificate PDF of an accepted application, for whoever may see the plan."""
    application = _application_for(request, pk)
    if application.status != Application.Status.ACCEPTED:
        raise Http404("该方案尚未通过验收，没有证书。")
    if certificate_void(application):
        raise Http404("市级抽检不合格，该证书已失效；复验合格后重新发证。")
    school = application.plan.school
    bureau = next((o for o in school.ancestors() if o.kind == Organisation.Kind.BUREAU), None)
    board = inspection_board(application, request.user)
    team = [str(member) for member in board.team]
    body = certificate_pdf(application, bureau.name if bureau else "教育局", team)
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f"attachment; filename=certificate-{application.certificate_ref}.pdf"
    return response


# --- the city's spot check (抽检) ---------------------------------------------------------------


def _team_from(request: HttpRequest) -> tuple[User | None, list[User], datetime.date]:
    """The posted team (leader, members) and date; raises DomainError with the page's words."""
    leader_ids = _ids([request.POST.get("leader", "")])
    leader = User.objects.filter(pk=leader_ids[0]).first() if leader_ids else None
    if leader is None:
        raise DomainError("请选择抽检组组长。")
    return leader, _users(request.POST.getlist("members")), _date(request.POST.get("inspection_date"))


@login_required
@require_POST
def spot_open(request: HttpRequest, pk: int) -> HttpResponse:
    plan = plan_for(request.user, pk)
    if not can_spot_check(request.user, plan):
        raise PermissionDenied("只有该校所属市的市教育局人员可以发起抽检。")
    try:
        leader, members, day = _team_from(request)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        _run(
            request,
            "已发起市级抽检。",
            services.spot_check_open,
            plan=plan,
            leader=leader,
            members=members,
            inspection_date=day,
            note=request.POST.get("note", ""),
        )
    return redirect(reverse("acceptance:plan_acceptance", args=[plan.pk]) + "#spot-check")


@login_required
@require_POST
def spot_team(request: HttpRequest, pk: int) -> HttpResponse:
    application = _application_for(request, pk)
    if not can_spot_check(request.user, application.plan):
        raise PermissionDenied("只有该校所属市的市教育局人员可以调整抽检组。")
    try:
        leader, members, day = _team_from(request)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        _run(
            request,
            "已调整抽检组。",
            services.spot_check_team_set,
            application=application,
            leader=leader,
            members=members,
            inspection_date=day,
        )
    return _back(application, "#spot-check")


# --- rectification ----------------------------------------------------------------------------


def _item_for(request: HttpRequest, pk: int) -> RectificationItem:
    item = (
        RectificationItem.objects.select_related("plan", "criterion")
        .filter(pk=pk, plan__in=visible_plans(request.user))
        .first()
    )
    if item is None:
        raise Http404("整改项不存在或您无权查看。")
    return item


def _to_item(item: RectificationItem) -> HttpResponse:
    return redirect(reverse("acceptance:plan_acceptance", args=[item.plan_id]) + f"#rectification-{item.pk}")


@login_required
@require_POST
def item_assign(request: HttpRequest, pk: int) -> HttpResponse:
    item = _item_for(request, pk)
    if not can_manage_rectification(request.user, item.plan):
        raise PermissionDenied("只有组长、副组长或办公室主任可以分派整改项。")
    owners = _users([request.POST.get("owner", "")])
    try:
        due = _date(request.POST.get("due_on"))
    except DomainError as exc:
        messages.error(request, exc.message)
        return _to_item(item)
    if not owners:
        messages.error(request, "请选择责任人。")
        return _to_item(item)
    _run(request, "已分派整改项。", services.rectification_assign, item=item, owner=owners[0], due_on=due)
    return _to_item(item)


@login_required
@require_POST
def item_submit(request: HttpRequest, pk: int) -> HttpResponse:
    item = _item_for(request, pk)
    if item.owner_id != request.user.pk:
        raise PermissionDenied("只有整改项责任人可以提交整改。")
    try:
        filings = filing_choices(request.user, item.plan, request.POST)  # checked before anything is written
    except DomainError as exc:
        messages.error(request, exc.message)
        return _to_item(item)
    if _run(
        request,
        "已提交整改。",
        services.rectification_submit,
        item=item,
        note=request.POST.get("note", ""),
        upload=request.FILES.get("evidence"),
    ):
        filing_apply(request, item.plan, filings, "rectification", item.pk)
    return _to_item(item)


@login_required
@require_POST
def item_review(request: HttpRequest, pk: int) -> HttpResponse:
    item = _item_for(request, pk)
    if not can_manage_rectification(request.user, item.plan):
        raise PermissionDenied("只有组长、副组长或办公室主任可以审核整改项。")
    if request.POST.get("decision") == "return":
        _run(request, "已退回整改项。", services.rectification_return, item=item, reason=request.POST.get("reason", ""))
    else:
        _run(request, "已确认整改完成。", services.rectification_close, item=item)
    return _to_item(item)


@login_required
def item_evidence(request: HttpRequest, pk: int) -> HttpResponse:
    item = _item_for(request, pk)
    if not item.evidence:
        raise Http404("没有整改佐证。")
    return download_response(item.evidence, filename=item.evidence_name or "evidence")


# --- the overview -----------------------------------------------------------------------------


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    """评估验收总览: every school's acceptance state the user may see, filters and sort in the URL."""
    params = {key: request.GET.get(key, "").strip()[:50] for key in ("state", "township", "q", "sort")}
    rows = acceptance_overview(request.user, **{k: v for k, v in params.items() if v})
    # Filters and sorting cover the whole county; the page shows OVERVIEW_PAGE_SIZE rows of it,
    # and only those rows ask the apps above for their badges (archive completeness).
    page = Paginator(rows, OVERVIEW_PAGE_SIZE).get_page(request.GET.get("page"))
    badges = plan_badges(request.user, [row.plan_id for row in page])
    for row in page:
        row.badges = [(template, values.get(row.plan_id)) for template, values in badges]
    return render(
        request,
        "acceptance/overview.html",
        {
            "rows": rows,
            "page": page,
            "params": params,
            "states": STATES,
            "townships": townships(request.user),
            "sorts": {"school": "学校", "state": "状态", "self": "自评得分", "score": "验收得分", "open": "未完成整改"},
            "mine": my_inspections(request.user),
            # excel.permissions.can_export_county is is_overseer; acceptance sits below excel.
            "can_export": is_overseer(request.user),
            # A city user sees only the schools of its counties here: each accepted row offers
            # 抽检; the plan page asks acceptance.permissions.can_spot_check itself.
            "can_spot": is_city_user(request.user),
        },
    )

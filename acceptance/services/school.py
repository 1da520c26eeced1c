"""Writes for a plan's acceptance: the form (the one writer of AcceptanceCriterion and
AcceptanceForm rows), the self-assessment (自评) and the application (请验).

Every transition locks the plan row first: the self-assessment, the application and (later) the
bureau's acts on one plan are serialised by that one lock, so a leader applying while the office
is still rating sees either the rating or its refusal, never half of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.db import transaction
from django.urls import reverse
from viewflow.fsm import TransitionNotAllowed

from acceptance.flows import PlanFlow
from acceptance.models import AcceptanceCriterion, AcceptanceForm, Application, RectificationItem, SelfRating
from acceptance.permissions import can_edit_criteria
from acceptance.rules import application_blockers, form_rules_refusal, self_assess_refusal
from acceptance.scoring import RULE_COUNTS, RULE_POINTS, tier_points_error
from acceptance.selectors import acceptance_progress, bureau_staff, self_assessment
from audit.services import audit_record
from core.errors import DomainError, InvalidTransition, NotAllowed, StaleObject
from core.text import bounded
from notifications import push
from notifications.models import Notification
from notifications.services import notify
from orgs.models import User
from plans.models import IndicatorReading, Plan
from tasks.models import Evidence, Task


def _locked_plan(plan: Plan | int) -> Plan:
    pk = plan.pk if isinstance(plan, Plan) else plan
    # NO KEY UPDATE: a task transition inserting a row that points at the plan (audit, notification)
    # takes KEY SHARE on it while holding its task, and 请验 then locks the last stage's tasks.
    return Plan.objects.select_for_update(of=("self",), no_key=True).select_related("school").get(pk=pk)


@transaction.atomic
def criterion_create(
    *,
    actor: User | None,
    plan: Plan,
    category: str,
    point: str,
    max_score: Decimal,
    applicable: bool = True,
    evidence_expected: str = "",
    tier_points: Sequence[Decimal | None] = (None, None, None),
) -> AcceptanceCriterion:
    """Add a line to the plan's acceptance form (评估表): leader, deputy, office or the bureau admin
    (or a system job), while the plan is still being implemented. ``tier_points`` override the
    form's fractions for tiers 2–4."""
    if actor is not None and not can_edit_criteria(actor, plan):
        raise NotAllowed("只有组长、副组长、办公室或教育局管理员可以修改评估表。")
    if plan.status != Plan.Status.ACTIVE:
        raise InvalidTransition("方案已进入验收，评估表不能再修改。")
    point = (point or "").strip()
    if not point:
        raise DomainError("请填写评估要点。")
    if max_score < 0:
        raise DomainError("分值不能为负数。")
    overrides = list(tier_points)
    if any(p is not None for p in overrides):
        ladder = [max_score, *(p if p is not None else Decimal("0") for p in overrides)]
        message = tier_points_error(ladder)
        if message:
            raise DomainError(f"“{point[:30]}”：{message}")
    order = (plan.criteria.order_by("-order").values_list("order", flat=True).first() or 0) + 1
    criterion = AcceptanceCriterion.objects.create(
        plan=plan,
        order=order,
        category=category,
        point=point,
        max_score=max_score,
        applicable=applicable,
        evidence_expected=evidence_expected[:500],
        tier2_points=overrides[0],
        tier3_points=overrides[1],
        tier4_points=overrides[2],
    )
    audit_record(
        actor=actor, action="acceptance.criterion.created", target=criterion, plan=plan, data={"point": point[:100]}
    )
    return criterion


@transaction.atomic
def form_rules_set(
    *,
    actor: User,
    plan: Plan,
    fractions: Sequence[Decimal],
    pass_rule: str = RULE_POINTS,
    pass_mark: Decimal = Decimal("85"),
    min_tier1: int | None = None,
    max_tier3: int | None = None,
    max_tier4: int | None = None,
) -> AcceptanceForm:
    """Set the form's tier fractions and pass rule (the bureau admin, before the school applies)."""
    plan = _locked_plan(plan)
    refusal = form_rules_refusal(actor, plan)
    if refusal is not None:
        raise refusal
    if len(fractions) != 4 or any(f < 0 or f > 1 for f in fractions):
        raise DomainError("各档得分比例须在 0 到 1 之间。")
    message = tier_points_error(list(fractions))
    if message:
        raise DomainError(message)
    if pass_rule not in (RULE_POINTS, RULE_COUNTS):
        raise DomainError("未知的合格规则。")
    if not Decimal("0") <= pass_mark <= Decimal("100"):
        raise DomainError("合格分须在 0 到 100 之间。")
    if pass_rule == RULE_COUNTS and min_tier1 is None and max_tier3 is None and max_tier4 is None:
        raise DomainError("按等级计数时，请至少填写一项计数要求。")
    values = {
        "tier1_fraction": fractions[0],
        "tier2_fraction": fractions[1],
        "tier3_fraction": fractions[2],
        "tier4_fraction": fractions[3],
        "pass_rule": pass_rule,
        "pass_mark": pass_mark,
        "min_tier1": min_tier1,
        "max_tier3": max_tier3,
        "max_tier4": max_tier4,
    }
    form, _ = AcceptanceForm.objects.update_or_create(plan=plan, defaults=values)
    audit_record(
        actor=actor,
        action="acceptance.form.rules_set",
        target=form,
        plan=plan,
        data={k: str(v) if v is not None else None for k, v in values.items()},
    )
    return form


@transaction.atomic
def self_rating_set(
    *,
    actor: User,
    criterion: AcceptanceCriterion | int,
    tier: int | None,
    note: str = "",
    not_applicable: bool = False,
    na_reason: str = "",
    evidence_ids: Sequence[int] = (),
    reading_ids: Sequence[int] = (),
    version: int | None = None,
) -> SelfRating:
    """Rate one criterion of the plan's form (自评), or claim it does not apply (with a reason).

    ``version`` is the rating's version the page was built from: a page older than the stored
    rating is refused (StaleObject) rather than overwriting a colleague's rating unseen.
    Evidence links must be the plan's own task evidence and indicator readings.
    """
    pk = criterion.pk if isinstance(criterion, AcceptanceCriterion) else criterion
    plan_id = AcceptanceCriterion.objects.values_list("plan_id", flat=True).get(pk=pk)
    plan = _locked_plan(plan_id)
    refusal = self_assess_refusal(actor, plan)
    if refusal is not None:
        raise refusal
    criterion = AcceptanceCriterion.objects.get(pk=pk)
    if not criterion.applicable:
        raise InvalidTransition("该评估要点已由评估表列为不适用，无需自评。")
    rating = SelfRating.objects.filter(criterion=criterion).first()
    if version is not None and (rating.version if rating else 0) != version:
        raise StaleObject("该项自评已被他人修改，请刷新页面后再填写。")
    tier, na_reason = _validated_rating(tier, not_applicable, na_reason)
    evidence = list(Evidence.objects.filter(pk__in=evidence_ids, task__plan=plan))
    readings = list(IndicatorReading.objects.filter(pk__in=reading_ids, indicator__plan=plan))
    if len(evidence) != len(set(evidence_ids)) or len(readings) != len(set(reading_ids)):
        raise DomainError("所选佐证材料不属于本方案。")
    old = _rating_state(rating)
    if rating is None:
        rating = SelfRating(criterion=criterion)
    rating.tier, rating.not_applicable, rating.na_reason = tier, not_applicable, na_reason
    rating.note, rating.rated_by = bounded(note, SelfRating, "note"), actor
    rating.version += 1
    rating.save()
    rating.evidence.set(evidence)
    rating.readings.set(readings)
    audit_record(
        actor=actor,
        action="acceptance.self_rating.set",
        target=criterion,
        plan=plan,
        old=old,
        new=_rating_state(rating),
        data={"note": rating.note[:100], "na_reason": na_reason[:100]},
    )
    return rating


def _validated_rating(tier: int | None, not_applicable: bool, na_reason: str) -> tuple[int | None, str]:
    na_reason = (na_reason or "").strip()
    if not_applicable:
        if not na_reason:
            raise DomainError("申报不适用时请填写理由。")
        return None, na_reason[:300]
    if tier is None or tier not in (1, 2, 3, 4):
        raise DomainError("自评等级须为 1档 至 4档 之一。")
    return tier, ""


def _rating_state(rating: SelfRating | None) -> str:
    if rating is None:
        return ""
    return "不适用" if rating.not_applicable else (f"{rating.tier}档" if rating.tier else "")


@transaction.atomic
def application_submit(*, actor: User, plan: Plan | int, note: str = "") -> Application:
    """The leader signs the application for acceptance (请验; 复验 after rectification, when every
    rectification item is closed).

    Refused unless the gates before the acceptance stage are signed, every task of the acceptance
    stage is closed, and the self-assessment is complete and meets the form's pass rule. Locks the
    plan (serialising with self-ratings and a second click), then the acceptance stage's tasks
    (like a stage gate), so nothing the check read can change before the plan moves to 验收中.
    """
    plan = _locked_plan(plan)
    early = application_blockers(actor, plan, None, None, None)
    if early:
        raise early[0]
    last_stage = plan.stages.order_by("-order").first()
    if last_stage is not None:
        list(Task.objects.select_for_update(of=("self",)).filter(measure__stage=last_stage).values_list("pk"))
    unsigned, open_tasks = acceptance_progress(plan)
    assessment = self_assessment(plan)
    items = list(
        RectificationItem.objects.select_for_update(of=("self",)).filter(plan=plan).values_list("status", flat=True)
    )
    open_items = sum(1 for status in items if status != RectificationItem.Status.CLOSED)
    blockers = application_blockers(actor, plan, unsigned, open_tasks, assessment.result, open_items)
    if blockers:
        raise blockers[0]
    old = plan.status
    try:
        PlanFlow(plan).apply()
    except TransitionNotAllowed:  # pragma: no cover - guarded above
        raise InvalidTransition("方案当前状态不能申请验收。") from None
    plan.save(update_fields=["status", "updated_at"])
    last_round = plan.applications.order_by("-round").values_list("round", flat=True).first() or 0
    assert assessment.result is not None
    application = Application.objects.create(
        plan=plan, round=last_round + 1, note=bounded(note, Application, "note"), self_score=assessment.result.score, applied_by=actor
    )
    audit_record(
        actor=actor,
        action="acceptance.application.submitted",
        target=application,
        plan=plan,
        old=old,
        new=plan.status,
        data={"round": application.round, "self_score": str(application.self_score)},
    )
    kind = "请验" if application.round == 1 else "复验"
    notify(
        recipients=bureau_staff(plan),
        kind=Notification.Kind.ACCEPTANCE,
        text=f"{plan.school.name}提交了“{plan.title}”的{kind}申请（自评 {application.self_score} 分）。",
        url=reverse("acceptance:plan_acceptance", args=[plan.pk]),
        plan=plan,
        exclude=actor,
    )
    transaction.on_commit(lambda: push.plan_changed(plan.pk))
    return application


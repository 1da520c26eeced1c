"""The acceptance form (评估表) of a plan and the school's self-assessment (自评) against it, and the
acceptance application (请验). Scores are computed by acceptance.scoring from these rows; nothing
about tiers or the pass rule is written into code."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from plans.models import IndicatorReading, Plan
from tasks.models import Evidence

# The fractions of a criterion's points each tier earns when the form does not say otherwise; shown
# to the bureau when it sets a form up (AcceptanceForm's field defaults).
DEFAULT_TIER_FRACTIONS = (Decimal("1"), Decimal("0.8"), Decimal("0.5"), Decimal("0"))
DEFAULT_PASS_MARK = Decimal("85")
TIERS = ((1, "1档 完全达到"), (2, "2档 基本达到"), (3, "3档 基本达不到"), (4, "4档 未达到"))


def _fraction(label: str, default: Decimal) -> models.DecimalField[Any, Any]:
    return models.DecimalField(
        label,
        max_digits=5,
        decimal_places=4,
        default=default,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))],
    )


class AcceptanceForm(models.Model):
    """The scoring rules of a plan's form: tier fractions and the pass rule (one row per plan; a plan
    without a row uses the defaults). Criteria may override the tier points one by one."""

    class Rule(models.TextChoices):
        POINTS = "points", "按得分(折算百分制达到合格分)"
        COUNTS = "counts", "按等级计数"

    plan = models.OneToOneField(Plan, verbose_name="方案", on_delete=models.CASCADE, related_name="acceptance_form")
    tier1_fraction = _fraction("1档得分比例", DEFAULT_TIER_FRACTIONS[0])
    tier2_fraction = _fraction("2档得分比例", DEFAULT_TIER_FRACTIONS[1])
    tier3_fraction = _fraction("3档得分比例", DEFAULT_TIER_FRACTIONS[2])
    tier4_fraction = _fraction("4档得分比例", DEFAULT_TIER_FRACTIONS[3])
    pass_rule = models.CharField("合格规则", max_length=8, choices=Rule.choices, default=Rule.POINTS)
    pass_mark = models.DecimalField(
        "合格分",
        max_digits=5,
        decimal_places=2,
        default=DEFAULT_PASS_MARK,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    min_tier1 = models.PositiveSmallIntegerField("1档至少(项)", null=True, blank=True)
    max_tier3 = models.PositiveSmallIntegerField("3档至多(项)", null=True, blank=True)
    max_tier4 = models.PositiveSmallIntegerField("4档至多(项)", null=True, blank=True)

    class Meta:
        verbose_name = "评估表规则"
        verbose_name_plural = "评估表规则"

    def __str__(self) -> str:
        return f"{self.plan} · 评估表规则"


class AcceptanceCriterion(models.Model):
    """One line of a plan's acceptance scoring form (评估表): a point under a category, with its score.

    Criteria that do not apply to the school (``applicable=False``) are kept for the record but left
    out of the total, which is then rescaled to 100. ``tierN_points`` override the form's fractions
    for this criterion (null: the form's fraction of ``max_score``).
    """

    plan = models.ForeignKey(Plan, verbose_name="方案", on_delete=models.CASCADE, related_name="criteria")
    order = models.PositiveSmallIntegerField("顺序", default=0)
    category = models.CharField("类别", max_length=100, blank=True)
    point = models.CharField("评估要点", max_length=500)
    max_score = models.DecimalField(
        "分值", max_digits=6, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    applicable = models.BooleanField("是否适用", default=True)
    evidence_expected = models.CharField("佐证材料要求", max_length=500, blank=True)
    tier2_points = models.DecimalField("2档得分", max_digits=6, decimal_places=2, null=True, blank=True)
    tier3_points = models.DecimalField("3档得分", max_digits=6, decimal_places=2, null=True, blank=True)
    tier4_points = models.DecimalField("4档得分", max_digits=6, decimal_places=2, null=True, blank=True)

    class Meta:
        verbose_name = "评估要点"
        verbose_name_plural = "评估表"
        ordering = ["plan", "order", "id"]

    def __str__(self) -> str:
        return self.point[:50]


class SelfRating(models.Model):
    """The school's self-assessment (自评) of one criterion: a tier, or a claim that the criterion
    does not apply (with a reason, which the inspectors confirm or overrule), a note and evidence."""

    criterion = models.OneToOneField(
        AcceptanceCriterion, verbose_name="评估要点", on_delete=models.CASCADE, related_name="self_rating"
    )
    tier = models.PositiveSmallIntegerField("自评等级", choices=TIERS, null=True, blank=True)
    not_applicable = models.BooleanField("申报不适用", default=False)
    na_reason = models.CharField("不适用理由", max_length=300, blank=True)
    note = models.CharField("自评说明", max_length=1000, blank=True)
    evidence = models.ManyToManyField(Evidence, verbose_name="任务佐证", blank=True, related_name="+")
    readings = models.ManyToManyField(IndicatorReading, verbose_name="指标读数", blank=True, related_name="+")
    rated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="评定人", null=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    version = models.PositiveIntegerField("版本", default=0)

    class Meta:
        verbose_name = "自评"
        verbose_name_plural = "自评"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(tier__isnull=True) | models.Q(tier__gte=1, tier__lte=4), name="self_rating_tier_1_4"
            )
        ]

    def __str__(self) -> str:
        return f"{self.criterion} · {self.tier or '—'}"


class Application(models.Model):
    """An application for acceptance (请验; 复验 from the second round on), signed by the leader.
    ``self_score`` keeps the self-assessment score the leader signed."""

    class Status(models.TextChoices):
        APPLIED = "applied", "已申请"

    plan = models.ForeignKey(Plan, verbose_name="方案", on_delete=models.CASCADE, related_name="applications")
    round = models.PositiveSmallIntegerField("轮次", default=1)
    status = models.CharField("状态", max_length=16, choices=Status.choices, default=Status.APPLIED)
    note = models.CharField("申请说明", max_length=1000, blank=True)
    self_score = models.DecimalField("自评得分", max_digits=6, decimal_places=2, null=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="申请人", on_delete=models.PROTECT, related_name="+"
    )
    applied_at = models.DateTimeField("申请时间", auto_now_add=True)

    class Meta:
        verbose_name = "验收申请"
        verbose_name_plural = "验收申请"
        ordering = ["plan", "-round"]
        constraints = [models.UniqueConstraint(fields=["plan", "round"], name="application_unique_round")]

    def __str__(self) -> str:
        return f"{self.plan} · 第{self.round}轮"

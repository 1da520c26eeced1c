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
DEFAULT_NOTICE_DAYS = 5
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
        POINTS = "points", "按得分（折算百分制达到合格分）"
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
    min_tier1 = models.PositiveSmallIntegerField("1档至少（项）", null=True, blank=True)
    max_tier3 = models.PositiveSmallIntegerField("3档至多（项）", null=True, blank=True)
    max_tier4 = models.PositiveSmallIntegerField("4档至多（项）", null=True, blank=True)
    notice_days = models.PositiveSmallIntegerField("公示期（工作日）", default=DEFAULT_NOTICE_DAYS)

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
    """An application for acceptance (请验; 复验 from the second round on), signed by the leader,
    and the bureau's inspection of it: the team, the date, the settled result and, for a 合格
    result, the public notice (公示) and the certificate. ``self_score`` keeps the self-assessment
    score the leader signed.

    A city's spot check (抽检) of an accepted plan is a round of kind ``SPOT``: opened by the city
    (``applied_by``, ``note``) with its team, scored on the same form with the same rating rows,
    and ending 抽检合格 (PASSED; the plan stays accepted) or 不合格 (FAILED; the plan goes back to
    整改中 and its shortfalls become rectification items). Spot checks share the rounds' sequence,
    so a 复验 after a failed spot check carries that check's settled tiers over."""

    class Kind(models.TextChoices):
        ROUND = "round", "请验/复验"
        SPOT = "spot", "抽检"

    class Status(models.TextChoices):
        APPLIED = "applied", "已申请"
        INSPECTING = "inspecting", "验收中"
        FAILED = "failed", "不合格"
        NOTICE = "notice", "公示中"
        ACCEPTED = "accepted", "已验收"
        PASSED = "passed", "抽检合格"

    plan = models.ForeignKey(Plan, verbose_name="方案", on_delete=models.CASCADE, related_name="applications")
    kind = models.CharField("类型", max_length=8, choices=Kind.choices, default=Kind.ROUND)
    round = models.PositiveSmallIntegerField("轮次", default=1)
    status = models.CharField("状态", max_length=16, choices=Status.choices, default=Status.APPLIED)
    note = models.CharField("申请说明", max_length=1000, blank=True)
    self_score = models.DecimalField("自评得分", max_digits=6, decimal_places=2, null=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="申请人", on_delete=models.PROTECT, related_name="+"
    )
    applied_at = models.DateTimeField("申请时间", auto_now_add=True)
    team_leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="评估组组长",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="led_inspections",
    )
    inspectors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name="评估组成员", blank=True, related_name="inspections"
    )
    inspection_date = models.DateField("验收日期", null=True, blank=True)
    # The inspection date a reminder was sent for: a changed date re-arms the reminder.
    reminded_for = models.DateField("已提醒的验收日期", null=True, blank=True)
    final_score = models.DecimalField("验收得分", max_digits=6, decimal_places=2, null=True, blank=True)
    result_note = models.CharField("验收结论", max_length=1000, blank=True)
    recorded_at = models.DateTimeField("结论时间", null=True, blank=True)
    notice_ends_on = models.DateField("公示截止", null=True, blank=True)
    accepted_at = models.DateTimeField("验收通过时间", null=True, blank=True)
    certificate_ref = models.CharField("证书编号", max_length=40, blank=True)

    class Meta:
        verbose_name = "验收申请"
        verbose_name_plural = "验收申请"
        ordering = ["plan", "-round"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "round"], name="application_unique_round"),
            # One spot check under way per plan, whatever two city users click at once.
            models.UniqueConstraint(
                fields=["plan"],
                condition=models.Q(kind="spot", status="inspecting"),
                name="application_one_open_spot_check",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plan} · {self.round_label}"

    @property
    def is_spot_check(self) -> bool:
        return self.kind == self.Kind.SPOT

    @property
    def round_label(self) -> str:
        """How pages name the round: 第N轮, or 抽检 for a city's spot check."""
        return "市级抽检" if self.is_spot_check else f"第{self.round}轮"

    @property
    def status_label(self) -> str:
        """The status in words; a spot check under way reads 抽检中."""
        if self.is_spot_check and self.status == self.Status.INSPECTING:
            return "抽检中"
        return str(self.Status(self.status).label)


class InspectorRating(models.Model):
    """One inspector's own rating of one criterion in one round: independent of the others."""

    application = models.ForeignKey(
        Application, verbose_name="验收申请", on_delete=models.CASCADE, related_name="inspector_ratings"
    )
    criterion = models.ForeignKey(
        AcceptanceCriterion, verbose_name="评估要点", on_delete=models.CASCADE, related_name="+"
    )
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="评估员", on_delete=models.PROTECT, related_name="+"
    )
    tier = models.PositiveSmallIntegerField("评定等级", choices=TIERS)
    remark = models.CharField("评估意见", max_length=1000, blank=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    # Bumped on every change: a form built from an older version is refused (a stale page).
    version = models.PositiveIntegerField("版本", default=0)

    class Meta:
        verbose_name = "评估员评分"
        verbose_name_plural = "评估员评分"
        constraints = [
            models.UniqueConstraint(fields=["application", "criterion", "inspector"], name="inspector_rating_once"),
            models.CheckConstraint(condition=models.Q(tier__gte=1, tier__lte=4), name="inspector_rating_tier_1_4"),
        ]

    def __str__(self) -> str:
        return f"{self.inspector} · {self.criterion} · {self.tier}档"


class FinalRating(models.Model):
    """The team leader's settled tier of one criterion in one round, whether it must be rectified,
    and the decision on a school's not-applicable claim (confirmed: the line leaves the total)."""

    class Claim(models.TextChoices):
        NONE = "", "—"
        CONFIRMED = "confirmed", "确认不适用"
        OVERRULED = "overruled", "驳回不适用申报"

    application = models.ForeignKey(
        Application, verbose_name="验收申请", on_delete=models.CASCADE, related_name="final_ratings"
    )
    criterion = models.ForeignKey(
        AcceptanceCriterion, verbose_name="评估要点", on_delete=models.CASCADE, related_name="+"
    )
    tier = models.PositiveSmallIntegerField("最终等级", choices=TIERS, null=True, blank=True)
    claim = models.CharField("不适用申报", max_length=16, choices=Claim.choices, blank=True, default="")
    rectify = models.BooleanField("需整改", default=False)
    remark = models.CharField("评估意见", max_length=1000, blank=True)
    # Bumped on every settlement or claim decision: a form built from an older version is refused.
    version = models.PositiveIntegerField("版本", default=0)

    class Meta:
        verbose_name = "最终评定"
        verbose_name_plural = "最终评定"
        constraints = [
            models.UniqueConstraint(fields=["application", "criterion"], name="final_rating_once"),
            models.CheckConstraint(
                condition=models.Q(tier__isnull=True) | models.Q(tier__gte=1, tier__lte=4), name="final_rating_tier_1_4"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.criterion} · {self.tier or '—'}"


class RectificationItem(models.Model):
    """A shortfall to rectify (整改项) after a 不合格 result, with its own small lifecycle
    (acceptance.flows.RectificationFlow): 待分派 → 整改中 → 待审核 → 已完成 (or back to 整改中)."""

    class Status(models.TextChoices):
        OPEN = "open", "待分派"
        ASSIGNED = "assigned", "整改中"
        SUBMITTED = "submitted", "待审核"
        CLOSED = "closed", "已完成"

    plan = models.ForeignKey(Plan, verbose_name="方案", on_delete=models.CASCADE, related_name="rectification_items")
    application = models.ForeignKey(
        Application, verbose_name="验收申请", on_delete=models.CASCADE, related_name="rectification_items"
    )
    criterion = models.ForeignKey(
        AcceptanceCriterion, verbose_name="评估要点", on_delete=models.CASCADE, related_name="+"
    )
    remark = models.CharField("整改要求", max_length=1000, blank=True)
    status = models.CharField("状态", max_length=16, choices=Status.choices, default=Status.OPEN)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="责任人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    due_on = models.DateField("整改截止日期", null=True, blank=True)
    note = models.CharField("整改说明", max_length=1000, blank=True)
    evidence = models.FileField("整改佐证", upload_to="rectification/%Y/%m/", blank=True)
    evidence_name = models.CharField("佐证文件名", max_length=200, blank=True)
    # Of the exact bytes stored, computed at upload, as tasks.Evidence keeps: verify_evidence and the
    # archive's filings compare the file with it. Items submitted before it was kept have none.
    evidence_sha256 = models.CharField("佐证材料 SHA-256", max_length=64, blank=True, editable=False)
    closed_at = models.DateTimeField("完成时间", null=True, blank=True)
    # The deadline engine's reminders already sent ("<due date>/<kind>/<step>", as tasks.Reminder's
    # unique key): a changed due date re-arms them; a second scan sends nothing new.
    reminders_sent = models.JSONField("已发送的提醒", default=list, blank=True, editable=False)

    class Meta:
        verbose_name = "整改项"
        verbose_name_plural = "整改项"
        ordering = ["plan", "application", "id"]
        indexes = [models.Index(fields=["plan", "status"], name="rectification_plan_status_idx")]

    def __str__(self) -> str:
        return f"整改：{self.criterion}"


class Objection(models.Model):
    """A written objection during the public notice (公示), and how the bureau handled it."""

    application = models.ForeignKey(
        Application, verbose_name="验收申请", on_delete=models.CASCADE, related_name="objections"
    )
    text = models.CharField("异议内容", max_length=1000)
    handling = models.CharField("处理情况", max_length=1000, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="登记人", on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        verbose_name = "公示异议"
        verbose_name_plural = "公示异议"
        ordering = ["application", "created_at"]

    def __str__(self) -> str:
        return self.text[:50]

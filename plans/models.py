"""Plans and their parts: stages, measures, indicators and readings, leading groups and working
groups, and the templates a bureau issues."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from orgs.models import Organisation


class Plan(models.Model):
    """An implementation plan (实施方案) run by one school."""

    class Status(models.TextChoices):
        # Written only by acceptance.flows.PlanFlow: COMPLETED is the plan the bureau accepted and
        # froze, and reads 已验收 (a plan in its public notice is still ACCEPTANCE; pages show it as
        # 公示中 through acceptance.states).
        ACTIVE = "active", "实施中"
        ACCEPTANCE = "acceptance", "验收中"
        RECTIFYING = "rectifying", "整改中"
        COMPLETED = "completed", "已验收"

    school = models.ForeignKey(Organisation, verbose_name="学校", on_delete=models.PROTECT, related_name="plans")
    title = models.CharField("方案名称", max_length=200)
    year = models.PositiveSmallIntegerField("年度")
    status = models.CharField("状态", max_length=16, choices=Status.choices, default=Status.ACTIVE)
    summary = models.TextField("工作目标", blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "实施方案"
        verbose_name_plural = "实施方案"
        ordering = ["-year", "title"]
        constraints = [
            models.UniqueConstraint(fields=["school", "title", "year"], name="plan_unique_title_per_school_year")
        ]
        permissions = [
            ("manage_plan_tasks", "分派与审核任务"),
            ("sign_plan_gate", "签署阶段关口"),
            ("work_on_plan", "承担任务、上报指标"),
        ]

    def __str__(self) -> str:
        return f"{self.school.name} · {self.title}"


class Stage(models.Model):
    """An ordered stage of a plan (准备 / 实施 / 验收 by default). Names and count are data."""

    class Status(models.TextChoices):
        PENDING = "pending", "未开始"
        OPEN = "open", "进行中"
        COMPLETED = "completed", "已完成"

    plan = models.ForeignKey(Plan, verbose_name="方案", on_delete=models.CASCADE, related_name="stages")
    order = models.PositiveSmallIntegerField("顺序")
    name = models.CharField("阶段名称", max_length=50)
    starts_on = models.DateField("开始日期", null=True, blank=True)
    ends_on = models.DateField("结束日期", null=True, blank=True)
    status = models.CharField("状态", max_length=16, choices=Status.choices, default=Status.PENDING)
    completed_at = models.DateTimeField("完成时间", null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="签署人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    completion_opinion = models.TextField("签署意见", blank=True, max_length=1000)

    class Meta:
        verbose_name = "阶段"
        verbose_name_plural = "阶段"
        ordering = ["plan", "order"]
        constraints = [models.UniqueConstraint(fields=["plan", "order"], name="stage_unique_order")]

    def __str__(self) -> str:
        return self.name


class WorkingGroup(models.Model):
    """A professional working group (专业工作组) inside a plan's leading group."""

    plan = models.ForeignKey(Plan, verbose_name="方案", on_delete=models.CASCADE, related_name="working_groups")
    name = models.CharField("名称", max_length=50)

    class Meta:
        verbose_name = "专业工作组"
        verbose_name_plural = "专业工作组"
        ordering = ["plan", "name"]
        constraints = [models.UniqueConstraint(fields=["plan", "name"], name="working_group_unique_name")]

    def __str__(self) -> str:
        return self.name


class LeadingGroupMember(models.Model):
    """A seat in a plan's leading group (领导小组). Grants follow from it (plans.grants)."""

    class Role(models.TextChoices):
        LEADER = "leader", "组长"
        DEPUTY = "deputy", "副组长"
        OFFICE = "office", "办公室主任"
        MEMBER = "member", "成员"

    plan = models.ForeignKey(Plan, verbose_name="方案", on_delete=models.CASCADE, related_name="leading_group")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="人员", on_delete=models.PROTECT, related_name="plan_seats"
    )
    role = models.CharField("角色", max_length=16, choices=Role.choices)
    working_group = models.ForeignKey(
        WorkingGroup,
        verbose_name="专业工作组",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
    )
    duty = models.CharField("分工", max_length=100, blank=True)

    class Meta:
        verbose_name = "领导小组成员"
        verbose_name_plural = "领导小组成员"
        ordering = ["plan", "role", "id"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "user"], name="leading_group_one_seat_per_user"),
            models.UniqueConstraint(fields=["plan"], condition=Q(role="leader"), name="leading_group_one_leader"),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()} {self.user}"


class Measure(models.Model):
    """A measure (措施) inside a stage; tasks break it down."""

    stage = models.ForeignKey(Stage, verbose_name="阶段", on_delete=models.CASCADE, related_name="measures")
    order = models.PositiveSmallIntegerField("顺序", default=0)
    title = models.CharField("措施", max_length=200)
    description = models.TextField("说明", blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="责任人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    working_group = models.ForeignKey(
        WorkingGroup,
        verbose_name="专业工作组",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="measures",
    )
    responsible_units = models.CharField("责任单位", max_length=200, blank=True)
    starts_on = models.DateField("开始日期", null=True, blank=True)
    ends_on = models.DateField("截止日期", null=True, blank=True)
    weight = models.DecimalField(
        "权重", max_digits=7, decimal_places=2, default=Decimal("1"), validators=[MinValueValidator(Decimal("0"))]
    )
    # No hard delete: a cancelled measure stays on the plan with its reason, its open tasks are
    # cancelled with it (tasks.services.measure_cancel), and the rollups leave it out.
    cancelled = models.BooleanField("已取消", default=False)
    cancel_reason = models.TextField("取消理由", blank=True)
    cancelled_at = models.DateTimeField("取消时间", null=True, blank=True)

    class Meta:
        verbose_name = "措施"
        verbose_name_plural = "措施"
        ordering = ["stage", "order", "id"]

    def __str__(self) -> str:
        return self.title


class Indicator(models.Model):
    """A quantitative indicator (指标) with a target and a direction."""

    class Direction(models.TextChoices):
        AT_LEAST = "ge", "≥"
        AT_MOST = "le", "≤"

    plan = models.ForeignKey(Plan, verbose_name="方案", on_delete=models.CASCADE, related_name="indicators")
    measure = models.ForeignKey(
        Measure, verbose_name="关联措施", null=True, blank=True, on_delete=models.SET_NULL, related_name="indicators"
    )
    order = models.PositiveSmallIntegerField("顺序", default=0)
    name = models.CharField("指标", max_length=100)
    unit = models.CharField("单位", max_length=20, blank=True)
    direction = models.CharField("方向", max_length=2, choices=Direction.choices, default=Direction.AT_LEAST)
    target = models.DecimalField("目标值", max_digits=14, decimal_places=4)

    # Not stored: set by plans.selectors.plan_indicators.
    latest: IndicatorReading | None
    met: bool | None

    class Meta:
        verbose_name = "指标"
        verbose_name_plural = "指标"
        ordering = ["plan", "order", "id"]

    def __str__(self) -> str:
        return self.name

    def is_met_by(self, value: Decimal | None) -> bool | None:
        """True/False for a reading, None when there is no reading."""
        return None if value is None else indicator_met(self.direction, self.target, value)


def indicator_met(direction: str, target: Decimal, value: Decimal) -> bool:
    """达标: the one rule, for an Indicator or for (direction, target) pairs read in bulk."""
    return value >= target if direction == Indicator.Direction.AT_LEAST else value <= target


class CountingReadings(models.Manager["IndicatorReading"]):
    """The readings that count: a voided reading drops out of every value, rollup, export and choice
    that reads through ``IndicatorReading.objects`` or ``indicator.readings``. The indicator page and
    the admin read ``IndicatorReading.all_objects`` to show voided ones as 已作废."""

    def get_queryset(self) -> models.QuerySet[IndicatorReading]:
        return super().get_queryset().filter(voided_at__isnull=True)


class IndicatorReading(models.Model):
    """A dated actual value of an indicator, reported by someone. Never edited or deleted: a wrong
    reading is voided with a reason (dashboards.services.reading_void) and stays in the history."""

    indicator = models.ForeignKey(Indicator, verbose_name="指标", on_delete=models.CASCADE, related_name="readings")
    value = models.DecimalField("实际值", max_digits=14, decimal_places=4)
    measured_on = models.DateField("日期")
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="上报人", null=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField("说明", max_length=200, blank=True)
    evidence = models.FileField("佐证材料", upload_to="indicator-evidence/%Y/%m/", blank=True)
    evidence_sha256 = models.CharField("佐证材料 SHA-256", max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField("上报时间", auto_now_add=True)
    voided_at = models.DateTimeField("作废时间", null=True, blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="作废人", null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    void_reason = models.CharField("作废原因", max_length=200, blank=True)

    objects = CountingReadings()
    all_objects = models.Manager()  # noqa: DJ012 - a manager, not a field

    class Meta:
        verbose_name = "指标读数"
        verbose_name_plural = "指标读数"
        # Relations followed from elsewhere (a self-rating's linked readings) still reach voided ones.
        base_manager_name = "all_objects"
        ordering = ["indicator", "-measured_on", "-id"]
        indexes = [models.Index(fields=["indicator", "-measured_on", "-id"], name="reading_latest_idx")]

    def __str__(self) -> str:
        return f"{self.indicator} = {self.value}"


# Direct-foreign-key object permission tables (django-guardian): plans are granted per plan only
# (never per task), and these tables join on integer keys instead of casting generic text ids.


class PlanGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Plan, on_delete=models.CASCADE)


class PlanUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Plan, on_delete=models.CASCADE)


# --- templates ----------------------------------------------------------------------------------


class PlanTemplate(models.Model):
    """A plan workbook a bureau imported once, to issue to chosen schools (each gets its own plan).

    ``spec`` is the parsed workbook (``excel.spec.WorkbookSpec.to_json``): role slots, never
    people, so it fits every school.
    """

    bureau = models.ForeignKey(
        Organisation, verbose_name="教育局", on_delete=models.PROTECT, related_name="plan_templates"
    )
    title = models.CharField("方案名称", max_length=200)
    year = models.PositiveSmallIntegerField("年度")
    spec = models.JSONField("方案内容", default=dict)
    source_name = models.CharField("来源文件", max_length=200, blank=True)
    source_sha256 = models.CharField("文件摘要", max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="创建人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "方案模板"
        verbose_name_plural = "方案模板"
        ordering = ["-year", "title"]
        constraints = [
            models.UniqueConstraint(fields=["bureau", "title", "year"], name="plan_template_unique_title_per_year")
        ]

    def __str__(self) -> str:
        return f"{self.title}（{self.year} 年度）"


class TemplateIssue(models.Model):
    """A template issued to one school: the plan it became. One issue per template and school."""

    template = models.ForeignKey(PlanTemplate, verbose_name="模板", on_delete=models.CASCADE, related_name="issues")
    school = models.ForeignKey(Organisation, verbose_name="学校", on_delete=models.PROTECT, related_name="+")
    plan = models.OneToOneField(Plan, verbose_name="方案", on_delete=models.CASCADE, related_name="template_issue")
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="下发人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    issued_at = models.DateTimeField("下发时间", auto_now_add=True)

    class Meta:
        verbose_name = "模板下发记录"
        verbose_name_plural = "模板下发记录"
        ordering = ["template", "school"]
        constraints = [models.UniqueConstraint(fields=["template", "school"], name="template_issue_once_per_school")]

    def __str__(self) -> str:
        return f"{self.template} → {self.school}"

"""The school's acceptance archive (均衡发展档案): the scheme it follows (categories, volumes and
required items, as data a bureau edits) and the filings that put the plan's evidence files under
those items. A filing points at the evidence row it files; no file is ever stored twice."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from acceptance.models import RectificationItem
from orgs.models import Organisation
from plans.models import IndicatorReading, Plan, PlanTemplate
from tasks.models import Evidence

DEFAULT_BOX_LABEL = "均衡发展档案"
MAX_PERIOD_YEARS = 12


class ArchiveScheme(models.Model):
    """An archive scheme: the shipped default (``is_default``), a bureau's own copy, or the copy a
    plan or a template follows. Plans file only under items of their own copy, so editing a
    template's or the bureau's scheme never renumbers a school's archive."""

    title = models.CharField("档案方案名称", max_length=200)
    box_label = models.CharField("档案盒标签", max_length=50, default=DEFAULT_BOX_LABEL)
    is_default = models.BooleanField("系统默认", default=False, editable=False)
    bureau = models.ForeignKey(
        Organisation, verbose_name="教育局", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    plan = models.OneToOneField(
        Plan, verbose_name="方案", null=True, blank=True, on_delete=models.CASCADE, related_name="archive_scheme"
    )
    template = models.OneToOneField(
        PlanTemplate,
        verbose_name="方案模板",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="archive_scheme",
    )
    copied_from = models.ForeignKey(
        "self", verbose_name="复制自", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="创建人", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "档案方案"
        verbose_name_plural = "档案方案"
        ordering = ["-is_default", "title", "id"]
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True), name="archive_one_default"),
            models.CheckConstraint(
                condition=Q(plan__isnull=True) | Q(template__isnull=True), name="archive_scheme_plan_or_template"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class ArchiveCategory(models.Model):
    """A category (档案分类) of a scheme, e.g. (一) 自评自查资料及相关证书、证件."""

    scheme = models.ForeignKey(ArchiveScheme, verbose_name="档案方案", on_delete=models.CASCADE, related_name="categories")
    order = models.PositiveSmallIntegerField("顺序", default=1)
    title = models.CharField("分类", max_length=200)

    class Meta:
        verbose_name = "档案分类"
        verbose_name_plural = "档案分类"
        ordering = ["scheme", "order", "id"]

    def __str__(self) -> str:
        return self.title


class ArchiveVolume(models.Model):
    """A volume (分卷) inside a category; ``boxes`` is how many boxes it fills (××卷①②…)."""

    scheme = models.ForeignKey(ArchiveScheme, verbose_name="档案方案", on_delete=models.CASCADE, related_name="volumes")
    category = models.ForeignKey(ArchiveCategory, verbose_name="分类", on_delete=models.CASCADE, related_name="volumes")
    order = models.PositiveSmallIntegerField("顺序", default=1)
    title = models.CharField("分卷名称", max_length=100)
    boxes = models.PositiveSmallIntegerField(
        "盒数", default=1, validators=[MinValueValidator(1), MaxValueValidator(50)]
    )

    class Meta:
        verbose_name = "档案分卷"
        verbose_name_plural = "档案分卷"
        ordering = ["scheme", "order", "id"]

    def __str__(self) -> str:
        return self.title


class RequiredItem(models.Model):
    """A named item the scheme requires (e.g. 全校教师基本情况登记表). ``primary_years`` and
    ``junior_years`` make it a period item (小学近六年, 初中近三年): 0 means one filing is enough."""

    scheme = models.ForeignKey(ArchiveScheme, verbose_name="档案方案", on_delete=models.CASCADE, related_name="items")
    volume = models.ForeignKey(ArchiveVolume, verbose_name="分卷", on_delete=models.CASCADE, related_name="items")
    order = models.PositiveSmallIntegerField("顺序", default=1)
    title = models.CharField("条目", max_length=500)
    note = models.CharField("说明", max_length=500, blank=True)
    primary_years = models.PositiveSmallIntegerField(
        "小学年限", default=0, validators=[MaxValueValidator(MAX_PERIOD_YEARS)]
    )
    junior_years = models.PositiveSmallIntegerField(
        "初中年限", default=0, validators=[MaxValueValidator(MAX_PERIOD_YEARS)]
    )

    class Meta:
        verbose_name = "档案条目"
        verbose_name_plural = "档案条目"
        ordering = ["scheme", "volume", "order", "id"]

    def __str__(self) -> str:
        return self.title[:60]


class Filing(models.Model):
    """One evidence file of the plan filed under one required item (归档): a pointer at the source
    row (task evidence, indicator reading or rectification evidence), with the document's date and
    title. The same source may be filed under several items; ``order`` fixes its place in the item."""

    class Source(models.TextChoices):
        TASK = "task", "任务佐证"
        READING = "reading", "指标佐证"
        RECTIFICATION = "rectification", "整改佐证"

    plan = models.ForeignKey(Plan, verbose_name="方案", on_delete=models.CASCADE, related_name="archive_filings")
    item = models.ForeignKey(RequiredItem, verbose_name="条目", on_delete=models.RESTRICT, related_name="filings")
    source = models.CharField("来源", max_length=16, choices=Source.choices)
    evidence = models.ForeignKey(
        Evidence, verbose_name="任务佐证", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    reading = models.ForeignKey(
        IndicatorReading, verbose_name="指标读数", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    rectification = models.ForeignKey(
        RectificationItem, verbose_name="整改项", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    order = models.PositiveIntegerField("件号")
    title = models.CharField("文件题名", max_length=200)
    document_date = models.DateField("成文日期")
    sha256 = models.CharField("SHA-256", max_length=64, blank=True)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="归档人", null=True, on_delete=models.PROTECT, related_name="+"
    )
    filed_at = models.DateTimeField("归档时间", auto_now_add=True)

    class Meta:
        verbose_name = "归档文件"
        verbose_name_plural = "归档文件"
        ordering = ["item", "order", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(source="task", evidence__isnull=False, reading__isnull=True, rectification__isnull=True)
                    | Q(source="reading", evidence__isnull=True, reading__isnull=False, rectification__isnull=True)
                    | Q(source="rectification", evidence__isnull=True, reading__isnull=True, rectification__isnull=False)
                ),
                name="filing_exactly_one_source",
            ),
            models.UniqueConstraint(fields=["item", "order"], name="filing_unique_order"),
            models.UniqueConstraint(fields=["item", "evidence"], name="filing_evidence_once_per_item"),
            models.UniqueConstraint(fields=["item", "reading"], name="filing_reading_once_per_item"),
            models.UniqueConstraint(fields=["item", "rectification"], name="filing_rectification_once_per_item"),
        ]
        indexes = [models.Index(fields=["plan", "item"], name="filing_plan_item_idx")]

    def __str__(self) -> str:
        return self.title


class GapReminder(models.Model):
    """A reminder sent to the office that the archive still has gaps before an inspection date.
    Unique per (plan, inspection date): that constraint, not a check in Python, makes a second scan
    send nothing new; a changed inspection date may be reminded again."""

    plan = models.ForeignKey(Plan, verbose_name="方案", on_delete=models.CASCADE, related_name="+")
    inspection_date = models.DateField("验收日期")
    missing = models.PositiveIntegerField("缺失条目")
    partial = models.PositiveIntegerField("不全条目")
    sent_at = models.DateTimeField("提醒时间", auto_now_add=True)

    class Meta:
        verbose_name = "档案缺项提醒"
        verbose_name_plural = "档案缺项提醒"
        ordering = ["-sent_at"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "inspection_date"], name="gap_reminder_once_per_date")
        ]

    def __str__(self) -> str:
        return f"{self.plan_id} · {self.inspection_date}"

"""Uploaded workbooks between their dry run and their confirmation."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from orgs.models import Organisation
from plans.models import Plan, PlanTemplate


class WorkbookImport(models.Model):
    """An uploaded workbook (a plan workbook, or an inspector's 评分表: excel.scoresheet_services)
    between its dry run and its confirmation.

    The token is the one-time confirmation key: confirming locks this row, and a second confirmation
    (a double click, a stale page) finds it already imported and writes nothing.
    """

    # Not stored: set by excel.services.workbook_import_confirm on the row it has just imported.
    just_imported: bool

    class Kind(models.TextChoices):
        NEW_PLAN = "new_plan", "新建方案"
        INTO_PLAN = "into_plan", "导入到已有方案"
        TEMPLATE = "template", "方案模板"
        SCORESHEET = "scoresheet", "验收评分表"

    class Status(models.TextChoices):
        PREVIEWED = "previewed", "待确认"
        IMPORTED = "imported", "已导入"
        FAILED = "failed", "未通过校验"

    token = models.UUIDField("确认码", unique=True)
    kind = models.CharField("类型", max_length=16, choices=Kind.choices)
    status = models.CharField("状态", max_length=16, choices=Status.choices, default=Status.PREVIEWED)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="上传人", on_delete=models.CASCADE, related_name="+"
    )
    school = models.ForeignKey(
        Organisation, verbose_name="学校", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    bureau = models.ForeignKey(
        Organisation, verbose_name="教育局", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    plan = models.ForeignKey(
        Plan, verbose_name="方案", null=True, blank=True, on_delete=models.SET_NULL, related_name="workbook_imports"
    )
    template = models.ForeignKey(
        PlanTemplate, verbose_name="模板", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    title = models.CharField("方案名称", max_length=200, blank=True)
    year = models.PositiveSmallIntegerField("年度", null=True, blank=True)
    source_name = models.CharField("文件名", max_length=200)
    source_sha256 = models.CharField("文件摘要", max_length=64, db_index=True)
    spec = models.JSONField("解析结果", default=dict)
    problems = models.JSONField("问题", default=list)
    created_at = models.DateTimeField("上传时间", auto_now_add=True)
    finished_at = models.DateTimeField("导入时间", null=True, blank=True)

    class Meta:
        verbose_name = "方案导入"
        verbose_name_plural = "方案导入"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.source_name}({self.get_status_display()})"

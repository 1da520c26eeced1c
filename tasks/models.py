"""Tasks inside measures, with their evidence files and comment threads."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone

from plans.models import Measure, Plan


class Task(models.Model):
    """A task (任务) of a measure. Its status only changes through tasks.services."""

    class Status(models.TextChoices):
        UNASSIGNED = "unassigned", "待分派"
        ASSIGNED = "assigned", "待办"
        IN_PROGRESS = "in_progress", "进行中"
        SUBMITTED = "submitted", "待审核"
        CLOSED = "closed", "已完成"
        RETURNED = "returned", "已退回"

    OPEN_STATUSES = (Status.UNASSIGNED, Status.ASSIGNED, Status.IN_PROGRESS, Status.SUBMITTED, Status.RETURNED)

    # plan is denormalised from measure.stage.plan: every permission scope and rollup filters on it.
    plan = models.ForeignKey(Plan, verbose_name="方案", on_delete=models.CASCADE, related_name="tasks")
    measure = models.ForeignKey(Measure, verbose_name="措施", on_delete=models.CASCADE, related_name="tasks")
    order = models.PositiveSmallIntegerField("顺序", default=0)
    title = models.CharField("任务", max_length=200)
    description = models.TextField("说明", blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="责任人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_tasks",
    )
    starts_on = models.DateField("开始日期", null=True, blank=True)
    due_on = models.DateField("截止日期", null=True, blank=True, db_index=True)
    status = models.CharField("状态", max_length=16, choices=Status.choices, default=Status.UNASSIGNED)
    weight = models.DecimalField(
        "权重", max_digits=7, decimal_places=2, default=Decimal("1"), validators=[MinValueValidator(Decimal("0"))]
    )
    waived = models.BooleanField("已豁免", default=False)
    waive_reason = models.TextField("豁免理由", blank=True)
    # Cancelled (已取消) is, like waived, a closed task with a flag: every gate and "open task" query
    # that looks at the status already leaves it out, and the rollups leave it out of both the
    # done and the due figures (it is neither). Only tasks.services.cancelling sets it.
    cancelled = models.BooleanField("已取消", default=False)
    cancel_reason = models.TextField("取消理由", blank=True)
    return_reason = models.TextField("退回理由", blank=True)
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    closed_at = models.DateTimeField("完成时间", null=True, blank=True)
    # Bumped on every transition: a form carries the version it was rendered with, so a stale
    # page is refused instead of acting on a task someone else has just moved.
    version = models.PositiveIntegerField("版本", default=0)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    # Not stored: set on the rows of the school dashboard's upcoming list (dashboards.selectors).
    measure_title: str
    days_left: int

    class Meta:
        verbose_name = "任务"
        verbose_name_plural = "任务"
        ordering = ["measure__stage__order", "measure__order", "measure_id", "order", "id"]
        indexes = [
            models.Index(fields=["assignee", "status"], name="task_assignee_status_idx"),
            models.Index(fields=["plan", "status"], name="task_plan_status_idx"),
            # Rollups read every task of many plans grouped by measure: on PostgreSQL this covers
            # them without touching the table (other databases ignore the INCLUDE part).
            models.Index(
                fields=["plan", "measure"],
                include=["status", "waived", "cancelled", "weight", "due_on"],
                name="task_rollup_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("tasks:task_detail", args=[self.pk])

    @property
    def is_done(self) -> bool:
        """Nothing more to do: closed, waived or cancelled (the rollups count only the first two)."""
        return self.status == self.Status.CLOSED or self.waived

    @property
    def state_label(self) -> str:
        """The status as people read it: 已取消 and 已豁免 are closed tasks with a flag."""
        if self.cancelled:
            return "已取消"
        return "已豁免" if self.waived else self.get_status_display()

    def is_overdue_on(self, day: datetime.date) -> bool:
        return bool(self.due_on and self.due_on < day and not self.is_done)

    @property
    def is_overdue(self) -> bool:
        return self.is_overdue_on(timezone.localdate())

    @property
    def days_overdue(self) -> int:
        if self.due_on is None or not self.is_overdue:
            return 0
        return (timezone.localdate() - self.due_on).days


def evidence_upload_to(instance: Evidence, filename: str) -> str:
    # The stored name never reuses the uploader's file name: it is kept in original_name only.
    now = timezone.now()
    return f"evidence/{instance.task.plan_id}/{now:%Y%m}/{instance.task_id}-{now:%H%M%S%f}.bin"


class Evidence(models.Model):
    """A file attached to a task as proof of work (佐证材料)."""

    task = models.ForeignKey(Task, verbose_name="任务", on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField("文件", upload_to=evidence_upload_to)
    original_name = models.CharField("文件名", max_length=200)
    content_type = models.CharField("类型", max_length=100)
    size = models.PositiveBigIntegerField("大小")
    sha256 = models.CharField("SHA-256", max_length=64, blank=True, editable=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="上传人", on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)

    class Meta:
        verbose_name = "佐证材料"
        verbose_name_plural = "佐证材料"
        ordering = ["task", "uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name


class Comment(models.Model):
    """A message in a task's comment thread. Never edited or deleted: its author (or the plan's
    office) may withdraw it (tasks.services.comment_withdraw); the page then shows 已撤回 and the
    text stays in the row and in the audit trail."""

    task = models.ForeignKey(Task, verbose_name="任务", on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="作者", on_delete=models.PROTECT, related_name="+"
    )
    body = models.TextField("内容", max_length=5000)
    created_at = models.DateTimeField("时间", auto_now_add=True)
    withdrawn_at = models.DateTimeField("撤回时间", null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="撤回人", null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = "评论"
        verbose_name_plural = "评论"
        ordering = ["task", "created_at", "id"]

    def __str__(self) -> str:
        return self.body[:30]


class Reminder(models.Model):
    """A 催办 entry on a task: sent by the deadline engine or by hand by the office.

    Automatic entries are unique per (task, kind, step, due date): that constraint, not a check in
    Python, is what makes a second scan send nothing new, even with two scanners running at once.
    A changed due date is a new deadline and may be reminded again.
    """

    class Kind(models.TextChoices):
        DUE_SOON = "due_soon", "到期提醒"
        OVERDUE = "overdue", "逾期提醒"
        ESCALATED_OFFICE = "escalated_office", "逾期升级至办公室"
        ESCALATED_LEADER = "escalated_leader", "逾期升级至组长"
        MANUAL = "manual", "人工催办"

    task = models.ForeignKey(Task, verbose_name="任务", on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField("类型", max_length=24, choices=Kind.choices)
    # Due-soon reminders: the threshold (days before the due date) that fired; 0 for the others.
    step = models.PositiveSmallIntegerField("档位", default=0)
    due_on = models.DateField("截止日期", null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="催办人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    recipients = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name="接收人", related_name="+", blank=True)
    note = models.CharField("附言", max_length=200, blank=True)
    created_at = models.DateTimeField("时间", auto_now_add=True)

    class Meta:
        verbose_name = "催办记录"
        verbose_name_plural = "催办记录"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["task", "kind", "step", "due_on"],
                condition=~models.Q(kind="manual"),
                name="reminder_once_per_deadline",
            )
        ]
        indexes = [models.Index(fields=["task", "kind", "-created_at"], name="reminder_task_kind_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.task_id}"

    @property
    def is_automatic(self) -> bool:
        return self.kind != self.Kind.MANUAL

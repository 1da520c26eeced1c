"""Notifications: a database row first; the websocket push is only a hint to re-read."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Notification(models.Model):
    class Kind(models.TextChoices):
        TASK_ASSIGNED = "task_assigned", "任务分派"
        TASK_SUBMITTED = "task_submitted", "待审核"
        TASK_CLOSED = "task_closed", "任务通过"
        TASK_RETURNED = "task_returned", "任务退回"
        TASK_REOPENED = "task_reopened", "任务重开"
        GATE_READY = "gate_ready", "待签署关口"
        STAGE_OPENED = "stage_opened", "阶段开启"
        COMMENT = "comment", "新评论"
        DUE_SOON = "due_soon", "即将到期"
        OVERDUE = "overdue", "已逾期"
        ESCALATION = "escalation", "逾期升级"
        NUDGE = "nudge", "催办"

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="接收人", on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField("类型", max_length=24, choices=Kind.choices)
    text = models.CharField("内容", max_length=300)
    url = models.CharField("链接", max_length=200, blank=True)
    plan = models.ForeignKey("plans.Plan", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    task = models.ForeignKey("tasks.Task", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField("时间", auto_now_add=True)
    read_at = models.DateTimeField("已读时间", null=True, blank=True)

    class Meta:
        verbose_name = "通知"
        verbose_name_plural = "通知"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at", "-created_at"], name="notification_inbox_idx")]

    def __str__(self) -> str:
        return self.text


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

    task = models.ForeignKey("tasks.Task", verbose_name="任务", on_delete=models.CASCADE, related_name="reminders")
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

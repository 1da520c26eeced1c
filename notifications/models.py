"""Notifications: a database row first; the websocket push is only a hint to re-read."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from plans.models import Plan


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
        ACCEPTANCE = "acceptance", "评估验收"

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="接收人", on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField("类型", max_length=24, choices=Kind.choices)
    text = models.CharField("内容", max_length=300)
    url = models.CharField("链接", max_length=200, blank=True)
    plan = models.ForeignKey(Plan, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField("时间", auto_now_add=True)
    read_at = models.DateTimeField("已读时间", null=True, blank=True)

    # Not stored: the url, or "" when it leads into a plan the reader can no longer see
    # (set by notifications.selectors.with_safe_links).
    link: str
    # Not stored: the plan's title as the reader may see it, "" for a plan hidden from them since
    # (set by with_safe_links; rows fresh from notify() read it from their plan).
    plan_title: str

    class Meta:
        verbose_name = "通知"
        verbose_name_plural = "通知"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at", "-created_at"], name="notification_inbox_idx")]

    def __str__(self) -> str:
        return self.text

    @property
    def shown_text(self) -> str:
        """The text as the bell, the toast and the notification list show it: under the title of
        its plan, since two plans may have tasks of the same title. One place for every kind."""
        title = getattr(self, "plan_title", None)
        if title is None:
            title = self.plan.title if self.plan_id else ""  # type: ignore[union-attr]
        return with_plan_title(self.text, title)


def with_plan_title(text: str, plan_title: str) -> str:
    """``text`` led by 《plan title》, unless it names the plan already (or there is none)."""
    if not plan_title or plan_title in text:
        return text
    return f"《{plan_title}》{text}"

"""The append-only audit trail. Rows are written only by audit.services, called by the service that
makes a change, inside its transaction."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class AuditEntry(models.Model):
    """One event: who did what to which object, from and to which state, why, and when.

    ``plan_id`` names the plan the event belongs to (None for events outside any plan, such as a new
    organisation or account). It is a plain number, not a foreign key: the audit trail sits below
    every other app and outlives what it describes.
    """

    # Set by audit.chain before the row is hashed (not auto_now_add, which would overwrite it on save).
    created_at = models.DateTimeField("时间", default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    action = models.CharField("动作", max_length=64, db_index=True)
    plan_id = models.BigIntegerField("方案ID", null=True, blank=True, db_index=True)
    target_type = models.CharField("对象类型", max_length=32)
    target_id = models.BigIntegerField("对象ID")
    from_state = models.CharField("原状态", max_length=32, blank=True)
    to_state = models.CharField("新状态", max_length=32, blank=True)
    reason = models.TextField("原因", blank=True)
    data = models.JSONField("数据", default=dict, blank=True)
    # The hash chain (audit.chain): our own gapless sequence, the exact bytes hashed, the links.
    seq = models.BigIntegerField("序号", null=True, unique=True, editable=False)
    canonical = models.TextField("规范内容", blank=True, editable=False)
    prev_hash = models.CharField("前一哈希", max_length=64, blank=True, editable=False)
    hash = models.CharField("哈希", max_length=64, blank=True, editable=False)

    class Meta:
        verbose_name = "操作记录"
        verbose_name_plural = "操作记录"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["target_type", "target_id", "created_at"], name="audit_target_idx"),
            # Keyset pages of the history (history.selectors): newest first within a plan, an action, a person.
            models.Index(fields=["plan_id", "-seq"], name="audit_plan_seq_idx"),
            models.Index(fields=["action", "-seq"], name="audit_action_seq_idx"),
            models.Index(fields=["actor", "-seq"], name="audit_actor_seq_idx"),
            # The plan page's "people" filter: who acted in a plan, from the index alone.
            models.Index(fields=["plan_id", "actor"], name="audit_plan_actor_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action}"


class AuditChainHead(models.Model):
    """One row (pk 1): the last sequence number and hash of the chain. Locked by every audit write."""

    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = "操作记录链头"
        verbose_name_plural = "操作记录链头"

    def __str__(self) -> str:
        return f"#{self.seq} {self.hash[:12]}"


class AuditCheckpoint(models.Model):
    """A signed statement of the chain's head at a moment (audit.chain.checkpoint_make)."""

    seq = models.BigIntegerField("序号", unique=True)
    head_hash = models.CharField("链头哈希", max_length=64)
    signed_at = models.CharField("签署时间（UTC）", max_length=40)
    signature = models.CharField("签名", max_length=128)
    public_key = models.CharField("公钥", max_length=64)

    class Meta:
        verbose_name = "操作记录检查点"
        verbose_name_plural = "操作记录检查点"
        ordering = ["-seq"]

    def __str__(self) -> str:
        return f"#{self.seq} {self.head_hash[:12]}"

"""Figures the dashboards keep up to date instead of recounting them on every page."""

from __future__ import annotations

from django.db import models


class MeasureTally(models.Model):
    """Counts and weights of one measure's tasks (cancelled ones left out), kept by database triggers
    on ``tasks_task`` (migration 0001): every write path (services, bulk imports, a raw UPDATE)
    changes them in the same transaction as the task. A city-wide dashboard then reads one row per
    measure instead of every task; tests/dashboards/test_rollups_property.py recounts them by brute
    force. No foreign key on purpose: a measure's deletion removes its tasks in any order, and the
    readers join on measures, so a stray row for a deleted measure is never read.
    """

    measure_id = models.BigIntegerField("措施", primary_key=True)
    n = models.IntegerField("任务数", default=0)
    n_done = models.IntegerField("已完成任务数", default=0)
    w = models.DecimalField("权重合计", max_digits=14, decimal_places=2, default=0)
    w_done = models.DecimalField("已完成权重合计", max_digits=14, decimal_places=2, default=0)

    class Meta:
        verbose_name = "措施任务汇总"
        verbose_name_plural = "措施任务汇总"

    def __str__(self) -> str:
        return f"{self.measure_id}: {self.n_done}/{self.n}"

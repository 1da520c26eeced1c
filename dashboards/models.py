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


class StageTally(models.Model):
    """A stage's measures folded by their own date window (``starts_on``/``ends_on``, empty when the
    measure inherits its stage's): how many, their weights, Σ weight × percent, Σ percent, how many
    are below 100 %, and their task counts. Kept by database triggers (migration 0002) on
    ``plans_measure`` and on ``dashboards_measuretally``, so a city-wide dashboard sums a few rows
    per stage instead of every measure. Percents are rounded to 9 places before they are added, so
    that adding and taking away the same measure leaves the sums exactly as they were (PostgreSQL
    keeps them as exact decimals, SQLite rounds the running sums to the same places).
    tests/dashboards/test_rollups_property.py and test_measure_tally.py recount them by brute force.
    Rows whose ``measures`` fell to zero stay and are never read; like MeasureTally, no foreign key.
    """

    stage_id = models.BigIntegerField("阶段")
    starts_on = models.DateField("措施开始日期", null=True)
    ends_on = models.DateField("措施截止日期", null=True)
    measures = models.IntegerField("措施数", default=0)
    unfinished = models.IntegerField("未完成措施数", default=0)
    n = models.IntegerField("任务数", default=0)
    n_done = models.IntegerField("已完成任务数", default=0)
    w = models.DecimalField("措施权重合计", max_digits=16, decimal_places=2, default=0)
    weighted = models.DecimalField("权重×完成率合计", max_digits=30, decimal_places=11, default=0)
    plain = models.DecimalField("完成率合计", max_digits=24, decimal_places=9, default=0)

    class Meta:
        verbose_name = "阶段措施汇总"
        verbose_name_plural = "阶段措施汇总"

    def __str__(self) -> str:
        return f"{self.stage_id} {self.starts_on}–{self.ends_on}: {self.measures}"

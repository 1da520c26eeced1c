"""The acceptance form (评估表) of a plan. The bureau's acceptance itself (self-assessment,
application, scored inspection, rectification) will live beside it (issue 10)."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models

from plans.models import Plan


class AcceptanceCriterion(models.Model):
    """One line of a plan's acceptance scoring form (评估表): a point under a category, with its score.

    Criteria that do not apply to the school (``applicable=False``) are kept for the record but left
    out of the total, which is then rescaled to 100.
    """

    plan = models.ForeignKey(Plan, verbose_name="方案", on_delete=models.CASCADE, related_name="criteria")
    order = models.PositiveSmallIntegerField("顺序", default=0)
    category = models.CharField("类别", max_length=100, blank=True)
    point = models.CharField("评估要点", max_length=500)
    max_score = models.DecimalField(
        "分值", max_digits=6, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    applicable = models.BooleanField("是否适用", default=True)

    class Meta:
        verbose_name = "评估要点"
        verbose_name_plural = "评估表"
        ordering = ["plan", "order", "id"]

    def __str__(self) -> str:
        return self.point[:50]

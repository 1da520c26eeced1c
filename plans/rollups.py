"""Progress figures for plans, computed in the database in a fixed number of queries.

Task progress is binary (a closed or waived task counts 100 %); a measure's progress is the
weighted share of its tasks, a stage's is the measure-weighted mean of its measures, a plan's is
the mean over its stages weighted by their measures' total weight. Zero weights fall back to equal
weights so that nothing divides by zero.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Case, Count, DecimalField, F, Q, Sum, Value, When
from django.utils import timezone

from plans.models import Measure, Stage


@dataclass
class Progress:
    total: int = 0
    done: int = 0
    overdue: int = 0
    percent: float = 0.0

    @property
    def percent_display(self) -> str:
        return f"{self.percent:.0f}%"


@dataclass
class PlanProgress(Progress):
    stages: dict[int, Progress] = field(default_factory=dict)
    measures: dict[int, Progress] = field(default_factory=dict)
    current_stage: Stage | None = None


def _weighted_mean(pairs: Iterable[tuple[Decimal, float]]) -> float:
    pairs = list(pairs)
    if not pairs:
        return 0.0
    total_weight = sum(w for w, _ in pairs)
    if total_weight <= 0:
        return sum(p for _, p in pairs) / len(pairs)
    return float(sum(w * Decimal(str(p)) for w, p in pairs) / total_weight)


def plan_progress(plan_ids: Iterable[int], today: datetime.date | None = None) -> dict[int, PlanProgress]:
    """Rollups for the given plans: two aggregate queries plus one for stages, however many plans."""
    from tasks.models import Task

    plan_ids = list(plan_ids)
    today = today or timezone.localdate()
    done_q = Q(status=Task.Status.CLOSED) | Q(waived=True)
    per_measure = (
        Task.objects.filter(plan_id__in=plan_ids)
        .values("measure_id")
        .annotate(
            n=Count("id"),
            n_done=Count("id", filter=done_q),
            n_overdue=Count("id", filter=Q(due_on__lt=today) & ~done_q),
            w=Sum("weight"),
            w_done=Sum(Case(When(done_q, then=F("weight")), default=Value(0), output_field=DecimalField())),
        )
    )
    task_figures = {row["measure_id"]: row for row in per_measure}
    measures = Measure.objects.filter(stage__plan_id__in=plan_ids).values("id", "stage_id", "stage__plan_id", "weight")
    stages = list(Stage.objects.filter(plan_id__in=plan_ids).order_by("plan_id", "order"))

    result: dict[int, PlanProgress] = {pid: PlanProgress() for pid in plan_ids}
    stage_parts: dict[int, list[tuple[Decimal, float]]] = defaultdict(list)
    stage_counts: dict[int, Progress] = defaultdict(Progress)
    for m in measures:
        row = task_figures.get(m["id"])
        mp = Progress()
        if row:
            mp.total, mp.done, mp.overdue = row["n"], row["n_done"], row["n_overdue"]
            w, w_done = row["w"] or Decimal(0), row["w_done"] or Decimal(0)
            mp.percent = float(w_done / w * 100) if w > 0 else (mp.done / mp.total * 100 if mp.total else 0.0)
        result[m["stage__plan_id"]].measures[m["id"]] = mp
        stage_parts[m["stage_id"]].append((m["weight"], mp.percent))
        sc = stage_counts[m["stage_id"]]
        sc.total += mp.total
        sc.done += mp.done
        sc.overdue += mp.overdue

    plan_parts: dict[int, list[tuple[Decimal, float]]] = defaultdict(list)
    for stage in stages:
        sp = stage_counts[stage.pk]
        sp.percent = 100.0 if stage.status == Stage.Status.COMPLETED else _weighted_mean(stage_parts[stage.pk])
        pp = result[stage.plan_id]
        pp.stages[stage.pk] = sp
        pp.total += sp.total
        pp.done += sp.done
        pp.overdue += sp.overdue
        stage_weight = sum((w for w, _ in stage_parts[stage.pk]), Decimal(0))
        plan_parts[stage.plan_id].append((stage_weight, sp.percent))
        if pp.current_stage is None and stage.status != Stage.Status.COMPLETED:
            pp.current_stage = stage
    for pid, pp in result.items():
        pp.percent = _weighted_mean(plan_parts[pid])
    return result

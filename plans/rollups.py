"""Progress figures for plans, computed in a fixed number of queries however many plans are asked for.

The rules (tests/test_rollups_property.py recounts them by brute force on random plans):

- A task is done when it is closed or waived; done counts 100 %, anything else 0 %. Its weight
  defaults to 1.
- A measure's percent is the weight-share of its done tasks. If all its tasks weigh zero, every
  task counts the same. A measure without tasks is at 0 %.
- A stage's percent is the mean of its measures' percents weighted by measure weight (equal weights
  when they are all zero; 0 % without measures). A completed stage (its gate is signed) is 100 %.
- A plan's percent is the mean of its stages weighted by the total weight of each stage's measures
  (equal weights when that is zero everywhere).
- Expected percent for ``today`` runs the same weighted means over each measure's date window
  (the measure's own dates, else its stage's): 0 % before the window, 100 % from its last day on,
  linear by elapsed days in between. A measure without an end date has no schedule: its expected
  value is its actual value, so it never makes its stage look behind. A level whose parts have no
  schedule at all has ``expected`` None (shown as "—").
- ``behind`` (滞后) is ``percent < expected - settings.BEHIND_SCHEDULE_MARGIN`` (percentage points).
- ``overdue`` counts unfinished tasks whose due date is before ``today``, at every level.
  ``overdue_measures`` counts measures whose window has ended but which are below 100 %.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db.models import Case, Count, DecimalField, F, Q, Sum, Value, When
from django.utils import timezone

from plans.models import Measure, Stage

ZERO = Decimal(0)


@dataclass
class Progress:
    """Counts and percents of one measure, stage or plan."""

    total: int = 0
    done: int = 0
    overdue: int = 0
    percent: float = 0.0
    expected: float | None = None
    behind: bool = False
    weight: Decimal = ZERO
    overdue_measures: int = 0

    @property
    def percent_display(self) -> str:
        return f"{self.percent:.0f}%"

    @property
    def expected_display(self) -> str:
        return "—" if self.expected is None else f"{self.expected:.0f}%"

    @property
    def lag(self) -> float:
        """Percentage points behind the expected figure (0 when on time or without a schedule)."""
        return 0.0 if self.expected is None else max(0.0, self.expected - self.percent)


@dataclass
class PlanProgress(Progress):
    stages: dict[int, Progress] = field(default_factory=dict)
    measures: dict[int, Progress] = field(default_factory=dict)
    current_stage: Stage | None = None
    # The rows the figures were computed from, in display order: dashboards reuse them instead of
    # querying stages and measures again.
    stage_list: list[Stage] = field(default_factory=list)
    measure_list: list[Measure] = field(default_factory=list)


def weighted_mean(pairs: Iterable[tuple[Decimal, float]]) -> float:
    """Mean of values weighted by non-negative weights; equal weights when they sum to zero; 0 if empty."""
    pairs = list(pairs)
    if not pairs:
        return 0.0
    total_weight = sum((w for w, _ in pairs), ZERO)
    if total_weight <= 0:
        return sum(p for _, p in pairs) / len(pairs)
    return float(sum((w * Decimal(repr(p)) for w, p in pairs), ZERO) / total_weight)


def expected_percent(start: datetime.date | None, end: datetime.date | None, today: datetime.date) -> float | None:
    """Share of the window [start, end] elapsed by the end of ``today``; None without an end date."""
    if end is None:
        return None
    if today >= end:
        return 100.0
    if start is None or start > end or today < start:
        return 0.0
    return ((today - start).days + 1) / ((end - start).days + 1) * 100


def behind_margin() -> float:
    return float(getattr(settings, "BEHIND_SCHEDULE_MARGIN", 10))


def _is_behind(percent: float, expected: float | None, margin: float) -> bool:
    return expected is not None and percent < expected - margin - 1e-9


def _measure_figures(plan_ids: list[int], today: datetime.date) -> dict[int, dict]:
    from tasks.models import Task

    done_q = Q(status=Task.Status.CLOSED) | Q(waived=True)
    rows = (
        Task.objects.filter(plan_id__in=plan_ids)
        .order_by()
        .values("measure_id")
        .annotate(
            n=Count("id"),
            n_done=Count("id", filter=done_q),
            n_overdue=Count("id", filter=Q(due_on__lt=today) & ~done_q),
            w=Sum("weight"),
            w_done=Sum(
                Case(When(done_q, then=F("weight")), default=Value(ZERO), output_field=DecimalField(max_digits=20, decimal_places=2))
            ),
        )
    )
    return {row["measure_id"]: row for row in rows}


def _measure_progress(row: dict | None) -> Progress:
    mp = Progress()
    if row:
        mp.total, mp.done, mp.overdue = row["n"], row["n_done"], row["n_overdue"]
        w, w_done = Decimal(row["w"] or 0), Decimal(row["w_done"] or 0)
        if w > 0:
            mp.percent = float(w_done / w * 100)
        elif mp.total:
            mp.percent = mp.done / mp.total * 100
    return mp


def model_fields(model: type, wanted: set[str]) -> tuple[str, ...]:
    """Attribute names in the model's field order, as ``Model.from_db`` expects them."""
    return tuple(f.attname for f in model._meta.concrete_fields if f.attname in wanted)


STAGE_FIELDS = model_fields(Stage, {f.attname for f in Stage._meta.concrete_fields})
MEASURE_FIELDS = model_fields(
    Measure, {"id", "stage_id", "order", "title", "starts_on", "ends_on", "weight", "owner_id", "working_group_id"}
)


def _structure(plan_ids: list[int]) -> tuple[list[Stage], list[Measure]]:
    """Stages and measures of the plans in display order, in ONE query (stages left-joined to their
    measures and working groups). Measures carry ``working_group_name``; their other fields
    (description, responsible units) are deferred."""
    measure_cols = [f"measures__{f}" for f in MEASURE_FIELDS]
    rows = (
        Stage.objects.filter(plan_id__in=plan_ids)
        .order_by("plan_id", "order", "id", "measures__order", "measures__id")
        .values_list(*STAGE_FIELDS, *measure_cols, "measures__working_group__name")
    )
    stages: dict[int, Stage] = {}
    measures: list[Measure] = []
    n = len(STAGE_FIELDS)
    for row in rows:
        stage_id = row[0]
        if stage_id not in stages:
            stages[stage_id] = Stage.from_db(Stage.objects.db, STAGE_FIELDS, row[:n])
        if row[n] is not None:
            measure = Measure.from_db(Measure.objects.db, MEASURE_FIELDS, row[n:n + len(MEASURE_FIELDS)])
            measure.working_group_name = row[-1] or ""
            measures.append(measure)
    return list(stages.values()), measures


def plan_progress(plan_ids: Iterable[int], today: datetime.date | None = None) -> dict[int, PlanProgress]:
    """Rollups for the given plans in two queries (tasks aggregated per measure; stages with measures).

    Every id asked for gets an entry, even a plan without stages or tasks (all zeros).
    """
    plan_ids = list(dict.fromkeys(plan_ids))
    today = today or timezone.localdate()
    margin = behind_margin()
    result: dict[int, PlanProgress] = {pid: PlanProgress() for pid in plan_ids}
    if not plan_ids:
        return result
    figures = _measure_figures(plan_ids, today)
    stages, measures = _structure(plan_ids)
    stage_by_id = {s.pk: s for s in stages}

    stage_actual: dict[int, list[tuple[Decimal, float]]] = defaultdict(list)
    stage_expected: dict[int, list[tuple[Decimal, float]]] = defaultdict(list)
    stage_scheduled: dict[int, bool] = defaultdict(bool)
    stage_counts: dict[int, Progress] = defaultdict(Progress)
    for m in measures:
        stage = stage_by_id[m.stage_id]
        mp = _measure_progress(figures.get(m.pk))
        mp.weight = m.weight
        expected = expected_percent(m.starts_on or stage.starts_on, m.ends_on or stage.ends_on, today)
        mp.expected = expected
        mp.behind = _is_behind(mp.percent, expected, margin)
        if expected is not None and expected >= 100 and mp.percent < 100:
            mp.overdue_measures = 1
        pp = result[stage.plan_id]
        pp.measures[m.pk] = mp
        pp.measure_list.append(m)
        stage_actual[stage.pk].append((m.weight, mp.percent))
        stage_expected[stage.pk].append((m.weight, mp.percent if expected is None else expected))
        stage_scheduled[stage.pk] |= expected is not None
        sc = stage_counts[stage.pk]
        sc.total += mp.total
        sc.done += mp.done
        sc.overdue += mp.overdue
        sc.overdue_measures += mp.overdue_measures
        sc.weight += m.weight

    plan_actual: dict[int, list[tuple[Decimal, float]]] = defaultdict(list)
    plan_expected: dict[int, list[tuple[Decimal, float]]] = defaultdict(list)
    plan_scheduled: dict[int, bool] = defaultdict(bool)
    for stage in stages:
        sp = stage_counts[stage.pk]
        completed = stage.status == Stage.Status.COMPLETED
        sp.percent = 100.0 if completed else weighted_mean(stage_actual[stage.pk])
        if stage_actual[stage.pk]:
            sp.expected = weighted_mean(stage_expected[stage.pk]) if stage_scheduled[stage.pk] else None
        else:
            sp.expected = expected_percent(stage.starts_on, stage.ends_on, today)
        if completed:
            sp.overdue_measures = 0
        sp.behind = _is_behind(sp.percent, sp.expected, margin)
        pp = result[stage.plan_id]
        pp.stages[stage.pk] = sp
        pp.stage_list.append(stage)
        pp.total += sp.total
        pp.done += sp.done
        pp.overdue += sp.overdue
        pp.overdue_measures += sp.overdue_measures
        pp.weight += sp.weight
        plan_actual[stage.plan_id].append((sp.weight, sp.percent))
        plan_expected[stage.plan_id].append((sp.weight, sp.percent if sp.expected is None else sp.expected))
        plan_scheduled[stage.plan_id] |= sp.expected is not None
        if pp.current_stage is None and not completed:
            pp.current_stage = stage
    for pid, pp in result.items():
        pp.percent = weighted_mean(plan_actual[pid])
        pp.expected = weighted_mean(plan_expected[pid]) if plan_scheduled[pid] else None
        pp.behind = _is_behind(pp.percent, pp.expected, margin)
    return result

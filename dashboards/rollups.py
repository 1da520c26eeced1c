"""Progress figures for plans, computed in a fixed number of queries however many plans are asked for.

The rules (tests/test_rollups_property.py recounts them by brute force on random plans):

- A task is done when it is closed or waived; done counts 100 %, anything else 0 %. Its weight
  defaults to 1. A cancelled task (已取消) counts neither as done nor as due: it is left out, as if
  it did not exist; so is a cancelled measure, with everything under it.
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
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Case, Count, FloatField, Q, Sum, Value, When
from django.db.models.functions import Cast
from django.utils import timezone

from dashboards.id_lists import ids_condition
from dashboards.models import StageTally
from plans.models import Measure, Stage
from tasks.models import Task

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
    weight: float = 0.0
    overdue_measures: int = 0

    @property
    def percent_display(self) -> str:
        return f"{self.percent:.0f}%"

    @property
    def expected_display(self) -> str:
        return "—" if self.expected is None else f"{self.expected:.0f}%"

    # Plain strings for templates (a county page shows hundreds of bars; filters cost more).
    @property
    def percent_int(self) -> str:
        return f"{self.percent:.0f}"

    @property
    def percent_css(self) -> str:
        return f"{min(100.0, max(0.0, self.percent)):.1f}%"

    @property
    def expected_css(self) -> str:
        return "" if self.expected is None else f"{min(100.0, max(0.0, self.expected)):.1f}%"

    @property
    def lag_int(self) -> str:
        return f"{self.lag:.0f}"

    @property
    def lag(self) -> float:
        """Percentage points behind the expected figure (0 when on time or without a schedule)."""
        return 0.0 if self.expected is None else max(0.0, self.expected - self.percent)


class MeasureRow:
    """The fields of a measure the rollups and dashboards need, without a model instance (a county
    has tens of thousands of measures; building Measure objects for them costs more than the SQL)."""

    __slots__ = (
        "pk",
        "stage_id",
        "order",
        "title",
        "starts_on",
        "ends_on",
        "weight",
        "owner_id",
        "working_group_id",
        "working_group_name",
        "progress",
        "state",
    )

    def __init__(
        self, pk, stage_id, order, title, starts_on, ends_on, weight, owner_id, working_group_id, working_group_name
    ):
        self.pk, self.stage_id, self.order, self.title = pk, stage_id, order, title
        self.starts_on, self.ends_on, self.weight = starts_on, ends_on, weight
        self.owner_id, self.working_group_id, self.working_group_name = owner_id, working_group_id, working_group_name
        self.progress: Progress | None = None
        self.state = ""

    @property
    def id(self) -> int:
        return self.pk

    def __str__(self) -> str:
        return self.title


class StageRow:
    """The fields of a stage a county-wide rollup needs, without a model instance (a city has
    thousands of stages; building Stage objects for them cost more than their query)."""

    __slots__ = ("pk", "plan_id", "order", "name", "starts_on", "ends_on", "status")

    def __init__(self, pk, plan_id, order, name, starts_on, ends_on, status):
        self.pk, self.plan_id, self.order, self.name = pk, plan_id, order, name
        self.starts_on, self.ends_on, self.status = starts_on, ends_on, status

    @property
    def id(self) -> int:
        return self.pk

    def __str__(self) -> str:
        return self.name


@dataclass
class PlanProgress(Progress):
    stages: dict[int, Progress] = field(default_factory=dict)
    measures: dict[int, Progress] = field(default_factory=dict)
    # A Stage with ``detail``, a StageRow (its pk, plan_id, order, name, dates and status) without.
    current_stage: Any = None
    # The rows the figures were computed from, in display order: dashboards reuse them instead of
    # querying stages and measures again.
    stage_list: list[Any] = field(default_factory=list)
    measure_list: list[MeasureRow] = field(default_factory=list)


def weighted_mean(pairs: Iterable[tuple[float, float]]) -> float:
    """Mean of values weighted by non-negative weights; equal weights when they sum to zero; 0 if empty."""
    pairs = list(pairs)
    if not pairs:
        return 0.0
    total_weight = sum(w for w, _ in pairs)
    if total_weight <= 0:
        return sum(p for _, p in pairs) / len(pairs)
    return sum(w * p for w, p in pairs) / total_weight


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


def _measure_figures_queryset(plan_ids: list[int], today: datetime.date):
    """measure_id, n, n_done, n_overdue, w, w_done: one aggregate over the plans' tasks."""
    done_q = Q(status=Task.Status.CLOSED) | Q(waived=True)
    return (
        Task.objects.filter(plan_id__in=plan_ids, cancelled=False)
        .order_by()
        .values("measure_id")
        .annotate(
            n=Count("id"),
            n_done=Count("id", filter=done_q),
            n_overdue=Count("id", filter=Q(due_on__lt=today) & ~done_q),
            # Sum doubles, not decimals: PostgreSQL's numeric aggregate state is large enough to
            # spill a county-wide hash aggregate to disk, and converting tens of thousands of
            # decimals in Python costs more than the query. Weights have two decimal places.
            w=Sum(Cast("weight", FloatField())),
            w_done=Sum(
                Case(When(done_q, then=Cast("weight", FloatField())), default=Value(0.0), output_field=FloatField())
            ),
        )
        .values_list("measure_id", "n", "n_done", "n_overdue", "w", "w_done")
    )


def _measure_figures(plan_ids: list[int], today: datetime.date) -> dict[int, tuple]:
    """(tasks, done, overdue, weight, done weight) per measure."""
    return {row[0]: row[1:] for row in _measure_figures_queryset(plan_ids, today)}


def _measure_progress(figures: tuple | None, weight: float) -> Progress:
    mp = Progress(weight=weight)
    if figures:
        mp.total, mp.done, mp.overdue = figures[0], figures[1], figures[2]
        w, w_done = float(figures[3] or 0), float(figures[4] or 0)
        if w > 0:
            mp.percent = min(100.0, w_done / w * 100)
        elif mp.total:
            mp.percent = mp.done / mp.total * 100
    return mp


def model_fields(model: type, wanted: set[str]) -> tuple[str, ...]:
    """Attribute names in the model's field order, as ``Model.from_db`` expects them."""
    return tuple(f.attname for f in model._meta.concrete_fields if f.attname in wanted)


STAGE_FIELDS = model_fields(Stage, {f.attname for f in Stage._meta.concrete_fields})
MEASURE_COLUMNS = (
    "id",
    "stage_id",
    "order",
    "title",
    "starts_on",
    "ends_on",
    "weight",
    "owner_id",
    "working_group_id",
    "working_group__name",
    "cancelled",
)


def _structure(plan_ids: list[int]) -> tuple[list[Stage], list[MeasureRow]]:
    """Stages and measures of the plans in display order, in ONE query (stages left-joined to their
    measures and working groups)."""
    rows = (
        Stage.objects.filter(plan_id__in=plan_ids)
        .order_by("plan_id", "order", "id", "measures__order", "measures__id")
        .values_list(*STAGE_FIELDS, *(f"measures__{c}" for c in MEASURE_COLUMNS))
    )
    stages: dict[int, Stage] = {}
    measures: list[MeasureRow] = []
    n = len(STAGE_FIELDS)
    db = Stage.objects.db
    for row in rows:
        if row[0] not in stages:
            stages[row[0]] = Stage.from_db(db, STAGE_FIELDS, row[:n])
        if row[n] is not None and not row[-1]:  # a cancelled measure is left out
            (pk, stage_id, order, title, starts_on, ends_on, weight, owner_id, group_id, group_name, _) = row[n:]
            measures.append(
                MeasureRow(
                    pk, stage_id, order, title, starts_on, ends_on, float(weight), owner_id, group_id, group_name or ""
                )
            )
    return list(stages.values()), measures


@dataclass
class _StageSums:
    """Running sums over a stage's measures: enough for the weighted means and the counts."""

    weight: float = 0.0  # Σ weight
    weighted: float = 0.0  # Σ weight × percent
    plain: float = 0.0  # Σ percent
    weighted_expected: float = 0.0  # Σ weight × (expected, or percent without a schedule)
    plain_expected: float = 0.0
    measures: int = 0
    scheduled: bool = False
    counts: Progress = field(default_factory=Progress)

    def add(self, *, measures: int, weight: float, weighted: float, plain: float, expected: float | None) -> None:
        """Add ``measures`` measures sharing one window (``expected``) with these sums of percents."""
        self.measures += measures
        self.weight += weight
        self.weighted += weighted
        self.plain += plain
        self.weighted_expected += weighted if expected is None else weight * expected
        self.plain_expected += plain if expected is None else measures * expected
        self.scheduled |= expected is not None

    def mean(self, weighted: float, plain: float) -> float:
        if self.weight > 0:
            return weighted / self.weight
        return plain / self.measures if self.measures else 0.0


def plan_progress(
    plan_ids: Iterable[int], today: datetime.date | None = None, *, detail: bool = True
) -> dict[int, PlanProgress]:
    """Rollups for the given plans in two queries, whatever their number.

    With ``detail`` (the default) every measure's figures are computed too (``measures``,
    ``measure_list``); without, the stages' tallies (dashboards.StageTally, kept by triggers) give
    plan and stage figures, except the stages' overdue task counts (left at 0: only the plans' are
    counted), which is what a county-wide page needs. Both follow the same rules (the property test
    checks both). Every id asked for gets an entry, even a plan without stages or tasks (all zeros).
    """
    plan_ids = list(dict.fromkeys(plan_ids))
    today = today or timezone.localdate()
    margin = behind_margin()
    result: dict[int, PlanProgress] = {pid: PlanProgress() for pid in plan_ids}
    if not plan_ids:
        return result
    if detail:
        stages, sums = _detail_sums(plan_ids, today, margin, result)
    else:
        stages, sums = _summary_sums(plan_ids, today)
    _roll_up(stages, sums, today, margin, result)
    if not detail:
        for plan_id, overdue in _plan_overdue(plan_ids, today):
            result[plan_id].overdue = int(overdue)
    return result


def _detail_sums(
    plan_ids: list[int], today: datetime.date, margin: float, result: dict[int, PlanProgress]
) -> tuple[list[Stage], dict[int, _StageSums]]:
    figures = _measure_figures(plan_ids, today)
    stages, measures = _structure(plan_ids)
    stage_by_id = {s.pk: s for s in stages}
    sums: dict[int, _StageSums] = defaultdict(_StageSums)
    for m in measures:
        stage = stage_by_id[m.stage_id]
        mp = _measure_progress(figures.get(m.pk), m.weight)
        expected = expected_percent(m.starts_on or stage.starts_on, m.ends_on or stage.ends_on, today)
        mp.expected = expected
        mp.behind = _is_behind(mp.percent, expected, margin)
        if expected is not None and expected >= 100 and mp.percent < 100:
            mp.overdue_measures = 1
        pp = result[stage.plan_id]
        pp.measures[m.pk] = mp
        pp.measure_list.append(m)
        acc = sums[stage.pk]
        acc.add(measures=1, weight=m.weight, weighted=m.weight * mp.percent, plain=mp.percent, expected=expected)
        _count(acc.counts, mp.total, mp.done, mp.overdue, mp.overdue_measures)
    return stages, sums


def _count(progress: Progress, total: int, done: int, overdue: int, overdue_measures: int) -> None:
    progress.total += total
    progress.done += done
    progress.overdue += overdue
    progress.overdue_measures += overdue_measures


def _summary_sums(plan_ids: list[int], today: datetime.date) -> tuple[list[Any], dict[int, _StageSums]]:
    """Stages with their (stage, window) tallies, in one query. Overdue counts are the plans' own
    (``_plan_overdue``), not the stages'."""
    stages: list[StageRow] = []
    sums: dict[int, _StageSums] = defaultdict(_StageSums)
    stage: StageRow | None = None
    for row in _stage_tallies(plan_ids):
        if stage is None or stage.pk != row[0]:
            stage = StageRow(*row[:7])
            stages.append(stage)
        starts_on, ends_on, n_measures, weight, weighted, plain, unfinished, total, done = row[7:]
        if not n_measures:  # a stage without measures: its left join found no tally
            continue
        expected = expected_percent(_as_date(starts_on) or stage.starts_on, _as_date(ends_on) or stage.ends_on, today)
        acc = sums[stage.pk]
        acc.add(
            measures=n_measures, weight=float(weight), weighted=float(weighted), plain=float(plain), expected=expected
        )
        late = unfinished if expected is not None and expected >= 100 else 0
        _count(acc.counts, total, done, 0, late)
    return stages, sums


def _as_date(value: datetime.date | str | None) -> datetime.date | None:
    if value is None or isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(str(value)[:10])  # SQLite hands raw SQL dates back as text


def _stage_tallies(plan_ids: list[int]) -> list[tuple]:
    """The plans' stages in display order, each left-joined to its (stage, window) tallies
    (dashboards.models.StageTally, kept by triggers): a city reads a few rows per stage, never a
    measure or a task. Plain SQL: the ORM cannot join a model without a relation."""
    stage, tally, q = Stage._meta.db_table, StageTally._meta.db_table, connection.ops.quote_name
    where, params = ids_condition("s.plan_id", plan_ids)
    sql = f"""
        SELECT s.id, s.plan_id, s.{q("order")}, s.name, s.starts_on, s.ends_on, s.status,
               st.starts_on, st.ends_on, st.measures, CAST(st.w AS DOUBLE PRECISION),
               CAST(st.weighted AS DOUBLE PRECISION), CAST(st.plain AS DOUBLE PRECISION),
               st.unfinished, st.n, st.n_done
        FROM {stage} s
        LEFT OUTER JOIN {tally} st ON st.stage_id = s.id AND st.measures > 0
        WHERE {where}
        ORDER BY s.plan_id, s.{q("order")}, s.id
    """  # noqa: S608 - table and column names come from model meta; every value is a parameter
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _plan_overdue(plan_ids: list[int], today: datetime.date) -> list[tuple]:
    """(plan id, unfinished tasks past their due date), leaving out the tasks of cancelled measures.
    The count depends on the day, so no trigger keeps it: it reads only the open tasks past due,
    through the partial index dashboards_task_open_due (index-only, in plan order; the literals
    repeat its condition so that both planners pick it), and the few cancelled measures through
    dashboards_measure_cancelled. No join to the measures: a county-wide page needs no stage's count."""
    measure, task = Measure._meta.db_table, Task._meta.db_table
    where, params = ids_condition("ot.plan_id", plan_ids)
    sql = f"""
        SELECT ot.plan_id, COUNT(*) FROM {task} ot
        WHERE {where} AND ot.due_on < %s
          AND NOT ot.cancelled AND NOT ot.waived AND ot.status <> '{Task.Status.CLOSED.value}'
          AND ot.measure_id NOT IN (SELECT cm.id FROM {measure} cm WHERE cm.cancelled)
        GROUP BY ot.plan_id
    """  # noqa: S608 - table names come from model meta, the status from code; every value is a parameter
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, today])
        return cursor.fetchall()


def _roll_up(
    stages: list[Any],
    sums: dict[int, _StageSums],
    today: datetime.date,
    margin: float,
    result: dict[int, PlanProgress],
) -> None:
    """Stage figures from their sums, then plan figures from the stages (weighted by measure weight)."""
    plans: dict[int, _StageSums] = defaultdict(_StageSums)
    for stage in stages:
        acc = sums[stage.pk]
        sp = acc.counts
        completed = stage.status == Stage.Status.COMPLETED
        sp.weight = acc.weight
        sp.percent = 100.0 if completed else acc.mean(acc.weighted, acc.plain)
        if acc.measures:
            sp.expected = acc.mean(acc.weighted_expected, acc.plain_expected) if acc.scheduled else None
        else:
            sp.expected = expected_percent(stage.starts_on, stage.ends_on, today)
        if completed:
            sp.overdue_measures = 0
        sp.behind = _is_behind(sp.percent, sp.expected, margin)
        pp = result[stage.plan_id]
        pp.stages[stage.pk] = sp
        pp.stage_list.append(stage)
        _count(pp, sp.total, sp.done, sp.overdue, sp.overdue_measures)
        pp.weight += sp.weight
        plans[stage.plan_id].add(
            measures=1, weight=sp.weight, weighted=sp.weight * sp.percent, plain=sp.percent, expected=sp.expected
        )
        if pp.current_stage is None and not completed:
            pp.current_stage = stage
    for pid, pp in result.items():
        acc = plans[pid]
        pp.percent = acc.mean(acc.weighted, acc.plain)
        pp.expected = acc.mean(acc.weighted_expected, acc.plain_expected) if acc.scheduled else None
        pp.behind = _is_behind(pp.percent, pp.expected, margin)

"""Reads for the dashboards: the school dashboard (one plan) and the county dashboard (every visible
school on one plan template; for a city bureau, every school of its counties, summed up per county
and township, one page of the school table at a time). Each selector takes the viewing user, never returns a row that user may
not see, and issues a fixed number of queries whatever the number of schools, tasks or readings.
"""

from __future__ import annotations

import datetime
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Case, CharField, Count, F, IntegerField, Max, OuterRef, Q, Subquery, When
from django.utils import timezone

from audit.models import AuditEntry
from dashboards import charts
from dashboards.formatting import format_number
from dashboards.id_lists import InIds
from dashboards.indicators import IndicatorStatus, indicator_status
from dashboards.rollups import MeasureRow, PlanProgress, Progress, model_fields, plan_progress
from orgs.models import Organisation
from orgs.permissions import is_city_user
from orgs.selectors import visible_schools
from plans.models import Indicator, IndicatorReading, LeadingGroupMember, Plan, indicator_met
from plans.selectors import visible_plans
from tasks.models import Task

IndicatorKey = tuple[str, str, str]  # name, unit, direction: the same indicator across schools
UPCOMING_DAYS = 14
UPCOMING_LIMIT = 12
RANKING_LIMIT = 10
PAGE_SIZE = 100  # school rows rendered per page: a city has thousands
DONE_STAGE = "__done__"
NO_PLAN_STAGE = "__none__"


# --- school dashboard ---------------------------------------------------------------------------


class MeasureState:
    DONE = "done"
    LATE = "late"
    ACTIVE = "active"
    NOT_STARTED = "not_started"
    LABELS = {DONE: "已完成", LATE: "逾期", ACTIVE: "进行中", NOT_STARTED: "未开始"}
    ORDER = (DONE, ACTIVE, LATE, NOT_STARTED)


def measure_state(progress: Progress, starts_on: datetime.date | None, today: datetime.date) -> str:
    """已完成 at 100 %; 逾期 with overdue tasks or a passed window; 进行中 once work or the window began."""
    if progress.total and progress.percent >= 100:
        return MeasureState.DONE
    if progress.overdue or progress.overdue_measures:
        return MeasureState.LATE
    if progress.done or (starts_on is not None and starts_on <= today):
        return MeasureState.ACTIVE
    return MeasureState.NOT_STARTED


@dataclass
class Tally:
    """Overdue work of one person or working group."""

    label: str
    count: int = 0
    oldest_days: int = 0


@dataclass
class GanttRow:
    label: str
    kind: str  # "stage" or "measure"
    start: datetime.date | None
    end: datetime.date | None
    progress: Progress
    state: str
    left: float = 0.0  # percent of the chart width
    width: float = 0.0


@dataclass
class Gantt:
    rows: list[GanttRow]
    start: datetime.date | None
    end: datetime.date | None
    today_left: float | None
    months: list[tuple[str, float]]


@dataclass
class SchoolDashboard:
    plan: Plan
    progress: PlanProgress
    today: datetime.date
    stages: list[tuple[Any, Progress]]
    measure_counts: list[tuple[str, str, int]]  # (state, label, count)
    measures_total: int
    overdue_by_person: list[Tally]
    overdue_by_group: list[Tally]
    upcoming: list[Any]
    indicators: list[IndicatorStatus]
    gantt: Gantt

    @property
    def indicators_met(self) -> int:
        return sum(1 for s in self.indicators if s.met)

    @property
    def indicators_total(self) -> int:
        return len(self.indicators)


def school_dashboard(plan: Plan, today: datetime.date | None = None) -> SchoolDashboard:
    """Everything the school dashboard shows for one plan. The caller must have checked that the
    viewer may see the plan (selectors.plan_for). Four queries."""
    today = today or timezone.localdate()
    progress = plan_progress([plan.pk], today)[plan.pk]
    stage_by_id = {s.pk: s for s in progress.stage_list}
    states: Counter[str] = Counter()
    for m in progress.measure_list:
        stage = stage_by_id[m.stage_id]
        m.progress = progress.measures[m.pk]
        m.state = measure_state(m.progress, m.starts_on or stage.starts_on, today)
        states[m.state] += 1
    by_person, by_group, upcoming = _open_work(plan, progress, today)
    return SchoolDashboard(
        plan=plan,
        progress=progress,
        today=today,
        stages=[(s, progress.stages[s.pk]) for s in progress.stage_list],
        measure_counts=[(s, MeasureState.LABELS[s], states[s]) for s in MeasureState.ORDER],
        measures_total=len(progress.measure_list),
        overdue_by_person=by_person,
        overdue_by_group=by_group,
        upcoming=upcoming,
        indicators=plan_indicator_statuses(plan),
        gantt=_gantt(progress, today),
    )


def _open_work(plan: Plan, progress: PlanProgress, today: datetime.date) -> tuple[list[Tally], list[Tally], list[Any]]:
    """Overdue tasks tallied by assignee and by working group (the measure's, else the assignee's
    seat's), and the tasks due soon. One query."""
    horizon = today + datetime.timedelta(days=UPCOMING_DAYS)
    seat_group = LeadingGroupMember.objects.filter(plan_id=OuterRef("plan_id"), user_id=OuterRef("assignee_id"))
    tasks = list(
        Task.objects.filter(plan=plan, due_on__lte=horizon, waived=False)
        .exclude(status=Task.Status.CLOSED)
        .select_related("assignee")
        .annotate(seat_group=Subquery(seat_group.values("working_group__name")[:1]))
        .only(
            "id",
            "plan_id",
            "title",
            "status",
            "waived",
            "due_on",
            "measure_id",
            "assignee__id",
            "assignee__username",
            "assignee__full_name",
        )
        .order_by("due_on", "id")
    )
    measure_by_id = {m.pk: m for m in progress.measure_list}
    persons: dict[str, Tally] = {}
    groups: dict[str, Tally] = {}
    upcoming: list[Task] = []
    for task in tasks:
        assert task.due_on is not None  # the query keeps only tasks due by the horizon
        measure = measure_by_id.get(task.measure_id)
        task.measure_title = measure.title if measure else ""
        if task.due_on >= today:
            if len(upcoming) < UPCOMING_LIMIT:
                task.days_left = (task.due_on - today).days
                upcoming.append(task)
            continue
        days = (today - task.due_on).days
        person = str(task.assignee) if task.assignee else "未分派"
        group = getattr(measure, "working_group_name", "") or task.seat_group or "未分组"
        for bucket, key in ((persons, person), (groups, group)):
            tally = bucket.setdefault(key, Tally(label=key))
            tally.count += 1
            tally.oldest_days = max(tally.oldest_days, days)
    order = lambda t: (-t.count, -t.oldest_days, t.label)  # noqa: E731
    return sorted(persons.values(), key=order), sorted(groups.values(), key=order), upcoming


READING_FIELDS = model_fields(IndicatorReading, {f.attname for f in IndicatorReading._meta.concrete_fields})
VOIDED_AT = READING_FIELDS.index("voided_at")
INDICATOR_FIELDS = model_fields(Indicator, {f.attname for f in Indicator._meta.concrete_fields})


def plan_indicator_statuses(plan: Plan) -> list[IndicatorStatus]:
    """Each indicator of the plan with its readings, oldest first (for the charts). One query:
    indicators left-joined to their readings."""
    indicator_fields = INDICATOR_FIELDS
    rows = (
        Indicator.objects.filter(plan=plan)
        .order_by("order", "id", "readings__measured_on", "readings__id")
        .values_list(*indicator_fields, *(f"readings__{f}" for f in READING_FIELDS))
    )
    indicators: dict[int, Indicator] = {}
    readings: dict[int, list[IndicatorReading]] = defaultdict(list)
    n = len(indicator_fields)
    for row in rows:
        if row[0] not in indicators:
            indicators[row[0]] = Indicator.from_db(Indicator.objects.db, indicator_fields, row[:n])
        if row[n] is not None and row[n + VOIDED_AT] is None:  # a voided reading does not count
            readings[row[0]].append(IndicatorReading.from_db(IndicatorReading.objects.db, READING_FIELDS, row[n:]))
    return [indicator_status(ind, readings[pk]) for pk, ind in indicators.items()]


def _window_bounds(progress: PlanProgress, today: datetime.date) -> tuple[datetime.date | None, datetime.date | None]:
    dates = [d for s in progress.stage_list for d in (s.starts_on, s.ends_on) if d]
    dates += [d for m in progress.measure_list for d in (m.starts_on, m.ends_on) if d]
    if not dates:
        return None, None
    return min(dates), max(dates)


def _gantt(progress: PlanProgress, today: datetime.date) -> Gantt:
    """Bars for stages and their measures over their windows, positioned in percent of the span."""
    start, end = _window_bounds(progress, today)
    span = max(1, (end - start).days + 1) if start and end else 1

    def place(row: GanttRow) -> GanttRow:
        if start and row.start and row.end and row.end >= row.start:
            row.left = (row.start - start).days / span * 100
            row.width = max(0.8, ((row.end - row.start).days + 1) / span * 100)
        return row

    rows: list[GanttRow] = []
    by_stage: dict[int, list[MeasureRow]] = defaultdict(list)
    for m in progress.measure_list:
        by_stage[m.stage_id].append(m)
    for stage in progress.stage_list:
        sp = progress.stages[stage.pk]
        state = "done" if stage.status == "completed" else ("late" if sp.behind else stage.status)
        rows.append(place(GanttRow(stage.name, "stage", stage.starts_on, stage.ends_on, sp, state)))
        for m in by_stage[stage.pk]:
            rows.append(
                place(
                    GanttRow(
                        m.title,
                        "measure",
                        m.starts_on or stage.starts_on,
                        m.ends_on or stage.ends_on,
                        progress.measures[m.pk],
                        getattr(m, "state", ""),
                    )
                )
            )
    today_left = None
    months: list[tuple[str, float]] = []
    if start and end:
        if start <= today <= end:
            today_left = ((today - start).days + 0.5) / span * 100
        month = datetime.date(start.year, start.month, 1)
        while month <= end:
            if month >= start:
                months.append((f"{month.month}月", (month - start).days / span * 100))
            month = datetime.date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return Gantt(rows=rows, start=start, end=end, today_left=today_left, months=months)


# --- county dashboard ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Campaign:
    """A plan template issued to many schools: one plan per school per (year, title)."""

    year: int
    title: str
    plans: int


@dataclass
class SchoolRow:
    school: Organisation  # with ``county_id`` and ``county_name`` annotated (its county bureau)
    plan: Plan | None = None
    progress: PlanProgress | None = None
    stage_name: str = ""
    stage_key: str = NO_PLAN_STAGE
    stage_order: int = 10_000
    indicators_met: int = 0
    indicators_reported: int = 0
    indicators_total: int = 0
    last_activity: datetime.datetime | None = None
    plan_url: str = ""
    dashboard_url: str = ""

    @property
    def county_id(self) -> int | None:
        return getattr(self.school, "county_id", None)

    @property
    def county_name(self) -> str:
        return getattr(self.school, "county_name", None) or ""

    @property
    def activity_text(self) -> str:
        if self.last_activity is None:
            return ""
        local = timezone.localtime(self.last_activity)
        return f"{local.month}月{local.day}日 {local:%H:%M}"

    @property
    def indicators_ratio(self) -> float:
        return self.indicators_met / self.indicators_total if self.indicators_total else -1.0


@dataclass
class Spread:
    """One indicator across schools: how many meet it, and min / median / max of the latest values."""

    name: str
    unit: str
    direction: str
    target: Decimal | None  # None when schools were given different targets
    schools: int = 0
    values: list[tuple[Decimal, bool]] = field(default_factory=list)
    minimum: Decimal | None = None
    median: Decimal | None = None
    maximum: Decimal | None = None

    @property
    def reported(self) -> int:
        return len(self.values)

    @property
    def met(self) -> int:
        return sum(1 for _, ok in self.values if ok)

    @property
    def direction_label(self) -> str:
        return dict(Indicator.Direction.choices).get(self.direction, "")

    @property
    def target_text(self) -> str:
        if self.target is None:
            return "各校目标不一"
        return f"{self.direction_label} {format_number(self.target)}{self.unit}"

    @property
    def chart(self) -> str:
        return charts.spread_histogram(self)

    @property
    def summary_numbers(self) -> list[tuple[str, str]]:
        return [
            ("最小", format_number(self.minimum, 2)),
            ("中位", format_number(self.median, 2)),
            ("最大", format_number(self.maximum, 2)),
        ]


SORTS = {
    "school": lambda r: (r.school.code,),
    "township": lambda r: (r.school.township or "\uffff", r.school.code),
    "stage": lambda r: (r.stage_order, r.school.code),
    "percent": lambda r: (r.progress.percent if r.progress else -1, r.school.code),
    "expected": lambda r: (_expected_key(r), r.school.code),
    "lag": lambda r: (r.progress.lag if r.progress else -1, r.school.code),
    "overdue": lambda r: (r.progress.overdue if r.progress else -1, r.school.code),
    "indicators": lambda r: (r.indicators_ratio, r.school.code),
    "activity": lambda r: (r.last_activity.timestamp() if r.last_activity else 0.0, r.school.code),
}


def _ranking_key(row: SchoolRow) -> tuple[int, float, str]:
    """Most overdue tasks first, then the largest lag. Only rows with a plan's progress are ranked."""
    assert row.progress is not None
    return (-row.progress.overdue, -row.progress.lag, row.school.code)


def _expected_key(row: SchoolRow) -> float:
    if not row.progress or row.progress.expected is None:
        return -1.0
    return row.progress.expected


@dataclass
class GroupSummary:
    """One county (or one township of a county): its schools' figures, for the summary tables."""

    key: str  # the filter value: a county bureau's id, or a township's name
    name: str
    schools: int = 0
    plans: int = 0
    behind: int = 0
    overdue: int = 0
    percent_sum: float = 0.0

    @property
    def mean_percent(self) -> float | None:
        return self.percent_sum / self.plans if self.plans else None

    def add(self, row: SchoolRow) -> None:
        self.schools += 1
        if row.progress is not None:
            self.plans += 1
            self.percent_sum += row.progress.percent
            self.behind += row.progress.behind
            self.overdue += row.progress.overdue


def _summaries(rows: list[SchoolRow], key: Callable[[SchoolRow], tuple[str, str]]) -> list[GroupSummary]:
    groups: dict[str, GroupSummary] = {}
    for row in rows:
        k, name = key(row)
        group = groups.get(k)
        if group is None:
            group = groups[k] = GroupSummary(key=k, name=name)
        group.add(row)
    return sorted(groups.values(), key=lambda g: (g.name == "", g.name))


@dataclass
class CountyFilters:
    campaign_year: int | None = None
    campaign_title: str = ""
    county: int | None = None  # a county bureau's id (city users); another city's ids match nothing
    township: str = ""
    stage: str = ""
    behind_only: bool = False
    sort: str = "township"
    descending: bool = False
    page: int = 1

    @property
    def sort_param(self) -> str:
        return f"-{self.sort}" if self.descending else self.sort


@dataclass
class CountyDashboard:
    campaigns: list[Campaign]
    campaign: Campaign | None
    filters: CountyFilters
    rows: list[SchoolRow]
    schools_total: int
    townships: list[str]
    stage_choices: list[tuple[str, str]]
    ranking: list[SchoolRow]
    spreads: list[Spread]
    today: datetime.date
    counties: list[GroupSummary] = field(default_factory=list)  # more than one only for a city
    township_summaries: list[GroupSummary] = field(default_factory=list)
    page: int = 1
    pages: int = 1
    for_city: bool = False  # the viewer is a city bureau's staff

    @property
    def page_rows(self) -> list[SchoolRow]:
        """The rows of the current page (the table renders these; the figures count every row)."""
        return self.rows[(self.page - 1) * PAGE_SIZE : self.page * PAGE_SIZE]

    @property
    def page_start(self) -> int:
        return (self.page - 1) * PAGE_SIZE + 1 if self.rows else 0

    @property
    def page_end(self) -> int:
        return min(self.page * PAGE_SIZE, len(self.rows))

    @property
    def is_city(self) -> bool:
        return self.for_city or len(self.counties) > 1

    @property
    def county_name(self) -> str:
        return next((c.name for c in self.counties if c.key == str(self.filters.county)), "")

    @property
    def plans_count(self) -> int:
        return sum(1 for r in self.rows if r.plan)

    @property
    def behind_count(self) -> int:
        return sum(1 for r in self.rows if r.progress and r.progress.behind)

    @property
    def overdue_total(self) -> int:
        return sum(r.progress.overdue for r in self.rows if r.progress)

    @property
    def mean_percent(self) -> float | None:
        values = [r.progress.percent for r in self.rows if r.progress]
        return sum(values) / len(values) if values else None

    @property
    def plan_ids(self) -> list[int]:
        return [r.plan.pk for r in self.rows if r.plan]


def parse_county_filters(params: Any) -> CountyFilters:
    """Filters from GET parameters; anything malformed falls back to the default."""
    sort = (params.get("sort") or "township").strip()
    descending = sort.startswith("-")
    sort = sort.lstrip("-")
    if sort not in SORTS:
        sort, descending = "township", False
    year_text, title = params.get("year") or "", params.get("title") or ""
    if params.get("campaign"):  # the plan picker sends "year|title"
        year_text, _, title = params["campaign"].partition("|")
    return CountyFilters(
        campaign_year=_positive_int(year_text),
        campaign_title=title.strip()[:200],
        county=_positive_int(params.get("county")),
        page=_positive_int(params.get("page")) or 1,
        township=(params.get("township") or "").strip()[:50],
        stage=(params.get("stage") or "").strip()[:50],
        behind_only=params.get("behind") in ("1", "on", "true"),
        sort=sort,
        descending=descending,
    )


def _positive_int(text: Any) -> int | None:
    try:
        value = int(str(text or "").strip()[:12])
    except ValueError:
        return None
    return value if 0 < value <= 2**31 - 1 else None


def campaigns_for(user: Any) -> list[Campaign]:
    """Plan templates among the plans the user may see, the most widely used (then newest) first."""
    rows = (
        visible_plans(user).order_by().values("year", "title").annotate(n=Count("id")).order_by("-n", "-year", "title")
    )
    return [Campaign(year=r["year"], title=r["title"], plans=r["n"]) for r in rows]


def _pick_campaign(campaigns: list[Campaign], filters: CountyFilters) -> Campaign | None:
    for c in campaigns:
        if c.year == filters.campaign_year and c.title == filters.campaign_title:
            return c
    return campaigns[0] if campaigns else None


def _county_schools(user: Any) -> list[Organisation]:
    """The schools the user oversees, each annotated with its county bureau (``county_id``,
    ``county_name``): the parent when it is the bureau, else the centre school's parent. One query."""
    parent_is_bureau = Q(parent__kind=Organisation.Kind.BUREAU)
    return list(
        visible_schools(user)
        .annotate(
            county_id=Case(
                When(parent_is_bureau, then=F("parent_id")), default=F("parent__parent_id"), output_field=IntegerField()
            ),
            county_name=Case(
                When(parent_is_bureau, then=F("parent__name")),
                default=F("parent__parent__name"),
                output_field=CharField(),
            ),
        )
        .only("id", "code", "name", "township", "parent_id")
        .order_by("code")
    )


def county_dashboard(
    user: Any, filters: CountyFilters | None = None, today: datetime.date | None = None
) -> CountyDashboard:
    """One row per school the user oversees for one plan template, with rankings and indicator spreads;
    for a city, a summary per county (and per township of the chosen county). Only one page of rows
    is meant to be rendered (``page_rows``); every figure counts all the filtered rows.

    Nine queries whatever the number of schools or counties: campaigns, schools, plans, three for the
    rollups, latest indicator readings, last activity (plus what guardian needs to scope).
    """
    filters = filters or CountyFilters()
    today = today or timezone.localdate()
    campaigns = campaigns_for(user)
    campaign = _pick_campaign(campaigns, filters)
    all_rows = {s.pk: SchoolRow(school=s, stage_name="未建立方案") for s in _county_schools(user)}
    plans: list[Plan] = []
    if campaign is not None and all_rows:
        plans = [
            p
            for p in visible_plans(user)
            .filter(year=campaign.year, title=campaign.title)
            .only("id", "school_id", "status", "title", "year")
            if p.school_id in all_rows
        ]
    progress = plan_progress([p.pk for p in plans], today, detail=False)
    stage_names: dict[str, int] = {}
    for plan in plans:
        row = all_rows[plan.school_id]
        row.plan, row.progress = plan, progress[plan.pk]
        stage = row.progress.current_stage
        if stage is None:
            row.stage_name, row.stage_key, row.stage_order = "已全部完成", DONE_STAGE, 1_000
        else:
            row.stage_name, row.stage_key, row.stage_order = stage.name, stage.name, stage.order
            stage_names.setdefault(stage.name, stage.order)
    plan_rows = {r.plan.pk: r for r in all_rows.values() if r.plan}
    _attach_activity(plan_rows)
    indicator_values = _attach_indicators(plan_rows)

    counties = _summaries(list(all_rows.values()), lambda r: (str(r.county_id), r.county_name))
    rows = list(all_rows.values())
    if filters.county:
        rows = [r for r in rows if r.county_id == filters.county]
    townships = sorted({r.school.township for r in rows if r.school.township})
    # Townships are named per county (every county has its 城关镇): summed up within one county only.
    township_summaries: list[GroupSummary] = []
    if filters.county or len(counties) == 1:
        township_summaries = _summaries(rows, lambda r: (r.school.township, r.school.township or "未填乡镇"))
    if filters.township:
        rows = [r for r in rows if r.school.township == filters.township]
    schools_total = len(rows)
    if filters.stage:
        rows = [r for r in rows if r.stage_key == filters.stage]
    if filters.behind_only:
        rows = [r for r in rows if r.progress and r.progress.behind]
    rows.sort(key=SORTS[filters.sort], reverse=filters.descending)

    ranking = sorted((r for r in rows if r.progress and r.progress.overdue), key=_ranking_key)[:RANKING_LIMIT]
    shown = {r.plan.pk for r in rows if r.plan}
    stage_choices = [(name, name) for name, _ in sorted(stage_names.items(), key=lambda kv: kv[1])]
    stage_choices += [(DONE_STAGE, "已全部完成"), (NO_PLAN_STAGE, "未建立方案")]
    pages = max(1, -(-len(rows) // PAGE_SIZE))
    return CountyDashboard(
        campaigns=campaigns,
        campaign=campaign,
        filters=filters,
        rows=rows,
        schools_total=schools_total,
        townships=townships,
        stage_choices=stage_choices,
        ranking=ranking,
        spreads=_spreads([v for v in indicator_values if v[0] in shown]),
        today=today,
        counties=counties,
        township_summaries=township_summaries,
        page=min(filters.page, pages),
        pages=pages,
        for_city=is_city_user(user),
    )


def _attach_activity(plan_rows: dict[int, SchoolRow]) -> None:
    """Last audited event per plan (task transitions, readings, gates). One query."""
    if not plan_rows:
        return
    last = (
        AuditEntry.objects.filter(InIds(F("plan_id"), list(plan_rows)))
        .order_by()
        .values_list("plan_id")
        .annotate(at=Max("created_at"))
    )
    for plan_id, at in last:
        assert plan_id is not None  # filtered on plan_id above
        plan_rows[plan_id].last_activity = at


IndicatorValue = tuple[int, IndicatorKey, Decimal, Decimal | None, bool]


def _attach_indicators(plan_rows: dict[int, SchoolRow]) -> list[IndicatorValue]:
    """Latest reading of every indicator of these plans (one query, a correlated subquery per row
    through the index on (indicator, measured_on, id)).

    Returns (plan id, (name, unit, direction), target, latest value, met) for the spreads. The rows
    are read through the cursor, not the queryset: the ORM's per-row converters cost more than the
    query for a city's ten thousand indicators."""
    if not plan_rows:
        return []
    latest = IndicatorReading.objects.filter(indicator=OuterRef("pk")).order_by("-measured_on", "-id")
    query = (
        Indicator.objects.filter(InIds(F("plan_id"), list(plan_rows)))
        .annotate(latest_value=Subquery(latest.values("value")[:1]))
        .order_by("order", "id")
        .values_list("plan_id", "name", "unit", "direction", "target", "latest_value")
    )
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    out = []
    for plan_id, name, unit, direction, target, value in rows:
        row = plan_rows[plan_id]
        if not isinstance(target, Decimal):
            target = Decimal(str(target))  # SQLite hands decimals back as numbers
        if value is not None and not isinstance(value, Decimal):
            value = Decimal(str(value))
        row.indicators_total += 1
        met = False
        if value is not None:
            met = indicator_met(direction, target, value)
            row.indicators_reported += 1
            row.indicators_met += met
        out.append((plan_id, (name, unit, direction), target, value, met))
    return out


def _spreads(values: list[IndicatorValue]) -> list[Spread]:
    spreads: dict[IndicatorKey, Spread] = {}
    targets: dict[IndicatorKey, set[Decimal]] = defaultdict(set)
    for _, key, target, value, met in values:
        spread = spreads.get(key)
        if spread is None:
            spread = spreads[key] = Spread(name=key[0], unit=key[1], direction=key[2], target=target)
        targets[key].add(target)
        spread.schools += 1
        if value is not None:
            spread.values.append((value, met))
    for key, spread in spreads.items():
        if len(targets[key]) > 1:
            spread.target = None
        numbers = sorted(v for v, _ in spread.values)
        if numbers:
            spread.minimum, spread.maximum = numbers[0], numbers[-1]
            spread.median = Decimal(str(statistics.median(numbers)))
    return list(spreads.values())

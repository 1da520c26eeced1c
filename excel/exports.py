"""The Excel exports. Each builds an XlsxBook from rows the caller may see:

- plan-level exports take a plan the caller has already checked (``permissions.can_export_plan``);
- county-level exports take the user and start from ``plans.selectors.visible_plans``.

Large exports stream rows from ``.values_list(...).iterator()`` straight into a write-only sheet.
"""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone

from acceptance.models import Application
from acceptance.states import label_plans
from dashboards.rollups import plan_progress
from excel.cells import ROLE_LABELS
from excel.reader import NO_CATEGORY
from excel.spec import (
    CRITERIA_SHEET,
    INDICATOR_SHEET,
    PLAN_SHEET,
    CriterionItem,
    IndicatorItem,
    MeasureItem,
    Slot,
    StageItem,
    TaskItem,
    WorkbookSpec,
)
from excel.writer import Column, XlsxBook
from orgs.models import Organisation, User
from orgs.selectors import visible_schools
from plans.models import Indicator, IndicatorReading, Measure, Plan, indicator_met
from plans.selectors import visible_plans
from tasks.models import Evidence, Task

DIRECTION_LABELS = dict(Indicator.Direction.choices)
BATCH = 5000


def _status_labels() -> dict[str, str]:
    return dict(Task.Status.choices)


# --- the plan workbook (the import format) -------------------------------------------------------

PLAN_COLUMNS = [
    Column("阶段", 12),
    Column("措施", 28),
    Column("任务", 40),
    Column("责任角色", 12),
    Column("责任人", 14),
    Column("责任单位", 22),
    Column("开始日期", 12),
    Column("截止日期", 12),
    Column("权重", 8),
]
INDICATOR_COLUMNS = [
    Column("指标", 30),
    Column("单位", 10),
    Column("方向", 8),
    Column("目标值", 12),
    Column("关联措施", 28),
]
CRITERIA_COLUMNS = [Column("类别", 16), Column("评估要点", 60), Column("分值", 8), Column("是否适用", 10)]


def spec_of_plan(plan: Plan) -> WorkbookSpec:
    """The plan as a WorkbookSpec (what importing its export gives back)."""
    seats = {s.user_id: s.role for s in plan.leading_group.all()}
    names = Counter(
        (u.full_name or u.username)
        for u in User.objects.filter(organisation_id=plan.school_id).only("full_name", "username")
    )

    def person(user: User | None) -> str:
        if user is None:
            return ""
        name = user.full_name or user.username
        return name if names[name] <= 1 and name != "" else f"{name}({user.username})"

    def slot(user: User | None, group: str = "") -> Slot:
        return Slot(role="" if group else seats.get(user.pk, "") if user else "", group=group, person=person(user))

    tasks = defaultdict(list)
    for task in Task.objects.filter(plan=plan).select_related("assignee").order_by("order", "id"):
        tasks[task.measure_id].append(task)
    spec = WorkbookSpec(title=plan.title)
    measures = Measure.objects.filter(stage__plan=plan).select_related("owner", "working_group").order_by("order", "id")
    by_stage = defaultdict(list)
    for measure in measures:
        by_stage[measure.stage_id].append(measure)
    for stage in plan.stages.order_by("order"):
        item = StageItem(row=0, name=stage.name, starts_on=stage.starts_on, ends_on=stage.ends_on)
        for m in by_stage[stage.pk]:
            item.measures.append(
                MeasureItem(
                    row=0,
                    title=m.title,
                    slot=slot(m.owner, m.working_group.name if m.working_group else ""),
                    units=[u for u in m.responsible_units.split("、") if u],
                    starts_on=m.starts_on,
                    ends_on=m.ends_on,
                    weight=m.weight,
                    defined_at=0,
                    tasks=[
                        TaskItem(
                            row=0,
                            title=t.title,
                            slot=slot(t.assignee),
                            starts_on=t.starts_on,
                            due_on=t.due_on,
                            weight=t.weight,
                        )
                        for t in tasks[m.pk]
                    ],
                )
            )
        spec.stages.append(item)
    spec.indicators = [
        IndicatorItem(
            row=0,
            name=i.name,
            unit=i.unit,
            direction=i.direction,
            target=i.target,
            measure=i.measure.title if i.measure else "",
        )
        for i in plan.indicators.select_related("measure").order_by("order", "id")
    ]
    spec.criteria = [
        CriterionItem(row=0, category=c.category, point=c.point, max_score=c.max_score, applicable=c.applicable)
        for c in plan.criteria.order_by("order", "id")
    ]
    return spec


def _role_text(s: Slot) -> str:
    return s.group or ROLE_LABELS.get(s.role, "")


def spec_workbook(spec: WorkbookSpec) -> XlsxBook:
    """Write a WorkbookSpec in the plan workbook format (sheets 方案, 指标, 评估表)."""
    book = XlsxBook()
    sheet = book.sheet(PLAN_SHEET, PLAN_COLUMNS, caption=spec.title)
    for stage in spec.stages:
        sheet.append([stage.name, None, None, None, None, None, stage.starts_on, stage.ends_on, None])
        for m in stage.measures:
            sheet.append(
                [
                    stage.name,
                    m.title,
                    None,
                    _role_text(m.slot),
                    m.slot.person,
                    "、".join(m.units),
                    m.starts_on,
                    m.ends_on,
                    m.weight,
                ]
            )
            for t in m.tasks:
                sheet.append(
                    [
                        stage.name,
                        m.title,
                        t.title,
                        _role_text(t.slot),
                        t.slot.person,
                        None,
                        t.starts_on,
                        t.due_on,
                        t.weight,
                    ]
                )
    sheet = book.sheet(INDICATOR_SHEET, INDICATOR_COLUMNS)
    for i in spec.indicators:
        # A % target is written as a percent-formatted fraction, which reads back unambiguously.
        if i.unit == "%":
            fmt = "0%" if i.target == i.target.to_integral_value() else "0.0###%"
            sheet.append_cells(
                [i.name, i.unit, DIRECTION_LABELS.get(i.direction, ""), i.target / 100, i.measure], {3: fmt}
            )
        else:
            sheet.append([i.name, i.unit, DIRECTION_LABELS.get(i.direction, ""), i.target, i.measure])
    sheet = book.sheet(CRITERIA_SHEET, CRITERIA_COLUMNS)
    for c in spec.criteria:
        sheet.append([c.category or NO_CATEGORY, c.point, c.max_score, "是" if c.applicable else "否"])
    return book


def plan_workbook(plan: Plan) -> XlsxBook:
    return spec_workbook(spec_of_plan(plan))


# --- plan progress -------------------------------------------------------------------------------

PROGRESS_COLUMNS = [
    Column("阶段", 12),
    Column("措施", 28),
    Column("任务", 40),
    Column("责任人", 12),
    Column("责任单位", 20),
    Column("状态", 10),
    Column("开始日期", 12),
    Column("截止日期", 12),
    Column("是否逾期", 9),
    Column("逾期天数", 9),
    Column("进度（%）", 9),
    Column("权重", 8),
]


def plan_progress_book(plan: Plan, today: datetime.date | None = None) -> XlsxBook:
    """Every measure (with its progress) and, under it, every task with owner, state and due date."""
    today = today or timezone.localdate()
    progress = plan_progress([plan.pk], today=today)[plan.pk]
    labels = _status_labels()
    book = XlsxBook()
    sheet = book.sheet("方案进度", PROGRESS_COLUMNS)
    tasks = defaultdict(list)
    for task in Task.objects.filter(plan=plan).select_related("assignee").order_by("order", "id"):
        tasks[task.measure_id].append(task)
    measures = (
        Measure.objects.filter(stage__plan=plan)
        .select_related("stage", "owner")
        .order_by("stage__order", "order", "id")
    )
    for m in measures:
        mp = progress.measures.get(m.pk)
        sheet.append(
            [
                m.stage.name,
                m.title,
                None,
                _name(m.owner),
                m.responsible_units,
                "措施",
                m.starts_on,
                m.ends_on,
                "是" if mp and mp.overdue else "否",
                None,
                round(mp.percent, 1) if mp else 0,
                m.weight,
            ]
        )
        for t in tasks[m.pk]:
            overdue = t.is_overdue_on(today)
            state = "已取消" if t.cancelled else "已豁免" if t.waived else labels.get(t.status, t.status)
            sheet.append(
                [
                    m.stage.name,
                    m.title,
                    t.title,
                    _name(t.assignee),
                    None,
                    state,
                    t.starts_on,
                    t.due_on,
                    "是" if overdue else "否",
                    (today - t.due_on).days if overdue else None,
                    100 if t.is_done else 0,
                    t.weight,
                ]
            )
    return book


def _name(user: User | None) -> str:
    return (user.full_name or user.username) if user else ""


# --- county --------------------------------------------------------------------------------------

SUMMARY_COLUMNS = [
    Column("乡镇", 10),
    Column("学校", 22),
    Column("学校代码", 14),
    Column("实施方案", 30),
    Column("年度", 7),
    Column("方案状态", 9),
    Column("当前阶段", 10),
    Column("进度（%）", 9),
    Column("任务数", 8),
    Column("已完成", 8),
    Column("逾期任务", 9),
    Column("指标达标", 9),
    Column("指标已上报", 10),
    Column("指标总数", 9),
]
DETAIL_COLUMNS = [
    Column("乡镇", 10),
    Column("学校", 22),
    Column("实施方案", 30),
    Column("阶段", 12),
    Column("措施", 28),
    Column("任务", 40),
    Column("责任人", 12),
    Column("状态", 10),
    Column("截止日期", 12),
    Column("是否逾期", 9),
]


def _county_plans(user: Any) -> QuerySet[Plan]:
    return visible_plans(user).select_related("school").order_by("school__township", "school__code", "-year", "title")


def _indicator_figures(plan_ids: list[int]) -> dict[int, tuple[int, int, int]]:
    """plan id -> (met, reported, total), from each indicator's latest reading, in one query."""
    latest = (
        IndicatorReading.objects.filter(indicator=OuterRef("pk")).order_by("-measured_on", "-id").values("value")[:1]
    )
    figures: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    rows = (
        Indicator.objects.filter(plan_id__in=plan_ids)
        .annotate(latest=Subquery(latest))
        .values_list("plan_id", "direction", "target", "latest")
    )
    for plan_id, direction, target, value in rows:
        f = figures[plan_id]
        f[2] += 1
        if value is not None:
            f[1] += 1
            f[0] += indicator_met(direction, target, value)
    return {k: (v[0], v[1], v[2]) for k, v in figures.items()}


def county_sheets(
    user: Any, *, detail: bool = False, today: datetime.date | None = None
) -> list[tuple[str, list[Column], Iterable[Sequence[Any]]]]:
    """The county workbook's sheets as (title, columns, rows); rows are lazy where they are many."""
    today = today or timezone.localdate()
    plans = list(_county_plans(user))
    sheets = [("学校汇总", SUMMARY_COLUMNS, _summary_rows(user, plans, today))]
    if detail:
        sheets.append(("任务明细", DETAIL_COLUMNS, _detail_rows(plans, today)))
    return sheets


def county_book(user: Any, *, detail: bool = False, today: datetime.date | None = None) -> XlsxBook:
    """One row per visible school and plan (stage, %, overdue, indicators met); with ``detail``
    a second sheet lists every task of those plans."""
    book = XlsxBook()
    for title, columns, rows in county_sheets(user, detail=detail, today=today):
        book.sheet(title, columns).extend(rows)
    return book


def _summary_rows(user: Any, plans: list[Plan], today: datetime.date) -> list[list[Any]]:
    plan_ids = [p.pk for p in plans]
    progress = plan_progress(plan_ids, today=today)
    indicators = _indicator_figures(plan_ids)
    label_plans(plans)  # 已验收, 公示中 …: the words of every page
    rows: list[list[Any]] = []
    for plan in plans:
        pp, (met, reported, total) = progress[plan.pk], indicators.get(plan.pk, (0, 0, 0))
        rows.append(
            [
                plan.school.township,
                plan.school.name,
                plan.school.code,
                plan.title,
                plan.year,
                plan.state_label,
                pp.current_stage.name if pp.current_stage else "已完成",
                round(pp.percent, 1),
                pp.total,
                pp.done,
                pp.overdue,
                met,
                reported,
                total,
            ]
        )
    with_plan = {p.school_id for p in plans}
    for school in visible_schools(user).exclude(pk__in=with_plan).order_by("township", "code"):
        rows.append([school.township, school.name, school.code, "（暂无实施方案）"])
    return rows


def _detail_rows(plans: list[Plan], today: datetime.date) -> Iterator[tuple]:
    labels = _status_labels()
    closed = Task.Status.CLOSED
    heads = {p.pk: (p.school.township, p.school.name, p.title) for p in plans}
    for chunk_start in range(0, len(plans), 200):
        ids = [p.pk for p in plans[chunk_start : chunk_start + 200]]
        rows = (
            Task.objects.filter(plan_id__in=ids)
            .order_by("plan_id", "measure__stage__order", "measure__order", "measure_id", "order", "id")
            .values_list(
                "plan_id",
                "measure__stage__name",
                "measure__title",
                "title",
                "assignee__full_name",
                "assignee__username",
                "status",
                "waived",
                "cancelled",
                "due_on",
            )
            .iterator(chunk_size=BATCH)
        )
        for plan_id, stage, measure, title, full_name, username, status, waived, cancelled, due in rows:
            yield (
                *heads[plan_id],
                stage,
                measure,
                title,
                full_name or username,
                "已取消" if cancelled else "已豁免" if waived else labels[status],
                due,
                "是" if due and due < today and not waived and not cancelled and status != closed else "否",
            )


INDICATOR_TABLE_COLUMNS = [
    Column("乡镇", 10),
    Column("学校", 22),
    Column("实施方案", 30),
    Column("指标", 30),
    Column("单位", 8),
    Column("方向", 6),
    Column("目标值", 10),
    Column("最新实际值", 11),
    Column("上报日期", 12),
    Column("是否达标", 9),
    Column("上报人", 12),
]


def indicator_book(user: Any) -> XlsxBook:
    """Every indicator of every visible plan, with its latest reading and whether it is met."""
    latest = IndicatorReading.objects.filter(indicator=OuterRef("pk")).order_by("-measured_on", "-id")
    rows = (
        Indicator.objects.filter(plan__in=visible_plans(user))
        .annotate(
            latest_value=Subquery(latest.values("value")[:1]),
            latest_on=Subquery(latest.values("measured_on")[:1]),
            latest_by=Subquery(latest.values("reported_by__full_name")[:1]),
        )
        .select_related("plan", "plan__school")
        .order_by("plan__school__township", "plan__school__code", "plan_id", "order", "id")
    )
    book = XlsxBook()
    sheet = book.sheet("指标汇总", INDICATOR_TABLE_COLUMNS)
    for ind in rows:
        met = ind.is_met_by(ind.latest_value)
        sheet.append(
            [
                ind.plan.school.township,
                ind.plan.school.name,
                ind.plan.title,
                ind.name,
                ind.unit,
                DIRECTION_LABELS.get(ind.direction, ""),
                ind.target.normalize(),
                _normal(ind.latest_value),
                ind.latest_on,
                "待上报" if met is None else "达标" if met else "未达标",
                ind.latest_by,
            ]
        )
    return book


ACCEPTANCE_RESULT_COLUMNS = [
    Column("乡镇", 10),
    Column("学校", 22),
    Column("实施方案", 30),
    Column("轮次", 10),
    Column("结论", 10),
    Column("自评得分", 10),
    Column("验收得分", 10),
    Column("验收日期", 12),
    Column("公示截止", 12),
    Column("证书编号", 22),
]


def acceptance_results_book(user: Any) -> XlsxBook:
    """The acceptance results (验收结果公示名单): every recorded round of the visible plans."""
    rows = (
        Application.objects.filter(plan__in=visible_plans(user), recorded_at__isnull=False)
        .select_related("plan__school")
        .order_by("plan__school__township", "plan__school__code", "plan_id", "round")
    )
    rows = list(rows)
    # A certificate is void once a later spot check (市级抽检) found the plan 不合格
    # (acceptance.selectors.certificate_void, here from the rows already read).
    failed_spot: dict[int, int] = {}
    for app in rows:
        if app.kind == Application.Kind.SPOT and app.status == Application.Status.FAILED:
            failed_spot[app.plan_id] = max(app.round, failed_spot.get(app.plan_id, 0))
    book = XlsxBook()
    sheet = book.sheet("验收结果", ACCEPTANCE_RESULT_COLUMNS)
    for app in rows:
        certificate = app.certificate_ref
        if certificate and failed_spot.get(app.plan_id, 0) > app.round:
            certificate = f"{certificate}（已作废：市级抽检不合格）"
        sheet.append(
            [
                app.plan.school.township,
                app.plan.school.name,
                app.plan.title,
                app.round_label,  # 第N轮, or 市级抽检 for a city's spot check
                app.get_status_display(),
                app.self_score,
                app.final_score,
                app.inspection_date,
                app.notice_ends_on,
                certificate,
            ]
        )
    return book


def _normal(value: Decimal | None) -> Decimal | None:
    return value.normalize() if value is not None else None


# --- evidence (the plan's history export lives in history.exports) -------------------------------

EVIDENCE_COLUMNS = [
    Column("序号", 6),
    Column("阶段", 12),
    Column("措施", 28),
    Column("任务", 36),
    Column("文件名", 36),
    Column("类型", 18),
    Column("大小（KB）", 10),
    Column("上传人", 12),
    Column("上传时间", 19),
]


def evidence_book(plan: Plan) -> XlsxBook:
    """The evidence catalogue (佐证材料目录): every file of every task, in plan order."""
    book = XlsxBook()
    sheet = book.sheet("佐证材料目录", EVIDENCE_COLUMNS)
    rows = (
        Evidence.objects.filter(task__plan=plan)
        .select_related("task", "task__measure", "task__measure__stage", "uploaded_by")
        .order_by(
            "task__measure__stage__order",
            "task__measure__order",
            "task__measure_id",
            "task__order",
            "task_id",
            "uploaded_at",
            "id",
        )
    )
    for number, ev in enumerate(rows.iterator(chunk_size=BATCH), start=1):
        task = ev.task
        sheet.append(
            [
                number,
                task.measure.stage.name,
                task.measure.title,
                task.title,
                ev.original_name,
                ev.content_type,
                round(ev.size / 1024, 1),
                _name(ev.uploaded_by),
                ev.uploaded_at,
            ]
        )
    return book


def county_name(user: Any) -> str:
    org: Organisation | None = getattr(user, "organisation", None)
    return org.name if org else "全县"

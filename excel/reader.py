"""Read a plan workbook into a WorkbookSpec plus a list of problems. No database access.

The caller must have passed the file through ``excel.safety.inspect_workbook`` first. Reading
is in openpyxl's read-only, values-only mode (low memory, merged cells read as blank: they mean
"same as above", exactly like blank stage and measure cells).

Layout rules (see README, "计划工作簿格式"):
- sheet 方案 (or the first sheet): title rows may sit above the header; the header is the first row
  among the first 20 that names the 阶段, 措施 and 任务 columns (synonyms accepted, order free,
  unknown columns ignored);
- blank 阶段/措施 cells repeat the value above; blank rows, note rows (注:, 说明:, 制表人: ...) and
  repeated header rows are skipped;
- a row with a stage and nothing else defines the stage's window; a row with a measure and no task
  defines the measure (window, owner, units, weight); every other row is a task.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, BinaryIO

from defusedxml import DefusedXmlException
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from core.text import too_long_message
from excel import cells
from excel.cells import CellError
from excel.safety import MAX_ROWS, WorkbookRefused, assert_defused
from excel.spec import (
    CRITERIA_SHEET,
    INDICATOR_SHEET,
    PLAN_SHEET,
    CriterionItem,
    IndicatorItem,
    MeasureItem,
    Problem,
    Slot,
    StageItem,
    TaskItem,
    WorkbookSpec,
)

HEADER_SCAN_ROWS = 20
NO_CATEGORY = "未分类"
MAX_COLUMNS = 60

PLAN_COLUMNS: dict[str, tuple[str, ...]] = {
    "stage": ("阶段", "实施阶段", "阶段名称", "实施步骤", "步骤", "工作阶段"),
    "measure": ("措施", "具体措施", "措施名称", "工作措施", "主要措施", "行动", "重点工作", "工作项目", "项目"),
    "task": ("任务", "工作任务", "任务名称", "具体任务", "工作内容", "任务内容", "主要任务"),
    "role": ("责任角色", "角色", "责任岗位", "牵头角色", "责任分工", "分管", "负责角色"),
    "person": ("责任人", "负责人", "承办人", "具体责任人", "经办人"),
    "units": ("责任单位", "责任部门", "牵头单位", "责任处室", "承办单位", "配合单位", "责任科室"),
    "starts_on": ("开始日期", "开始时间", "起始日期", "起始时间", "开始"),
    "ends_on": ("截止日期", "截止时间", "完成时间", "完成日期", "结束日期", "结束时间", "完成时限", "时限", "截止"),
    "weight": ("权重", "比重", "权值", "权数"),
}
INDICATOR_COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("指标", "指标名称", "量化指标", "指标项目"),
    "unit": ("单位", "计量单位"),
    "direction": ("方向", "比较", "要求"),
    "target": ("目标值", "目标", "标准值", "目标要求", "达标值"),
    "measure": ("关联措施", "措施", "对应措施", "所属措施"),
}
CRITERIA_COLUMNS: dict[str, tuple[str, ...]] = {
    "category": ("类别", "评估类别", "评估项目", "项目", "一级指标", "评估内容"),
    "point": ("评估要点", "要点", "评估标准", "评分标准", "二级指标", "评估指标", "考核要点"),
    "max_score": ("分值", "分数", "标准分", "满分", "赋分"),
    "applicable": ("是否适用", "适用", "适用性"),
}
_SYNONYM_TABLES = {id(t): t for t in (PLAN_COLUMNS, INDICATOR_COLUMNS, CRITERIA_COLUMNS)}
SHEET_NAMES = {
    PLAN_SHEET: ("方案", "实施方案", "任务", "任务清单", "方案任务"),
    INDICATOR_SHEET: ("指标", "量化指标", "指标表", "目标指标"),
    CRITERIA_SHEET: ("评估表", "验收评估表", "评估标准", "评分表", "验收标准"),
}
_NOTE = re.compile(
    r"^(?:※|(?:注(?:意事项)?|说明|备注|附注|填表说明|填表人|制表人|制表单位|制表|审核人|联系人|联系电话)\s*[:\d])"
)
_ENUM_PREFIX = re.compile(
    r"^(?:[一二三四五六七八九十]+[、.．]|[(（]?[一二三四五六七八九十\d]+[)）]|\d+[、.．](?!\d))\s*"
)

# What a too-long cell of the plan sheet is called in its problem.
PLAN_LABELS = {"stage": "阶段名称", "measure": "措施名称", "task": "任务名称"}


@dataclass
class ReadResult:
    spec: WorkbookSpec
    problems: list[Problem]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]

    @property
    def ok(self) -> bool:
        return not self.errors


def read_workbook(fileobj: BinaryIO | str) -> ReadResult:
    """Parse the workbook; every problem is collected (the read never stops at the first one)."""
    assert_defused()
    try:
        workbook = load_workbook(fileobj, read_only=True, data_only=True, keep_links=False)
    except WorkbookRefused:
        raise
    except Exception as exc:  # defusedxml's EntitiesForbidden, broken XML, missing parts
        raise WorkbookRefused(_load_failure_message(exc)) from exc
    try:
        return _read(workbook)
    except WorkbookRefused:
        raise
    except Exception as exc:
        raise WorkbookRefused(_load_failure_message(exc)) from exc
    finally:
        workbook.close()


def _load_failure_message(exc: BaseException) -> str:
    # openpyxl wraps the parser's error in a ValueError: look down the chain for defusedxml's.
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, DefusedXmlException):
            return "文件含有不安全的 XML 内容（实体/外部引用），已拒绝。"
        seen = seen.__cause__ or seen.__context__
    return "无法读取该文件：文件已损坏或不是标准的 xlsx 工作簿。请用 Excel 打开后另存为 .xlsx 再导入。"


def _find_sheet(workbook, wanted: str, fallback_first: bool = False):
    names = {cells.key(n): n for n in workbook.sheetnames}
    for synonym in SHEET_NAMES[wanted]:
        if cells.key(synonym) in names:
            return workbook[names[cells.key(synonym)]]
    if fallback_first:
        taken = {cells.key(s) for key in (INDICATOR_SHEET, CRITERIA_SHEET) for s in SHEET_NAMES[key]}
        for name in workbook.sheetnames:
            if cells.key(name) not in taken:
                return workbook[name]
    return None


def _read(workbook) -> ReadResult:
    problems: list[Problem] = []
    spec = WorkbookSpec()
    plan_sheet = _find_sheet(workbook, PLAN_SHEET, fallback_first=True)
    if plan_sheet is None:
        problems.append(Problem(PLAN_SHEET, None, "", "找不到“方案”工作表。"))
        return ReadResult(spec, problems)
    _PlanSheetReader(plan_sheet, spec, problems).read()
    indicator_sheet = _find_sheet(workbook, INDICATOR_SHEET)
    if indicator_sheet is not None:
        _read_indicators(indicator_sheet, spec, problems)
    criteria_sheet = _find_sheet(workbook, CRITERIA_SHEET)
    if criteria_sheet is not None:
        _read_criteria(criteria_sheet, spec, problems)
    return ReadResult(spec, problems)


# --- rows and headers ---------------------------------------------------------------------------


def _rows(sheet, *, values_only: bool = True) -> Iterator[tuple[int, tuple]]:
    """(Excel row number, cells) for every row, with the row limit enforced as a backstop to the
    declared dimension checked in safety."""
    # A wrong <dimension> (some generators write "A1") would cut the read short: ignore it. Rows
    # then come unpadded, as wide as their last cell.
    sheet.reset_dimensions()
    for number, row in enumerate(sheet.iter_rows(values_only=values_only), start=1):
        if number > MAX_ROWS + HEADER_SCAN_ROWS:
            raise WorkbookRefused(f"工作表“{sheet.title}”超过 {MAX_ROWS} 行，请拆分后再导入。")
        yield number, row[:MAX_COLUMNS]


@dataclass
class Header:
    row: int
    columns: dict[str, int]  # field -> 0-based column index
    labels: dict[str, str]  # field -> header text as written

    def where(self, name: str) -> str:
        index = self.columns.get(name)
        if index is None:
            return ""
        return f"{get_column_letter(index + 1)}({self.labels[name]})"

    def get(self, row: tuple, name: str) -> Any:
        index = self.columns.get(name)
        if index is None or index >= len(row):
            return None
        value = row[index]
        return getattr(value, "value", value)


@functools.lru_cache(maxsize=8)
def _lookup(synonyms_id: int) -> dict[str, str]:
    synonyms = _SYNONYM_TABLES[synonyms_id]
    return {cells.key(word): name for name, words in synonyms.items() for word in words}


def _match_header(row: tuple, synonyms: dict[str, tuple[str, ...]]) -> Header | None:
    lookup = _lookup(id(synonyms))
    columns: dict[str, int] = {}
    labels: dict[str, str] = {}
    for index, value in enumerate(row):
        value = getattr(value, "value", value)
        if not isinstance(value, str) or len(value) > 30:
            continue
        name = lookup.get(cells.key(value))
        if name and name not in columns:
            columns[name] = index
            labels[name] = cells.text(value)
    return Header(0, columns, labels) if columns else None


def _is_blank(row: tuple) -> bool:
    for value in row:
        value = getattr(value, "value", value)
        if value is not None and not (isinstance(value, str) and not value.strip()):
            return False
    return True


def _is_note(row: tuple) -> bool:
    filled = [cells.text(getattr(v, "value", v)) for v in row]
    filled = [v for v in filled if v]
    return bool(filled) and len(filled) <= 2 and _is_note_text(filled[0])


def _is_note_text(value: str) -> bool:
    return bool(_NOTE.match(cells.nfkc(value)))


def _find_header(
    rows: Iterable[tuple[int, tuple]], synonyms: dict[str, tuple[str, ...]], required: tuple[str, ...]
) -> tuple[Header | None, list[str]]:
    """The first row naming every required column; also the text of title rows above it."""
    titles: list[str] = []
    for number, row in rows:
        header = _match_header(row, synonyms)
        if header and all(name in header.columns for name in required):
            header.row = number
            return header, titles
        filled = [cells.text(getattr(v, "value", v)) for v in row if cells.text(getattr(v, "value", v))]
        if len(filled) == 1:
            titles.append(filled[0])
        if number >= HEADER_SCAN_ROWS:
            break
    return None, titles


def _missing_header_message(synonyms: dict[str, tuple[str, ...]], required: tuple[str, ...]) -> str:
    names = "、".join(synonyms[name][0] for name in required)
    return f"前 {HEADER_SCAN_ROWS} 行中找不到表头：表头行须包含 {names} 列。"


# --- the plan sheet -----------------------------------------------------------------------------


class _PlanSheetReader:
    """Walks the 方案 sheet once, carrying stage and measure down over blank and merged cells."""

    def __init__(self, sheet, spec: WorkbookSpec, problems: list[Problem]):
        self.sheet, self.spec, self.problems = sheet, spec, problems
        self.stage: StageItem | None = None
        self.measure: MeasureItem | None = None
        self.stages: dict[str, StageItem] = {}
        self.measures: dict[tuple[str, str], MeasureItem] = {}

    def problem(self, row: int | None, column: str, message: str, level: str = "error") -> None:
        self.problems.append(Problem(PLAN_SHEET, row, column, message, level))

    def read(self) -> None:
        rows = _rows(self.sheet)
        header, titles = _find_header(rows, PLAN_COLUMNS, ("stage", "measure", "task"))
        if header is None:
            self.problem(None, "", _missing_header_message(PLAN_COLUMNS, ("stage", "measure", "task")))
            return
        self.header = header
        self.spec.title = next((t for t in titles if len(t) <= 200 and not _is_note_text(t)), "")
        for number, row in rows:
            if _is_blank(row) or _is_note(row):
                continue
            if self.is_repeated_header(row):
                continue  # printed tables repeat the header on every page
            self.read_row(number, row)
        if not self.spec.tasks and not self.spec.measures:
            self.problem(None, "", "“方案”工作表中没有任何措施或任务。")
        self.fill_windows()

    def is_repeated_header(self, row: tuple) -> bool:
        value = self.header.get(row, "task")
        if not isinstance(value, str) or _lookup(id(PLAN_COLUMNS)).get(cells.key(value)) != "task":
            return False
        again = _match_header(row, PLAN_COLUMNS)
        return again is not None and len(again.columns) >= 3

    def cell_text(self, number: int, row: tuple, name: str, limit: int) -> str:
        value = cells.text(self.header.get(row, name))
        if len(value) > limit:
            # An error (the import stops), never a silent cut: the user shortens the cell.
            self.problem(number, self.header.where(name), too_long_message(PLAN_LABELS.get(name, "内容"), limit, len(value)))
        return value

    def parse(self, number: int, row: tuple, name: str, parser, default=None):
        try:
            result = parser(self.header.get(row, name))
        except CellError as exc:
            self.problem(number, self.header.where(name), exc.message)
            return default
        return default if result is None else result

    def read_row(self, number: int, row: tuple) -> None:
        stage_name = _ENUM_PREFIX.sub("", self.cell_text(number, row, "stage", 50))
        measure_title = self.cell_text(number, row, "measure", 200)
        task_title = self.cell_text(number, row, "task", 200)
        if stage_name:
            if self.stage is None or stage_name != self.stage.name:
                self.stage = self.stages.get(stage_name) or self.add_stage(number, stage_name)
                self.measure = None
        elif self.stage is None:
            self.problem(number, self.header.where("stage"), "阶段为空，且上方没有可沿用的阶段。")
            return
        if measure_title and (self.measure is None or measure_title != self.measure.title):
            self.measure = self.measures.get((self.stage.name, measure_title)) or self.add_measure(
                number, measure_title
            )
        starts_on = self.parse(number, row, "starts_on", cells.parse_date)
        ends_on = self.parse(number, row, "ends_on", cells.parse_date)
        if starts_on and ends_on and ends_on < starts_on:
            self.problem(number, self.header.where("ends_on"), "截止日期早于开始日期。")
            ends_on = None
        if not measure_title and not task_title:
            if stage_name and not self.has_assignment(row):
                self.define_stage(number, row, starts_on, ends_on)
            else:
                self.problem(number, self.header.where("task"), "缺少任务名称（措施、任务都为空）。")
        elif self.measure is None:
            self.problem(number, self.header.where("measure"), "任务没有所属措施：请填写措施。")
        elif not task_title:
            self.define_measure(number, row, starts_on, ends_on)
        else:
            self.add_task(number, row, task_title, starts_on, ends_on)

    def has_assignment(self, row: tuple) -> bool:
        return any(cells.text(self.header.get(row, name)) for name in ("role", "person", "units", "weight"))

    def add_stage(self, number: int, name: str) -> StageItem:
        stage = StageItem(row=number, name=name)
        self.stages[name] = stage
        self.spec.stages.append(stage)
        return stage

    def add_measure(self, number: int, title: str) -> MeasureItem:
        measure = MeasureItem(row=number, title=title)
        self.measures[(self.stage.name, title)] = measure
        self.stage.measures.append(measure)
        return measure

    def slot(self, number: int, row: tuple) -> Slot:
        role, group = self.parse(number, row, "role", cells.parse_role, default=("", ""))
        return Slot(role=role, group=group, person=self.cell_text(number, row, "person", 80))

    def weight(self, number: int, row: tuple) -> Decimal:
        weight = self.parse(number, row, "weight", lambda v: cells.parse_decimal(_strip_percent(v), places=2))
        if weight is None:
            return Decimal("1")
        if weight < 0 or weight >= Decimal("100000"):
            self.problem(number, self.header.where("weight"), "权重须为 0 到 99999 之间的数。")
            return Decimal("1")
        return weight

    def define_stage(self, number: int, row: tuple, starts_on, ends_on) -> None:
        if starts_on or ends_on:
            self.stage.starts_on = starts_on or self.stage.starts_on
            self.stage.ends_on = ends_on or self.stage.ends_on

    def define_measure(self, number: int, row: tuple, starts_on, ends_on) -> None:
        measure = self.measure
        if measure.defined_at is not None:
            self.problem(
                number,
                self.header.where("measure"),
                f"措施“{measure.title}”已在第 {measure.defined_at} 行定义过，本行被忽略。",
                "warning",
            )
            return
        measure.defined_at = number
        measure.slot = self.slot(number, row)
        measure.units = _merge_units(measure.units, cells.split_units(self.header.get(row, "units")))
        measure.starts_on, measure.ends_on = starts_on, ends_on
        measure.weight = self.weight(number, row)

    def add_task(self, number: int, row: tuple, title: str, starts_on, due_on) -> None:
        # Tasks have no unit of their own: a task's 责任单位 joins its measure's.
        self.measure.units = _merge_units(self.measure.units, cells.split_units(self.header.get(row, "units")))
        self.measure.tasks.append(
            TaskItem(
                row=number,
                title=title,
                slot=self.slot(number, row),
                starts_on=starts_on,
                due_on=due_on,
                weight=self.weight(number, row),
            )
        )

    def fill_windows(self) -> None:
        """Measures without their own row span their tasks' dates; stages span their measures."""
        for stage in self.spec.stages:
            for measure in stage.measures:
                days = [d for t in measure.tasks for d in (t.starts_on, t.due_on) if d]
                if measure.defined_at is None and days:
                    measure.starts_on, measure.ends_on = min(days), max(days)
                if measure.defined_at is None and not measure.slot.group:
                    # A measure without its own row belongs to the working group its tasks name first.
                    measure.slot.group = next((t.slot.group for t in measure.tasks if t.slot.group), "")
                if len("、".join(measure.units)) > 200:
                    self.problem(measure.row, self.header.where("units"), "责任单位合计超过 200 个字。")
            days = [d for m in stage.measures for d in (m.starts_on, m.ends_on) if d]
            if stage.starts_on is None and stage.ends_on is None and days:
                stage.starts_on, stage.ends_on = min(days), max(days)
            if stage.starts_on and stage.ends_on and stage.ends_on < stage.starts_on:
                self.problem(stage.row, self.header.where("ends_on"), f"阶段“{stage.name}”的截止日期早于开始日期。")


def _strip_percent(value: Any) -> Any:
    if isinstance(value, str):
        raw = cells.nfkc(value).strip()
        return raw[:-1] if raw.endswith("%") else raw
    return value


def _merge_units(current: list[str], more: list[str]) -> list[str]:
    return current + [u for u in more if u not in current]


# --- the indicator and criteria sheets ---------------------------------------------------------


def _read_indicators(sheet, spec: WorkbookSpec, problems: list[Problem]) -> None:
    rows = _rows(sheet, values_only=False)  # the number format tells 95% (0.95) from 0.95
    header, _ = _find_header(rows, INDICATOR_COLUMNS, ("name", "target"))
    if header is None:
        problems.append(
            Problem(INDICATOR_SHEET, None, "", _missing_header_message(INDICATOR_COLUMNS, ("name", "target")))
        )
        return
    for number, row in rows:
        if _is_blank(row) or _is_note(row):
            continue
        again = _match_header(row, INDICATOR_COLUMNS)
        if again and {"name", "target"} <= again.columns.keys():
            continue
        item = _indicator(number, row, header, problems)
        if item is not None:
            spec.indicators.append(item)
    measure_titles = {m.title for m in spec.measures}
    for item in spec.indicators:
        if item.measure and item.measure not in measure_titles:
            problems.append(
                Problem(
                    INDICATOR_SHEET,
                    item.row,
                    header.where("measure"),
                    f"“方案”工作表中没有名为“{item.measure}”的措施。",
                )
            )


def _indicator(number: int, row: tuple, header: Header, problems: list[Problem]) -> IndicatorItem | None:
    def problem(name: str, message: str, level: str = "error") -> None:
        problems.append(Problem(INDICATOR_SHEET, number, header.where(name), message, level))

    name = cells.text(header.get(row, "name"))
    if not name:
        problem("name", "缺少指标名称。")
        return None
    if len(name) > 100:
        problem("name", too_long_message("指标名称", 100, len(name)))
        return None
    unit = cells.text(header.get(row, "unit"))
    if len(unit) > 20:
        problem("unit", too_long_message("单位", 20, len(unit)))
        return None
    unit = "%" if cells.nfkc(unit) in ("%", "百分比", "百分率") else unit
    target_cell = row[header.columns["target"]] if header.columns["target"] < len(row) else None
    percent_format = "%" in (getattr(target_cell, "number_format", "") or "")
    try:
        direction = cells.parse_direction(header.get(row, "direction"))
        target, implied, unit, scaled = cells.parse_target(
            header.get(row, "target"), unit, percent_format=percent_format
        )
    except CellError as exc:
        problem("target", exc.message)
        return None
    if target is None:
        problem("target", "缺少目标值。")
        return None
    if direction and implied and direction != implied:
        problem("direction", "方向与目标值中的 ≥/≤ 不一致。")
        return None
    if scaled and not percent_format:
        problem("target", f"按百分比理解为 {target.normalize():f}%。", "warning")
    return IndicatorItem(
        row=number,
        name=name,
        unit=unit,
        direction=direction or implied or "ge",
        target=target,
        measure=cells.text(header.get(row, "measure")),
    )


def _read_criteria(sheet, spec: WorkbookSpec, problems: list[Problem]) -> None:
    rows = _rows(sheet)
    header, _ = _find_header(rows, CRITERIA_COLUMNS, ("point", "max_score"))
    if header is None:
        problems.append(
            Problem(CRITERIA_SHEET, None, "", _missing_header_message(CRITERIA_COLUMNS, ("point", "max_score")))
        )
        return
    category = ""
    for number, row in rows:
        if _is_blank(row) or _is_note(row):
            continue
        again = _match_header(row, CRITERIA_COLUMNS)
        if again and {"point", "max_score"} <= again.columns.keys():
            continue
        # Blank (or merged) category cells repeat the one above; the export writes NO_CATEGORY
        # for a criterion that has none, so that it is not taken into the category above.
        category = cells.text(header.get(row, "category")) or category
        category = "" if category == NO_CATEGORY else category
        point = cells.text(header.get(row, "point"))
        too_long = [(col, label, limit, len(text)) for col, label, limit, text in (
            ("category", "类别", 100, category), ("point", "评估要点", 500, point)) if len(text) > limit]
        if too_long:
            for col, label, limit, length in too_long:
                problems.append(Problem(CRITERIA_SHEET, number, header.where(col), too_long_message(label, limit, length)))
            continue
        if not point:
            if cells.text(header.get(row, "max_score")):
                problems.append(Problem(CRITERIA_SHEET, number, header.where("point"), "缺少评估要点。"))
            continue  # a category heading row
        try:
            score = cells.parse_decimal(_strip_percent(header.get(row, "max_score")), places=2)
            applicable = cells.parse_bool(header.get(row, "applicable"))
        except CellError as exc:
            problems.append(Problem(CRITERIA_SHEET, number, header.where("max_score"), exc.message))
            continue
        if score is None or score < 0 or score >= 10000:
            problems.append(Problem(CRITERIA_SHEET, number, header.where("max_score"), "分值须为 0 到 9999 之间的数。"))
            continue
        spec.criteria.append(
            CriterionItem(row=number, category=category, point=point, max_score=score, applicable=applicable)
        )

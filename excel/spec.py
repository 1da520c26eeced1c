"""The parsed plan workbook, independent of the database: what the reader produces, what a dry run
shows, what a template stores (as JSON) and what the importer writes.

Every item remembers the sheet row it came from, so problems found later (an unknown person, a
clash with the plan's leading group) still point at a cell.
"""

from __future__ import annotations

import datetime
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

PLAN_SHEET = "方案"
INDICATOR_SHEET = "指标"
CRITERIA_SHEET = "评估表"


@dataclass
class Problem:
    """One problem, pointing at a cell. ``row`` is the Excel row number (1-based); errors block the import."""

    sheet: str
    row: int | None
    column: str
    message: str
    level: str = "error"  # or "warning"

    @property
    def is_error(self) -> bool:
        return self.level == "error"

    def __str__(self) -> str:
        where = (
            f"工作表“{self.sheet}”"
            + (f" 第 {self.row} 行" if self.row else "")
            + (f" {self.column} 列" if self.column else "")
        )
        label = "错误" if self.is_error else "提示"
        return f"[{label}] {where}:{self.message}"


@dataclass
class Slot:
    """Who is responsible: a seat role and/or a working group, and optionally a named person."""

    role: str = ""  # leader / deputy / office / member, or ""
    group: str = ""  # a working group's name, or ""
    person: str = ""  # as written: a full name, a username, or "姓名(用户名)"

    @property
    def is_empty(self) -> bool:
        return not (self.role or self.group or self.person)


@dataclass
class TaskItem:
    row: int
    title: str
    slot: Slot = field(default_factory=Slot)
    starts_on: datetime.date | None = None
    due_on: datetime.date | None = None
    weight: Decimal = Decimal("1")


@dataclass
class MeasureItem:
    row: int
    title: str
    slot: Slot = field(default_factory=Slot)
    units: list[str] = field(default_factory=list)
    starts_on: datetime.date | None = None
    ends_on: datetime.date | None = None
    weight: Decimal = Decimal("1")
    defined_at: int | None = None  # the row of its own measure row, if any
    tasks: list[TaskItem] = field(default_factory=list)


@dataclass
class StageItem:
    row: int
    name: str
    starts_on: datetime.date | None = None
    ends_on: datetime.date | None = None
    measures: list[MeasureItem] = field(default_factory=list)


@dataclass
class IndicatorItem:
    row: int
    name: str
    unit: str
    direction: str
    target: Decimal
    measure: str = ""  # title of the linked measure


@dataclass
class CriterionItem:
    row: int
    category: str
    point: str
    max_score: Decimal
    applicable: bool = True


@dataclass
class WorkbookSpec:
    title: str = ""  # found in a title row above the header, if any
    stages: list[StageItem] = field(default_factory=list)
    indicators: list[IndicatorItem] = field(default_factory=list)
    criteria: list[CriterionItem] = field(default_factory=list)

    @property
    def measures(self) -> list[MeasureItem]:
        return [m for s in self.stages for m in s.measures]

    @property
    def tasks(self) -> list[TaskItem]:
        return [t for m in self.measures for t in m.tasks]

    def counts(self) -> dict[str, int]:
        return {
            "stages": len(self.stages),
            "measures": len(self.measures),
            "tasks": len(self.tasks),
            "indicators": len(self.indicators),
            "criteria": len(self.criteria),
        }

    def working_groups(self) -> list[str]:
        names: dict[str, None] = {}
        for measure in self.measures:
            for slot in (measure.slot, *(t.slot for t in measure.tasks)):
                if slot.group:
                    names[slot.group] = None
        return list(names)

    def date_span(self) -> tuple[datetime.date | None, datetime.date | None]:
        days = self.dates()
        return (min(days), max(days)) if days else (None, None)

    def dates(self) -> list[datetime.date]:
        """Every date of the structure: stage, measure and task windows (indicators have none)."""
        days = [d for s in self.stages for d in (s.starts_on, s.ends_on)]
        days += [d for m in self.measures for d in (m.starts_on, m.ends_on)]
        days += [d for t in self.tasks for d in (t.starts_on, t.due_on)]
        return [d for d in days if d]

    def shifted(self, days: int) -> WorkbookSpec:
        """A copy with every date moved by ``days`` (the import's 顺延; plans.services bounds it)."""
        copy = WorkbookSpec.from_json(self.to_json())
        step = datetime.timedelta(days=days)
        for stage in copy.stages:
            stage.starts_on, stage.ends_on = _moved(stage.starts_on, step), _moved(stage.ends_on, step)
            for m in stage.measures:
                m.starts_on, m.ends_on = _moved(m.starts_on, step), _moved(m.ends_on, step)
                for t in m.tasks:
                    t.starts_on, t.due_on = _moved(t.starts_on, step), _moved(t.due_on, step)
        return copy

    def without_people(self) -> WorkbookSpec:
        """The same plan with role slots only (what a template keeps)."""
        for measure in self.measures:
            measure.slot.person = ""
            for task in measure.tasks:
                task.slot.person = ""
        return self

    # JSON: dates as ISO strings, decimals as strings; exact and stable.
    def to_json(self) -> dict[str, Any]:
        return _encode(asdict(self))

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> WorkbookSpec:
        def slot(d: dict) -> Slot:
            return Slot(**d)

        def task(d: dict) -> TaskItem:
            return TaskItem(
                row=d["row"],
                title=d["title"],
                slot=slot(d["slot"]),
                starts_on=_date(d["starts_on"]),
                due_on=_date(d["due_on"]),
                weight=Decimal(d["weight"]),
            )

        def measure(d: dict) -> MeasureItem:
            return MeasureItem(
                row=d["row"],
                title=d["title"],
                slot=slot(d["slot"]),
                units=list(d["units"]),
                starts_on=_date(d["starts_on"]),
                ends_on=_date(d["ends_on"]),
                weight=Decimal(d["weight"]),
                defined_at=d.get("defined_at"),
                tasks=[task(t) for t in d["tasks"]],
            )

        def stage(d: dict) -> StageItem:
            return StageItem(
                row=d["row"],
                name=d["name"],
                starts_on=_date(d["starts_on"]),
                ends_on=_date(d["ends_on"]),
                measures=[measure(m) for m in d["measures"]],
            )

        return cls(
            title=data.get("title", ""),
            stages=[stage(s) for s in data.get("stages", [])],
            indicators=[
                IndicatorItem(
                    row=d["row"],
                    name=d["name"],
                    unit=d["unit"],
                    direction=d["direction"],
                    target=Decimal(d["target"]),
                    measure=d.get("measure", ""),
                )
                for d in data.get("indicators", [])
            ],
            criteria=[
                CriterionItem(
                    row=d["row"],
                    category=d["category"],
                    point=d["point"],
                    max_score=Decimal(d["max_score"]),
                    applicable=d["applicable"],
                )
                for d in data.get("criteria", [])
            ],
        )


def _moved(day: datetime.date | None, step: datetime.timedelta) -> datetime.date | None:
    return day + step if day else None


def _date(value: str | None) -> datetime.date | None:
    return datetime.date.fromisoformat(value) if value else None


def _encode(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def problems_to_json(problems: list[Problem]) -> list[dict[str, Any]]:
    return [asdict(p) for p in problems]


def problems_from_json(data: list[dict[str, Any]]) -> list[Problem]:
    return [Problem(**d) for d in data]

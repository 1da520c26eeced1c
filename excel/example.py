"""The example plan workbook shipped in examples/ and offered on the import page.

Built from the example plan's stages, measures and tasks (excel.example_plan), with role slots instead of
people, so it imports into any school and works as a bureau template.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from excel.example_plan import INDICATORS, STAGES
from excel.exports import spec_workbook
from excel.spec import CriterionItem, IndicatorItem, MeasureItem, Slot, StageItem, TaskItem, WorkbookSpec
from excel.writer import XlsxBook

EXAMPLE_TITLE = "义务教育优质均衡发展实施方案"
WINDOWS = [
    (datetime.date(2026, 3, 1), datetime.date(2026, 3, 31)),
    (datetime.date(2026, 4, 1), datetime.date(2026, 10, 31)),
    (datetime.date(2026, 11, 1), datetime.date(2026, 12, 20)),
]
# Demo seat suffix -> role slot (a seat role or a working group's name).
SLOTS = {
    "principal": Slot(role="leader"),
    "deputy": Slot(group="质量提升组"),
    "deputy2": Slot(group="资源配置组"),
    "office": Slot(role="office"),
}
LINKS = {
    "生均校舍面积": "资源配置优化",
    "生均图书": "资源配置优化",
    "教师专科以上学历比例": "师资队伍建设",
    "初中辍学率": "控辍保学",
    "学生体质健康合格率": "学生体质健康促进",
}
CRITERIA = [
    ("资源配置", "生均教学及辅助用房面积达标", 10, True),
    ("资源配置", "生均体育运动场馆面积达标", 8, True),
    ("资源配置", "生均教学仪器设备值达标", 8, True),
    ("资源配置", "学校食堂建设达标", 5, False),
    ("师资队伍", "每百名学生拥有高于规定学历教师数达标", 10, True),
    ("师资队伍", "每百名学生拥有县级以上骨干教师数达标", 10, True),
    ("教育质量", "国家课程开齐开足", 12, True),
    ("教育质量", "学生体质健康合格率达标", 10, True),
    ("教育质量", "控辍保学机制健全，辍学率达标", 12, True),
    ("社会认可度", "家长和社会满意度调查达 85% 以上", 15, True),
]


def _slot(suffix: str) -> Slot:
    slot = SLOTS.get(suffix)
    return Slot(role=slot.role, group=slot.group) if slot else Slot(role="member")


def _due_dates(start: datetime.date, end: datetime.date, count: int) -> list[datetime.date]:
    span = (end - start).days
    return [start + datetime.timedelta(days=round(span * (i + 1) / (count + 1))) for i in range(count)]


def example_spec() -> WorkbookSpec:
    spec = WorkbookSpec(title=EXAMPLE_TITLE)
    for (name, measures), (start, end) in zip(STAGES, WINDOWS, strict=True):
        stage = StageItem(row=0, name=name, starts_on=start, ends_on=end)
        for title, owner, units, tasks in measures:
            measure = MeasureItem(
                row=0,
                title=title,
                slot=_slot(owner),
                units=units.split("、"),
                starts_on=start,
                ends_on=end,
                weight=Decimal(2 if name == "实施阶段" else 1),
                defined_at=0,
            )
            for (task_title, who), due in zip(tasks, _due_dates(start, end, len(tasks)), strict=True):
                measure.tasks.append(TaskItem(row=0, title=task_title, slot=_slot(who), starts_on=start, due_on=due))
            stage.measures.append(measure)
        spec.stages.append(stage)
    spec.indicators = [
        IndicatorItem(row=0, name=name, unit=unit, direction=direction, target=target, measure=LINKS.get(name, ""))
        for name, unit, direction, target in INDICATORS
    ]
    spec.criteria = [
        CriterionItem(row=0, category=c, point=p, max_score=Decimal(s), applicable=a) for c, p, s, a in CRITERIA
    ]
    return spec


def example_workbook() -> XlsxBook:
    return spec_workbook(example_spec())

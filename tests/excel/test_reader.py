"""Reading messy plan workbooks: layout, merged and blank cells, dates, numbers, percentages, problems."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from openpyxl import Workbook

from excel import cells
from excel.cells import CellError
from excel.reader import read_workbook
from tests.excel_fixtures import messy_plan_workbook, save, simple_workbook

D = datetime.date


def read(data: bytes):
    return read_workbook(io.BytesIO(data))


@pytest.mark.parametrize(
    "raw, expected",
    [
        (datetime.datetime(2025, 3, 10, 0, 0), D(2025, 3, 10)),
        (D(2025, 3, 10), D(2025, 3, 10)),
        ("2025-03-10", D(2025, 3, 10)),
        ("2025/3/10", D(2025, 3, 10)),
        ("2025年3月10日", D(2025, 3, 10)),
        ("2025.3.10", D(2025, 3, 10)),
        ("２０２５年３月１０日", D(2025, 3, 10)),
        ("２０２５／３／１０", D(2025, 3, 10)),
        (" 2025-3-10 00:00:00 ", D(2025, 3, 10)),
        (45726, D(2025, 3, 10)),  # an Excel serial day without a date format
        ("20250310", D(2025, 3, 10)),
        (None, None),
        ("", None),
    ],
)
def test_dates_in_every_spelling(raw, expected):
    assert cells.parse_date(raw) == expected


@pytest.mark.parametrize("raw", ["2025-13-01", "2025-02-30", "三月十日", "2025", "下周"])
def test_bad_dates_are_problems_not_guesses(raw):
    with pytest.raises(CellError):
        cells.parse_date(raw)


@pytest.mark.parametrize(
    "raw, unit, expected",
    [
        ("95%", "", (Decimal("95"), None, "%")),
        ("９５％", "", (Decimal("95"), None, "%")),
        ("≥95%", "", (Decimal("95"), "ge", "%")),
        ("＞＝95%", "", (Decimal("95"), "ge", "%")),
        ("不低于95%", "", (Decimal("95"), "ge", "%")),
        ("≤2%", "%", (Decimal("2"), "le", "%")),
        (0.95, "%", (Decimal("95"), None, "%")),
        ("0.95", "%", (Decimal("95"), None, "%")),
        (25, "册", (Decimal("25"), None, "册")),
        ("≥14平方米", "", (Decimal("14"), "ge", "平方米")),
        ("4.2", "人", (Decimal("4.2"), None, "人")),
        ("95%以上", "", (Decimal("95"), "ge", "%")),
    ],
)
def test_targets_and_percentages(raw, unit, expected):
    number, direction, found_unit, _ = cells.parse_target(raw, unit)
    assert (number, direction, found_unit) == expected


def test_a_percent_formatted_cell_is_a_fraction():
    assert cells.parse_target(0.5, "", percent_format=True)[0] == Decimal("50")


@pytest.mark.parametrize(
    "raw, expected",
    [("≥", "ge"), (">=", "ge"), ("不低于", "ge"), ("≤", "le"), ("不超过", "le"), ("＜＝", "le"), (None, None)],
)
def test_directions(raw, expected):
    assert cells.parse_direction(raw) == expected


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("组长", ("leader", "")),
        ("校长", ("leader", "")),
        ("副组长", ("deputy", "")),
        ("办公室", ("office", "")),
        ("办公室主任", ("office", "")),
        ("成员", ("member", "")),
        ("资源配置组", ("", "资源配置组")),
        ("", ("", "")),
    ],
)
def test_roles_and_working_groups(raw, expected):
    assert cells.parse_role(raw) == expected


def test_text_undoes_the_export_escape_only_before_formula_characters():
    assert cells.text("'=SUM(A1)") == "=SUM(A1)"
    assert cells.text("'+补充") == "+补充"
    assert cells.text("'引号开头") == "'引号开头"


def test_messy_workbook_reads_as_intended():
    result = read(messy_plan_workbook())
    assert result.ok, [str(p) for p in result.problems]
    spec = result.spec
    assert spec.title == "示范县第一中学义务教育优质均衡发展实施方案任务分解表"
    assert [s.name for s in spec.stages] == ["准备阶段", "实施阶段", "验收阶段"]
    prep, impl, accept = spec.stages
    assert (prep.starts_on, prep.ends_on) == (D(2026, 3, 1), D(2026, 3, 31))
    assert [m.title for m in prep.measures] == ["成立工作领导小组", "开展调研评估"]
    lead = prep.measures[0]
    # The measure row defines window, owner slot and weight; a task's units join the measure's.
    assert (lead.starts_on, lead.ends_on, lead.weight, lead.slot.role) == (
        D(2026, 3, 1),
        D(2026, 3, 15),
        Decimal("2"),
        "leader",
    )
    assert lead.units == ["校长办公室", "政教处"]
    assert [(t.title, t.slot.role, t.starts_on, t.due_on, t.weight) for t in lead.tasks] == [
        ("印发领导小组成立文件", "office", D(2026, 3, 2), D(2026, 3, 5), Decimal("1")),
        ("召开领导小组第一次会议", "leader", None, D(2026, 3, 9), Decimal("10")),
    ]
    survey = prep.measures[1]
    assert survey.tasks[0].slot.group == "资源配置组" and survey.units == ["总务处", "教导处"]
    # A measure without its own row spans its tasks.
    assert (survey.starts_on, survey.ends_on) == (D(2026, 3, 5), D(2026, 3, 30))
    assert [t.title for t in impl.measures[0].tasks] == ["补充图书至生均25册以上", "+补充实验仪器"]
    # The repeated header and the 制表人 note are skipped; the measure continues after them.
    assert [t.title for t in accept.measures[0].tasks] == ["对照评估表逐项自评打分", "整理三类档案资料"]
    assert spec.counts() == {"stages": 3, "measures": 4, "tasks": 8, "indicators": 5, "criteria": 3}


def test_messy_indicators_and_criteria():
    spec = read(messy_plan_workbook()).spec
    got = [(i.name, i.unit, i.direction, i.target, i.measure) for i in spec.indicators]
    assert got == [
        ("生均图书", "册", "ge", Decimal("25"), "资源配置优化"),
        ("教师专科以上学历比例", "%", "ge", Decimal("95"), ""),
        ("初中辍学率", "%", "le", Decimal("2"), ""),
        ("学生体质健康合格率", "%", "ge", Decimal("95"), ""),
        ("生均校舍面积", "平方米", "ge", Decimal("14"), ""),
    ]
    assert [(c.category, c.point, c.max_score, c.applicable) for c in spec.criteria] == [
        ("资源配置", "生均教学及辅助用房面积达标", Decimal("10"), True),
        ("资源配置", "学校食堂建设达标", Decimal("5"), False),
        ("师资队伍", "教师学历达标", Decimal("15"), True),
    ]


def test_the_first_sheet_is_the_plan_when_none_is_named_so_and_columns_come_in_any_order():
    wb = Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    ws.append(["截止日期", "任务", "措施", "阶段", "无关列"])
    ws.append(["2026-05-01", "任务甲", "措施甲", "实施阶段", "随便"])
    spec = read(save(wb)).spec
    assert spec.stages[0].measures[0].tasks[0].due_on == D(2026, 5, 1)


def problems_of(data: bytes) -> list[tuple]:
    return [(p.sheet, p.row, p.column, p.level) for p in read(data).problems]


def test_every_problem_points_at_sheet_row_and_column():
    data = simple_workbook(
        [
            ["准备阶段", "措施甲", "任务一", "组长", None, None, "2026-03-01", "2026-02-01", 1],  # 2: due before start
            [None, "措施甲", "任务二", None, None, None, None, "明天", None],  # 3: bad date
            [None, None, "任务三", None, None, None, None, None, -1],  # 4: negative weight
            [None, None, None, "成员", None, None, None, None, None],  # 5: no task name
        ],
        指标=[
            ["指标", "目标值", "关联措施", "方向"],
            ["生均图书", "很多", "", ""],
            ["学历", "95%", "不存在的措施", ""],
            ["辍学率", "≥2%", "", "≤"],
        ],
    )
    problems = read(data).problems
    located = {(p.sheet, p.row, p.column) for p in problems if p.is_error}
    assert ("方案", 2, "H(截止日期)") in located
    assert ("方案", 3, "H(截止日期)") in located
    assert ("方案", 4, "I(权重)") in located
    assert ("方案", 5, "C(任务)") in located
    assert ("指标", 2, "B(目标值)") in located
    assert ("指标", 3, "C(关联措施)") in located
    assert ("指标", 4, "D(方向)") in located
    assert all(p.message for p in problems)


def test_missing_header_is_one_clear_problem():
    wb = Workbook()
    wb.active.append(["名称", "内容"])
    wb.active.append(["甲", "乙"])
    [problem] = read(save(wb)).problems
    assert problem.is_error and "阶段" in problem.message and "任务" in problem.message


def test_task_before_any_stage_is_a_problem():
    problems = problems_of(simple_workbook([[None, "措施", "任务", None, None, None, None, None, None]]))
    assert ("方案", 2, "A(阶段)", "error") in problems


def test_no_measures_at_all_is_a_problem():
    result = read(simple_workbook([]))
    assert not result.ok


@pytest.mark.parametrize("raw", ["1e30", 1e30, "12345678901234567890123456789", "99999999999"])
def test_huge_numbers_are_a_cell_problem_not_a_refused_file(raw):
    with pytest.raises(CellError, match="过大"):
        cells.parse_decimal(raw)

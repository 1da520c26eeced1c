"""Read a roster workbook (schools and staff) into a RosterSpec plus problems. No database access.

The caller must have passed the file through ``excel.safety.inspect_workbook`` first. The layout
rules are the plan workbook's (excel.reader): title rows above the header, header synonyms in any
order, full-width characters, blank and note rows skipped, repeated headers skipped; a blank
school cell on the 教职工 sheet repeats the value above (merged cells read as blank).

- sheet 学校 (or 学校名单): 学校代码, 学校名称, 乡镇 and/or 所属中心学校, 学段, 地址;
- sheet 教职工 (or 人员名单): 学校代码 or 学校名称, 姓名, 用户名, 手机号, 职务, 领导小组角色.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, BinaryIO

from openpyxl import load_workbook

from excel import cells
from excel.reader import HEADER_SCAN_ROWS, Header, _is_blank, _is_note, _load_failure_message, _rows
from excel.safety import WorkbookRefused, assert_defused
from excel.spec import Problem

SCHOOL_SHEET = "学校"
PEOPLE_SHEET = "教职工"
SHEET_NAMES = {
    SCHOOL_SHEET: ("学校", "学校名单", "单位", "单位名单", "学校信息"),
    PEOPLE_SHEET: ("教职工", "人员名单", "人员", "教职工名单", "教师名单", "账号"),
}
SCHOOL_COLUMNS: dict[str, tuple[str, ...]] = {
    "code": ("学校代码", "单位代码", "代码", "学校编码", "单位编码", "学校标识码"),
    "name": ("学校名称", "单位名称", "学校", "名称", "学校全称"),
    "township": ("乡镇", "所属乡镇", "乡镇街道", "乡镇（街道）"),
    "centre": ("所属中心学校", "中心学校", "上级单位", "所属中心校", "中心校"),
    "level": ("学段", "学校类别", "学校类型", "办学类型", "类别"),
    "address": ("地址", "学校地址", "详细地址", "通讯地址"),
}
PEOPLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "school_code": ("学校代码", "单位代码", "学校编码"),
    "school_name": ("学校名称", "单位名称", "学校", "所在学校", "所在单位"),
    "full_name": ("姓名", "教师姓名", "人员姓名"),
    "username": ("用户名", "账号", "登录名", "登录账号"),
    "phone": ("手机号", "手机", "手机号码", "联系电话", "电话"),
    "position": ("职务", "岗位", "职务岗位"),
    "role": ("领导小组角色", "领导小组职务", "小组角色", "领导小组"),
}
LEVELS = {
    "小学": "primary",
    "完全小学": "primary",
    "初中": "junior",
    "初级中学": "junior",
    "九年一贯制": "nine_year",
    "九年一贯制学校": "nine_year",
    "九年制": "nine_year",
    "完全中学": "complete",
    "完中": "complete",
}
ROLES = {
    "组长": "leader",
    "领导小组组长": "leader",
    "副组长": "deputy",
    "办公室主任": "office",
    "办公室": "office",
    "成员": "member",
    "组员": "member",
}


@dataclass
class SchoolItem:
    row: int
    code: str
    name: str
    township: str = ""
    centre: str = ""  # a centre school's name or code, as written
    level: str = ""
    address: str = ""


@dataclass
class PersonItem:
    row: int
    school_code: str
    school_name: str
    full_name: str
    username: str = ""
    phone: str = ""
    position: str = ""
    role: str = ""  # leader / deputy / office / member, or ""


@dataclass
class RosterSpec:
    schools: list[SchoolItem] = field(default_factory=list)
    people: list[PersonItem] = field(default_factory=list)
    # Where things were found, for problems raised later: sheet titles as written, and each
    # field's column as "B(单位代码)".
    sheets: dict[str, str] = field(default_factory=dict)
    columns: dict[str, dict[str, str]] = field(default_factory=dict)

    def sheet(self, name: str) -> str:
        return self.sheets.get(name, name)

    def where(self, sheet: str, name: str, fallback: str) -> str:
        return self.columns.get(sheet, {}).get(name) or fallback

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RosterSpec:
        return cls(
            schools=[SchoolItem(**d) for d in data.get("schools", [])],
            people=[PersonItem(**d) for d in data.get("people", [])],
            sheets=dict(data.get("sheets", {})),
            columns={k: dict(v) for k, v in data.get("columns", {}).items()},
        )


@dataclass
class RosterRead:
    spec: RosterSpec
    problems: list[Problem]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]


def read_roster(fileobj: BinaryIO | str) -> RosterRead:
    """Parse both sheets; every problem is collected."""
    assert_defused()
    try:
        workbook = load_workbook(fileobj, read_only=True, data_only=True, keep_links=False)
    except Exception as exc:
        raise WorkbookRefused(_load_failure_message(exc)) from exc
    try:
        spec, problems = RosterSpec(), []
        school_sheet, people_sheet = _sheet(workbook, SCHOOL_SHEET), _sheet(workbook, PEOPLE_SHEET)
        if school_sheet is None and people_sheet is None:
            problems.append(Problem(SCHOOL_SHEET, None, "", "找不到“学校”或“教职工”工作表。"))
        if school_sheet is not None:
            _read_schools(school_sheet, spec, problems)
        if people_sheet is not None:
            _read_people(people_sheet, spec, problems)
        return RosterRead(spec, problems)
    except WorkbookRefused:
        raise
    except Exception as exc:
        raise WorkbookRefused(_load_failure_message(exc)) from exc
    finally:
        workbook.close()


def _sheet(workbook, wanted: str):
    names = {cells.key(n): n for n in workbook.sheetnames}
    for synonym in SHEET_NAMES[wanted]:
        if cells.key(synonym) in names:
            return workbook[names[cells.key(synonym)]]
    return None


def _header(rows, synonyms: dict[str, tuple[str, ...]], required: tuple[tuple[str, ...], ...]) -> Header | None:
    """The first row (of the first 20) naming one column of each group in ``required``."""
    lookup = {cells.key(word): name for name, words in synonyms.items() for word in words}
    for number, row in rows:
        columns: dict[str, int] = {}
        labels: dict[str, str] = {}
        for index, value in enumerate(row):
            if isinstance(value, str) and len(value) <= 30:
                name = lookup.get(cells.key(value))
                if name and name not in columns:
                    columns[name], labels[name] = index, cells.text(value)
        if all(any(name in columns for name in group) for group in required):
            return Header(number, columns, labels)
        if number >= HEADER_SCAN_ROWS:
            break
    return None


def _remember(spec: RosterSpec, canonical: str, title: str, header: Header) -> None:
    spec.sheets[canonical] = title
    spec.columns[canonical] = {name: header.where(name) for name in header.columns}


class _SheetReader:
    def __init__(self, sheet_name: str, header: Header, problems: list[Problem]):
        self.sheet_name, self.header, self.problems = sheet_name, header, problems

    def problem(self, row: int, column: str, message: str) -> None:
        self.problems.append(Problem(self.sheet_name, row, self.header.where(column), message))

    def text(self, number: int, row: tuple, column: str, limit: int) -> str:
        value = cells.text(self.header.get(row, column))
        if len(value) > limit:
            self.problem(number, column, f"内容超过 {limit} 个字。")
            return value[:limit]
        return value

    def keyword(self, number: int, row: tuple, column: str, table: dict[str, str], what: str) -> str:
        raw = self.text(number, row, column, 30)
        if not raw:
            return ""
        value = table.get(cells.key(raw))
        if value is None:
            self.problem(number, column, f"无法识别的{what}“{raw}”，可填：{'、'.join(dict.fromkeys(table))}。")
            return ""
        return value

    def is_repeated_header(self, row: tuple, column: str) -> bool:
        value = cells.text(self.header.get(row, column))
        return bool(value) and value == self.header.labels.get(column)


def _read_schools(sheet, spec: RosterSpec, problems: list[Problem]) -> None:
    rows = _rows(sheet)
    header = _header(rows, SCHOOL_COLUMNS, (("code",), ("name",)))
    if header is None:
        problems.append(
            Problem(sheet.title, None, "", f"前 {HEADER_SCAN_ROWS} 行中找不到表头：须包含 学校代码、学校名称 列。")
        )
        return
    _remember(spec, SCHOOL_SHEET, sheet.title, header)
    reader = _SheetReader(sheet.title, header, problems)
    for number, row in rows:
        if _is_blank(row) or _is_note(row) or reader.is_repeated_header(row, "code"):
            continue
        code = cells.nfkc(reader.text(number, row, "code", 32))
        name = reader.text(number, row, "name", 100)
        if not code:
            reader.problem(number, "code", "学校代码为空。")
        if not name:
            reader.problem(number, "name", "学校名称为空。")
        spec.schools.append(
            SchoolItem(
                row=number,
                code=code,
                name=name,
                township=reader.text(number, row, "township", 50),
                centre=reader.text(number, row, "centre", 100),
                level=reader.keyword(number, row, "level", LEVELS, "学段"),
                address=reader.text(number, row, "address", 200),
            )
        )
    if not spec.schools:
        problems.append(Problem(sheet.title, None, "", f"“{sheet.title}”工作表中没有任何学校。"))


def _read_people(sheet, spec: RosterSpec, problems: list[Problem]) -> None:
    rows = _rows(sheet)
    header = _header(rows, PEOPLE_COLUMNS, (("school_code", "school_name"), ("full_name",)))
    if header is None:
        problems.append(
            Problem(
                sheet.title, None, "", f"前 {HEADER_SCAN_ROWS} 行中找不到表头：须包含 学校代码（或学校名称）、姓名 列。"
            )
        )
        return
    _remember(spec, PEOPLE_SHEET, sheet.title, header)
    reader = _SheetReader(sheet.title, header, problems)
    school_code = school_name = ""
    for number, row in rows:
        if _is_blank(row) or _is_note(row) or reader.is_repeated_header(row, "full_name"):
            continue
        code = cells.nfkc(reader.text(number, row, "school_code", 32))
        name = reader.text(number, row, "school_name", 100)
        if code or name:  # a blank (or merged) school cell repeats the one above
            school_code, school_name = code, name
        full_name = reader.text(number, row, "full_name", 50)
        if not full_name:
            reader.problem(number, "full_name", "姓名为空。")
            continue
        if not (school_code or school_name):
            reader.problem(
                number, "school_code" if "school_code" in header.columns else "school_name", "没有填写学校。"
            )
            continue
        spec.people.append(
            PersonItem(
                row=number,
                school_code=school_code,
                school_name=school_name,
                full_name=full_name,
                username=cells.nfkc(reader.text(number, row, "username", 150)),
                phone=reader.text(number, row, "phone", 30),
                position=reader.text(number, row, "position", 50),
                role=reader.keyword(number, row, "role", ROLES, "领导小组角色"),
            )
        )
    if not spec.people:
        problems.append(Problem(sheet.title, None, "", f"“{sheet.title}”工作表中没有任何人员。"))

"""The inspectors' 评分表 workbook: the plan's acceptance form exported as xlsx for one inspection
round, filled in offline, and read back. This module builds and parses the file only (no writes);
excel.scoresheet_services runs the dry run and the confirmed write.

Layout (sheet 评分表): a caption row, a header row, then one row per applicable criterion with its
category, point, points, the four tiers' points and the school's self-rating (all locked), and the
two columns an inspector fills in, 评定档次 (1–4 or 完全达到/基本达到/基本达不到/未达到) and 评语
(unlocked, the tier column with a drop-down list). A hidden column holds each criterion's id and a
very hidden sheet identifies the plan, the application (round) and the inspector it was made for,
signed with the site's key: a sheet of another plan or round is recognised on upload, and a sheet
whose identification was edited is refused. Every text cell goes through excel.writer.safe (no
formula can be written); reading uses openpyxl's read-only, values-only mode after
excel.safety.inspect_workbook, so a formula typed into a cell is never evaluated: it reads as its
text, refused in the tier column and kept as plain text in a remark.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO, Any, BinaryIO

from django.core import signing
from django.utils.crypto import constant_time_compare
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from acceptance.models import TIERS, AcceptanceCriterion, Application, SelfRating
from acceptance.selectors import criterion_lines, form_rules
from excel import cells
from excel.cells import CellError
from excel.safety import WorkbookRefused, assert_defused, inspect_workbook
from excel.spec import Problem
from excel.writer import safe

SHEET = "评分表"
META_SHEET = "识别信息"
META_KIND = "plan-hub/acceptance-scoresheet"
FORMAT = "1"
_SALT = "excel.scoresheet"
HEADER_SCAN_ROWS = 10
MAX_REMARK = 1000

TIER_COLUMN = "评定档次"
REMARK_COLUMN = "评语"
ID_COLUMN = "要点编号"
COLUMNS: tuple[tuple[str, float], ...] = (
    ("序号", 6),
    ("类别", 14),
    ("评估要点", 48),
    ("分值", 7),
    *((label, 11) for _, label in TIERS),
    ("学校自评", 22),
    (TIER_COLUMN, 12),
    (REMARK_COLUMN, 36),
    (ID_COLUMN, 10),
)
_TIER_INDEX = 9  # 0-based positions in COLUMNS
_REMARK_INDEX = 10
_ID_INDEX = 11
TIER_WORDS = {label.split(" ", 1)[1]: value for value, label in TIERS}  # 完全达到 → 1 …
_TIER_TEXT = re.compile(r"(?:第)?([1-4])(?:档|级)?(.*)")
TIER_HELP = "请填写 1–4 或 完全达到/基本达到/基本达不到/未达到"

_HEADER_FONT = Font(bold=True, color="FFFFFF")
_HEADER_FILL = PatternFill("solid", fgColor="1D5FA8")
_FILL_IN = PatternFill("solid", fgColor="FFF7D6")
_WRAP = Alignment(wrap_text=True, vertical="top")


# --- building ------------------------------------------------------------------------------------


def _signature(plan_id: int, application_id: int, inspector_id: int) -> str:
    return signing.Signer(salt=_SALT).signature(f"{plan_id}:{application_id}:{inspector_id}")


def _self_rating_text(rating: SelfRating | None) -> str:
    if rating is None:
        return "未自评"
    if rating.not_applicable:
        return f"申报不适用：{rating.na_reason}"
    label = dict(TIERS).get(rating.tier or 0, "未自评")
    return f"{label}:{rating.note}" if rating.note else label


def scoresheet_workbook(application: Application, inspector: Any) -> IO[bytes]:
    """The 评分表 of one round for one inspector, as an xlsx file (rewound). The caller checks the
    inspector may rate (acceptance.permissions.can_rate_as_inspector)."""
    plan = application.plan
    rules = form_rules(plan)
    selfs = {s.criterion_id: s for s in SelfRating.objects.filter(criterion__plan=plan)}
    lines = [(c, points) for c, points in criterion_lines(plan, rules) if c.applicable]
    book = Workbook()
    ws = book.active
    ws.title = SHEET
    caption = f"{plan.school.name} · {plan.title} · 第{application.round}轮验收评分表 · 评估员：{inspector}"
    ws.append([safe(caption)])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([name for name, _ in COLUMNS])
    for index, (_, width) in enumerate(COLUMNS, start=1):
        cell = ws.cell(row=2, column=index)
        cell.font, cell.fill = _HEADER_FONT, _HEADER_FILL
        ws.column_dimensions[get_column_letter(index)].width = width
    for criterion, points in lines:
        ws.append(_criterion_row(criterion, points, selfs.get(criterion.pk)))
        row = ws.max_row
        ws.cell(row=row, column=3).alignment = _WRAP
        for index in (_TIER_INDEX, _REMARK_INDEX):
            cell = ws.cell(row=row, column=index + 1)
            cell.protection = Protection(locked=False)
            cell.fill = _FILL_IN
    last = max(ws.max_row, 3)
    tier_letter = get_column_letter(_TIER_INDEX + 1)
    choices = ",".join([str(v) for v, _ in TIERS] + list(TIER_WORDS))
    validation = DataValidation(type="list", formula1=f'"{choices}"', allow_blank=True, showErrorMessage=True,
                                errorTitle="评定档次", error=TIER_HELP + "。")
    ws.add_data_validation(validation)
    validation.add(f"{tier_letter}3:{tier_letter}{last}")
    ws.column_dimensions[get_column_letter(_ID_INDEX + 1)].hidden = True
    ws.freeze_panes = "D3"
    # Locked cells keep the form as issued; the fill-in columns are unlocked. No password: the lock
    # guards against slips, and the signed identification below guards the ids.
    ws.protection.sheet = True
    ws.protection.formatColumns = False
    ws.protection.formatRows = False
    _write_meta(book, application, inspector)
    handle = tempfile.TemporaryFile(suffix=".xlsx")
    book.save(handle)
    handle.seek(0)
    return handle


def _criterion_row(criterion: AcceptanceCriterion, points: tuple[Decimal, ...], rating: SelfRating | None) -> list[Any]:
    return [
        criterion.order,
        safe(criterion.category),
        safe(criterion.point),
        criterion.max_score,
        *points,
        safe(_self_rating_text(rating)),
        None,
        None,
        criterion.pk,
    ]


def _write_meta(book: Workbook, application: Application, inspector: Any) -> None:
    meta = book.create_sheet(META_SHEET)
    rows = (
        ("kind", META_KIND),
        ("format", FORMAT),
        ("plan", application.plan_id),
        ("application", application.pk),
        ("round", application.round),
        ("inspector", inspector.pk),
        ("signature", _signature(application.plan_id, application.pk, inspector.pk)),
    )
    for row in rows:
        meta.append(list(row))
    meta.sheet_state = "veryHidden"
    meta.protection.sheet = True


# --- reading -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Identity:
    plan_id: int
    application_id: int
    round: int
    inspector_id: int


@dataclass
class SheetRow:
    row: int  # the Excel row number
    criterion_id: int
    tier: int
    remark: str


@dataclass
class ReadSheet:
    identity: Identity
    rows: list[SheetRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    blank: int = 0  # criteria rows left without a tier


NOT_OURS = "这不是本系统导出的验收评分表（缺少识别信息）。请在评分页面下载评分表，在其中填写后再上传。"
TAMPERED = "评分表的识别信息被修改过，无法确认它属于哪一次验收。请重新下载评分表填写后再上传。"


def read_scoresheet(fileobj: BinaryIO) -> ReadSheet:
    """Check (excel.safety) and parse a filled-in 评分表. Raises WorkbookRefused for a file that is
    hostile, unreadable or not one of our 评分表; cell problems are collected, by row and column."""
    inspect_workbook(fileobj)
    assert_defused()
    try:
        # Not data_only: a formula reads as its text ("=…"), never as a value someone else computed.
        workbook = load_workbook(fileobj, read_only=True, data_only=False, keep_links=False)
    except Exception as exc:  # defusedxml's refusals, broken XML, missing parts
        raise WorkbookRefused("无法读取该文件：文件已损坏、含有不安全的内容或不是标准的 xlsx 工作簿。") from exc
    try:
        identity = _identity(workbook)
        if SHEET not in workbook.sheetnames:
            raise WorkbookRefused(f"找不到“{SHEET}”工作表。请使用从评分页面下载的评分表。")
        result = ReadSheet(identity=identity)
        _read_rows(workbook[SHEET], result)
        return result
    except WorkbookRefused:
        raise
    except Exception as exc:
        raise WorkbookRefused("无法读取该文件：文件已损坏或不是标准的 xlsx 工作簿。") from exc
    finally:
        workbook.close()


def _identity(workbook: Any) -> Identity:
    if META_SHEET not in workbook.sheetnames:
        raise WorkbookRefused(NOT_OURS)
    values: dict[str, str] = {}
    for row in workbook[META_SHEET].iter_rows(min_row=1, max_row=20, max_col=2, values_only=True):
        if row and row[0] is not None:
            values[cells.text(row[0])] = cells.text(row[1] if len(row) > 1 else None)
    if values.get("kind") != META_KIND:
        raise WorkbookRefused(NOT_OURS)
    if values.get("format") != FORMAT:
        raise WorkbookRefused("评分表的版本不受支持，请重新下载评分表。")
    try:
        ids = [int(values[name]) for name in ("plan", "application", "round", "inspector")]
    except (KeyError, ValueError):
        raise WorkbookRefused(TAMPERED) from None
    expected = _signature(ids[0], ids[1], ids[3])
    if not constant_time_compare(values.get("signature", ""), expected):
        raise WorkbookRefused(TAMPERED)
    return Identity(plan_id=ids[0], application_id=ids[1], round=ids[2], inspector_id=ids[3])


def _read_rows(sheet: Any, result: ReadSheet) -> None:
    header_row = None
    seen: dict[int, int] = {}
    for number, values in enumerate(sheet.iter_rows(max_col=len(COLUMNS) + 5, values_only=True), start=1):
        values = tuple(values) + (None,) * (len(COLUMNS) - len(values))
        if header_row is None:
            if [cells.key(v) for v in values[: len(COLUMNS)]] == [cells.key(n) for n, _ in COLUMNS]:
                header_row = number
            elif number >= HEADER_SCAN_ROWS:
                raise WorkbookRefused(f"“{SHEET}”工作表的表头被修改过，无法读取。请使用从评分页面下载的评分表。")
            continue
        _read_row(number, values, result, seen)
    if header_row is None:
        raise WorkbookRefused(f"“{SHEET}”工作表的表头被修改过，无法读取。请使用从评分页面下载的评分表。")


def _problem(result: ReadSheet, row: int, column: str, message: str, level: str = "error") -> None:
    result.problems.append(Problem(SHEET, row, column, message, level))


def _read_row(number: int, values: tuple[Any, ...], result: ReadSheet, seen: dict[int, int]) -> None:
    raw_id, raw_tier, raw_remark = values[_ID_INDEX], values[_TIER_INDEX], values[_REMARK_INDEX]
    tier_text, remark = cells.text(raw_tier), cells.text(raw_remark)
    if raw_id is None and not tier_text and not remark:
        return  # a blank or note row below the table
    criterion_id = _criterion_id(raw_id)
    if criterion_id is None:
        _problem(result, number, ID_COLUMN, "要点编号缺失或被修改，无法确定是哪一项评估要点。请使用下载的评分表，不要增删或改动隐藏列。")
        return
    if criterion_id in seen:
        _problem(result, number, ID_COLUMN, f"与第 {seen[criterion_id]} 行是同一项评估要点，每项只能填写一次。")
        return
    seen[criterion_id] = number
    if not tier_text:
        if remark:
            _problem(result, number, TIER_COLUMN, "填写了评语但没有填写评定档次。")
        else:
            result.blank += 1
        return
    if isinstance(raw_tier, str) and raw_tier.startswith("="):
        _problem(result, number, TIER_COLUMN, f"评定档次是公式“{raw_tier[:20]}”：{TIER_HELP}，不要填写公式。")
        return
    if isinstance(raw_remark, str) and raw_remark.startswith("="):
        _problem(result, number, REMARK_COLUMN, "评语是公式，将按文字原样保存（不会计算）。", "warning")
    try:
        tier = parse_tier(raw_tier)
    except CellError as exc:
        _problem(result, number, TIER_COLUMN, exc.message)
        return
    if len(remark) > MAX_REMARK:
        _problem(result, number, REMARK_COLUMN, f"评语超过 {MAX_REMARK} 字，将只保存前 {MAX_REMARK} 字。", "warning")
        remark = remark[:MAX_REMARK]
    result.rows.append(SheetRow(row=number, criterion_id=criterion_id, tier=tier, remark=remark))


def _criterion_id(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value > 0 else None
    if isinstance(value, float) and value.is_integer() and value > 0:
        return int(value)
    text = cells.text(value)
    return int(text) if text.isdecimal() and int(text) > 0 else None


def parse_tier(value: Any) -> int:
    """1–4 (also 1档, 第1档, full-width digits), a tier's words (完全达到 …) or both (1档 完全达到)."""
    text = cells.key(cells.text(value))
    if text in TIER_WORDS:
        return TIER_WORDS[text]
    match = _TIER_TEXT.fullmatch(text)
    if match and (not match.group(2) or TIER_WORDS.get(match.group(2)) == int(match.group(1))):
        return int(match.group(1))
    raise CellError(f"评定档次“{cells.text(value)[:20]}”无效：{TIER_HELP}。")

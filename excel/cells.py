"""Reading messy cell values: text, dates, numbers, percentages, directions, yes/no, roles.

Each parser takes the raw value openpyxl gives (str, int, float, datetime, None) and answers a
Python value or raises CellError with a Chinese message. Numbers, dates and keywords are read after
NFKC normalisation, so full-width digits and punctuation (２０２５年３月１０日, ９５％, ＞＝) work;
free text (titles, names) keeps the user's own characters.
"""

from __future__ import annotations

import datetime
import functools
import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

EXCEL_EPOCH = datetime.date(1899, 12, 30)
# Export escapes a text cell that would read as a formula by putting this in front (excel.writer).
ESCAPE_PREFIX = "'"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


class CellError(ValueError):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def nfkc(value: str) -> str:
    return unicodedata.normalize("NFKC", value)


def text(value: Any) -> str:
    """Cell as trimmed text; '' for empty. Undoes the export's formula escape."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime.datetime):
        value = value.date() if value.time() == datetime.time() else value
    if isinstance(value, datetime.date):
        return value.isoformat()
    result = str(value).replace("\u3000", " ").strip()
    if result.startswith(ESCAPE_PREFIX) and result[1:2] and result[1] in FORMULA_STARTS:
        result = result[1:]
    return result


def key(value: Any) -> str:
    """Normalised form for comparing headers and keywords: NFKC, no spaces, no * or ※ markers."""
    if isinstance(value, str):
        return _key(value) if len(value) <= 64 else _key.__wrapped__(value)
    return _key.__wrapped__(text(value))


@functools.lru_cache(maxsize=4096)
def _key(value: str) -> str:
    result = nfkc(text(value)).lower()
    result = re.sub(r"[\s*※:]", "", result)
    # "截止日期(年/月/日)" and "权重(%)" are still the same headers.
    return re.sub(r"\(.*?\)$", "", result)


_DATE_TEXT = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?$"
)
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")


def parse_date(value: Any) -> datetime.date | None:
    """Excel dates, serial numbers, 2025-03-10, 2025/3/10, 2025年3月10日, 2025.3.10, 20250310."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if 20000 <= value <= 80000:  # an Excel serial day number without a date format
            return EXCEL_EPOCH + datetime.timedelta(days=int(value))
        value = str(int(value)) if float(value).is_integer() else str(value)
    raw = nfkc(text(value))
    if not raw:
        return None
    match = _DATE_TEXT.match(raw) or _COMPACT_DATE.match(raw)
    if not match:
        raise CellError(f"无法识别的日期“{raw}”，请写成 2025-03-10 或 2025年3月10日。")
    try:
        return datetime.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError as exc:
        raise CellError(f"日期“{raw}”不存在。") from exc


_NUMBER = re.compile(r"^[-+]?(\d+(\.\d*)?|\.\d+)")


def parse_decimal(value: Any, *, places: int = 4) -> Decimal | None:
    """A plain number ('2', '２', 1.5, '1,200'); None for empty."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise CellError("这里需要填写数字。")
    if isinstance(value, int | float | Decimal):
        number = Decimal(str(value))
    else:
        raw = nfkc(text(value)).replace(",", "").replace(" ", "")
        if not raw:
            return None
        try:
            number = Decimal(raw)
        except InvalidOperation as exc:
            raise CellError(f"“{raw}”不是数字。") from exc
    if not number.is_finite():
        raise CellError("这里需要填写数字。")
    if abs(number) >= 10**10:
        raise CellError("数值过大（不能超过 10 位整数）。")
    return number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


_GE_WORDS = (">=", "≥", "≧", ">", "不低于", "不少于", "不小于", "达到", "大于等于", "高于", "大于")
_LE_WORDS = ("<=", "≤", "≦", "<", "不高于", "不超过", "不大于", "小于等于", "控制在", "低于", "小于")


def parse_direction(value: Any) -> str | None:
    """'ge' (≥, higher is better) or 'le' (≤); None when empty."""
    raw = key(value)
    if not raw:
        return None
    if raw in ("ge", "≥", ">=", "高", "越高越好", "不低于", "以上", "上限") or raw.startswith(_GE_WORDS):
        return "ge"
    if raw in ("le", "≤", "<=", "低", "越低越好", "不高于", "以下", "以内") or raw.startswith(_LE_WORDS):
        return "le"
    raise CellError(f"无法识别的方向“{text(value)}”，请填写 ≥ 或 ≤。")


def parse_target(
    value: Any, unit: str, *, percent_format: bool = False
) -> tuple[Decimal | None, str | None, str, bool]:
    """An indicator target: (number, direction or None, unit, scaled).

    Reads '95', '95%', '≥95%', '不低于95%', '14平方米' and 0.95. With a '%' unit (given, or found in
    the cell) a bare number of at most 1, or a percent-formatted cell, is a fraction and is scaled
    by 100 (``scaled`` is True so the caller can say so).
    """
    if value is None or value == "":
        return None, None, unit, False
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        number = parse_decimal(value, places=6)
        if percent_format or (unit == "%" and number is not None and abs(number) <= 1):
            return _scale(number), None, unit or "%", True
        return _quantize(number), None, unit, False
    raw = nfkc(text(value)).replace(" ", "").replace(",", "")
    direction = None
    for words, found in ((_GE_WORDS, "ge"), (_LE_WORDS, "le")):
        for word in words:
            if raw.startswith(word):
                direction, raw = found, raw[len(word) :]
                break
        if direction:
            break
    for suffix, found in (("以上", "ge"), ("以下", "le"), ("以内", "le")):
        if raw.endswith(suffix):
            direction, raw = direction or found, raw[: -len(suffix)]
    match = _NUMBER.match(raw)
    if not match:
        raise CellError(f"无法识别的目标值“{text(value)}”，请填写数字，如 95% 或 ≥14。")
    number = Decimal(match.group(0))
    rest = raw[match.end() :]
    if rest.startswith("%"):
        return _quantize(number), direction, unit or "%", False
    if unit == "%" and abs(number) <= 1 and not rest:
        return _scale(number), direction, unit, True
    return _quantize(number), direction, unit or rest[:20], False


def _scale(number: Decimal | None) -> Decimal | None:
    return None if number is None else _quantize(number * 100)


def _quantize(number: Decimal | None) -> Decimal | None:
    return None if number is None else number.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


_YES = {"是", "适用", "y", "yes", "true", "1", "√", "✓", "✔", "有", "对"}
_NO = {"否", "不适用", "n", "no", "false", "0", "×", "✗", "✘", "x", "无", "不"}


def parse_bool(value: Any, *, default: bool = True) -> bool:
    """是/否, 适用/不适用, √/×, Y/N; empty is ``default``."""
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    raw = key(value)
    if not raw:
        return default
    if raw in _YES:
        return True
    if raw in _NO:
        return False
    raise CellError(f"无法识别“{text(value)}”，请填写 是 或 否。")


ROLE_WORDS = {
    "leader": ("组长", "校长", "领导小组组长", "书记", "校长（组长）"),
    "deputy": ("副组长", "副校长", "分管副校长", "分管校长", "分管领导", "领导小组副组长"),
    "office": ("办公室", "办公室主任", "领导小组办公室", "领导小组办公室主任", "办公室（主任）"),
    "member": ("成员", "组员", "领导小组成员"),
}
ROLE_LABELS = {"leader": "组长", "deputy": "副组长", "office": "办公室", "member": "成员"}
_ROLE_LOOKUP = {nfkc(word).lower(): role for role, words in ROLE_WORDS.items() for word in words}


def parse_role(value: Any) -> tuple[str, str]:
    """('leader'|'deputy'|'office'|'member', '') for a seat role, ('', name) for a working group,
    ('', '') for empty."""
    raw = text(value)
    if not raw:
        return "", ""
    role = _ROLE_LOOKUP.get(key(raw))
    if role:
        return role, ""
    if len(raw) > 50:
        raise CellError("责任角色或专业工作组名称不能超过 50 个字。")
    return "", raw


def split_units(value: Any) -> list[str]:
    """责任单位: several units separated by 、,,;;/ or new lines."""
    raw = text(value)
    return [part.strip() for part in re.split(r"[\u3001,\uff0c;\uff1b/\n]+", raw) if part.strip()]

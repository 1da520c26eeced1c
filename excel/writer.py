"""Writing xlsx files: openpyxl write-only mode, Chinese headers, frozen header row, column widths,
dates as real dates, and no cell that Excel could run as a formula.

Escaping: a text cell that starts with = + - @, a tab, CR or LF is written with a leading
apostrophe (``'=SUM(A1)``), so Excel shows it as text and never evaluates it; characters XML cannot
hold (other control characters) are dropped. The importer removes that apostrophe again, so an
exported plan workbook imports unchanged.
"""

from __future__ import annotations

import datetime
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import IO, Any

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from excel.cells import ESCAPE_PREFIX, FORMULA_STARTS

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_HEADER_FONT = Font(bold=True, color="FFFFFF")
_HEADER_FILL = PatternFill("solid", fgColor="1D5FA8")
_CAPTION_FONT = Font(bold=True, size=14)
_HEADER_ALIGN = Alignment(horizontal="center", vertical="center", wrap_text=True)


def safe_text(value: str) -> str:
    """A string Excel will show as typed: illegal characters dropped, formula starts escaped."""
    if not value.isprintable():  # rare; every illegal character is unprintable, so this skips the regex
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if value.startswith(FORMULA_STARTS):
        return ESCAPE_PREFIX + value
    return value


def safe(value: Any) -> Any:
    """One cell value, ready for openpyxl."""
    if value is None:
        return None
    if isinstance(value, str):
        if not value:
            return None
        return safe_text(value)
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime.datetime):
        # Excel has no time zones: local wall-clock time, as the user sees it on the page.
        return timezone.localtime(value).replace(tzinfo=None, microsecond=0) if timezone.is_aware(value) else value
    return value


@dataclass(frozen=True)
class Column:
    header: str
    width: float = 12


class Sheet:
    def __init__(self, book: XlsxBook, title: str, columns: Sequence[Column], caption: str = ""):
        self.ws = book.workbook.create_sheet(title=title[:31])
        for index, column in enumerate(columns, start=1):
            self.ws.column_dimensions[get_column_letter(index)].width = column.width
        top = 2 if caption else 1
        # Write-only sheets take their view settings before the first row is written.
        self.ws.freeze_panes = f"A{top + 1}"
        self.ws.auto_filter.ref = f"A{top}:{get_column_letter(len(columns))}{top}"
        self.ws.print_title_rows = f"{top}:{top}"
        if caption:  # a title row above the header, as printed tables have (the importer reads it)
            cell = WriteOnlyCell(self.ws, value=safe(caption))
            cell.font = _CAPTION_FONT
            self.ws.append([cell])
        header = []
        for column in columns:
            cell = WriteOnlyCell(self.ws, value=safe(column.header))
            cell.font, cell.fill, cell.alignment = _HEADER_FONT, _HEADER_FILL, _HEADER_ALIGN
            header.append(cell)
        self.ws.append(header)
        self.width = len(columns)

    def append(self, values: Sequence[Any]) -> None:
        self.ws.append([safe(v) for v in values])

    def append_cells(self, values: Sequence[Any], formats: dict[int, str]) -> None:
        """A row where some cells need a number format (column index -> format)."""
        row: list[Any] = []
        for index, value in enumerate(values):
            value = safe(value)
            if index in formats and value is not None:
                cell = WriteOnlyCell(self.ws, value=value)
                cell.number_format = formats[index]
                row.append(cell)
            else:
                row.append(value)
        self.ws.append(row)

    def extend(self, rows: Iterable[Sequence[Any]]) -> None:
        append, clean = self.ws.append, safe
        for values in rows:
            append([clean(v) for v in values])


class XlsxBook:
    """A write-only workbook saved to a temporary file (large exports never sit in memory)."""

    def __init__(self) -> None:
        self.workbook = Workbook(write_only=True)

    def sheet(self, title: str, columns: Sequence[Column], caption: str = "") -> Sheet:
        return Sheet(self, title, columns, caption)

    def save(self, target: IO[bytes] | str | None = None) -> IO[bytes]:
        handle = target if target is not None else tempfile.TemporaryFile(suffix=".xlsx")
        self.workbook.save(handle)
        if hasattr(handle, "seek"):
            handle.seek(0)
        return handle

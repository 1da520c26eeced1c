"""The history pages' xlsx export: exactly the rows the page's filter shows, oldest first, with the
page's readable columns plus the ids (write-only workbook, formula-escaped by excel.writer)."""

from __future__ import annotations

from collections.abc import Iterable

from audit.models import AuditEntry
from excel.writer import Column, XlsxBook
from history import selectors
from history.sentences import describe

BATCH = 2000

COLUMNS = [
    Column("序号", 8),
    Column("时间（北京时间）", 20),
    Column("学校", 16),
    Column("操作人", 12),
    Column("职务/席位", 12),
    Column("动作", 12),
    Column("对象", 30),
    Column("原状态", 10),
    Column("新状态", 10),
    Column("原因", 30),
    Column("说明", 50),
    Column("方案ID", 8),
    Column("对象类型", 16),
    Column("对象ID", 8),
    Column("操作人ID", 8),
    Column("哈希", 20),
]


def history_book(entries: Iterable[AuditEntry], *, county: bool) -> XlsxBook:
    book = XlsxBook()
    sheet = book.sheet("操作记录", COLUMNS)
    chunk: list[AuditEntry] = []

    def flush() -> None:
        schools = selectors.school_names({e.plan_id for e in chunk if e.plan_id}) if county else {}
        for line in describe(chunk, schools):
            e = line.entry
            sheet.append(
                [
                    e.seq,
                    line.when.replace(tzinfo=None, microsecond=0),
                    line.school,
                    line.who,
                    line.seat,
                    line.label,
                    line.subject,
                    line.from_label,
                    line.to_label,
                    line.reason,
                    line.sentence,
                    e.plan_id,
                    e.target_type,
                    e.target_id,
                    e.actor_id,
                    e.hash,
                ]
            )
        chunk.clear()

    for entry in entries:
        chunk.append(entry)
        if len(chunk) >= BATCH:
            flush()
    flush()
    return book

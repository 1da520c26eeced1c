"""The archive's catalogues (总目录, 分卷目录, 卷内文件目录) as an xlsx workbook (openpyxl write-only)
and as a PDF ready to print with the box and volume labels (reportlab).

Font: the rules ask for 黑体; no 黑体 font ships with the product (and none may be fetched), so the
PDF uses reportlab's built-in CJK font STSong-Light (宋体, a CID font the PDF viewer supplies), at
the sizes the rules give: box label 一号 (26 pt), volume label 小一号 (24 pt).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

from openpyxl import Workbook
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from archives.selectors import ArchiveTree, ItemRow, VolumeRow

FONT = "STSong-Light"
BOX_LABEL_PT = 26  # 一号
VOLUME_LABEL_PT = 24  # 小一号
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f]")


def _cell(value: object) -> object:
    """A text cell Excel shows as typed, never as a formula."""
    if isinstance(value, str):
        text = _CONTROL.sub("", value)
        return "'" + text if text.startswith(_FORMULA_STARTS) else text
    return value


def checkpoint_line(tree: ArchiveTree) -> str:
    cp = tree.checkpoint
    if cp is None:
        return "操作记录检查点：暂无"
    return f"操作记录检查点：#{cp.seq} {cp.head_hash} （签署于 {cp.signed_at} UTC）"


def heading_lines(tree: ArchiveTree) -> list[str]:
    plan = tree.plan
    state = "已随方案验收冻结" if plan.status == "completed" else "整理中"
    return [
        f"{plan.school.name} · {plan.title}（{plan.year} 年度）",
        f"档案方案：{tree.scheme.title if tree.scheme else '—'} · 状态：{state}",
        checkpoint_line(tree),
    ]


def _years(row: ItemRow) -> str:
    years = row.years
    return f"{years[0]}—{years[-1]}" if years else ""


def catalogue_rows(tree: ArchiveTree) -> dict[str, Iterator[list[object]]]:
    """The three catalogues as rows (header first), shared by the workbook and the tests."""

    def general() -> Iterator[list[object]]:
        yield ["卷号", "分类", "分卷", "盒数", "条目数", "文件数"]
        for v in tree.volumes:
            yield [v.no, v.category.title, v.volume.title, v.volume.boxes, len(v.items), v.file_count]

    def volumes() -> Iterator[list[object]]:
        yield ["编号", "分卷", "条目", "年限", "缺少年度", "文件数", "完整性"]
        for v in tree.volumes:
            for i in v.items:
                missing = "、".join(str(y) for y in i.missing_years)
                yield [i.number, v.volume.title, i.item.title, _years(i), missing, len(i.files), i.status_label]

    def files() -> Iterator[list[object]]:
        # 档号 = 卷号-条目号-件号: the volume and item are read from it (fewer cells, a faster sheet).
        yield ["档号", "文件题名", "成文日期", "来源", "原文件名", "SHA-256"]
        for v in tree.volumes:
            for i in v.items:
                for f in i.files:
                    yield [f.number, f.filing.title, f.filing.document_date, f.source_label, f.name, f.filing.sha256]

    return {"总目录": general(), "分卷目录": volumes(), "卷内文件目录": files()}


def catalogue_xlsx(tree: ArchiveTree) -> bytes:
    """总目录, 分卷目录 and 卷内文件目录 as one workbook (write-only: flat memory)."""
    wb = Workbook(write_only=True)
    for title, rows in catalogue_rows(tree).items():
        ws = wb.create_sheet(title)
        for line in heading_lines(tree):
            ws.append([_cell(line)])
        ws.append([])
        for row in rows:
            ws.append([_cell(v) for v in row])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _font() -> str:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


class _Pages:
    """A tiny flowing writer over a reportlab canvas: lines of cells, a new page when full."""

    def __init__(self, pdf: canvas.Canvas, font: str, header: list[str]):
        self.pdf, self.font, self.header = pdf, font, header
        self.width, self.height = A4
        self.y = 0.0
        self.fresh = True  # the canvas is on a blank page (the labels end with showPage)

    def page(self, title: str) -> None:
        if not self.fresh:
            self.pdf.showPage()
        self.fresh = False
        self.pdf.setFont(self.font, 16)
        self.pdf.drawCentredString(self.width / 2, self.height - 60, title)
        self.pdf.setFont(self.font, 8)
        y = self.height - 80
        for line in self.header:
            self.pdf.drawString(50, y, line[:110])
            y -= 11
        self.y = y - 10
        self.title = title

    def row(self, cells: list[tuple[float, str]], size: int = 9) -> None:
        if self.y < 60:
            self.page(self.title + "（续）")
        self.pdf.setFont(self.font, size)
        for x, text in cells:
            self.pdf.drawString(x, self.y, text)
        self.y -= size + 6


def _clip(text: str, chars: int) -> str:
    return text if len(text) <= chars else text[: chars - 1] + "…"


def _labels(pdf: canvas.Canvas, font: str, box_label: str, volumes: list[VolumeRow]) -> None:
    """One page of labels per box: the 横标 (box label over the volume label) and the 竖标 (the
    same text set vertically, for the box's spine)."""
    width, height = A4
    for v in volumes:
        for label in v.box_labels():
            pdf.setLineWidth(1)
            pdf.rect(70, height - 300, width - 140, 200)
            pdf.setFont(font, BOX_LABEL_PT)
            pdf.drawCentredString(width / 2, height - 170, box_label)
            pdf.setFont(font, VOLUME_LABEL_PT)
            pdf.drawCentredString(width / 2, height - 240, label)
            spine_x, top = width / 2 - 20, height - 360
            pdf.rect(spine_x - 20, 60, 80, top - 50)
            y = top - 30
            for ch in box_label:
                pdf.setFont(font, BOX_LABEL_PT)
                pdf.drawCentredString(spine_x + 20, y, ch)
                y -= BOX_LABEL_PT + 4
            y -= 10
            for ch in label:
                if y < 80:
                    break
                pdf.setFont(font, VOLUME_LABEL_PT)
                pdf.drawCentredString(spine_x + 20, y, ch)
                y -= VOLUME_LABEL_PT + 4
            pdf.showPage()


def catalogue_pdf(tree: ArchiveTree) -> bytes:
    """Box and volume labels, then 总目录, and for each volume its 分卷目录 and 卷内文件目录."""
    font = _font()
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.setTitle(f"{tree.plan.school.name} 均衡发展档案目录")
    box_label = tree.scheme.box_label if tree.scheme else "均衡发展档案"
    _labels(pdf, font, box_label, tree.volumes)
    pages = _Pages(pdf, font, heading_lines(tree))
    pages.page("总目录")
    pages.row([(50, "卷号"), (90, "分类"), (300, "分卷"), (430, "盒数"), (470, "条目"), (510, "文件")])
    for v in tree.volumes:
        pages.row([(50, str(v.no)), (90, _clip(v.category.title, 20)), (300, _clip(v.volume.title, 12)),
                   (430, str(v.volume.boxes)), (470, str(len(v.items))), (510, str(v.file_count))])
    for v in tree.volumes:
        pages.page(f"第 {v.no} 卷 {v.volume.title} · 分卷目录")
        pages.row([(50, "编号"), (90, "条目"), (420, "年限"), (480, "文件"), (515, "完整性")])
        for i in v.items:
            pages.row([(50, i.number), (90, _clip(i.item.title, 30)), (420, _years(i)), (480, str(len(i.files))),
                       (515, i.status_label)])
        pages.page(f"第 {v.no} 卷 {v.volume.title} · 卷内文件目录")
        pages.row([(50, "档号"), (110, "文件题名"), (380, "成文日期"), (450, "来源")])
        for i in v.items:
            for f in i.files:
                pages.row([(50, f.number), (110, _clip(f.filing.title, 24)),
                           (380, f.filing.document_date.isoformat()), (450, f.source_label)])
    pdf.save()
    return buffer.getvalue()

"""Workbooks for the Excel tests: a messy but valid plan workbook, and hostile files."""

from __future__ import annotations

import datetime
import io
import zipfile

from openpyxl import Workbook

HEADER = [
    "序号",
    "实施阶段",
    "具体措施",
    "工作任务",
    "责任角色",
    "责任人",
    "责任单位",
    "开始时间",
    "完成时间",
    "权重",
    "备注列",
]


def messy_plan_workbook() -> bytes:
    """What a real bureau sends: title rows, merged stage/measure cells, blank and note rows,
    full-width digits, dates in five spellings, percentages in three."""
    wb = Workbook()
    ws = wb.active
    ws.title = "实施方案"
    ws.append(["示范县第一中学义务教育优质均衡发展实施方案任务分解表"])
    ws.merge_cells("A1:K1")
    ws.append(["填报单位:示范县第一中学", None, None, None, None, None, None, None, "日期:2026年3月1日"])
    ws.append([])
    ws.append(HEADER)  # row 4
    rows = [
        # 5: stage window row
        [None, "一、准备阶段", None, None, None, None, None, "2026-03-01", "2026年3月31日", None],
        # 6: measure definition row
        [1, None, "成立工作领导小组", None, "组长", None, "校长办公室", "2026/3/1", "2026.3.15", "２"],
        [
            2,
            None,
            None,
            "印发领导小组成立文件",
            "办公室",
            None,
            None,
            datetime.datetime(2026, 3, 2),
            "２０２６年３月５日",
            None,
        ],
        [3, None, None, "召开领导小组第一次会议", "组长", None, "校长办公室、政教处", None, 46090, "10%"],
        [None, None, None, None, None, None, None, None, None, None],  # 9 blank
        [
            4,
            None,
            "开展调研评估",
            "对照标准开展办学条件自查",
            "资源配置组",
            None,
            "总务处,教导处",
            "2026-03-05",
            "2026-03-25",
            1,
        ],
        [5, None, None, "形成自评报告初稿", "副组长", None, None, None, "2026-03-30", None],
        ["注:标*为必填项", None, None, None, None, None, None, None, None, None],  # 12 note row
        [
            6,
            "二、实施阶段",
            "资源配置优化",
            "补充图书至生均25册以上",
            "成员",
            None,
            "总务处",
            "2026-04-01",
            "2026-09-30",
            3,
        ],
        [7, None, None, "'+补充实验仪器", "成员", None, None, None, "2026-10-10", None],
        [
            8,
            "(三)验收阶段",
            "自查自评",
            "对照评估表逐项自评打分",
            "办公室",
            None,
            None,
            "2026-11-01",
            "2026-11-20",
            None,
        ],
    ]
    for row in rows:
        ws.append(row)
    ws.merge_cells("B6:B11")  # merged stage cells: only the top-left keeps a value
    ws.append(HEADER)  # a repeated header (page break)
    ws.append([9, None, "自查自评", "整理三类档案资料", "办公室", None, None, None, "2026-11-30", None])
    ws.append(["制表人:张三"])

    ind = wb.create_sheet("量化指标")
    ind.append(["指标名称", "单位", "方向", "目标值", "关联措施"])
    ind.append(["生均图书", "册", "≥", 25, "资源配置优化"])
    ind.append(["教师专科以上学历比例", "%", None, "≥95%", None])
    ind.append(["初中辍学率", "%", "≤", 0.02, None])
    cell = ind.cell(row=5, column=1, value="学生体质健康合格率")
    ind.cell(row=5, column=2, value="%")
    ind.cell(row=5, column=3, value="不低于")
    cell = ind.cell(row=5, column=4, value=0.95)
    cell.number_format = "0%"
    ind.append(["生均校舍面积", None, None, "≥14平方米", None])

    crit = wb.create_sheet("评估表")
    crit.append(["验收评估表"])
    crit.append(["类别", "评估要点", "分值", "是否适用"])
    crit.append(["资源配置", "生均教学及辅助用房面积达标", 10, "是"])
    crit.append([None, "学校食堂建设达标", "５", "不适用"])
    crit.merge_cells("A3:A4")
    crit.append(["师资队伍", "教师学历达标", "15", "√"])
    return save(wb)


def save(wb: Workbook) -> bytes:
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def simple_workbook(rows: list[list], header: list[str] | None = None, **sheets: list[list]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "方案"
    ws.append(header or ["阶段", "措施", "任务", "责任角色", "责任人", "责任单位", "开始日期", "截止日期", "权重"])
    for row in rows:
        ws.append(row)
    for name, sheet_rows in sheets.items():
        extra = wb.create_sheet(name)
        for row in sheet_rows:
            extra.append(row)
    return save(wb)


def rezip(
    data: bytes,
    replace: dict[str, bytes] | None = None,
    add: dict[str, bytes] | None = None,
    compression: int = zipfile.ZIP_DEFLATED,
) -> bytes:
    """Rewrite an xlsx with some members replaced or added (for hostile variants)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as target:
        for info in source.infolist():
            body = (replace or {}).get(info.filename, source.read(info.filename))
            target.writestr(info.filename, body)
        for name, body in (add or {}).items():
            target.writestr(name, body)
    return buffer.getvalue()


def billion_laughs(data: bytes, *, hide_past_prologue: bool = True) -> bytes:
    """The workbook with an entity-expansion DTD in its first sheet (by default behind a long
    comment, past the prologue the safety check reads, so defusedxml must catch it)."""
    padding = "<!--" + "x" * 5000 + "-->" if hide_past_prologue else ""
    entities = "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10)
    )
    sheet = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        + padding
        + '<!DOCTYPE worksheet [<!ENTITY lol "lol">'
        + entities
        + ']><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        '<row r="1"><c r="A1" t="inlineStr"><is><t>阶段</t></is></c><c r="B1" t="inlineStr"><is><t>措施</t></is></c>'
        '<c r="C1" t="inlineStr"><is><t>任务</t></is></c></row>'
        '<row r="2"><c r="A2" t="inlineStr"><is><t>&lol9;</t></is></c></row></sheetData></worksheet>'
    )
    return rezip(data, replace={"xl/worksheets/sheet1.xml": sheet.encode()})


def zip_bomb(data: bytes) -> bytes:
    """A valid workbook plus a member that inflates 1000-fold."""
    return rezip(data, add={"xl/media/blob.bin": b"\0" * (50 * 1024 * 1024)})


def too_many_rows() -> bytes:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("方案")
    ws.append(["阶段", "措施", "任务"])
    for i in range(20_100):
        ws.append(["准备阶段", "措施", f"任务{i}"])
    return save(wb)


OLE_HEADER = bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 504


def fake_xls() -> bytes:
    return OLE_HEADER + "Workbook".encode("utf-16-le") + b"\0" * 2048


def fake_encrypted() -> bytes:
    return OLE_HEADER + "EncryptionInfo".encode("utf-16-le") + b"\0" * 64 + "EncryptedPackage".encode("utf-16-le")


def csv_renamed() -> bytes:
    return "阶段,措施,任务\n准备阶段,成立领导小组,印发文件\n".encode("gb18030")

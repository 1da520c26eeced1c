"""Refuse hostile or unusable files before openpyxl ever parses them.

openpyxl has no decompression limit (a 0.5 MB xlsx has reached 530 MiB of memory), so everything
here works on the raw bytes and the zip central directory only: the file size, the signature, the
declared sizes and compression ratios of the members, the entry count, a DTD in the XML prologues
and the declared sheet dimensions. ``zipfile`` caps what it inflates at each member's declared size,
so checking the declared sizes bounds the work openpyxl can be made to do. Entity tricks further
inside the XML are refused by defusedxml, which openpyxl uses when it is installed
(``openpyxl.xml.DEFUSEDXML``; checked by ``assert_defused``).
"""

from __future__ import annotations

import codecs
import re
import zipfile
from dataclasses import dataclass
from typing import BinaryIO

from openpyxl import xml as openpyxl_xml

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 100 * 1024 * 1024
MAX_RATIO = 100
MAX_ENTRIES = 1000
MAX_ROWS = 20_000
# Ratios of tiny members (an empty sheet's 200 bytes squeezed to 10) say nothing about bombs.
RATIO_MIN_BYTES = 1024 * 1024

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="[A-Z]{1,3}(\d+)(?::[A-Z]{1,3}(\d+))?"')
_ROW = re.compile(rb"<(?:\w+:)?row[\s>/]")
_DTD = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)


class WorkbookRefused(Exception):
    """The file is refused as a whole; ``message`` (Chinese) says why and what to do."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Inspection:
    size: int
    uncompressed: int
    entries: int


def assert_defused() -> None:
    """openpyxl must parse through defusedxml; refuse to read any workbook otherwise."""
    if not openpyxl_xml.DEFUSEDXML:
        raise WorkbookRefused("服务器缺少 defusedxml 组件，已停止读取 Excel 文件。请联系系统管理员。")


def inspect_workbook(fileobj: BinaryIO, size: int | None = None) -> Inspection:
    """Check an uploaded file is a plausible, harmless xlsx. Raises WorkbookRefused otherwise.

    Reads the head of the file and the zip directory only; the caller then hands the same file to
    openpyxl (``fileobj`` is rewound).
    """
    fileobj.seek(0, 2)
    size = fileobj.tell() if size is None else size
    fileobj.seek(0)
    if size == 0:
        raise WorkbookRefused("文件是空的。")
    if size > MAX_FILE_BYTES:
        raise WorkbookRefused(f"文件超过 {MAX_FILE_BYTES // (1024 * 1024)} MB，请删去无关内容或拆分后再导入。")
    head = fileobj.read(8)
    fileobj.seek(0)
    if head.startswith(OLE_MAGIC):
        raise WorkbookRefused(_ole_message(fileobj))
    if not head.startswith(ZIP_MAGIC):
        raise WorkbookRefused(_not_zip_message(fileobj))
    try:
        with zipfile.ZipFile(fileobj) as archive:
            result = _inspect_archive(archive, size)
    except zipfile.BadZipFile as exc:
        raise WorkbookRefused("文件已损坏或不是 xlsx 格式，请用 Excel 打开后另存为 .xlsx 再导入。") from exc
    finally:
        fileobj.seek(0)
    return result


def _inspect_archive(archive: zipfile.ZipFile, size: int) -> Inspection:
    infos = archive.infolist()
    if len(infos) > MAX_ENTRIES:
        raise WorkbookRefused("文件内部结构异常（条目过多），已拒绝。")
    names = {info.filename for info in infos}
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        if "content.xml" in names:
            raise WorkbookRefused("这是 WPS/OpenDocument 表格(.ods),请另存为 Excel 工作簿(.xlsx)后再导入。")
        raise WorkbookRefused("文件不是 Excel 工作簿(.xlsx),请用 Excel 另存为 .xlsx 后再导入。")
    if any(info.flag_bits & 0x1 for info in infos):
        raise WorkbookRefused("文件设置了密码或已加密，请取消密码后再导入。")
    total = sum(info.file_size for info in infos)
    if total > MAX_UNCOMPRESSED_BYTES:
        raise WorkbookRefused("文件解压后超过 100 MB，已拒绝。请删去无关内容或拆分后再导入。")
    for info in infos:
        if info.file_size > RATIO_MIN_BYTES and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise WorkbookRefused("文件压缩比异常（疑似压缩炸弹），已拒绝。")
    if total > MAX_RATIO * size and total > RATIO_MIN_BYTES:
        raise WorkbookRefused("文件压缩比异常（疑似压缩炸弹），已拒绝。")
    for info in infos:
        if info.filename.endswith((".xml", ".rels")):
            _check_prologue(archive, info)
    return Inspection(size=size, uncompressed=total, entries=len(infos))


def _check_prologue(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """No DTD anywhere near the top of a part; sheets must not declare more rows than allowed."""
    with archive.open(info) as member:
        head = member.read(4096)
    if _DTD.search(head):
        raise WorkbookRefused("文件含有不安全的 XML 声明（DTD/实体），已拒绝。")
    if info.filename.startswith("xl/worksheets/"):
        match = _DIMENSION.search(head)
        if match and int(match.group(2) or match.group(1)) > MAX_ROWS + 50:
            raise WorkbookRefused(f"工作表超过 {MAX_ROWS} 行，请拆分后再导入。")
        _count_rows(archive, info)


def _count_rows(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """Count <row> elements in the raw XML (the declared dimension may be missing or wrong); much
    cheaper than letting openpyxl parse 20,000 rows to find out."""
    rows, tail = 0, b""
    with archive.open(info) as member:
        for chunk in iter(lambda: member.read(1 << 20), b""):
            data = tail + chunk
            rows += len(_ROW.findall(data))
            # Keep a short tail so a tag split across chunks is seen once, in the next round.
            cut = max(data.rfind(b"<"), len(data) - 16)
            if _ROW.match(data, cut):
                rows -= 1
            tail = data[cut:]
            if rows > MAX_ROWS + 50:
                raise WorkbookRefused(f"工作表超过 {MAX_ROWS} 行，请拆分后再导入。")


def _ole_message(fileobj: BinaryIO) -> str:
    """An OLE compound file is either an old .xls or an encrypted (password-protected) OOXML file."""
    data = fileobj.read(MAX_FILE_BYTES)
    fileobj.seek(0)
    if "EncryptedPackage".encode("utf-16-le") in data or "EncryptionInfo".encode("utf-16-le") in data:
        return "文件设置了打开密码，请在 Excel 中取消密码后另存为 .xlsx 再导入。"
    return "这是旧版 Excel 文件(.xls),请用 Excel 或 WPS 另存为 .xlsx 后再导入。"


def _not_zip_message(fileobj: BinaryIO) -> str:
    head = fileobj.read(4096)
    fileobj.seek(0)
    if head.lstrip().startswith((b"<", b"\xef\xbb\xbf<")):
        return "这是网页或 XML 文件，不是 Excel 工作簿，请另存为 .xlsx 后再导入。"
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            # Incremental: a multi-byte character cut at the end of the sample is not an error.
            text = codecs.getincrementaldecoder(encoding)().decode(head, final=False)
        except UnicodeDecodeError:
            continue
        if "\x00" not in text:
            return "这是文本/CSV 文件（只是扩展名为 .xlsx），请用 Excel 打开后另存为 .xlsx 再导入。"
    return "文件不是 Excel 工作簿（.xlsx），无法导入。"

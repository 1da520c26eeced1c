"""The whole archive as a zip laid out as volumes and items, streamed: files are read in chunks and
the zip's bytes leave as soon as they are written, so memory stays flat whatever the archive's
size. A file missing from storage does not break the download: it is named in 缺失文件.txt at the
end of the zip (and in the catalogue inside it).

The standard library's zipfile writes to an unseekable stream (data descriptors, zip64 when
needed), which is all a streamed response needs; no extra dependency.

Under ASGI (daphne) Django buffers a *synchronous* streaming iterator whole before sending it
(StreamingHttpResponse.__aiter__ consumes it with ``list``): the view hands ASGI requests
``archive_zip_async``, which steps the same generator one chunk at a time in a worker thread.
"""

from __future__ import annotations

import os
import re
import zipfile
from collections.abc import AsyncIterator, Iterator

from asgiref.sync import sync_to_async
from django.core.files.storage import default_storage

from archives.catalogues import catalogue_xlsx
from archives.selectors import ArchiveTree
from core.storage import storage_errors

CHUNK = 256 * 1024
MISSING_NAME = "缺失文件.txt"
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')


class _Pipe:
    """A write-only file object whose written bytes are taken out by the generator."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.offset = 0

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        self.offset += len(data)
        return len(data)

    def tell(self) -> int:
        return self.offset

    def flush(self) -> None:
        return None

    def take(self) -> bytes:
        data = b"".join(self.parts)
        self.parts.clear()
        return data


def safe(name: str, limit: int = 60) -> str:
    """A path part safe on every system: no separators or control characters, not too long."""
    text = _UNSAFE.sub("_", name).strip(" .") or "_"
    return text[:limit]


def zip_name(tree: ArchiveTree) -> str:
    return f"{safe(tree.plan.school.name)}-均衡发展档案.zip"


def archive_zip(tree: ArchiveTree) -> Iterator[bytes]:
    """The zip's bytes, chunk by chunk: 目录.xlsx, then 卷/条目/件, then 缺失文件.txt if any."""
    pipe = _Pipe()
    missing: list[str] = []
    root = safe(tree.scheme.box_label if tree.scheme else "均衡发展档案")
    with zipfile.ZipFile(pipe, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:  # type: ignore[arg-type]
        zf.writestr(f"{root}/目录.xlsx", catalogue_xlsx(tree))
        yield pipe.take()
        for v in tree.volumes:
            volume_dir = f"{root}/{v.no:02d} {safe(v.volume.title, 40)}"
            for i in v.items:
                item_dir = f"{volume_dir}/{i.number} {safe(i.item.title, 40)}"
                for f in i.files:
                    ext = os.path.splitext(f.name)[1][:10]
                    arcname = f"{item_dir}/{f.number} {safe(f.filing.title)}{ext}"
                    try:
                        source = default_storage.open(f.storage_name, "rb")
                    except (ValueError, *storage_errors()):  # missing, or the object store unreachable
                        missing.append(f"{f.number} {f.filing.title}({f.name})")
                        continue
                    date = f.filing.document_date
                    info = zipfile.ZipInfo(arcname, (max(date.year, 1980), date.month, date.day, 0, 0, 0))
                    with source, zf.open(info, "w", force_zip64=True) as out:
                        while chunk := source.read(CHUNK):
                            out.write(chunk)
                            yield pipe.take()
                    yield pipe.take()
        if missing:
            text = "以下文件在服务器上缺失，未能打包（请联系管理员核查）：\r\n" + "\r\n".join(missing) + "\r\n"
            zf.writestr(f"{root}/{MISSING_NAME}", text.encode("utf-8"))
    yield pipe.take()


def _next(chunks: Iterator[bytes]) -> bytes | None:
    return next(chunks, None)


async def archive_zip_async(chunks: Iterator[bytes]) -> AsyncIterator[bytes]:
    """The same chunks for an ASGI response, one at a time (never the whole zip in memory). The
    generator reads files only (the tree is built before), so any worker thread may step it."""
    step = sync_to_async(_next, thread_sensitive=False)
    while (chunk := await step(chunks)) is not None:
        yield chunk

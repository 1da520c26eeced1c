"""Evidence file limits: size, allowed types, and a content check so that a renamed file of
another type is refused. Files are stored under generated names and served only through
tasks.views.evidence_download, which checks who may see the task."""

from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass

from django.conf import settings

from plans.errors import DomainError

OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP = b"PK\x03\x04"

# extension → (content type, accepted leading bytes; None = text that must decode)
ALLOWED: dict[str, tuple[str, tuple[bytes, ...] | None]] = {
    "pdf": ("application/pdf", (b"%PDF-",)),
    "jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    "doc": ("application/msword", (OLE,)),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (ZIP,)),
    "xls": ("application/vnd.ms-excel", (OLE,)),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (ZIP,)),
    "ppt": ("application/vnd.ms-powerpoint", (OLE,)),
    "pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", (ZIP,)),
    "txt": ("text/plain; charset=utf-8", None),
}
ALLOWED_LABEL = "PDF、Word、Excel、PowerPoint、JPG、PNG、TXT"


@dataclass(frozen=True)
class CheckedFile:
    safe_name: str
    content_type: str


def clean_name(name: str) -> str:
    """A display name without path parts or control characters, at most 150 characters."""
    name = os.path.basename((name or "").replace("\\", "/"))
    name = "".join(ch for ch in unicodedata.normalize("NFC", name) if unicodedata.category(ch)[0] != "C")
    name = re.sub(r"\s+", " ", name).strip(" .") or "file"
    stem, dot, ext = name.rpartition(".")
    if dot and len(name) > 150:
        name = stem[: 149 - len(ext)] + "." + ext
    return name[:150]


def validate_upload(upload) -> CheckedFile:
    """Raise DomainError (Chinese) unless the upload is an allowed, non-empty file within the limit."""
    name = clean_name(getattr(upload, "name", ""))
    size = getattr(upload, "size", 0) or 0
    limit = settings.EVIDENCE_MAX_BYTES
    if size <= 0:
        raise DomainError(f"文件“{name}”是空文件。")
    if size > limit:
        raise DomainError(f"文件“{name}”大小为 {size / 1048576:.1f} MB,超过 {limit // 1048576} MB 的上限。")
    ext = name.rpartition(".")[2].lower() if "." in name else ""
    if ext not in ALLOWED:
        raise DomainError(f"不支持文件“{name}”的类型。允许的类型:{ALLOWED_LABEL}。")
    content_type, signatures = ALLOWED[ext]
    upload.seek(0)
    head = upload.read(4096)
    upload.seek(0)
    if signatures is None:
        if b"\x00" in head or not _decodes(head):
            raise DomainError(f"文件“{name}”不是文本文件,与其扩展名不符。")
    elif not any(head.startswith(sig) for sig in signatures):
        raise DomainError(f"文件“{name}”的内容与其扩展名(.{ext})不符,请检查后重新上传。")
    return CheckedFile(safe_name=name, content_type=content_type)


def _decodes(head: bytes) -> bool:
    for encoding in ("utf-8", "gb18030"):
        try:
            # The first 4 KB may cut a multi-byte character in two: ignore the last few bytes.
            head[:-4].decode(encoding) if len(head) > 8 else head.decode(encoding)
            return True
        except UnicodeDecodeError:
            continue
    return False

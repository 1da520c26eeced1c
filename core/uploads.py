"""The one upload policy for evidence files (task evidence, indicator evidence, rectification
evidence, and whatever files later features attach): size, allowed types, and a content check so that a renamed file of another
type is refused. Files are checked and written to storage *before* the caller takes any row lock
(writing megabytes must never hold a lock), then attached inside the caller's transaction, or
removed again if that transaction fails (``staged_uploads``).

Stored names never reuse the uploader's file name: it is kept for display only. Files are served
only by views that check who may see their owner, always as downloads.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.storage import Storage
from django.db import transaction

from core.errors import DomainError
from core.storage import UNAVAILABLE, storage_errors

logger = logging.getLogger(__name__)

OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP = b"PK\x03\x04"


def _prefix(*signatures: bytes) -> Callable[[bytes], bool]:
    return lambda head: any(head.startswith(sig) for sig in signatures)


def _webp(head: bytes) -> bool:
    return head.startswith(b"RIFF") and head[8:12] == b"WEBP"


def _text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    for encoding in ("utf-8", "gb18030"):
        try:
            # The first 4 KB may cut a multi-byte character in two: ignore the last few bytes.
            head[:-4].decode(encoding) if len(head) > 8 else head.decode(encoding)
            return True
        except UnicodeDecodeError:
            continue
    return False


# extension → (content type, content check on the first 4 KB)
ALLOWED: dict[str, tuple[str, Callable[[bytes], bool]]] = {
    "pdf": ("application/pdf", _prefix(b"%PDF-")),
    "ofd": ("application/ofd", _prefix(ZIP)),
    "doc": ("application/msword", _prefix(OLE)),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", _prefix(ZIP)),
    "xls": ("application/vnd.ms-excel", _prefix(OLE)),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", _prefix(ZIP)),
    "ppt": ("application/vnd.ms-powerpoint", _prefix(OLE)),
    "pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", _prefix(ZIP)),
    "jpg": ("image/jpeg", _prefix(b"\xff\xd8\xff")),
    "jpeg": ("image/jpeg", _prefix(b"\xff\xd8\xff")),
    "png": ("image/png", _prefix(b"\x89PNG\r\n\x1a\n")),
    "webp": ("image/webp", _webp),
    "txt": ("text/plain; charset=utf-8", _text),
}
# extension → the name users know it by; the hint of every upload form is made from these
KIND_LABEL: dict[str, str] = {
    "pdf": "PDF", "ofd": "OFD", "jpg": "JPG", "jpeg": "JPG", "png": "PNG", "webp": "WebP",
    "doc": "Word", "docx": "Word", "xls": "Excel", "xlsx": "Excel", "ppt": "PowerPoint", "pptx": "PowerPoint",
    "txt": "TXT",
}  # fmt: skip
# The one list every upload form shows and offers (accept=""): ALLOWED's keys, nothing else.
ALLOWED_LABEL = "、".join(dict.fromkeys(KIND_LABEL[ext] for ext in ALLOWED))
ACCEPT = ",".join(f".{ext}" for ext in ALLOWED)


class StorageUnavailable(DomainError):
    """The evidence store could not take the file; the submission was not saved."""


@dataclass(frozen=True)
class CheckedFile:
    safe_name: str
    extension: str
    content_type: str


@dataclass(frozen=True)
class StagedFile:
    """An upload checked and written to storage, not yet attached to the row that will own it."""

    stored_name: str
    original_name: str
    content_type: str
    size: int
    storage: Storage
    sha256: str = ""  # of the exact bytes stored, computed at upload (the owner row and its audit entry keep it)

    def discard(self) -> None:
        try:
            self.storage.delete(self.stored_name)
        except storage_errors() as exc:
            # The store went away between save and delete: an orphan object, no row points at it
            # (verify_evidence ignores objects without rows). The refusal itself must still reach
            # the user, so this never raises.
            logger.warning("could not remove the staged file %s: %r", self.stored_name, exc)


def clean_name(name: str) -> str:
    """A display name without path parts or control characters, at most 150 characters."""
    name = os.path.basename((name or "").replace("\\", "/"))
    name = "".join(ch for ch in unicodedata.normalize("NFC", name) if unicodedata.category(ch)[0] != "C")
    name = re.sub(r"\s+", " ", name).strip(" .") or "file"
    stem, dot, ext = name.rpartition(".")
    if dot and len(name) > 150:
        name = stem[: 149 - len(ext)] + "." + ext
    return name[:150]


def validate_upload(upload: Any) -> CheckedFile:
    """Raise DomainError (Chinese) unless the upload is an allowed, non-empty file within the limit
    whose content matches its extension."""
    name = clean_name(getattr(upload, "name", ""))
    size = getattr(upload, "size", 0) or 0
    limit = settings.EVIDENCE_MAX_BYTES
    if size <= 0:
        raise DomainError(f"文件“{name}”是空文件。")
    if size > limit:
        raise DomainError(f"文件“{name}”大小为 {size / 1048576:.1f} MB，超过 {limit // 1048576} MB 的上限。")
    ext = name.rpartition(".")[2].lower() if "." in name else ""
    if ext not in ALLOWED:
        raise DomainError(f"不支持文件“{name}”的类型。允许的类型：{ALLOWED_LABEL}。")
    content_type, matches = ALLOWED[ext]
    upload.seek(0)
    head = upload.read(4096)
    upload.seek(0)
    if not matches(head):
        if ext == "txt":
            raise DomainError(f"文件“{name}”不是文本文件，与其扩展名不符。")
        raise DomainError(f"文件“{name}”的内容与其扩展名（.{ext}）不符，请检查后重新上传。")
    return CheckedFile(safe_name=name, extension=ext, content_type=content_type)


def stage_uploads(
    uploads: Iterable[Any], *, storage: Storage, path_for: Callable[[CheckedFile], str]
) -> list[StagedFile]:
    """Check every upload and write it to ``storage`` under ``path_for(checked)``. All or nothing:
    one refused file removes the ones already written. Call this before taking any lock."""
    staged: list[StagedFile] = []
    try:
        for upload in uploads:
            checked = validate_upload(upload)
            digest = sha256_of(upload)
            if hasattr(upload, "content_type"):
                # The object store keeps the type it is given: the checked one, never the one the
                # uploader's browser declared (a .txt sent as text/html).
                upload.content_type = checked.content_type
            name = _save(storage, path_for(checked), upload)
            staged.append(StagedFile(name, checked.safe_name, checked.content_type, upload.size, storage, digest))
    except BaseException:
        discard_staged(staged)
        raise
    return staged


def _save(storage: Storage, name: str, upload: Any) -> str:
    """Write one checked upload; a store that cannot be reached (a full or read-only disk, an
    object store down or refusing) becomes the one Chinese message, and nothing is kept."""
    try:
        return storage.save(name, upload)
    except storage_errors() as exc:
        logger.warning("evidence storage unavailable on upload of %s: %r", name, exc)
        raise StorageUnavailable(UNAVAILABLE) from exc


def sha256_of(upload: Any) -> str:
    """The SHA-256 (hex) of an upload's content; leaves it rewound for storing."""
    digest = hashlib.sha256()
    upload.seek(0)
    chunks = upload.chunks() if hasattr(upload, "chunks") else iter(lambda: upload.read(1 << 20), b"")
    for chunk in chunks:
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


def discard_staged(staged: Iterable[StagedFile]) -> None:
    for item in staged:
        item.discard()


@contextmanager
def staged_uploads(
    uploads: Iterable[Any], *, storage: Storage, path_for: Callable[[CheckedFile], str]
) -> Iterator[list[StagedFile]]:
    """``with staged_uploads(...) as staged: <transaction that attaches them>``: the files are
    stored before the block and removed again if the block raises (a refused transition).

    The block runs in a transaction of its own, whose first after-commit callback marks the files
    kept: an exception raised after the commit (an after-commit push cancelled because the browser
    left, which is a ``BaseException``) leaves committed rows whose files must stay."""
    staged = stage_uploads(uploads, storage=storage, path_for=path_for)
    committed: list[bool] = []
    try:
        with transaction.atomic():
            transaction.on_commit(lambda: committed.append(True))
            yield staged
    except BaseException:
        if not committed:
            discard_staged(staged)
        raise

"""The one upload policy (core.uploads): content must match the extension; staged files are removed
again when the work that would attach them fails."""

from __future__ import annotations

import pytest
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile

from core.errors import DomainError
from core.uploads import clean_name, staged_uploads, validate_upload

# staged_uploads runs its block in a transaction of its own.
pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("name", "content", "ok"),
    [
        ("报告.pdf", b"%PDF-1.7 ...", True),
        ("报告.pdf", b"MZ\x90\x00", False),
        ("照片.webp", b"RIFF\x10\x00\x00\x00WEBPVP8 ", True),
        ("照片.webp", b"RIFF\x10\x00\x00\x00WAVEfmt ", False),
        ("公文.ofd", b"PK\x03\x04rest", True),
        ("公文.ofd", b"%PDF-1.4", False),
        ("说明.txt", "中文说明".encode("gb18030"), True),
        ("说明.txt", b"\x00\x01\x02", False),
        ("表.xlsx", b"PK\x03\x04", True),
        ("表.xls", b"PK\x03\x04", False),
    ],
)
def test_content_must_match_the_extension(name, content, ok):
    upload = SimpleUploadedFile(name, content)
    if ok:
        assert validate_upload(upload).safe_name == name
    else:
        with pytest.raises(DomainError):
            validate_upload(upload)


def test_names_lose_paths_and_control_characters():
    assert clean_name("../../etc/\x00pass wd.pdf") == "pass wd.pdf"
    assert clean_name("C:\\Users\\a\\报告.pdf") == "报告.pdf"


def test_staged_files_are_removed_when_the_block_fails(tmp_path):
    storage = FileSystemStorage(location=tmp_path)
    uploads = [SimpleUploadedFile("a.pdf", b"%PDF-1 a"), SimpleUploadedFile("b.pdf", b"%PDF-1 b")]
    with pytest.raises(RuntimeError):
        with staged_uploads(uploads, storage=storage, path_for=lambda f: f"x/{f.safe_name}") as staged:
            assert [storage.exists(s.stored_name) for s in staged] == [True, True]
            raise RuntimeError("the transition was refused")
    assert list(tmp_path.rglob("*.pdf")) == []


def test_one_bad_file_refuses_the_batch_and_keeps_nothing(tmp_path):
    storage = FileSystemStorage(location=tmp_path)
    uploads = [SimpleUploadedFile("a.pdf", b"%PDF-1 a"), SimpleUploadedFile("b.png", b"not a png")]
    with pytest.raises(DomainError, match="不符"):
        with staged_uploads(uploads, storage=storage, path_for=lambda f: f"x/{f.safe_name}"):
            pass
    assert list(tmp_path.rglob("*.*")) == []


class _FullDisk(FileSystemStorage):
    """Saves the first file, then fails like a full disk; deleting fails too (the store went away)."""

    def __init__(self, location):
        super().__init__(location=location)
        self.saved = 0

    def _save(self, name, content):
        if self.saved:
            raise OSError(28, "No space left on device")
        self.saved += 1
        return super()._save(name, content)

    def delete(self, name):
        raise OSError(5, "Input/output error")


def test_a_failing_store_refuses_with_one_message_and_the_cleanup_never_hides_it(tmp_path):
    from core.uploads import StorageUnavailable

    storage = _FullDisk(tmp_path)
    uploads = [SimpleUploadedFile("a.pdf", b"%PDF-1 a"), SimpleUploadedFile("b.pdf", b"%PDF-1 b")]
    with pytest.raises(StorageUnavailable) as refused:
        with staged_uploads(uploads, storage=storage, path_for=lambda f: f"x/{f.safe_name}"):
            pytest.fail("the block must not run when a file could not be stored")
    assert refused.value.message == "文件存储暂时不可用，请稍后重试；本次提交未保存。"

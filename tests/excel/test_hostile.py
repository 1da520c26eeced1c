"""Hostile and unusable files are refused before openpyxl parses them, with a clear Chinese message,
and nothing is written: through the service, the command and the web page."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import textwrap
import zipfile

import openpyxl.xml
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from audit.models import AuditEntry
from excel import safety
from excel.models import WorkbookImport
from excel.safety import WorkbookRefused
from excel.services import workbook_read
from plans.models import Plan
from tasks.models import Task
from tests import excel_fixtures as fx
from tests.factories import PASSWORD

BASE = fx.messy_plan_workbook()


def _oversize() -> bytes:
    return fx.rezip(BASE, add={"xl/media/noise.bin": os.urandom(11 * 1024 * 1024)}, compression=zipfile.ZIP_STORED)


def _many_entries() -> bytes:
    return fx.rezip(BASE, add={f"xl/media/{i}.bin": b"x" for i in range(1100)})


def _not_an_xlsx_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
        archive.writestr("[Content_Types].xml", "<Types/>")
    return buffer.getvalue()


def _dtd_at_the_top() -> bytes:
    return fx.billion_laughs(BASE, hide_past_prologue=False)


def _lying_dimension() -> bytes:
    """20,100 rows whose declared dimension says A1:C3: the row count must still be found."""
    data = fx.too_many_rows()
    sheet = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    sheet = sheet.replace(b"<sheetData>", b'<dimension ref="A1:C3"/><sheetData>', 1)
    return fx.rezip(data, replace={"xl/worksheets/sheet1.xml": sheet})


HOSTILE = {
    "over 10 MB": (_oversize, "10 MB"),
    "zip bomb (ratio)": (lambda: fx.zip_bomb(BASE), "压缩"),
    "uncompressed over 100 MB": (
        lambda: fx.rezip(BASE, add={f"xl/media/{i}.bin": b"\0" * (30 * 1024 * 1024) for i in range(4)}),
        "100 MB",
    ),
    "too many zip entries": (_many_entries, "条目"),
    "entity expansion hidden in the XML": (fx.billion_laughs.__get__(BASE), "不安全"),
    "DTD in the prologue": (_dtd_at_the_top, "不安全"),
    "more than 20000 rows": (fx.too_many_rows, "20000"),
    "more rows than the dimension says": (_lying_dimension, "20000"),
    "xls": (fx.fake_xls, ".xls"),
    "password-protected": (fx.fake_encrypted, "密码"),
    "csv renamed to xlsx": (fx.csv_renamed, "CSV"),
    "html renamed": (lambda: b"<html><body><table><tr><td>1</td></tr></table></body></html>", "网页"),
    "random bytes": (lambda: bytes(range(256)) * 20, "不是 Excel"),
    "empty": (lambda: b"", "空"),
    "zip that is not a workbook": (_not_an_xlsx_zip, "不是 Excel"),
    "truncated xlsx": (lambda: BASE[: len(BASE) // 2], "损坏"),
}


def test_openpyxl_parses_through_defusedxml():
    assert openpyxl.xml.DEFUSEDXML is True
    safety.assert_defused()


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_file_is_refused_with_a_clear_message(name):
    build, fragment = HOSTILE[name]
    with pytest.raises(WorkbookRefused) as refused:
        workbook_read(io.BytesIO(build()))
    assert fragment in refused.value.message


def test_the_messy_but_honest_workbook_passes_the_checks():
    inspection = safety.inspect_workbook(io.BytesIO(BASE))
    assert inspection.entries > 5


pytestmark = pytest.mark.django_db


def _counts():
    return (Plan.objects.count(), Task.objects.count(), AuditEntry.objects.count(), WorkbookImport.objects.count())


@pytest.mark.parametrize(
    "name",
    [
        "zip bomb (ratio)",
        "entity expansion hidden in the XML",
        "xls",
        "password-protected",
        "csv renamed to xlsx",
        "more than 20000 rows",
    ],
)
def test_command_refuses_and_writes_nothing(county, tmp_path, name):
    path = tmp_path / "hostile.xlsx"
    path.write_bytes(HOSTILE[name][0]())
    before = _counts()
    with pytest.raises(CommandError) as failed:
        call_command("import_plan", str(path), "--school", "a")
    assert failed.value.returncode == 2
    assert _counts() == before


@pytest.mark.parametrize(
    "name", ["zip bomb (ratio)", "entity expansion hidden in the XML", "xls", "csv renamed to xlsx"]
)
def test_web_upload_refuses_and_writes_nothing(client, county, name):
    client.login(username="bureau_admin", password=PASSWORD)
    before = _counts()
    upload = SimpleUploadedFile("plan.xlsx", HOSTILE[name][0](), content_type="application/octet-stream")
    response = client.post(
        reverse("excel:upload"),
        {"file": upload, "kind": "new_plan", "school": county.a.school.pk, "title": "新方案", "year": 2026},
    )
    assert response.status_code == 400
    assert HOSTILE[name][1] in response.content.decode()
    assert _counts() == before


def test_web_upload_refuses_an_oversized_body_before_reading_it(client, county):
    client.login(username="bureau_admin", password=PASSWORD)
    upload = SimpleUploadedFile("plan.xlsx", _oversize(), content_type="application/octet-stream")
    response = client.post(reverse("excel:upload"), {"file": upload, "kind": "new_plan", "school": county.a.school.pk})
    assert response.status_code == 400
    assert "10 MB" in response.content.decode()
    assert not WorkbookImport.objects.exists()


def test_zip_bomb_refusal_stays_small_in_memory(tmp_path):
    """Refusing a bomb that inflates to 50 MB must not inflate it: the child's peak RSS stays low."""
    path = tmp_path / "bomb.xlsx"
    path.write_bytes(fx.zip_bomb(BASE))
    script = textwrap.dedent(f"""
        import io, resource, sys
        sys.path.insert(0, {str(os.getcwd())!r})
        from excel.safety import inspect_workbook, WorkbookRefused
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        try:
            inspect_workbook(open({str(path)!r}, "rb"))
        except WorkbookRefused:
            print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024)
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert int(out.stdout.strip()) < 20  # MB grown while refusing

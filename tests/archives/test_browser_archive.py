"""The office opens the archive, files evidence, sees completeness change and downloads the catalogues."""

from __future__ import annotations

import datetime
import io
import zipfile

import pytest
from openpyxl import load_workbook

from archives.models import Filing
from archives.services import default_scheme_install
from tasks import services as task_services
from tests.conftest import browser_login
from tests.factories import PASSWORD
from tests.workflow_helpers import pdf

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_file_evidence_see_completeness_and_download(browser_page, county):
    a = county.a
    page = browser_page
    default_scheme_install()
    evidence = task_services.evidence_add(task=a.tasks[0], actor=a.member, upload=pdf("学校平面图.pdf"))

    browser_login(page, a.office.username, PASSWORD)
    page.goto(f"/plans/{a.plan.pk}/")
    page.click("#archive-link")
    page.click("#archive-open")
    page.wait_for_selector(".message-success")
    assert page.inner_text("#kpi-complete").strip() == "0"
    assert "学校平面图.pdf" in page.inner_text("#unfiled")

    item = page.locator("#filing-item option", has_text="学校平面图").first.get_attribute("value")
    page.select_option("#filing-source", f"task:{evidence.pk}")
    page.select_option("#filing-item", item)
    page.fill("#filing-date", (datetime.date.today() - datetime.timedelta(days=3)).isoformat())
    page.click("#filing-submit")
    page.wait_for_selector(".message-success")
    assert page.inner_text("#kpi-complete").strip() == "1"
    assert "所有佐证材料都已归档" in page.inner_text("#unfiled")
    assert page.get_attribute(f"#item-{item}", "data-status") == "complete"
    assert Filing.objects.filter(plan=a.plan).count() == 1

    with page.expect_download() as download:
        page.click("#catalogue-xlsx")
    with open(download.value.path(), "rb") as fh:
        wb = load_workbook(io.BytesIO(fh.read()), read_only=True)
    assert download.value.suggested_filename.endswith("均衡发展档案目录.xlsx")
    assert "卷内文件目录" in wb.sheetnames
    with page.expect_download() as download:
        page.click("#archive-zip")
    with open(download.value.path(), "rb") as fh:
        names = zipfile.ZipFile(io.BytesIO(fh.read())).namelist()
    assert any(n.endswith("1-6-1 学校平面图.pdf") for n in names)

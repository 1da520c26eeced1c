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
from tests.workflow_helpers import PDF, pdf

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


def test_file_at_upload_time_and_reorder(browser_page, county):
    """The office uploads task evidence with 归档到 chosen: the file is filed in the same request, the
    item turns complete; a second file for the same item is moved up and takes number 1."""
    a = county.a
    page = browser_page
    default_scheme_install()
    task = a.tasks[0]
    browser_login(page, a.office.username, PASSWORD)
    page.goto(f"/tasks/{task.pk}/")
    assert page.locator("#archive-item-evidence").count() == 0  # no archive opened yet: nothing offered
    page.goto(f"/archives/plans/{a.plan.pk}/")
    page.click("#archive-open")
    page.wait_for_selector(".message-success")

    for name, title in (("校园平面图.pdf", "校园平面图（一）"), ("校园平面图二.pdf", "校园平面图（二）")):
        page.goto(f"/tasks/{task.pk}/")
        page.set_input_files("#evidence input[type=file]",
                             files=[{"name": name, "mimeType": "application/pdf", "buffer": PDF}])
        value = page.locator("#archive-item-evidence option", has_text="学校平面图").first.get_attribute("value")
        page.select_option("#archive-item-evidence", value)
        page.fill("#archive-title-evidence", title)
        page.fill("#archive-date-evidence", (datetime.date.today() - datetime.timedelta(days=2)).isoformat())
        page.click("#evidence button[type=submit]")
        page.wait_for_selector(".message-success >> text=已归档到")
    assert Filing.objects.filter(plan=a.plan, item_id=value).count() == 2

    page.goto(f"/archives/plans/{a.plan.pk}/")
    assert page.get_attribute(f"#item-{value}", "data-status") == "complete"
    assert page.inner_text("#kpi-complete").strip() == "1"
    second = Filing.objects.get(title="校园平面图（二）")
    page.click(f"#filing-{second.pk} button[value=up]")
    page.wait_for_selector(".message-success >> text=已调整顺序")
    first_row = page.locator(f"#item-{value} .filing").first
    assert "校园平面图（二）" in first_row.inner_text()
    assert list(Filing.objects.filter(item_id=value).order_by("order").values_list("title", flat=True)) == [
        "校园平面图（二）", "校园平面图（一）"]

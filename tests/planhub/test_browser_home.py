from __future__ import annotations

import pytest

from tests.conftest import browser_login
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_member_logs_in_and_sees_their_tasks_in_chinese(browser_page, county):
    page = browser_page
    browser_login(page, county.a.member.username, PASSWORD)
    page.wait_for_selector("#my-tasks")
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    assert "我的任务" in page.inner_text("main")
    rows = page.locator("#my-tasks tbody tr")
    titles = rows.all_inner_texts()
    assert any("印发文件" in t for t in titles)
    assert any("补充图书" in t for t in titles)
    assert not any("召开会议" in t for t in titles)  # someone else's task

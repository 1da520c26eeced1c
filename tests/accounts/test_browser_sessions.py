"""登录设备 in a browser: two devices of one user; one ends the other, which is then signed out."""

from __future__ import annotations

import os

import pytest

from tests.conftest import browser_login
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser

PHONE_UA = "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile Safari/537.36"


def shot(page, name):
    folder = os.environ.get("SCREENSHOTS")
    if folder:
        page.screenshot(path=os.path.join(folder, f"{name}.png"), full_page=True)


def test_a_user_sees_their_devices_and_ends_the_other(browser_page, live_server, county):
    page = browser_page
    user = county.a.member
    phone = page.context.browser.new_context(
        locale="zh-CN", base_url=live_server.url, user_agent=PHONE_UA, viewport={"width": 390, "height": 844}
    )
    try:
        phone_page = phone.new_page()
        browser_login(phone_page, user.username, PASSWORD)
        phone_page.wait_for_url(f"{live_server.url}/")
        browser_login(page, user.username, PASSWORD)
        page.wait_for_url(f"{live_server.url}/")
        page.click("text=登录设备")
        page.wait_for_url("**/accounts/sessions/")
        assert page.locator(".session-row").count() == 2
        assert page.locator(".session-current").count() == 1
        assert "Chrome · Android" in page.locator(".session-row:not(.session-current)").inner_text()
        shot(page, "sessions-desktop")
        phone_page.goto("/accounts/sessions/")
        shot(phone_page, "sessions-phone")
        page.click("text=结束其他 1 个登录")
        page.wait_for_selector("text=已结束其他 1 个登录会话")
        assert page.locator(".session-row").count() == 1
        shot(page, "sessions-ended")
        phone_page.goto("/")
        assert "/accounts/login/" in phone_page.url
    finally:
        phone.close()

"""Enrolling in two-factor sign-in in a browser: the server-rendered QR code shows, the code from an
authenticator (computed here from the secret on the page) enables it, and the policy holds."""

from __future__ import annotations

import base64
import os

import pytest
from django_otp.oath import totp

from tests.conftest import browser_login
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def shot(page, name):
    folder = os.environ.get("SCREENSHOTS")
    if folder:
        page.screenshot(path=os.path.join(folder, f"{name}.png"), full_page=True)


def test_a_bureau_account_enrols_with_the_qr_page_and_gets_recovery_codes(browser_page, county, settings):
    settings.TWO_FACTOR_REQUIRED = True
    page = browser_page
    violations = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    browser_login(page, county.bureau_admin.username, PASSWORD)
    page.wait_for_url("**/accounts/two-factor/?next=*")
    assert page.locator("h1").inner_text() == "启用两步验证"
    assert page.evaluate("() => document.querySelector('.twofa-qr img').naturalWidth") > 0
    shot(page, "twofa-setup-desktop")
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, "twofa-setup-phone")
    secret = page.locator(".twofa-secret").inner_text().replace(" ", "")
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    page.fill("#id_token", f"{totp(key):06d}")
    page.click("main button[type=submit]")
    page.wait_for_selector("text=两步验证已启用")
    assert page.locator(".twofa-codes li").count() == 10
    shot(page, "twofa-codes-phone")
    page.click("text=我已保存，继续")
    page.wait_for_selector("header.topbar")
    assert "/accounts/" not in page.url
    assert violations == []

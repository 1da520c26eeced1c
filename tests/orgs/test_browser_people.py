"""In the browser: the bureau admin sets up a school and an account; the new person signs in with
the initial password, must choose their own, and lands on the home page."""

from __future__ import annotations

import os

import pytest

from tests.conftest import browser_login
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("PLANHUB_SHOTS")  # a folder: save screenshots there while building pages


def _shot(page, name):
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)
        page.set_viewport_size({"width": 390, "height": 844})
        page.screenshot(path=os.path.join(SHOTS, f"{name}-phone.png"), full_page=True)
        page.set_viewport_size({"width": 1280, "height": 800})


def test_bureau_admin_sets_up_a_school_and_the_new_person_changes_the_initial_password(browser_page, county):
    page = browser_page
    browser_login(page, county.bureau_admin.username, PASSWORD)
    page.click("text=单位与人员")
    page.wait_for_selector("#school-table")
    _shot(page, "orgs-index")
    page.click("text=新增学校")
    page.fill("#id_code", "jiuli")
    page.fill("#id_name", "九里小学")
    page.select_option("#id_parent", label="青石镇中心学校")
    page.fill("#id_township", "青石镇")
    page.select_option("#id_level", label="小学")
    page.fill("#id_address", "青石镇九里村")
    _shot(page, "orgs-school-form")
    page.click("main button[type=submit]")
    page.wait_for_selector("text=已创建“九里小学”")
    page.click("text=新增账号")
    page.fill("#id_full_name", "周老师")
    page.fill("#id_username", "zhou")
    page.fill("#id_phone", "139 0000 1111")
    page.fill("#id_position", "教务主任")
    page.click("main button[type=submit]")
    password = page.inner_text("#initial-password").strip()
    _shot(page, "orgs-password-once")
    page.click("text=返回九里小学")
    page.wait_for_selector("#people-table tr[data-username=zhou]")
    assert "13900001111" in page.inner_text("#people-table")
    _shot(page, "orgs-school-detail")
    page.click("text=退出")

    browser_login(page, "zhou", password)
    page.wait_for_selector("#forced-change")
    _shot(page, "orgs-password-change")
    page.fill("#id_old_password", password)
    page.fill("#id_new_password1", "Jiuli-2026!")
    page.fill("#id_new_password2", "Jiuli-2026!")
    page.click("main button[type=submit]")
    page.wait_for_selector("text=密码已修改")
    page.click(".who-name")
    page.wait_for_selector("#id_full_name")
    assert page.input_value("#id_full_name") == "周老师"
    _shot(page, "orgs-profile")


def test_a_locked_out_person_learns_when_to_try_again(browser_page, county, settings):
    page = browser_page
    for _ in range(settings.AXES_FAILURE_LIMIT):
        browser_login(page, county.a.member.username, "wrong-password")
    page.wait_for_selector("#locked-out")
    assert "登录已暂时锁定" in page.inner_text("main") and page.inner_text("#retry-at")
    _shot(page, "orgs-locked-out")

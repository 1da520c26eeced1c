"""In the browser: the principal opens the leading-group page from the plan, adds a teacher by name,
makes them office director, and sees both changes in the history."""

from __future__ import annotations

import os

import pytest

from tests.conftest import browser_login
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("PLANHUB_SHOTS")


def _shot(page, name):
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)
        page.set_viewport_size({"width": 390, "height": 844})
        page.screenshot(path=os.path.join(SHOTS, f"{name}-phone.png"), full_page=True)
        page.set_viewport_size({"width": 1280, "height": 800})


def test_principal_forms_the_leading_group(browser_page, county):
    page = browser_page
    staff = county.a.staff
    browser_login(page, county.a.leader.username, PASSWORD)
    page.goto(f"/plans/{county.a.plan.pk}/")
    page.click("#leading-group-link")
    page.wait_for_selector("#add-seat-form")
    page.select_option("#id_user", label=f"{staff.full_name}({staff.username})")
    page.select_option("#id_role", label="成员")
    page.fill("#id_duty", "资料收集")
    page.click("#add-seat-form button[type=submit]")
    page.wait_for_selector(f"#seat-table tr[data-user={staff.username}]")
    row = page.locator(f"#seat-table tr[data-user={county.a.office.username}]")
    row.locator("select[name$=role]").select_option(label="成员")
    row.locator("button:has-text('保存')").click()
    page.wait_for_selector("text=已保存")
    row = page.locator(f"#seat-table tr[data-user={staff.username}]")
    row.locator("select[name$=role]").select_option(label="办公室主任")
    row.locator("button:has-text('保存')").click()
    page.wait_for_selector("text=已保存")
    history = page.inner_text("#group-history")
    assert "加入领导小组" in history and "成员 → 办公室主任" in history
    _shot(page, "leading-group")


def test_principal_shifts_the_plan_by_a_week_after_a_preview(browser_page, county):
    page = browser_page
    browser_login(page, county.a.leader.username, PASSWORD)
    page.goto(f"/plans/{county.a.plan.pk}/")
    page.click("#plan-edit-link")
    page.fill("#id_days", "7")
    page.click("#shift-preview-form button[type=submit]")
    page.wait_for_selector("#shift-preview")
    _shot(page, "plan-edit")
    page.click("#shift-form button[type=submit]")
    page.wait_for_selector("text=已将日期整体调整 7 天")

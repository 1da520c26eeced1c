"""Dashboards in Chromium: live refresh on the plan-changed event, and phone-width layout."""

from __future__ import annotations

import pytest

from tasks.models import Task
from tests.conftest import browser_login
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_school_dashboard_refreshes_its_numbers_when_the_plan_changes(browser_page, county):
    page = browser_page
    browser_login(page, county.a.leader.username, PASSWORD)
    page.goto(f"/dashboards/plans/{county.a.plan.pk}/")
    kpi = page.locator("#dash-live .kpi-value").first
    assert kpi.inner_text() == "0%"
    Task.objects.filter(plan=county.a.plan).update(status=Task.Status.CLOSED)
    # Another plan's event is ignored; this plan's event (as static/js/live.js sends it) refreshes.
    page.evaluate("window.dispatchEvent(new CustomEvent('planhub:plan-changed', {detail: {plan: 987654}}))")
    page.wait_for_timeout(2200)
    assert kpi.inner_text() == "0%"
    page.evaluate(
        f"window.dispatchEvent(new CustomEvent('planhub:plan-changed', {{detail: {{plan: {county.a.plan.pk}}}}}))"
    )
    page.wait_for_function("() => document.querySelector('#dash-live .kpi-value').textContent.trim() === '100%'")
    assert page.locator("header.topbar").count() == 1  # the fragment replaced the region, not the page


def test_county_dashboard_refreshes_and_fits_a_phone(browser_page, county):
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    browser_login(page, county.bureau_admin.username, PASSWORD)
    page.goto("/dashboards/county/")
    assert no_horizontal_scroll(page)
    assert page.locator("#county-schools tbody tr").count() == 2
    page.select_option("select[name=township]", "青石镇")
    page.click("#county-filters button[type=submit]")
    page.wait_for_url("**township=**")
    assert page.locator("#county-schools tbody tr").count() == 1
    Task.objects.filter(plan=county.b.plan).update(status=Task.Status.CLOSED)
    page.evaluate(
        f"window.dispatchEvent(new CustomEvent('planhub:plan-changed', {{detail: {{plan: {county.b.plan.pk}}}}}))"
    )
    page.wait_for_function("() => document.querySelector('#county-schools .dbar-label').textContent.trim() === '100%'")
    assert page.locator("#county-schools tbody tr").count() == 1  # the filter survives the refresh
    page.click("#county-schools a:has-text('b学校')")
    page.wait_for_url(f"**/plans/{county.b.plan.pk}/")


def test_school_dashboard_fits_a_phone(browser_page, county):
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    browser_login(page, county.a.member.username, PASSWORD)
    page.goto("/dashboards/")
    page.wait_for_selector("#dash-live")
    assert no_horizontal_scroll(page)
    assert "进度时间轴" in page.inner_text("main")

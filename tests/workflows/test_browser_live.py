"""Live pages in Chromium (issue 15, points 3 and 6).

Two browsers on a real ASGI server (websockets): the office has a submitted task open; the deputy
returns it; the office's page, without a reload, says it was updated (已退回) and its action buttons
are disabled, so nobody approves a task that no longer waits for review. And 我的待办 is a list of
cards on a phone (390×844) without sideways scrolling, still a table at 1366×900.
"""

from __future__ import annotations

import pytest

from tasks import services
from tasks.models import Task
from tests.conftest import browser_login
from tests.factories import PASSWORD
from tests.notifications import test_browser_notifications as harness
from tests.workflow_helpers import fresh, to_state

# The two-browser fixtures on a real ASGI server (websockets), shared with the bell's tests.
asgi_server = harness.asgi_server
two_browsers = harness.two_browsers

pytestmark = [pytest.mark.browser, pytest.mark.concurrency]


def return_in_browser(page, reviewer, task, reason):
    """``reviewer`` signs in on ``page`` and returns ``task`` through its page, as a person would."""
    browser_login(page, reviewer.username, PASSWORD)
    page.goto(f"/tasks/{task.pk}/")
    page.fill("#id_return_reason", reason)
    page.click("#return-form button[type=submit]")
    page.wait_for_selector(".message-success")


ACTION_BUTTONS = "Array.from(document.querySelectorAll('form input[name=version]')).map(i => i.form.querySelector('button[type=submit]'))"


def test_open_task_page_shows_the_banner_when_another_user_returns_the_task(county, two_browsers):
    a = county.a
    task = to_state(a, "submitted")
    office_page, deputy_page = two_browsers
    browser_login(office_page, a.office.username, PASSWORD)
    office_page.goto(f"/tasks/{task.pk}/")
    office_page.wait_for_selector("#notif[data-state=live]")
    assert "待审核" in office_page.inner_text(".title-row")
    assert office_page.evaluate(f"{ACTION_BUTTONS}.every(b => b && !b.disabled)")
    office_page.wait_for_timeout(400)  # the first versions check (on connect) found nothing stale
    assert office_page.is_hidden("#live-banner")
    office_page.evaluate("window.__loads = performance.getEntriesByType('navigation').length")

    return_in_browser(deputy_page, a.deputy, task, "请补充会议纪要")
    assert fresh(task).status == Task.Status.RETURNED

    office_page.wait_for_selector("#live-banner:not([hidden])", timeout=5000)
    banner = office_page.inner_text("#live-banner")
    assert "已退回" in banner and "点击刷新" in banner
    status = office_page.inner_text(".title-row")
    assert "已退回" in status and "待审核" not in status  # the badge no longer claims it waits for review
    assert office_page.evaluate(f"{ACTION_BUTTONS}.length") >= 2
    assert office_page.evaluate(f"{ACTION_BUTTONS}.every(b => b.disabled)")
    assert office_page.evaluate("performance.getEntriesByType('navigation').length") == 1, "no reload"

    office_page.click("#live-refresh")
    office_page.wait_for_selector("#live-banner[hidden]", state="attached")
    assert "已退回" in office_page.inner_text(".title-row")
    assert office_page.locator("#return-form").count() == 0  # nothing to review any more


def test_a_change_missed_by_the_socket_is_caught_when_the_page_checks(county, two_browsers):
    """Delivery is at most once: a change made while the page heard nothing (here: by this process,
    whose pushes never reach the server's in-memory layer) shows once the page re-checks."""
    a = county.a
    task = to_state(a, "submitted")
    office_page, _ = two_browsers
    browser_login(office_page, a.office.username, PASSWORD)
    office_page.goto(f"/tasks/{task.pk}/")
    office_page.wait_for_selector("#notif[data-state=live]")
    office_page.wait_for_timeout(800)  # past the check every (re)connect makes
    services.task_close(task=task, actor=a.deputy)
    office_page.wait_for_timeout(500)
    assert office_page.is_hidden("#live-banner")  # nobody told it
    office_page.evaluate("window.dispatchEvent(new CustomEvent('planhub:live-connected', {detail: {reconnect: true}}))")
    office_page.wait_for_selector("#live-banner:not([hidden])", timeout=5000)
    assert "已完成" in office_page.inner_text("#live-banner")


def test_open_inbox_shows_the_banner_when_an_entry_is_settled_elsewhere(county, two_browsers):
    a = county.a
    task = to_state(a, "submitted")
    office_page, deputy_page = two_browsers
    browser_login(office_page, a.office.username, PASSWORD)
    office_page.goto("/tasks/inbox/")
    office_page.wait_for_selector("#notif[data-state=live]")
    assert task.title in office_page.inner_text("#inbox-review")
    office_page.wait_for_timeout(400)
    assert office_page.is_hidden("#live-banner")

    browser_login(deputy_page, a.deputy.username, PASSWORD)
    deputy_page.goto(f"/tasks/{task.pk}/")
    deputy_page.click("form[action$='/close/'] button[type=submit]")
    deputy_page.wait_for_selector(".message-success")

    office_page.wait_for_selector("#live-banner:not([hidden])", timeout=5000)
    office_page.click("#live-refresh")
    office_page.wait_for_load_state("load")
    assert office_page.locator("#inbox-review").count() == 0 or task.title not in office_page.inner_text(
        "#inbox-review"
    )


def test_open_gate_page_stops_offering_the_signature_when_a_task_is_reopened(county, two_browsers):
    a = county.a
    services.task_submit(task=a.tasks[0], actor=a.member)
    services.task_close(task=a.tasks[0], actor=a.office)
    services.task_submit(task=a.tasks[1], actor=a.member2)
    services.task_close(task=a.tasks[1], actor=a.office)
    services.task_waive(task=a.tasks[2], actor=a.leader, reason="由上级统一印发")
    stage = a.plan.stages.get(order=1)
    gate_page, other_tab = two_browsers  # the leader in two windows
    browser_login(gate_page, a.leader.username, PASSWORD)
    gate_page.goto(f"/workflows/stages/{stage.pk}/")
    gate_page.wait_for_selector("#notif[data-state=live]")
    gate_page.wait_for_timeout(400)
    assert gate_page.evaluate("document.querySelector('#sign-gate').disabled") is False

    browser_login(other_tab, a.leader.username, PASSWORD)
    other_tab.goto(f"/tasks/{a.tasks[0].pk}/")
    other_tab.fill("#id_reopen_reason", "会议纪要缺签字")
    other_tab.click("form[action$='/reopen/'] button[type=submit]")
    other_tab.wait_for_selector(".message-success")

    gate_page.wait_for_selector("#live-banner:not([hidden])", timeout=5000)
    assert gate_page.evaluate("document.querySelector('#sign-gate').disabled") is True
    gate_page.wait_for_timeout(300)  # forms.js's pageshow handler must not enable it again
    assert gate_page.evaluate("document.querySelector('#sign-gate').disabled") is True


def test_a_task_page_rereads_only_for_its_own_task(county, two_browsers):
    """Every transition of a plan tells its pages that the plan changed; a task page waits for its
    own task's hint instead of re-reading its versions each time (one request per open page per
    transition of the school's plan, before). A hint for many tasks of the plan at once still makes
    it re-read."""
    a = county.a
    mine = to_state(a, "submitted")
    other = services.task_submit(task=a.tasks[1], actor=a.member2, note="完成", files=[])
    office_page, deputy_page = two_browsers
    browser_login(office_page, a.office.username, PASSWORD)
    office_page.goto(f"/tasks/{mine.pk}/")
    office_page.wait_for_selector("#notif[data-state=live]")
    office_page.wait_for_timeout(400)
    asked: list[str] = []
    office_page.on("request", lambda r: asked.append(r.url) if "/notifications/live/" in r.url else None)
    changes: list[int] = []
    office_page.expose_function("__planChanged", lambda plan: changes.append(plan))
    office_page.evaluate("window.addEventListener('planhub:plan-changed', e => window.__planChanged(e.detail.plan))")

    return_in_browser(deputy_page, a.deputy, other, "请补充")
    office_page.wait_for_timeout(1000)
    assert changes == [a.plan.pk], "the page heard its plan change"
    assert asked == [] and office_page.is_hidden("#live-banner")

    office_page.evaluate(
        f"window.dispatchEvent(new CustomEvent('planhub:object-changed', {{detail: {{kind: 'task', id: null, plan: {a.plan.pk}}}}}))"
    )
    office_page.wait_for_timeout(800)
    assert len(asked) == 1, asked
    assert office_page.is_hidden("#live-banner")  # re-read, and its own task had not changed

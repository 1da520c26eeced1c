"""Two browsers: the office 催办s a task; the member's open page shows the badge and a toast at once,
without reload. Served by a real ASGI server (daphne), since pytest-django's live server has no
websockets; the server shares the test database (a file for SQLite, test_<name> for PostgreSQL)."""

from __future__ import annotations

import os
import time
import uuid

import pytest
from playwright.sync_api import expect

from bench.harness import AsgiServer, database_env
from notifications.models import Notification
from tests.conftest import CHROMIUM, browser_login
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.concurrency]

LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def asgi_server(transactional_db, tmp_path):
    # DEBUG=1 only so that WhiteNoise serves static files from the source tree (no collectstatic).
    env = {
        **database_env(),
        "DJANGO_SETTINGS_MODULE": "planhub.settings_test",
        "DEBUG": "1",
        "CHANNEL_LAYER_PREFIX": f"test-browser-{uuid.uuid4().hex[:12]}",
    }
    server = AsgiServer(env=env, log_path=str(tmp_path / "daphne.log"))
    with server:
        yield server


@pytest.fixture
def two_browsers(asgi_server):
    from playwright.sync_api import sync_playwright

    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        contexts = [browser.new_context(locale="zh-CN", base_url=asgi_server.url) for _ in range(2)]
        pages = [context.new_page() for context in contexts]
        for page in pages:
            page.set_default_timeout(15000)
        try:
            yield pages
        finally:
            for context in contexts:
                context.close()
            browser.close()
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def test_member_sees_badge_and_toast_without_reload(county, two_browsers, tmp_path):
    a = county.a
    task = a.tasks[0]
    office_page, member_page = two_browsers
    unread_before = Notification.objects.filter(recipient=a.member, read_at__isnull=True).count()

    browser_login(member_page, a.member.username, PASSWORD)
    member_page.wait_for_selector("#notif[data-state=live]")
    member_page.wait_for_function(f"document.getElementById('notif-badge').textContent === '{unread_before}'")
    browser_login(office_page, a.office.username, PASSWORD)
    office_page.goto(f"/tasks/{task.pk}/reminders/")
    member_page.evaluate("window.__loads = performance.getEntriesByType('navigation').length")

    office_page.fill("input[name=note]", "请今天上传文件")
    office_page.click("[data-nudge]")
    clicked = time.monotonic()
    toast = member_page.wait_for_selector(".toast", timeout=1000)
    seen_after = time.monotonic() - clicked
    assert task.title in toast.text_content() and "催办" in toast.text_content()
    assert f"《{a.plan.title}》" in toast.text_content()  # every notification names its plan
    member_page.wait_for_function(
        f"document.getElementById('notif-badge').textContent === '{unread_before + 1}'", timeout=1000
    )
    assert member_page.evaluate("performance.getEntriesByType('navigation').length") == 1, "no reload"
    member_page.screenshot(path=str(tmp_path / "member.png"))
    assert "已催办" in office_page.text_content(".messages")

    member_page.click("#notif-bell")
    # The dropdown re-reads the feed when it opens: wait for that read, not for the first paint.
    first = member_page.locator("#notif-list .notif-item").first
    expect(first).to_contain_text("请今天上传文件", timeout=5000)
    assert "请今天上传文件" in first.text_content() and f"《{a.plan.title}》" in first.text_content()
    member_page.click("#notif-read-all")
    member_page.wait_for_selector("#notif-badge", state="hidden")
    assert not Notification.objects.filter(recipient=a.member, read_at__isnull=True).exists()
    print(f"toast after {seen_after * 1000:.0f} ms")  # shown with -s; a figure, not an assertion


def test_reconnect_rereads_what_was_missed(county, two_browsers):
    """Notifications created while the page's socket was down show up after it reconnects."""
    from notifications.services import notify

    a = county.a
    _, member_page = two_browsers
    browser_login(member_page, a.member.username, PASSWORD)
    member_page.wait_for_selector("#notif[data-state=live]")
    before = int(member_page.text_content("#notif-badge") or 0)
    member_page.evaluate("window.planhubLive && document.getElementById('notif').setAttribute('data-test', '1')")
    # Created by this process: with the in-memory layer its push never reaches the server's
    # sockets, exactly like a push lost while the page was away. The page catches up on resync.
    notify(recipients=[a.member], kind=Notification.Kind.COMMENT, text="离线期间的评论", plan=a.plan)
    member_page.evaluate("window.planhubLive.resync()")
    member_page.wait_for_function(f"document.getElementById('notif-badge').textContent === '{before + 1}'")
    member_page.wait_for_selector(".toast:has-text('离线期间的评论')")


# Holds every websocket of the page until the test calls window.__openSockets(): the gap between a
# page's rendering and its socket's opening, made as long as the test needs.
HOLD_SOCKETS = """
(() => {
  const Real = window.WebSocket;
  let go;
  const gate = new Promise((resolve) => { go = resolve; });
  window.__openSockets = () => go();
  window.WebSocket = function (url) {
    const held = { readyState: 0, real: null, closed: false,
      send(data) { if (this.real) this.real.send(data); },
      close() { if (this.real) this.real.close(); else this.closed = true; } };
    gate.then(() => {
      if (held.closed) return;
      const ws = new Real(url);
      held.real = ws;
      ws.onopen = (e) => { held.readyState = 1; if (held.onopen) held.onopen(e); };
      ws.onmessage = (e) => { if (held.onmessage) held.onmessage(e); };
      ws.onclose = (e) => { held.readyState = 3; if (held.onclose) held.onclose(e); };
    });
    return held;
  };
})();
"""


def test_a_page_load_asks_nothing_over_http_and_its_socket_catches_up(county, two_browsers):
    """The bell is rendered with the page and the page's socket asks what changed since (catch_up):
    a task returned and its notification created before the socket opened still reach the page."""
    from tasks import services
    from tests.workflow_helpers import to_state

    a = county.a
    task = to_state(a, "submitted")
    _, member_page = two_browsers
    browser_login(member_page, a.member.username, PASSWORD)
    unread = Notification.objects.filter(recipient=a.member, read_at__isnull=True).count()
    member_page.context.add_init_script(HOLD_SOCKETS)
    asked: list[str] = []
    member_page.on(
        "request",
        lambda r: asked.append(r.url) if "/notifications/feed/" in r.url or "/notifications/live/" in r.url else None,
    )

    member_page.goto(f"/tasks/{task.pk}/")
    expect(member_page.locator("#notif-badge")).to_have_text(str(unread))  # rendered, not fetched
    # In the gap: returned by the office, with its notification; the pushes reach no socket.
    services.task_return(task=task, actor=a.deputy, reason="请补充照片")
    member_page.wait_for_timeout(300)
    assert asked == [], "a page load reads neither the feed nor the versions"

    member_page.evaluate("window.__openSockets()")
    member_page.wait_for_selector("#notif[data-state=live]")
    expect(member_page.locator("#live-banner")).to_contain_text("此页内容已在别处更新")
    expect(member_page.locator("#live-banner")).to_contain_text("已退回")
    expect(member_page.locator("#notif-badge")).to_have_text(str(unread + 1))
    expect(member_page.locator(".toast").first).to_contain_text(task.title)
    assert not any("/notifications/live/" in url for url in asked), "the versions came over the socket"
    assert sum("/notifications/feed/" in url for url in asked) == 1, "the feed is read once: the inbox changed"

"""The load of `manage.py bench http`: Locust as a library, headless, in a process of its own
(Locust patches the standard library for gevent on import; the Django process that started the
servers must not be patched). Not a Django module: it only speaks HTTP and websockets.

``python -m bench.http_load <config.json> <out.json>``. The config names the base URL, the
browsers (role, account, stored session), the duration and the empty-view phase. Two phases:

1. the mix, one simulated browser per account, thinking 1–3 s before every page and form; each
   page opens its websocket as static/js/live.js does (its subscriptions, then its catch_up, and
   the notification page re-read when the inbox changed), reconnecting after 1 s when it drops;
2. the empty view, closed loop (no think time): the framework's limit through the same servers.

Every transition a browser posts is logged with what the browser saw (the success message on
the page it was sent back to, an error message, the evidence store's "unavailable, nothing
saved" page, or an HTTP/connection error), so that the orchestrator can compare it with the audit history afterwards.
"""

from __future__ import annotations

from gevent import monkey

monkey.patch_all()

import html  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from typing import Any  # noqa: E402

import gevent  # noqa: E402
import websocket  # noqa: E402  (websocket-client: blocking sockets, cooperative once patched)
from locust import FastHttpUser, HttpUser, constant, events, task  # noqa: E402
from locust.env import Environment  # noqa: E402

from core.storage import UNAVAILABLE  # noqa: E402  (a plain string; core.storage imports no Django)

TASK_LINK = re.compile(r'href="/tasks/(\d+)/"')
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
ACTION = re.compile(r'action="/tasks/(\d+)/act/(\w+)/"')
VERSION = re.compile(r'name="version" value="(\d+)"')
# What a page's scripts tell its socket (static/js/live.js, live_pages.js): the plans it shows, its
# organisation, the bell it was rendered with and the objects it watches.
LIVE_PLAN = re.compile(r'data-live-plan="(\d+)"')
LIVE_ORG = "data-live-org"
BELL = re.compile(r'data-unread="(\d+)" data-latest-id="(\d+)"')
WATCH = re.compile(r'data-live-watch="(\w+):(\d+):(\d+)"')
WATCH_URL = re.compile(r'data-live-watch="[^"]*"[^>]*data-live-url="([^"]+)"')
DASHBOARD = re.compile(r'id="dash-live"[^>]*data-live-url="([^"]+)"[^>]*data-plans="([^"]*)"')
# How the pages' scripts answer the socket's hints (live_pages.js, dashboard.js): a page that
# watches more than tasks re-reads their versions 300 ms after a change of one of its plans (a task
# page, on its task's own hint); a dashboard re-fetches its live region 1.5 s after the last change
# of a plan it shows (at most 10 s after the first). A hint during a read asks for one more read
# after it, as the scripts do.
CHECK_DELAY = 0.3
DASHBOARD_DELAY, DASHBOARD_MAX_WAIT = 1.5, 10.0
DONE = {"start": "已开始办理。", "submit": "已提交审核。", "close": "任务已审核通过。", "return": "任务已退回。"}
# A tiny valid PNG (1×1): evidence files are checked by their content, not their names.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360"
    "000002000001e221bc330000000049454e44ae426082"
)

CONFIG: dict[str, Any] = {}
TRANSITIONS: list[dict[str, Any]] = []
# page_sockets: sockets a page load opened in place of the previous page's (--sockets per-page);
# reconnects: sockets reopened after the server or the network dropped one.
WS = {
    "connects": 0,
    "page_sockets": 0,
    "reconnects": 0,
    "failures": 0,
    "messages": 0,
    "notifications": 0,
    "rereads": 0,
    "caught_up": 0,
    "inbox_changed": 0,
    "hint_checks": 0,
    "hint_refreshes": 0,
}
ACCOUNTS: dict[str, list[dict[str, Any]]] = {}


class Browser(HttpUser):
    abstract = True
    # A browser thinks 1-3 s before every page and every form it sends (see think()), not only
    # between Locust tasks: a task here is several pages.
    wait_time = constant(0)
    role = ""

    def on_start(self) -> None:
        self.account = ACCOUNTS[self.role].pop()
        self.client.cookies.set("sessionid", self.account["session"])
        self.stopped = False
        self.reread = False
        self.ws: Any = None
        self.navigated = False  # the socket was closed by a page load, not dropped
        self.subscriptions: list[str] = []  # the current page's subscribe frames
        self.catch_up = ""  # and its catch_up frame, sent by its first socket only
        self.scripts = PageScripts(self)
        self.socket_greenlet = gevent.spawn(self._hold_socket)

    def on_stop(self) -> None:
        self.stopped = True
        self.socket_greenlet.kill(block=False)

    # --- websocket ------------------------------------------------------------------------------

    def _hold_socket(self) -> None:
        base = CONFIG["base_url"]
        # The socket's own server when pages are served by WSGI (granian-wsgi); the page's origin.
        url = CONFIG.get("ws_url") or base.replace("http://", "ws://") + "/ws/notifications/"
        opened_before = False
        while not self.stopped:
            try:
                ws = websocket.create_connection(
                    url, cookie=f"sessionid={self.account['session']}", origin=base, timeout=30
                )
            except Exception:
                WS["failures"] += 1
                gevent.sleep(1)
                continue
            WS["connects"] += 1
            fresh_page = self.navigated or not opened_before
            if self.navigated:
                WS["page_sockets"] += 1  # the new page's own socket: the page itself is fresh
            elif opened_before:
                WS["reconnects"] += 1
                self.reread = True  # what live.js does on a reconnect: re-read the inbox
            self.navigated = False
            opened_before = True
            self.ws = ws
            try:
                # What live.js sends on open: the page's subscriptions, then (a page's first
                # socket) what the page was rendered with; a reconnect re-reads over HTTP instead.
                for frame in self.subscriptions + ([self.catch_up] if fresh_page and self.catch_up else []):
                    ws.send(frame)
                while not self.stopped:
                    try:
                        message = ws.recv()
                    except websocket.WebSocketTimeoutException:
                        ws.send(json.dumps({"ping": 1}))  # what live.js sends
                        continue
                    if not message:
                        break
                    WS["messages"] += 1
                    if '"caught_up"' in message:
                        WS["caught_up"] += 1
                        if '"inbox_changed": true' in message:
                            WS["inbox_changed"] += 1
                            self.reread = True
                    elif 'changed"' in message:  # "type": "plan_changed" or "changed"
                        self.scripts.hint(message)
                    elif '"notification"' in message or '"sync"' in message:
                        WS["notifications"] += 1
                        self.reread = True
            except Exception:
                pass
            finally:
                self.ws = None
                try:
                    ws.close()
                except Exception:
                    pass
            if not self.stopped and not self.navigated:
                gevent.sleep(1)

    def navigate(self, page: str, url: str) -> None:
        """A page was loaded: the previous page's socket closes and the new page opens its own
        (static/js/live.js runs on every page). abort() wakes the socket greenlet from its recv."""
        self.scripts.load(page, url)
        if page:
            self.subscriptions, self.catch_up = _socket_frames(page)
        if not CONFIG.get("socket_per_page") or self.ws is None:
            return
        self.navigated = True
        try:
            self.ws.abort()
        except Exception:
            pass

    # --- pages ----------------------------------------------------------------------------------

    def think(self) -> None:
        gevent.sleep(random.uniform(1, 3))

    def get(self, url: str, name: str) -> str:
        self.think()
        with self.client.get(url, name=name, catch_response=True) as response:
            text = _page(response)
        self.navigate(text, url)
        return text

    def maybe_reread(self) -> None:
        if self.reread:
            self.reread = False
            WS["rereads"] += 1
            self.get("/notifications/", "notifications (re-read)")

    def act(self, task_id: int, action: str, page: str, **extra: Any) -> None:
        token = CSRF.search(page)
        version = VERSION.search(page)
        data = {"csrfmiddlewaretoken": token.group(1) if token else "", "version": version.group(1) if version else ""}
        data.update(extra.pop("data", {}))
        self.think()
        entry = {"task": task_id, "action": action, "user": self.account["username"], "at": time.time()}
        # Logged before it is sent: a POST still waiting for its answer when the mix ends stays
        # "unfinished" (the server may still carry it out after the browser has gone).
        entry["outcome"] = "unfinished"
        TRANSITIONS.append(entry)
        with self.client.post(
            f"/tasks/{task_id}/act/{action}/", data=data, name=f"POST {action}", catch_response=True, **extra
        ) as response:
            entry["status"] = response.status_code or 0
            if entry["status"] == 400 and UNAVAILABLE in (response.text or ""):
                # The evidence store could not be reached: the page says so and nothing was saved.
                # What the site is meant to answer, not a failed request; counted apart.
                response.success()
                entry["outcome"] = "store_refused"
                return
            text = _page(response)
            self.navigate(text, response.url or "")  # the redirect after the form is a page of its own
            if not text:
                entry["outcome"] = "error"
                entry["error"] = repr(getattr(response, "error", None) or response.status_code)[:200]
            elif DONE[action] in text:
                entry["outcome"] = "done"
            else:
                entry["outcome"] = "refused"  # a domain message (e.g. someone else was faster)

    def open_some_task(self) -> tuple[int, str, set[str]] | None:
        inbox = self.get("/tasks/inbox/", "inbox")
        ids = TASK_LINK.findall(inbox)
        if not ids:
            return None
        task_id = int(random.choice(ids))
        page = self.get(f"/tasks/{task_id}/", "task")
        actions = {a for t, a in ACTION.findall(page) if int(t) == task_id}
        return task_id, page, actions


class PageScripts:
    """The open page's answers to its socket's hints (static/js/live_pages.js, dashboard.js),
    over HTTP with the browser's session; forgotten when the browser leaves the page."""

    def __init__(self, browser: Browser) -> None:
        self.browser = browser
        self.generation = 0
        self.watch: dict[tuple[str, int], str] = {}
        self.plans: set[int] = set()
        self.versions_url = ""
        self.dashboard_url = ""
        self.dashboard_plans: set[int] = set()
        self.check_timer: Any = None
        self.stale = False  # a check found the page stale: it asks nothing more (live_pages.js)
        self.checking = False
        self.check_again = False
        self.dashboard_timer: Any = None
        self.dashboard_first = 0.0
        self.refreshing = False
        self.refresh_again = False

    def load(self, page: str, url: str) -> None:
        self.generation += 1
        for timer in (self.check_timer, self.dashboard_timer):
            if timer is not None:
                timer.kill(block=False)
        self.check_timer = self.dashboard_timer = None
        self.checking = self.check_again = self.refreshing = self.refresh_again = self.stale = False
        self.dashboard_first = 0.0
        self.watch = {(kind, int(pk)): version for kind, pk, version in WATCH.findall(page or "")}
        self.plans = {int(p) for p in LIVE_PLAN.findall(page or "")}
        found = WATCH_URL.search(page or "")
        self.versions_url = found.group(1) if found and self.watch else ""
        dashboard = DASHBOARD.search(page or "")
        self.dashboard_url = url.split("?")[0] + html.unescape(dashboard.group(1)) if dashboard else ""
        self.dashboard_plans = {int(p) for p in dashboard.group(2).split(",") if p} if dashboard else set()

    def hint(self, message: str) -> None:
        try:
            event = json.loads(message)
        except ValueError:
            return
        if event.get("type") == "plan_changed":
            plan = event.get("plan")
            if self.versions_url and plan in self.plans and self.checks_on_plan_change():
                self.check_soon()
            if self.dashboard_url and plan in self.dashboard_plans:
                self.refresh_soon()
        elif event.get("type") == "changed" and event.get("id") is None:  # many of a kind at once
            if self.versions_url and event.get("plan") in self.plans:
                if any(kind == event.get("kind") for kind, _ in self.watch):
                    self.check_soon()
        elif event.get("type") == "changed":
            shown = self.watch.get((event.get("kind"), event.get("id")))
            if shown is not None and shown != str(event.get("version")):
                self.check_soon(0)

    def checks_on_plan_change(self) -> bool:
        return True  # live_pages.js before 96f7f4e: every page that watches re-reads on a plan change

    def check_soon(self, delay: float = CHECK_DELAY) -> None:
        if self.stale:
            return
        if self.checking:  # the read under way reads once more when it is done
            self.check_again = True
            return
        if self.check_timer is not None:
            self.check_timer.kill(block=False)
        self.check_timer = gevent.spawn_later(delay, self.check, self.generation)

    def check(self, generation: int) -> None:
        if generation != self.generation:
            return
        if self.checking:
            self.check_again = True
            return
        self.checking = True
        query = {}
        for kind, pk in self.watch:
            query.setdefault(kind, []).append(str(pk))
        params = "&".join(f"{kind}={','.join(ids)}" for kind, ids in query.items())
        WS["hint_checks"] += 1
        response = self.browser.client.get(f"{self.versions_url}?{params}", name="versions (hint)")
        self.checking = False
        try:
            now = response.json()["versions"]
        except Exception:
            now = None
        if now is not None and generation == self.generation:
            for (kind, pk), version in self.watch.items():
                if (now.get(f"{kind}:{pk}") or {}).get("version") != version:
                    self.stale = True
        if self.check_again and generation == self.generation and not self.stale:
            self.check_again = False
            self.check(generation)

    def refresh_soon(self) -> None:
        if self.refreshing:  # the re-fetch under way is followed by one more
            self.refresh_again = True
            return
        now = time.monotonic()
        self.dashboard_first = self.dashboard_first or now
        wait = 0.0 if now - self.dashboard_first >= DASHBOARD_MAX_WAIT else DASHBOARD_DELAY
        if self.dashboard_timer is not None:
            self.dashboard_timer.kill(block=False)
        self.dashboard_timer = gevent.spawn_later(wait, self.refresh, self.generation)

    def refresh(self, generation: int) -> None:
        if generation != self.generation:
            return
        self.dashboard_first = 0.0
        self.refreshing = True
        WS["hint_refreshes"] += 1
        self.browser.client.get(
            self.dashboard_url, name="dashboard refresh (hint)", headers={"X-Requested-With": "fetch"}
        )
        self.refreshing = False
        if self.refresh_again and generation == self.generation:
            self.refresh_again = False
            self.refresh_soon()


def _socket_frames(page: str) -> tuple[list[str], str]:
    """The frames live.js sends when the page's socket opens: its subscriptions and its catch_up."""
    frames = []
    plans = sorted({int(p) for p in LIVE_PLAN.findall(page)})
    if plans:
        frames.append(json.dumps({"subscribe": "plan", "ids": plans}))
    if LIVE_ORG in page:
        frames.append(json.dumps({"subscribe": "org"}))
    bell = BELL.search(page)
    if not bell:
        return frames, ""
    watch: dict[str, list[int]] = {}
    for kind, pk, _version in WATCH.findall(page):
        watch.setdefault(kind, []).append(int(pk))
    catch_up = {"unread": int(bell.group(1)), "latest": int(bell.group(2)), "watch": watch}
    return frames, json.dumps({"catch_up": catch_up})


def _page(response: Any) -> str:
    """The page's text, or "" after marking the request failed: a connection error (a killed
    worker), an error status, or the login page (a session lost)."""
    error = getattr(response, "error", None)
    if error is not None:
        response.failure(error)
        return ""
    if response.status_code >= 400:
        response.failure(f"HTTP {response.status_code}")
        return ""
    if "/accounts/login/" in response.url:
        response.failure("signed out")
        return ""
    response.success()
    return response.text


class Member(Browser):
    abstract = True
    role = "member"

    @task
    def work(self) -> None:
        self.maybe_reread()
        opened = self.open_some_task()
        if opened is None:
            return
        task_id, page, actions = opened
        if "start" in actions:
            self.act(task_id, "start", page)
        elif "submit" in actions:
            self.act(
                task_id,
                "submit",
                page,
                data={"note": "已完成，附佐证。"},
                files=[("files", ("evidence.png", PNG, "image/png"))],
            )


class Office(Browser):
    abstract = True
    role = "office"

    @task
    def review(self) -> None:
        self.maybe_reread()
        opened = self.open_some_task()
        if opened is None:
            return
        task_id, page, actions = opened
        if "close" in actions and random.random() < 0.7:
            self.act(task_id, "close", page)
        elif "return" in actions:
            self.act(task_id, "return", page, data={"reason": "请补充佐证材料。"})


class Principal(Browser):
    abstract = True
    role = "principal"

    @task(3)
    def dashboard(self) -> None:
        self.maybe_reread()
        self.get(f"/dashboards/plans/{self.account['plan']}/", "school dashboard")

    @task(1)
    def plan(self) -> None:
        self.get("/", "home")
        self.get(f"/plans/{self.account['plan']}/", "plan")


class Bureau(Browser):
    abstract = True
    role = "bureau"

    @task(4)
    def county(self) -> None:
        self.maybe_reread()
        self.get("/dashboards/county/", "county dashboard")

    @task(1)
    def export(self) -> None:
        self.think()
        with self.client.get("/excel/county/summary.xlsx", name="county export", catch_response=True) as response:
            if getattr(response, "error", None) is not None:
                response.failure(response.error)
            elif response.status_code >= 400 or not response.content.startswith(b"PK"):
                response.failure(f"not a workbook (HTTP {response.status_code})")
            else:
                response.success()


class Empty(FastHttpUser):
    wait_time = constant(0)

    @task
    def empty(self) -> None:
        self.client.get("/__bench__/empty/", name="empty view")


def _summary(env: Environment, seconds: float) -> dict[str, Any]:
    total = env.stats.total
    per_endpoint = {}
    for (name, _method), entry in sorted(env.stats.entries.items()):
        per_endpoint[name] = {
            "requests": entry.num_requests,
            "errors": entry.num_failures,
            "p50_ms": round(entry.get_response_time_percentile(0.50) or 0, 1),
            "p95_ms": round(entry.get_response_time_percentile(0.95) or 0, 1),
            "p99_ms": round(entry.get_response_time_percentile(0.99) or 0, 1),
            "max_ms": round(entry.max_response_time or 0, 1),
        }
    errors = {f"{e.method} {e.name}: {e.error}"[:200]: e.occurrences for e in env.stats.errors.values()}
    return {
        "requests": total.num_requests,
        "errors": total.num_failures,
        "rps": round(total.num_requests / seconds, 1) if seconds else 0.0,
        "p50_ms": round(total.get_response_time_percentile(0.50) or 0, 1),
        "p95_ms": round(total.get_response_time_percentile(0.95) or 0, 1),
        "p99_ms": round(total.get_response_time_percentile(0.99) or 0, 1),
        "per_endpoint": per_endpoint,
        "error_samples": errors,
        "seconds": round(seconds, 1),
    }


def _run(user_classes: list, users: int, spawn_rate: float, seconds: float, host: str) -> dict[str, Any]:
    env = Environment(user_classes=user_classes, events=events, host=host)
    runner = env.create_local_runner()
    started = time.monotonic()
    runner.start(users, spawn_rate=spawn_rate)
    gevent.spawn_later(seconds, runner.quit)
    runner.greenlet.join()
    return _summary(env, time.monotonic() - started)


def main() -> None:
    CONFIG.update(json.load(open(sys.argv[1], encoding="utf-8")))
    host = CONFIG["base_url"]
    for b in CONFIG["browsers"]:
        ACCOUNTS.setdefault(b["role"], []).append(b)
    classes = []
    for cls in (Member, Office, Principal, Bureau):
        count = len(ACCOUNTS.get(cls.role, []))
        if count:
            classes.append(type(cls.__name__ + "Browser", (cls,), {"fixed_count": count, "host": host}))
    users = len(CONFIG["browsers"])
    # Browsers arrive over the first tenth of the run (at most 10 s), as a morning does.
    spawn_rate = max(users / min(10.0, max(1.0, CONFIG["duration"] / 10)), 1.0)
    mixed = _run(classes, users, spawn_rate, CONFIG["duration"], host)
    # Tells the orchestrator the mix is over (it splits the servers' CPU seconds between the phases).
    with open(sys.argv[2] + ".mixed", "w", encoding="utf-8") as fh:
        fh.write(str(time.time()))
    empty = _run(
        [type("EmptyUser", (Empty,), {"host": host})],
        CONFIG["empty_users"],
        CONFIG["empty_users"],
        CONFIG["empty_seconds"],
        host,
    )
    out = {"mixed": mixed, "empty": empty, "websockets": WS, "transitions": TRANSITIONS}
    with open(sys.argv[2], "w", encoding="utf-8") as fh:
        json.dump(out, fh, ensure_ascii=False)


if __name__ == "__main__":
    main()

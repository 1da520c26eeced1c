/* Live header: notification badge, dropdown and toasts; plan-change events for dashboards.
 *
 * The websocket only carries hints. The truth is the database. The page is rendered with the unread
 * count and the newest notification's id (data-unread, data-latest-id); when its socket first opens
 * and has subscribed, it sends them back ("catch_up", with what live_pages.js watches) and the
 * server answers whether the inbox changed since, and the watched objects' versions: no request
 * over HTTP on a page load. After a reconnect, on a "sync" hint, when the tab becomes visible and
 * every few minutes the page re-reads the unread count and the newest notifications from the JSON
 * feed; the dropdown reads them when it opens. So nothing pushed while the page was away is lost.
 *
 * Events dispatched on window (CustomEvent, details in the report / README):
 *   planhub:notification    detail {item}            a new notification of this user arrived
 *   planhub:inbox           detail {unread, items}   the inbox was re-read from the server
 *   planhub:plan-changed    detail {plan, ts}        a subscribed plan changed: re-fetch its numbers
 *   planhub:object-changed  detail {kind, id, version, plan}  an object of a subscribed plan changed (live_pages.js);
 *                                                     id null: several of that kind in the plan changed
 *   planhub:live-connected  detail {reconnect}       socket (re)opened; after a reconnect, re-fetch
 *                                                     anything live, since events may have been missed
 *   planhub:caught-up       detail {versions}        the first socket's answer to catch_up: the current
 *                                                     versions of what the page watches
 *   planhub:live-disconnected
 * API: window.planhubLive.subscribePlans([ids]), .subscribeOrganisation(), .resync(),
 *      .watch({kind: [ids]}) (live_pages.js: what catch_up asks the versions of; false if too late)
 * Markup: any element with data-live-plan="N" subscribes to plan N; data-live-org subscribes to
 * the user's own organisation (every plan it may see).
 */
(function () {
  "use strict";
  var root = document.getElementById("notif");
  if (!root || !window.fetch) return;

  var bell = document.getElementById("notif-bell");
  var badge = document.getElementById("notif-badge");
  var panel = document.getElementById("notif-panel");
  var list = document.getElementById("notif-list");
  var readAllButton = document.getElementById("notif-read-all");
  var statusText = document.getElementById("notif-status");
  var toasts = document.getElementById("toast-stack");

  var MAX_BACKOFF_MS = 30000;
  var SAFETY_RESYNC_MS = 5 * 60 * 1000;
  var TOAST_MS = 6000;
  var MAX_TOASTS = 4;

  var s = {
    socket: null, attempt: 0, everOpened: false, stopped: false, reconnectTimer: null,
    known: {}, maxId: 0, loaded: false, unread: 0, lastSync: 0, syncTimer: null, syncing: null,
    plans: {}, org: false, pendingPlans: {}, planTimer: null, watch: {},
  };
  // What the page was rendered with: newer items are toasted when a re-read finds them.
  s.unread = Number(root.getAttribute("data-unread")) || 0;
  s.maxId = Number(root.getAttribute("data-latest-id")) || 0;
  s.loaded = root.hasAttribute("data-latest-id");

  function emit(name, detail) {
    window.dispatchEvent(new CustomEvent(name, { detail: detail || {} }));
  }

  function safeUrl(url) {
    return typeof url === "string" && url.charAt(0) === "/" && url.charAt(1) !== "/" && url.charAt(1) !== "\\" ? url : "";
  }

  function setState(name) {
    root.setAttribute("data-state", name);
    statusText.textContent = name === "live" ? "" : name === "offline" ? "连接中断，正在重连…" : name === "stopped" ? "登录已失效" : "";
  }

  // --- inbox (HTTP, the source of truth) -----------------------------------------------------------

  function renderBadge(count) {
    s.unread = count;
    badge.hidden = count <= 0;
    badge.textContent = count > 99 ? "99+" : String(count);
    bell.setAttribute("title", count > 0 ? "通知（" + count + " 条未读）" : "通知");
    var counters = document.querySelectorAll("[data-live-unread]");
    for (var i = 0; i < counters.length; i++) counters[i].textContent = String(count);
  }

  function renderList(items) {
    list.textContent = "";
    if (!items.length) {
      var empty = document.createElement("li");
      empty.className = "notif-empty";
      empty.textContent = "暂无通知";
      list.appendChild(empty);
      return;
    }
    items.forEach(function (item) {
      var li = document.createElement("li");
      li.className = "notif-item" + (item.read ? "" : " unread");
      var url = safeUrl(item.url);
      var body = document.createElement(url ? "a" : "div");
      body.className = "notif-item-body";
      if (url) {
        body.href = url;
        body.addEventListener("click", function () { markRead(item.id); });
      }
      var kind = document.createElement("span");
      kind.className = "notif-item-kind";
      kind.textContent = item.kind_label;
      var text = document.createElement("span");
      text.className = "notif-item-text";
      text.textContent = item.text;
      text.title = item.text;  // the dropdown shows two lines (app.css); the full text on hover
      var time = document.createElement("span");
      time.className = "notif-item-time";
      time.textContent = formatTime(item.created_at);
      body.appendChild(kind);
      body.appendChild(text);
      body.appendChild(time);
      li.appendChild(body);
      list.appendChild(li);
    });
  }

  function formatTime(iso) {
    var d = iso ? new Date(iso) : null;
    if (!d || isNaN(d.getTime())) return "";
    var seconds = (Date.now() - d.getTime()) / 1000;
    if (seconds < 60) return "刚刚";
    if (seconds < 3600) return Math.floor(seconds / 60) + " 分钟前";
    if (seconds < 86400) return Math.floor(seconds / 3600) + " 小时前";
    return (d.getMonth() + 1) + "月" + d.getDate() + "日";
  }

  function resync() {
    if (s.syncing) return s.syncing;
    s.syncing = fetch(root.getAttribute("data-feed-url"), {
      credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" },
    }).then(function (response) {
      if (response.status === 401 || response.status === 403) { stop(); return null; }
      if (!response.ok) throw new Error("feed " + response.status);
      return response.json();
    }).then(function (data) {
      if (!data) return;
      s.lastSync = Date.now();
      var fresh = [];
      data.items.forEach(function (item) {
        // Toast what arrived while the socket was away (its push was lost or never sent).
        if (s.loaded && !item.read && item.id > s.maxId && !s.known[item.id]) fresh.push(item);
        s.known[item.id] = true;
      });
      s.maxId = Math.max(s.maxId, data.latest_id || 0);
      s.loaded = true;
      renderBadge(data.unread);
      renderList(data.items);
      if (fresh.length > 2) toast({ kind_label: "通知", text: "您有 " + fresh.length + " 条新通知", url: "/notifications/?state=unread" });
      else fresh.reverse().forEach(toast);
      emit("planhub:inbox", { unread: data.unread, items: data.items });
    }).catch(function () { /* offline: the next reconnect re-reads */ })
      .then(function () { s.syncing = null; });
    return s.syncing;
  }

  function scheduleResync(delay) {
    clearTimeout(s.syncTimer);
    s.syncTimer = setTimeout(resync, delay);
  }

  function post(url, data) {
    var body = new URLSearchParams(data || {});
    return fetch(url, {
      method: "POST", credentials: "same-origin", keepalive: true, body: body,
      headers: { Accept: "application/json", "X-CSRFToken": root.getAttribute("data-csrf") },
    });
  }

  function markRead(id) {
    // keepalive: the click also navigates away; the POST is idempotent, so a double click is harmless.
    return post(root.getAttribute("data-read-url").replace("/0/", "/" + id + "/")).catch(function () {});
  }

  function markAllRead() {
    readAllButton.disabled = true;
    post(root.getAttribute("data-read-all-url"), { upto: String(s.maxId) })
      .then(resync, resync)
      .then(function () { readAllButton.disabled = false; });
  }

  // --- toasts --------------------------------------------------------------------------------------

  function toast(item) {
    if (!toasts) return;
    while (toasts.children.length >= MAX_TOASTS) toasts.removeChild(toasts.firstChild);
    var el = document.createElement("div");
    el.className = "toast";
    el.setAttribute("data-kind", item.kind || "");
    var head = document.createElement("div");
    head.className = "toast-kind";
    head.textContent = item.kind_label || "通知";
    var url = safeUrl(item.url);
    var text = document.createElement(url ? "a" : "div");
    text.className = "toast-text";
    text.textContent = item.text;
    if (url) {
      text.href = url;
      if (item.id) text.addEventListener("click", function () { markRead(item.id); });
    }
    var close = document.createElement("button");
    close.type = "button";
    close.className = "toast-close";
    close.setAttribute("aria-label", "关闭");
    close.textContent = "×";
    close.addEventListener("click", function () { dismiss(el); });
    el.appendChild(head);
    el.appendChild(text);
    el.appendChild(close);
    toasts.appendChild(el);
    var timer = setTimeout(function () { dismiss(el); }, TOAST_MS);
    el.addEventListener("mouseenter", function () { clearTimeout(timer); });
    el.addEventListener("mouseleave", function () { timer = setTimeout(function () { dismiss(el); }, TOAST_MS / 2); });
  }

  function dismiss(el) {
    el.classList.add("leaving");
    setTimeout(function () { if (el.parentNode) el.parentNode.removeChild(el); }, 200);
  }

  // --- socket --------------------------------------------------------------------------------------

  function connect() {
    if (s.stopped || !window.WebSocket) return;
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var ws;
    try { ws = new WebSocket(scheme + location.host + root.getAttribute("data-ws-path")); } catch (e) { return reconnectLater(); }
    s.socket = ws;
    setState("connecting");
    ws.onopen = function () {
      var reconnect = s.everOpened;
      s.everOpened = true;
      s.attempt = 0;
      setState("live");
      resubscribe();
      // The first socket asks what changed since the page was rendered (after its subscriptions,
      // so nothing later is missed); a reconnect may have missed anything: re-read it all.
      if (reconnect || !s.loaded) resync();
      else send({ catch_up: { unread: s.unread, latest: s.maxId, watch: s.watch } });
      emit("planhub:live-connected", { reconnect: reconnect });
    };
    ws.onmessage = function (event) {
      var message;
      try { message = JSON.parse(event.data); } catch (e) { return; }
      handle(message);
    };
    ws.onclose = function () {
      if (s.socket !== ws) return;
      s.socket = null;
      if (s.stopped) return;
      setState("offline");
      emit("planhub:live-disconnected", {});
      reconnectLater();
    };
  }

  function reconnectLater() {
    clearTimeout(s.reconnectTimer);
    // Exponential backoff with jitter, so a restarted server is not hit by every page at once.
    var ceiling = Math.min(MAX_BACKOFF_MS, 1000 * Math.pow(2, s.attempt));
    s.attempt = Math.min(s.attempt + 1, 10);
    s.reconnectTimer = setTimeout(function () {
      // The feed doubles as a login check: a 401 stops the loop instead of hammering the server.
      resync().then(function () { if (!s.stopped) connect(); });
    }, ceiling / 2 + Math.random() * ceiling / 2);
  }

  function stop() {
    s.stopped = true;
    clearTimeout(s.reconnectTimer);
    if (s.socket) s.socket.close();
    setState("stopped");
  }

  function send(payload) {
    if (s.socket && s.socket.readyState === 1) s.socket.send(JSON.stringify(payload));
  }

  function handle(message) {
    if (message.type === "notification" && message.item) {
      var item = message.item;
      if (!s.known[item.id]) {
        s.known[item.id] = true;
        s.maxId = Math.max(s.maxId, item.id);
        renderBadge(s.unread + 1);
        toast(item);
        emit("planhub:notification", { item: item });
      }
      scheduleResync(250);
    } else if (message.type === "sync") {
      scheduleResync(100);
    } else if (message.type === "caught_up") {
      if (message.inbox_changed) resync();
      emit("planhub:caught-up", { versions: message.versions || {} });
    } else if (message.type === "changed" && message.kind) {
      emit("planhub:object-changed", { kind: message.kind, id: message.id, version: message.version, plan: message.plan });
    } else if (message.type === "plan_changed" && message.plan) {
      // Coalesce bursts (one transition may touch a plan several times) into one event per plan.
      s.pendingPlans[message.plan] = message.ts || true;
      if (!s.planTimer) {
        s.planTimer = setTimeout(function () {
          var pending = s.pendingPlans;
          s.pendingPlans = {};
          s.planTimer = null;
          Object.keys(pending).forEach(function (plan) {
            emit("planhub:plan-changed", { plan: Number(plan), ts: pending[plan] });
          });
        }, 250);
      }
    }
  }

  function subscribePlans(ids) {
    var fresh = [];
    (ids || []).forEach(function (id) {
      id = Number(id);
      if (id > 0 && !s.plans[id]) { s.plans[id] = true; fresh.push(id); }
    });
    if (fresh.length) send({ subscribe: "plan", ids: fresh });
  }

  function subscribeOrganisation() {
    if (!s.org) { s.org = true; send({ subscribe: "org" }); }
  }

  function resubscribe() {
    var ids = Object.keys(s.plans).map(Number);
    for (var i = 0; i < ids.length; i += 200) send({ subscribe: "plan", ids: ids.slice(i, i + 200) });
    if (s.org) send({ subscribe: "org" });
  }

  function scanMarkup() {
    var ids = [];
    var nodes = document.querySelectorAll("[data-live-plan]");
    for (var i = 0; i < nodes.length; i++) ids.push(nodes[i].getAttribute("data-live-plan"));
    subscribePlans(ids);
    if (document.querySelector("[data-live-org]")) subscribeOrganisation();
  }

  // --- dropdown ------------------------------------------------------------------------------------

  function openPanel(open) {
    panel.hidden = !open;
    bell.setAttribute("aria-expanded", open ? "true" : "false");
    if (open) resync();
  }

  bell.addEventListener("click", function (event) {
    event.stopPropagation();
    openPanel(panel.hidden);
  });
  readAllButton.addEventListener("click", markAllRead);
  document.addEventListener("click", function (event) {
    if (!panel.hidden && !root.contains(event.target)) openPanel(false);
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && !panel.hidden) { openPanel(false); bell.focus(); }
  });
  // Links on the notification page mark their row read as they are followed.
  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a[data-read-url]") : null;
    if (link) post(link.getAttribute("data-read-url")).catch(function () {});
  });

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible" && Date.now() - s.lastSync > 30000) resync();
  });
  window.addEventListener("online", function () {
    if (!s.socket && !s.stopped) { s.attempt = 0; clearTimeout(s.reconnectTimer); connect(); }
  });
  setInterval(function () {
    send({ ping: 1 });
    if (document.visibilityState === "visible") resync();
  }, SAFETY_RESYNC_MS);

  window.planhubLive = {
    subscribePlans: function (ids) { subscribePlans(ids); },
    subscribeOrganisation: subscribeOrganisation,
    resync: resync,
    // True if the first socket's catch_up will carry them; false if it has opened already (a
    // script that ran late): the caller then checks over HTTP.
    watch: function (kinds) { s.watch = kinds || {}; return !s.everOpened; },
  };

  scanMarkup();
  if (!s.loaded) resync();
  connect();
})();

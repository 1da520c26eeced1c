/* Live pages: a page that shows an object which changed elsewhere says so and stops offering
 * actions on the stale state (issue 15, point 3).
 *
 * Markup: an element with data-live-watch="<kind>:<id>:<version>" (kind: task, stage, inbox), the
 * plan it belongs to in data-live-plan (live.js subscribes the socket to it) and the versions URL in
 * data-live-url; a hidden #live-banner where the notice goes. Stale-sensitive forms are the ones
 * that carry the version they were rendered with (input[name=version]) or are marked data-live-guard.
 *
 * Hints come from live.js (planhub:object-changed with a version, planhub:plan-changed, the inbox
 * re-read); since websocket delivery is at most once the page also compares the current versions
 * when its socket first opens (live.js's catch_up answers them: planhub:caught-up), and asks the
 * server for them after a reconnect, when the tab becomes visible again, on a light poll, and (a
 * page that watches more than tasks: a gate, 我的待办) after a change of one of its plans. The
 * server stays the judge: a stale POST is refused by the version check anyway.
 */
(function () {
  "use strict";
  var nodes = document.querySelectorAll("[data-live-watch]");
  var banner = document.getElementById("live-banner");
  if (!nodes.length || !banner || !window.fetch) return;

  var POLL_MS = 60000;
  var watches = [];
  var plans = {};
  var url = "";
  var stale = false;
  var timer = null;
  var busy = false;
  var again = null;

  Array.prototype.forEach.call(nodes, function (node) {
    var raw = node.getAttribute("data-live-watch");
    var first = raw.indexOf(":");
    var second = raw.indexOf(":", first + 1);
    if (first < 0 || second < 0) return;
    watches.push({ kind: raw.slice(0, first), id: raw.slice(first + 1, second), version: raw.slice(second + 1), node: node });
    var plan = node.getAttribute("data-live-plan");
    if (plan) plans[plan] = true;
    url = url || node.getAttribute("data-live-url") || "";
  });
  if (!watches.length || !url) return;
  // 我的待办 lists entries of many plans: a change to any of them may change the list.
  Array.prototype.forEach.call(document.querySelectorAll("[data-live-plan]"), function (node) {
    plans[node.getAttribute("data-live-plan")] = true;
  });

  function markStale(label, watch) {
    if (stale) return;
    stale = true;
    var guarded = disableActions();
    // The status the page shows is no longer true: say what it is now (a returned task must not
    // keep showing 待审核), marked as updated until the page is refreshed.
    if (label && watch && watch.node) {
      var status = watch.node.querySelector(".badge[class*='status-']");
      if (status) {
        status.textContent = label;
        status.className = "badge live-updated";
      }
    }
    banner.textContent = "";
    var text = document.createElement("span");
    text.className = "live-banner-text";
    text.textContent = "此页内容已在别处更新" + (label ? "（当前状态：" + label + "）" : "") +
      (guarded ? "，页面上的操作已停用。" : "，请刷新查看最新内容。");
    var button = document.createElement("button");
    button.type = "button";
    button.className = "button primary small";
    button.id = "live-refresh";
    button.textContent = "已更新，点击刷新";
    button.addEventListener("click", function () { location.reload(); });
    banner.appendChild(text);
    banner.appendChild(button);
    banner.hidden = false;
    document.body.setAttribute("data-live-stale", "1");
  }

  function disableActions() {
    // Not marked aria-busy: forms.js re-enables only its own double-click guard, never these.
    var count = 0;
    var forms = document.querySelectorAll("form[data-live-guard], form input[name=version]");
    Array.prototype.forEach.call(forms, function (el) {
      var form = el.tagName === "FORM" ? el : el.form;
      if (!form) return;
      form.setAttribute("data-live-stale", "1");
      form.querySelectorAll("button, input[type=submit]").forEach(function (b) {
        b.disabled = true;
        b.setAttribute("aria-disabled", "true");
        b.title = "页面已过期，请先刷新";
        count++;
      });
    });
    return count;
  }

  // A stale form must not be sent even if a button was enabled again by something else.
  document.addEventListener("submit", function (event) {
    if (stale && event.target.getAttribute && event.target.getAttribute("data-live-stale")) event.preventDefault();
  }, true);

  function compare(versions) {
    for (var i = 0; i < watches.length; i++) {
      var w = watches[i];
      var now = versions[w.kind + ":" + w.id];
      if (!now) return markStale("", w);  // gone, or no longer visible to this user
      if (String(now.version) !== w.version) return markStale(w.kind === "task" ? now.label : "", w);
    }
  }

  function check(onFailure) {
    if (stale) return;
    // A hint that arrives during a read may be newer than what that read sees: read once more after.
    if (busy) { again = onFailure || again || true; return; }
    var query = {};
    watches.forEach(function (w) { (query[w.kind] = query[w.kind] || []).push(w.id); });
    var params = Object.keys(query).map(function (k) { return encodeURIComponent(k) + "=" + query[k].join(","); }).join("&");
    busy = true;
    fetch(url + "?" + params, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (data && data.versions) compare(data.versions);
        else if (onFailure) onFailure();
      })
      .catch(function () { if (onFailure) onFailure(); })  // offline: the next hint, reconnect or poll asks again
      .then(function () {
        busy = false;
        var next = again;
        again = null;
        if (next) check(typeof next === "function" ? next : null);
      });
  }

  function checkSoon() {
    clearTimeout(timer);
    timer = setTimeout(check, 300);
  }

  window.addEventListener("planhub:object-changed", function (event) {
    var d = event.detail || {};
    if (d.id === null || d.id === undefined) {
      // Many objects of that kind in the plan changed at once (notifications.push.objects_changed).
      if (plans[String(d.plan)] && watches.some(function (w) { return w.kind === d.kind; })) checkSoon();
      return;
    }
    var hit = watches.some(function (w) { return w.kind === d.kind && w.id === String(d.id) && String(d.version) !== w.version; });
    // The hint says this page is stale; the versions read says what the object is now (for the
    // banner). If that read fails, the hint alone is enough to stop the actions.
    if (hit) check(function () { markStale(""); });
  });
  // Every new version of a task comes with its own hint (above): a page that watches only tasks
  // does not re-read on every change of its plan, which every transition of the plan sends.
  var beyondTasks = watches.some(function (w) { return w.kind !== "task"; });
  window.addEventListener("planhub:plan-changed", function (event) {
    if (beyondTasks && plans[String((event.detail || {}).plan)]) checkSoon();
  });
  window.addEventListener("planhub:caught-up", function (event) {
    if (!stale) compare((event.detail || {}).versions || {});
  });
  window.addEventListener("planhub:live-connected", function (event) {
    if ((event.detail || {}).reconnect) checkSoon();
  });
  window.addEventListener("planhub:inbox", function () {
    if (watches.some(function (w) { return w.kind === "inbox"; })) checkSoon();
  });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") checkSoon();
  });
  setInterval(function () { if (document.visibilityState === "visible") check(); }, POLL_MS);

  if (window.planhubLive) {
    var watched = {};
    watches.forEach(function (w) { (watched[w.kind] = watched[w.kind] || []).push(Number(w.id)); });
    window.planhubLive.subscribePlans(Object.keys(plans));
    if (!window.planhubLive.watch(watched)) checkSoon();
  }
})();

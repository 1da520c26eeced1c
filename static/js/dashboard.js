/* Live dashboards: when a plan shown on this page changes, re-fetch the page's live region and
 * swap it in. The websocket layer (static/js/live.js) subscribes to what the markup asks for
 * (data-live-plan="N" on the school dashboard, data-live-org on the county dashboard) and dispatches
 *   window.dispatchEvent(new CustomEvent("planhub:plan-changed", {detail: {plan: N}}))
 * for plans the user may see, and "planhub:live-connected" {reconnect: true} after a reconnect
 * (events may have been missed meanwhile). Without those events nothing happens: the page is
 * complete as served. Bursts are debounced into one request; a hidden tab refreshes once when it
 * becomes visible again. */
(function () {
  "use strict";
  var region = document.getElementById("dash-live");
  if (!region || !window.fetch) { return; }
  var url = region.getAttribute("data-live-url");
  var ids = (region.getAttribute("data-plans") || "").split(",").filter(Boolean);
  var watched = {};
  ids.forEach(function (id) { watched[id] = true; });
  var DELAY = 1500;      // quiet time after the last event before re-fetching
  var MAX_WAIT = 10000;  // but never postpone longer than this while events keep coming
  var timer = null, pending = false, inflight = false, firstEventAt = 0;

  function concerned(event) {
    var detail = event && event.detail;
    if (!detail || detail.plan === undefined || detail.plan === null) { return true; }
    return watched[String(detail.plan)] === true;
  }

  function refresh() {
    timer = null;
    firstEventAt = 0;
    if (document.hidden) { pending = true; return; }
    if (inflight) { pending = true; return; }
    inflight = true;
    pending = false;
    fetch(url, {credentials: "same-origin", headers: {"X-Requested-With": "fetch"}})
      .then(function (response) {
        if (!response.ok || response.redirected) { throw new Error("HTTP " + response.status); }
        return response.text();
      })
      .then(function (html) {
        region.innerHTML = html;
        region.classList.remove("is-stale");
        region.classList.add("is-updated");
        window.setTimeout(function () { region.classList.remove("is-updated"); }, 1200);
      })
      .catch(function () { region.classList.add("is-stale"); })
      .then(function () {
        inflight = false;
        if (pending && !document.hidden) { schedule(); }
      });
  }

  function schedule() {
    var now = Date.now();
    if (!firstEventAt) { firstEventAt = now; }
    if (timer) { window.clearTimeout(timer); }
    timer = window.setTimeout(refresh, now - firstEventAt >= MAX_WAIT ? 0 : DELAY);
  }

  function onChange(event) {
    if (concerned(event)) { schedule(); }
  }

  document.addEventListener("planhub:plan-changed", onChange);
  // An event dispatched on window never reaches document; one dispatched on document may bubble
  // up to window: take the window copy only when window was the target, so none counts twice.
  window.addEventListener("planhub:plan-changed", function (event) {
    if (event.target === window) { onChange(event); }
  });
  window.addEventListener("planhub:live-connected", function (event) {
    if (event.detail && event.detail.reconnect) { schedule(); }
  });
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden && pending) { schedule(); }
  });
})();

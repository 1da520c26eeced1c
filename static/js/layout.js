// Sizes and positions computed by the server (bars, Gantt rows) arrive as data attributes, because
// the Content Security Policy refuses inline style attributes; this sets them through the CSSOM,
// which the policy allows. Parts replaced later (the live dashboards) are handled as they arrive.
(function () {
  var PROPS = [["data-width", "width", "%"], ["data-left", "left", "%"], ["data-grow", "flexGrow", ""]];
  var SELECTOR = "[data-width],[data-left],[data-grow]";

  function apply(el) {
    PROPS.forEach(function (p) {
      var value = el.getAttribute(p[0]);
      if (value !== null && value !== "" && isFinite(Number(value))) el.style[p[1]] = Number(value) + p[2];
    });
  }

  function applyWithin(root) {
    if (root.nodeType !== 1) return;
    if (root.matches(SELECTOR)) apply(root);
    root.querySelectorAll(SELECTOR).forEach(apply);
  }

  function start() {
    applyWithin(document.body);
    new MutationObserver(function (records) {
      records.forEach(function (r) { r.addedNodes.forEach(applyWithin); });
    }).observe(document.body, { childList: true, subtree: true });
  }

  // A select marked data-autosubmit submits its form when changed (instead of an inline onchange).
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el.matches && el.matches("select[data-autosubmit]") && el.form) el.form.submit();
  });

  // Anchors land below the sticky top bar, whose height changes as it wraps (app.css reads
  // --topbar-h in scroll-margin-top). A page opened at an anchor after an action (bulk assignment
  // goes back to its measure) shows the action's message there, where the user lands, instead
  // of at the top of the page, out of sight (blocks marked data-anchor-messages).
  function fitTopbar() {
    var bar = document.querySelector(".topbar");
    if (bar) document.documentElement.style.setProperty("--topbar-h", bar.offsetHeight + 8 + "px");
  }

  function messagesToAnchor() {
    var messages = document.querySelector(".page > .messages");
    var id = decodeURIComponent(window.location.hash.slice(1));
    var target = id && document.getElementById(id);
    // Only blocks that ask for it (data-anchor-messages): a table row or a closed <details>
    // would hide the message instead.
    if (!messages || !target || !target.hasAttribute("data-anchor-messages") || target.contains(messages)) return;
    target.insertBefore(messages, target.firstChild);
    messages.classList.add("messages-at-anchor");
    target.scrollIntoView();
  }

  function startAnchors() {
    fitTopbar();
    messagesToAnchor();
    window.addEventListener("resize", fitTopbar);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
    document.addEventListener("DOMContentLoaded", startAnchors);
  } else {
    start();
    startAnchors();
  }
})();

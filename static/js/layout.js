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

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();

// Double-click guard: a button marked data-once disables itself when its form submits, so one
// click sends one request. The server refuses repeats anyway (the version check).
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (form.dataset.submitted === "1") { event.preventDefault(); return; }
  form.dataset.submitted = "1";
  form.querySelectorAll("button[data-once]").forEach(function (b) { b.disabled = true; b.setAttribute("aria-busy", "true"); });
}, true);
// Coming back through the history cache must not leave buttons disabled.
window.addEventListener("pageshow", function () {
  document.querySelectorAll("form[data-submitted]").forEach(function (f) { delete f.dataset.submitted; });
  document.querySelectorAll("button[data-once]").forEach(function (b) { b.disabled = false; b.removeAttribute("aria-busy"); });
});

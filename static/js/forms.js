// Long texts: a field marked data-max-chars="N" keeps what was typed or pasted (no maxlength, which
// cuts a paste silently) and stops the form with the server's own wording until it is shortened;
// the server refuses an over-long text anyway (core.text.bounded). Registered first, so that a
// refused form is neither confirmed nor marked as submitted.
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (!form.querySelectorAll) { return; }
  var fields = form.querySelectorAll("[data-max-chars]");
  for (var i = 0; i < fields.length; i++) {
    var field = fields[i], limit = parseInt(field.getAttribute("data-max-chars"), 10), length = field.value.length;
    if (length > limit) {
      var label = form.querySelector("label[for='" + field.id + "']");
      var name = label ? label.textContent.trim() : (field.getAttribute("aria-label") || "内容");
      field.setCustomValidity(name + "最多 " + limit + " 个字，现有 " + length + " 个字，请缩短。");
      field.reportValidity();
      event.preventDefault(); event.stopImmediatePropagation();
      return;
    }
  }
}, true);
document.addEventListener("input", function (event) {
  if (event.target.hasAttribute && event.target.hasAttribute("data-max-chars")) { event.target.setCustomValidity(""); }
});
// Forms that ask before they act (data-confirm="…"): asked first, so a cancelled form is not marked
// as submitted below. A data attribute, not an inline handler: the content security policy refuses those.
document.addEventListener("submit", function (event) {
  var form = event.target;
  var question = form.getAttribute && form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) { event.preventDefault(); event.stopImmediatePropagation(); }
}, true);
// Double-click guard: a button marked data-once disables itself when its form submits, so one
// click sends one request. The server refuses repeats anyway (the version check).
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (form.dataset.submitted === "1") { event.preventDefault(); return; }
  form.dataset.submitted = "1";
  form.querySelectorAll("button[data-once]").forEach(function (b) { b.disabled = true; b.setAttribute("aria-busy", "true"); });
}, true);
// Coming back through the history cache must not leave buttons disabled by the guard above. Only
// those (marked aria-busy) are enabled again: a button the server rendered disabled (a gate with
// blockers, an action the user may not take) stays disabled.
window.addEventListener("pageshow", function () {
  document.querySelectorAll("form[data-submitted]").forEach(function (f) { delete f.dataset.submitted; });
  document.querySelectorAll("button[data-once][aria-busy]").forEach(function (b) { b.disabled = false; b.removeAttribute("aria-busy"); });
});
// File pickers: the native control speaks the browser's language; show the chosen names instead.
document.addEventListener("change", function (event) {
  var input = event.target;
  if (!input.matches || !input.matches(".file-picker input[type=file]")) { return; }
  var names = Array.prototype.map.call(input.files, function (f) { return f.name; });
  input.parentNode.querySelector(".file-names").textContent = names.length ? names.join("、") : "未选择文件";
});
// "Select all" in a bulk form: ticks every enabled checkbox of the same form.
document.addEventListener("change", function (event) {
  var box = event.target;
  if (!box.matches || !box.matches("input[data-check-all]")) { return; }
  box.form.querySelectorAll("input[type=checkbox][name=tasks]:not(:disabled)").forEach(function (c) { c.checked = box.checked; });
});

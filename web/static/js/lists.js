// Top-level list pages (web/templates/kit/list.html): the filter bar folds behind its 筛选 button on
// phones, "select all on this page", the count of ticked rows and the input the bulk verb asks for.
(function () {
  function setUpFilters(root) {
    (root.querySelectorAll ? root : document).querySelectorAll(".kit-filters").forEach((form) => {
      form.classList.add("collapsible");
    });
  }
  function bulkForm(id) { return document.getElementById(id || "bulk"); }
  function boxes(form) { return form ? document.querySelectorAll(`input[name=ids][form="${form.id}"]`) : []; }
  function refresh() {
    const form = bulkForm();
    if (!form) return;
    const all = Array.from(boxes(form));
    const ticked = all.filter((b) => b.checked).length;
    // "All N matching": the batch takes every row the filter matches, ticked or not.
    const matching = form.querySelector("[data-select-matching]");
    const everything = Boolean(matching && matching.checked);
    form.classList.toggle("idle", ticked === 0 && !everything);
    const count = form.querySelector("[data-selected-count]");
    if (count) count.textContent = everything ? "" : ticked ? (form.dataset.selectedText || "").replace("%n", ticked) || String(ticked) : "";
    document.querySelectorAll(`[data-select-all="${form.id}"]`).forEach((box) => {
      box.checked = all.length > 0 && ticked === all.length;
      box.indeterminate = ticked > 0 && ticked < all.length;
    });
    const verb = form.querySelector("[data-bulk-verb]");
    const wanted = verb && verb.selectedOptions[0] ? verb.selectedOptions[0].dataset.input : "";
    form.querySelectorAll("[data-for-input]").forEach((input) => {
      const on = input.dataset.forInput === wanted;
      input.hidden = !on;
      input.disabled = !on;
    });
  }
  document.addEventListener("change", (event) => {
    const target = event.target;
    if (!target || !target.closest) return;
    const all = target.closest("[data-select-all]");
    if (all) {
      boxes(bulkForm(all.dataset.selectAll)).forEach((b) => { b.checked = all.checked; });
    }
    if (all || target.matches("input[name=ids]") || target.matches("[data-bulk-verb]") || target.matches("[data-select-matching]")) refresh();
  });
  document.addEventListener("click", (event) => {
    const toggle = event.target.closest && event.target.closest(".filter-toggle");
    if (!toggle) return;
    const form = document.getElementById(toggle.getAttribute("aria-controls"));
    if (!form) return;
    const open = !form.classList.contains("open");
    form.classList.toggle("open", open);
    toggle.setAttribute("aria-expanded", String(open));
  });
  document.addEventListener("DOMContentLoaded", () => { setUpFilters(document); refresh(); });
  document.addEventListener("htmx:afterSettle", refresh);
  if (document.readyState !== "loading") { setUpFilters(document); refresh(); }
})();

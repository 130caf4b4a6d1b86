// Small behaviours the admin needs beyond htmx: close the drawer, show a toast from HX-Trigger.
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-close-drawer]")) {
    document.getElementById("drawer").innerHTML = "";
  }
});
document.body && document.body.addEventListener("toast", (event) => {
  const toast = document.getElementById("toast");
  if (!toast) return;
  toast.textContent = event.detail.value || "";
  toast.classList.add("show");
  setTimeout(() => toast.classList.remove("show"), 3000);
});

// --- customers, audit, tokens (customer admin area) ---------------------------------------------
// Forms answer 422 (inline errors), 409 (version conflict) and 400 (bad filters) with HTML to show.
if (window.htmx) {
  // The Content-Security-Policy allows no eval: say so, so htmx never tries (trigger filters such as
  // change[...] then always pass, which the forms using them are written to tolerate).
  htmx.config.allowEval = false;
  htmx.config.responseHandling = [
    { code: "204", swap: false },
    { code: "[23]..", swap: true },
    { code: "400|409|422", swap: true },
    { code: "[45]..", swap: false, error: true },
    { code: "...", swap: false },
  ];
}
function showToast(build) {
  const toast = document.getElementById("toast");
  if (!toast) return;
  toast.replaceChildren();
  toast.classList.remove("toast-error");
  build(toast);
  toast.classList.add("show");
  clearTimeout(toast._hideTimer);
  toast._hideTimer = setTimeout(() => toast.classList.remove("show"), 6000);
}
// A toast with an undo button: {"toast-undo": {"message", "label", "url"}} in HX-Trigger.
document.body && document.body.addEventListener("toast-undo", (event) => {
  const { message, label, url } = event.detail || {};
  showToast((toast) => {
    toast.append(document.createTextNode((message || "") + " "));
    const undo = document.createElement("button");
    undo.type = "button";
    undo.className = "link";
    undo.textContent = label || "Undo";
    undo.addEventListener("click", () => {
      toast.classList.remove("show");
      htmx.ajax("POST", url, { source: document.body, swap: "none" });
    });
    toast.append(undo);
  });
});
// HTMX requests refused with an error page (403, 404, 500): show its title and text as a toast.
document.body && document.body.addEventListener("htmx:responseError", (event) => {
  const html = event.detail.xhr && event.detail.xhr.responseText;
  const doc = html ? new DOMParser().parseFromString(html, "text/html") : null;
  const title = doc && doc.querySelector("h1");
  const detail = doc && doc.querySelector(".error-card p:not(.status)");
  showToast((toast) => {
    toast.classList.add("toast-error");
    toast.textContent = [title && title.textContent, detail && detail.textContent].filter(Boolean).join(" — ")
      || String(event.detail.xhr.status);
  });
});
document.body && document.body.addEventListener("toast", () => {
  const toast = document.getElementById("toast");
  if (toast) toast.classList.remove("toast-error");
});
// Cascading selects: changing a province empties the city and district lists before they reload.
document.addEventListener("change", (event) => {
  const select = event.target.closest && event.target.closest("select[data-reset]");
  if (!select) return;
  document.querySelectorAll(select.dataset.reset).forEach((other) => { other.length = 1; });
});
// Copy buttons: data-copy="#input-id".
document.addEventListener("click", (event) => {
  const button = event.target.closest && event.target.closest("[data-copy]");
  if (!button) return;
  const input = document.querySelector(button.dataset.copy);
  if (!input) return;
  input.select();
  const done = () => { button.textContent = button.dataset.copied || button.textContent; };
  if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(input.value).then(done);
  else if (document.execCommand("copy")) done();
});
// Escape closes the drawer.
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape") { const d = document.getElementById("drawer"); if (d) d.innerHTML = ""; }
});
// A plain form that asks first: <form data-confirm="…"> (inline onsubmit handlers are refused by the CSP).
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
  }
}, true);
// A filter that applies itself: <select data-autosubmit> submits its form when it changes.
document.addEventListener("change", (event) => {
  const field = event.target;
  if (field instanceof HTMLElement && field.hasAttribute("data-autosubmit") && field.form) field.form.submit();
});
// A scanner ends each number with Enter: in <textarea data-scanner> that is a new line, never a submit.
document.addEventListener("keydown", (event) => {
  const field = event.target;
  if (event.key === "Enter" && field instanceof HTMLElement && field.hasAttribute("data-scanner")) {
    event.stopPropagation();
  }
}, true);

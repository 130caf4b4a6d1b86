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

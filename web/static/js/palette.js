// Global search palette: Ctrl-K / ⌘K (or the top bar's search) opens it; typing asks
// /search/palette for the matches of every entity; arrows move, Enter opens, Esc closes.
(function () {
  const dialog = document.getElementById("palette");
  if (!dialog) return;
  const input = document.getElementById("palette-input");
  const results = document.getElementById("palette-results");
  let timer = null;
  let asked = "";
  let controller = null;

  function hits() {
    return Array.from(results.querySelectorAll("[data-hit]"));
  }
  function select(index) {
    const all = hits();
    all.forEach((hit, i) => {
      hit.classList.toggle("active", i === index);
      hit.setAttribute("aria-selected", i === index ? "true" : "false");
    });
    if (all[index]) all[index].scrollIntoView({ block: "nearest" });
  }
  function current() {
    return hits().findIndex((hit) => hit.classList.contains("active"));
  }
  async function ask(q) {
    if (q === asked) return;
    asked = q;
    if (controller) controller.abort();
    controller = new AbortController();
    try {
      const response = await fetch("/search/palette?q=" + encodeURIComponent(q), {
        headers: { Accept: "text/html" },
        credentials: "same-origin",
        signal: controller.signal,
      });
      if (response.redirected || response.status === 401) {
        window.location.href = "/login";
        return;
      }
      results.innerHTML = await response.text();
      select(0);
    } catch (error) {
      if (error.name !== "AbortError") results.textContent = "";
    }
  }
  function open(initial) {
    if (!dialog.open) dialog.showModal();
    if (typeof initial === "string" && initial) input.value = initial;
    input.focus();
    input.select();
    asked = null;
    ask(input.value);
  }

  document.addEventListener("keydown", (event) => {
    if ((event.ctrlKey || event.metaKey) && (event.key === "k" || event.key === "K")) {
      event.preventDefault();
      open();
    }
  });
  document.querySelectorAll("[data-open-palette]").forEach((element) => {
    const trigger = (event) => {
      event.preventDefault();
      open(element.value);
      if (element.tagName === "INPUT") element.blur();
    };
    element.addEventListener(element.tagName === "INPUT" ? "focus" : "click", trigger);
  });
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => ask(input.value), 120);
  });
  input.addEventListener("keydown", (event) => {
    const all = hits();
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      if (!all.length) return;
      const step = event.key === "ArrowDown" ? 1 : -1;
      select((current() + step + all.length) % all.length);
    } else if (event.key === "Enter") {
      const chosen = all[current()];
      if (chosen && input.value === asked) {
        event.preventDefault();
        window.location.href = chosen.getAttribute("href");
      }
      // Otherwise the form submits: the full results page.
    }
  });
  results.addEventListener("mousemove", (event) => {
    const hit = event.target.closest("[data-hit]");
    if (hit) select(hits().indexOf(hit));
  });
  // A click on the backdrop (outside the box) closes, as Esc does.
  dialog.addEventListener("click", (event) => {
    if (event.target === dialog) dialog.close();
  });
})();

// The pipeline board: drag a card to another stage (SortableJS); the server checks the move and a
// refusal puts the card back where it was, with the reason above the board. On a phone (under
// 640 px) dragging is off and each card has a stage select that makes the same move.
(() => {
  const board = document.querySelector("[data-pipeline-board]");
  if (!board) return;
  const canEdit = board.dataset.canEdit === "true";
  const refusal = document.getElementById("pipeline-refusal");
  const lostDialog = document.getElementById("pipeline-lost");
  const narrow = window.matchMedia("(max-width: 639px)");
  const money = new Intl.NumberFormat("zh-CN", { maximumFractionDigits: 0 });
  const lostStages = new Set(
    Array.from(board.querySelectorAll(".pipeline-column.lost")).map((c) => c.dataset.stage),
  );

  function csrf() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRF-Token"] || "";
    } catch (_error) {
      return "";
    }
  }

  function say(text) {
    refusal.textContent = text || "";
    refusal.hidden = !text;
  }

  function askReason() {
    if (!lostDialog || typeof lostDialog.showModal !== "function") {
      return Promise.resolve(window.prompt(lostDialog ? lostDialog.querySelector("label").textContent : "") || null);
    }
    const input = lostDialog.querySelector("input[name=lost_reason]");
    input.value = "";
    lostDialog.returnValue = "";
    lostDialog.showModal();
    return new Promise((resolve) => {
      lostDialog.addEventListener(
        "close",
        () => resolve(lostDialog.returnValue === "ok" && input.value.trim() ? input.value.trim() : null),
        { once: true },
      );
    });
  }

  async function move(card, to) {
    const body = new URLSearchParams({ _csrf: csrf(), version: card.dataset.version, to: to, back: "board" });
    if (lostStages.has(to)) {
      const reason = await askReason();
      if (reason === null) return false;
      body.set("lost_reason", reason);
    }
    let response;
    try {
      response = await fetch(`/opportunities/${card.dataset.id}/move`, {
        method: "POST",
        headers: { "X-CSRF-Token": csrf(), "HX-Request": "true" },
        body: body,
        credentials: "same-origin",
      });
    } catch (_error) {
      say(refusal.dataset.offline || "⚠");
      return false;
    }
    const html = new DOMParser().parseFromString(await response.text(), "text/html");
    if (!response.ok) {
      const reason = html.querySelector("[data-reason]");
      say(reason ? reason.textContent : String(response.status));
      return false;
    }
    const moved = html.querySelector("[data-version]");
    if (moved) {
      card.dataset.version = moved.dataset.version;
      card.querySelectorAll("input[name=version]").forEach((input) => { input.value = moved.dataset.version; });
    }
    card.querySelectorAll("select[name=to]").forEach((select) => { select.value = to; });
    say("");
    return true;
  }

  function tally(column, sign, amount) {
    const count = column.querySelector("[data-count]");
    const sum = column.querySelector("[data-sum]");
    count.textContent = String(Number(count.textContent) + sign);
    const total = Number(sum.dataset.total || 0) + sign * amount;
    sum.dataset.total = String(total);
    sum.textContent = `¥${money.format(total)}`;
  }

  function moved(card, from, to) {
    const amount = Number(card.dataset.amount || 0);
    tally(from.closest(".pipeline-column"), -1, amount);
    tally(to.closest(".pipeline-column"), 1, amount);
  }

  const sortables = [];
  if (canEdit && window.Sortable) {
    board.querySelectorAll("ol.pipeline-cards").forEach((list) => {
      sortables.push(
        window.Sortable.create(list, {
          group: "pipeline",
          animation: 150,
          draggable: ".pipeline-card",
          filter: "a, select, input, button, label",
          preventOnFilter: false,
          disabled: narrow.matches,
          onEnd: async (event) => {
            if (event.from === event.to) return;
            const card = event.item;
            if (await move(card, event.to.dataset.stage)) {
              moved(card, event.from, event.to);
            } else {
              // Refused: back where it was, in the same place.
              event.from.insertBefore(card, event.from.children[event.oldIndex] || null);
            }
          },
        }),
      );
    });
    narrow.addEventListener("change", () => sortables.forEach((s) => s.option("disabled", narrow.matches)));
  }

  board.addEventListener("change", async (event) => {
    const select = event.target.closest && event.target.closest("[data-pipeline-select] select[name=to]");
    if (!select) return;
    const card = select.closest(".pipeline-card");
    const from = card.closest("ol.pipeline-cards");
    const to = board.querySelector(`ol.pipeline-cards[data-stage="${CSS.escape(select.value)}"]`);
    if (!to || to === from) return;
    const wanted = select.value;
    select.value = from.dataset.stage; // until the server agrees
    if (await move(card, wanted)) {
      to.insertBefore(card, to.firstChild);
      moved(card, from, to);
      card.scrollIntoView({ block: "nearest" });
    }
  });
})();

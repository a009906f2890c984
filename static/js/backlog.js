// The Scaled Backlog on a forum page (board/backlog.py, board/wip.py): the trade-off
// note a re-order asks for, the card dialog's owning teams and experiment fields, the
// team filter (kept while live updates arrive), and WIP limits in column headers.
// Markup comes from the server (templates/_backlog.html, _wip.html); this module only
// shows, hides and fills it, and sets plain text with textContent.

import { refreshWip } from "./dom.js";

const root = document.getElementById("forum");
const NOTE_KINDS = new Set(["metascrum", "backlog"]);
const ORDERED = "ordered";

function setText(el, text) {
  // Only when it changes: the board observer below must not see its own writes.
  if (el && el.textContent !== text) el.textContent = text;
}

function titleOf(el) {
  const t = el.querySelector(".card-title");
  return t ? t.textContent : "this card";
}

// -- trade-off notes ---------------------------------------------------------------

function sessionRunning() {
  const status = document.getElementById("session-status");
  return !!status && status.classList.contains("running");
}

/** Whether a move into `column` is a re-order that asks for a trade-off note. */
export function asksForNote(column) {
  return !!root && NOTE_KINDS.has(root.dataset.kind) && column === ORDERED
    && root.dataset.role !== "viewer" && sessionRunning();
}

/** After a drop or a keyboard move: ask for the re-order's one-line trade-off note.
 * Resolves to the fields to add to the move (`{note}`, or `{}` when it was skipped or
 * needs none). Skip and Escape keep the move without a note. */
export function tradeOffNote(el, column) {
  const dialog = document.getElementById("tradeoff-dialog");
  if (!dialog || !asksForNote(column)) return Promise.resolve({});
  const form = dialog.querySelector("form");
  const input = form.elements.note;
  const list = el.parentNode;
  const position = list ? Array.prototype.indexOf.call(list.children, el) + 1 : 0;
  const count = list ? list.children.length : 0;
  const colTitle = el.closest(".column")?.querySelector(".column-title")?.textContent || "the ordered column";
  form.reset();
  setText(dialog.querySelector(".tradeoff-what"), `“${titleOf(el)}” is now number ${position} of ${count} in ${colTitle}.`);
  return new Promise((resolve) => {
    let done = false;
    const finish = (note) => {
      if (done) return;
      done = true;
      form.removeEventListener("submit", submit);
      skip.removeEventListener("click", skipped);
      dialog.removeEventListener("cancel", cancelled);
      if (dialog.open) dialog.close();
      if (el.isConnected) el.focus({ preventScroll: true });
      resolve(note ? { note } : {});
    };
    const submit = (e) => {
      e.preventDefault();
      const note = input.value.trim();
      if (note) finish(note);
      else input.focus();
    };
    const skipped = () => finish("");
    const cancelled = (e) => { e.preventDefault(); finish(""); };
    const skip = form.querySelector("[data-action=skip-tradeoff]");
    form.addEventListener("submit", submit);
    skip.addEventListener("click", skipped);
    dialog.addEventListener("cancel", cancelled);
    dialog.showModal();
    input.focus();
  });
}

// -- the card dialog's fields ------------------------------------------------------

function syncKindFields(form) {
  const kind = form.elements.kind ? form.elements.kind.value : "";
  for (const set of form.querySelectorAll("[data-for-kinds]")) {
    set.hidden = !set.dataset.forKinds.split(" ").includes(kind);
  }
}

/** Fill the owning teams and experiment fields from a card (null: a new card). */
export function fillCardFields(form, card) {
  const teams = card ? (card.dataset.teams || "").split(" ").filter(Boolean) : [];
  for (const box of form.querySelectorAll("input[name=teams]")) box.checked = teams.includes(box.value);
  if (form.elements.hypothesis) {
    form.elements.hypothesis.value = card?.querySelector(".card-hypothesis")?.textContent || "";
    form.elements.result.value = card?.querySelector(".card-result")?.textContent || "";
    form.elements.outcome.value = card ? card.dataset.outcome || "" : "";
  }
  syncKindFields(form);
}

/** The owning teams and experiment fields to send, for the kind chosen in the form. */
export function cardFields(form) {
  const kind = form.elements.kind ? form.elements.kind.value : "";
  const out = {};
  if (kind === "backlog_item") {
    out.teams = Array.from(form.querySelectorAll("input[name=teams]:checked"), (b) => b.value);
  }
  if (kind === "experiment" && form.elements.hypothesis) {
    out.hypothesis = form.elements.hypothesis.value;
    out.result = form.elements.result.value;
    out.outcome = form.elements.outcome.value;
  }
  return out;
}

// -- the team filter -----------------------------------------------------------------

const filter = {
  form: document.getElementById("team-filter"),
  get select() { return this.form ? this.form.elements.team : null; },
  get team() { return this.select ? this.select.value : ""; },
};

function ownedBy(card, team) {
  return card.dataset.team === team || (card.dataset.teams || "").split(" ").includes(team);
}

function applyFilter() {
  if (!filter.form) return;
  const team = filter.team;
  const strip = document.getElementById("columns");
  const cards = strip ? Array.from(strip.querySelectorAll("ol.cards > .card")) : [];
  let shown = 0;
  for (const card of cards) {
    const keep = !team || ownedBy(card, team);
    if (keep) shown += 1;
    if (card.classList.contains("team-hidden") === keep) card.classList.toggle("team-hidden", !keep);
    // The backlog's rank numbers stay the whole list's while filtered (backlog.css).
    const position = String(Array.prototype.indexOf.call(card.parentNode.children, card) + 1);
    if (card.dataset.position !== position) card.dataset.position = position;
  }
  if (strip && strip.classList.contains("team-filtered") !== !!team) strip.classList.toggle("team-filtered", !!team);
  const note = document.getElementById("team-filter-note");
  if (note) {
    note.hidden = !team;
    const name = team ? filter.select.selectedOptions[0].textContent : "";
    setText(note.querySelector(".filter-text"), team ? `Showing ${shown} of ${cards.length} items for ${name}` : "");
  }
}

function chooseTeam(team) {
  filter.select.value = team;
  const url = new URL(window.location.href);
  if (team) url.searchParams.set("team", team);
  else url.searchParams.delete("team");
  window.history.replaceState(null, "", url);
  applyFilter();
}

// -- WIP limits ----------------------------------------------------------------------

function refresh() {
  refreshWip();
  applyFilter();
}

function openWipDialog(btn, dialogError) {
  const col = btn.closest(".column");
  const dialog = document.getElementById("wip-dialog");
  if (!col || !dialog) return;
  btn.closest("details")?.removeAttribute("open");
  const form = dialog.querySelector("form");
  form.reset();
  dialogError(form, "");
  form.elements.column.value = col.dataset.column;
  form.elements.limit.value = col.dataset.wipLimit || "";
  setText(dialog.querySelector("#wip-dialog-title"), `WIP limit of ${col.querySelector(".column-title").textContent}`);
  dialog.showModal();
  form.elements.limit.focus();
}

/** Wire the page: the WIP dialog, the team filter, and the board observer. `live` sends
 * operations; `toast` and `announce` speak to the person. */
export function initBacklog({ live, announce }) {
  const dialogError = (form, text) => {
    const out = form.querySelector(".form-error");
    out.textContent = text;
    out.hidden = !text;
  };
  const sendLimit = (form, limit) => {
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    live.send({ type: "set_wip_limit", column: form.elements.column.value, limit }, {
      onAck() { button.disabled = false; form.closest("dialog").close(); },
      onReject(msg) { button.disabled = false; dialogError(form, msg.reason); },
    });
  };

  const wipForm = document.getElementById("wip-form");
  if (wipForm) {
    wipForm.addEventListener("submit", (e) => {
      e.preventDefault();
      const raw = wipForm.elements.limit.value.trim();
      const limit = Number(raw);
      if (!raw || !Number.isInteger(limit) || limit < 1 || limit > 999) {
        dialogError(wipForm, "A WIP limit is a whole number from 1 to 999; “No limit” clears it.");
        return;
      }
      sendLimit(wipForm, limit);
    });
  }

  const cardForm = document.getElementById("card-form");
  if (cardForm) {
    cardForm.addEventListener("change", (e) => { if (e.target.name === "kind") syncKindFields(cardForm); });
  }

  document.addEventListener("click", (e) => {
    const btn = e.target.closest("[data-action]");
    if (!btn) return;
    const action = btn.dataset.action;
    if (action === "set-wip-limit") {
      e.preventDefault();
      openWipDialog(btn, dialogError);
    } else if (action === "clear-wip-limit") {
      e.preventDefault();
      sendLimit(btn.closest("form"), null);
    } else if (action === "clear-team-filter" && filter.form) {
      e.preventDefault();
      chooseTeam("");
      announce("Showing every team's items.");
      filter.select.focus();
    }
  });

  if (filter.form) {
    filter.form.querySelector(".filter-apply").hidden = true; // the select applies at once
    filter.form.addEventListener("submit", (e) => { e.preventDefault(); chooseTeam(filter.team); });
    filter.select.addEventListener("change", () => chooseTeam(filter.team));
  }

  // Cards added, moved, restored or re-rendered later (live updates, catch-ups, this
  // person's own drags) and limits set elsewhere: keep the filter and WIP labels true.
  const board = document.querySelector("section.board");
  if (board) {
    new MutationObserver(refresh).observe(board, {
      childList: true, subtree: true, attributes: true, attributeFilter: ["data-wip-limit"],
    });
  }
  refresh();
}

// Applying the server's events to the page. Markup always comes from the server
// (rendered by the same Jinja macros as the page, autoescaped); this module only
// parses it, places it, and sets plain text with textContent.

const parser = new DOMParser();

/** One element from server-rendered markup. */
export function fragment(html) {
  if (!html) return null;
  const doc = parser.parseFromString(`<template>${html}</template>`, "text/html");
  const node = doc.querySelector("template").content.firstElementChild;
  return node ? document.importNode(node, true) : null;
}

export const cardEl = (id) => document.getElementById(`card-${id}`);
export const columnEl = (id) => document.getElementById(`col-${id}`);
export const listOf = (columnId) => {
  const col = columnEl(columnId);
  return col ? col.querySelector("ol.cards") : null;
};
export const columns = () => Array.from(document.querySelectorAll("#columns > .column"));

/** Put a card into a list where its rank says (SPEC R17). */
export function placeByRank(list, el) {
  const rank = el.dataset.rank;
  let before = null;
  for (const sib of list.children) {
    if (sib !== el && sib.dataset.rank > rank) {
      before = sib;
      break;
    }
  }
  if (el.parentNode !== list || el.nextElementSibling !== before) {
    const hadFocus = el.contains(document.activeElement);
    list.insertBefore(el, before);
    if (hadFocus) el.focus({ preventScroll: true });
  }
}

function replaceKeepingFocus(old, el) {
  const hadFocus = old.contains(document.activeElement);
  old.replaceWith(el);
  if (hadFocus) el.focus({ preventScroll: true });
}

export function applyRegions(html) {
  for (const [key, markup] of Object.entries(html)) {
    if (!key.startsWith("region:")) continue;
    const old = document.getElementById(key.slice(7));
    const el = fragment(markup);
    if (old && el) {
      if (old.tagName === "DETAILS" && old.open) el.open = true;
      replaceKeepingFocus(old, el);
    }
  }
}

function insertAt(container, el, index, selector, before) {
  const items = Array.from(container.querySelectorAll(`:scope > ${selector}`)).filter((x) => x !== el);
  const ref = items[index] || before || null;
  container.insertBefore(el, ref);
}

/** Apply one event. `hooks.beforeMove(cardId)` lets a drag in progress yield. */
export function applyEvent(ev, html, hooks = {}) {
  switch (ev.type) {
    case "card_added":
    case "card_restored": {
      const el = fragment(html[`card:${ev.card.id}`]);
      const list = listOf(ev.card.column);
      if (!el || !list) return;
      const old = cardEl(ev.card.id);
      if (old) {
        replaceKeepingFocus(old, el);
      }
      placeByRank(list, el);
      if (ev.type === "card_added") flash(el);
      return;
    }
    case "card_edited": {
      const old = cardEl(ev.card.id);
      const el = fragment(html[`card:${ev.card.id}`]);
      if (old && el) {
        // Keep the place the card has here (it may be moving optimistically).
        el.dataset.rank = old.dataset.rank;
        el.dataset.column = old.dataset.column;
        replaceKeepingFocus(old, el);
        flash(el);
      }
      return;
    }
    case "card_moved": {
      const el = cardEl(ev.card_id);
      const list = listOf(ev.column);
      if (!el || !list) return;
      if (hooks.beforeMove) hooks.beforeMove(ev.card_id);
      el.dataset.rank = ev.rank;
      el.dataset.column = ev.column;
      placeByRank(list, el);
      return;
    }
    case "cards_revealed": { // the write phase is over: face-down cards turn over
      for (const c of ev.cards) {
        const old = cardEl(c.id);
        const el = fragment(html[`card:${c.id}`]);
        if (old && el) {
          el.dataset.rank = old.dataset.rank;
          el.dataset.column = old.dataset.column;
          replaceKeepingFocus(old, el);
        }
      }
      return;
    }
    case "column_reranked": {
      for (const [id, rank] of Object.entries(ev.ranks)) {
        const el = cardEl(id);
        if (el) el.dataset.rank = rank;
      }
      return;
    }
    case "card_archived": {
      const old = cardEl(ev.card.id);
      const el = fragment(html[`card:${ev.card.id}`]);
      if (old) old.remove();
      const archive = document.getElementById("archived-cards");
      if (el && archive) archive.prepend(el);
      return;
    }
    case "column_added": {
      const el = fragment(html[`column:${ev.column.id}`]);
      const container = document.getElementById("columns");
      if (el && container) insertAt(container, el, ev.index, ".column", container.querySelector(":scope > .add-column"));
      return;
    }
    case "column_renamed": {
      const title = document.getElementById(`col-${ev.column_id}-title`);
      if (title) title.textContent = ev.title;
      return;
    }
    case "column_moved": {
      const el = columnEl(ev.column_id);
      const container = document.getElementById("columns");
      if (el && container) insertAt(container, el, ev.index, ".column", container.querySelector(":scope > .add-column"));
      return;
    }
    case "wip_limit_set": {
      // backlog.js redraws the column's "n / limit" from this attribute (board/wip.py).
      const col = columnEl(ev.column);
      if (col) col.dataset.wipLimit = ev.limit === null ? "" : String(ev.limit);
      return;
    }
    case "column_removed": {
      const el = columnEl(ev.column_id);
      if (el) el.remove();
      // Its archived cards now belong to the first column, where a restore puts them (R39).
      for (const id of ev.rehomed || []) {
        const card = cardEl(id);
        if (card && ev.home) card.dataset.column = ev.home;
      }
      return;
    }
    case "forum_renamed": {
      const title = document.getElementById("forum-name");
      if (title) title.textContent = ev.name;
      document.title = `${ev.name} · Scaleboard`;
      return;
    }
    case "decision_recorded": {
      const el = fragment(html[`decision:${ev.decision.id}`]);
      const list = document.getElementById("decision-list");
      if (el && list && !document.getElementById(el.id)) list.append(el);
      return;
    }
    case "next_step_added":
    case "next_step_updated": {
      const el = fragment(html[`step:${ev.step.id}`]);
      if (!el) return;
      const old = document.getElementById(el.id);
      if (old) replaceKeepingFocus(old, el);
      else document.getElementById("steps-current")?.append(el);
      return;
    }
    default:
      return; // session events arrive with their regions
  }
}

/** Recount what the page counts (column sizes, archive size). */
export function refreshCounts() {
  for (const col of columns()) {
    const count = col.querySelector("[data-count]");
    const list = col.querySelector("ol.cards");
    if (count && list) count.textContent = String(list.children.length);
  }
  refreshWip();
  const archived = document.getElementById("archived-cards");
  const count = document.querySelector("#archive [data-count]");
  if (archived && count) count.textContent = String(archived.children.length);
}

/** Column headers' WIP limits (templates/_wip.html, board/wip.py): "n / limit" and the
 * "Over WIP limit" label follow the cards a column holds now (forum page and projector). */
export function refreshWip() {
  for (const col of columns()) {
    const list = col.querySelector("ol.cards");
    const raw = col.dataset.wipLimit || "";
    const limit = raw ? Number(raw) : null;
    const over = limit !== null && (list ? list.children.length : 0) > limit;
    const wip = col.querySelector("[data-wip]");
    if (wip) {
      if (wip.hidden !== (limit === null)) wip.hidden = limit === null;
      const text = wip.querySelector("[data-wip-limit-text]");
      if (text && text.textContent !== raw) text.textContent = raw;
    }
    const label = col.querySelector("[data-wip-over]");
    if (label && label.hidden === over) label.hidden = !over;
    if (col.classList.contains("over-wip") !== over) col.classList.toggle("over-wip", over);
  }
}

export function flash(el) {
  el.classList.remove("flash");
  void el.offsetWidth;
  el.classList.add("flash");
}

// Moves beyond the drag (issue 13): "Move to…" from a card's actions menu, the board's
// scroll following what this person just did, and others' moves made visible — the
// moved card marked with the mover's initials for a few seconds (no animation under
// prefers-reduced-motion, the mark stays) and a polite, rate-limited announcement.
// Markup comes from <template>s in templates/forum.html; names are set as text only.

import { columns } from "./dom.js";
import { initialsOf } from "./presence.js";

export const MARK_MS = 5000; // how long another person's move stays marked
const ANNOUNCE_EVERY_MS = 2500; // at most one announcement of others' moves this often

const titleOf = (el) => el.querySelector(".card-title")?.textContent || "a card";
const columnTitle = (id) => document.getElementById(`col-${id}-title`)?.textContent || id;

/** Scroll so the card (and its whole column) is in view: the strip sideways, the page
 * and the column's list only as far as needed. */
export function reveal(el) {
  if (!el || !el.isConnected) return;
  const strip = document.getElementById("columns");
  const col = el.closest(".column");
  if (strip && col) {
    const s = strip.getBoundingClientRect();
    const c = col.getBoundingClientRect();
    const smooth = !window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    let dx = 0;
    if (c.left < s.left) dx = c.left - s.left - 8;
    else if (c.right > s.right) dx = Math.min(c.right - s.right + 8, c.left - s.left - 8);
    if (dx) strip.scrollBy({ left: dx, behavior: smooth ? "smooth" : "auto" });
  }
  const list = el.parentNode;
  if (list && list.scrollHeight > list.clientHeight) {
    const l = list.getBoundingClientRect();
    const r = el.getBoundingClientRect();
    if (r.top < l.top) list.scrollTop -= l.top - r.top + 4;
    else if (r.bottom > l.bottom) list.scrollTop += r.bottom - l.bottom + 4;
  }
  const r = el.getBoundingClientRect();
  if (r.top < 0 || r.bottom > window.innerHeight) window.scrollBy(0, r.top < 0 ? r.top - 8 : r.bottom - window.innerHeight + 8);
}

/** The "Move to…" dialog: one button per column (the card's own is disabled). */
export class MoveTo {
  constructor({ mover, announce }) {
    this.mover = mover;
    this.announce = announce;
    this.dialog = document.getElementById("move-dialog");
    this.card = null;
  }

  open(card) {
    if (!this.dialog || !card) return;
    this.card = card;
    document.getElementById("move-card-title").textContent = titleOf(card);
    const tpl = document.getElementById("move-target-tpl");
    const items = columns().map((col) => {
      const li = tpl.content.firstElementChild.cloneNode(true);
      const btn = li.querySelector("button");
      const id = col.dataset.column;
      btn.dataset.column = id;
      li.querySelector(".move-target-name").textContent = col.querySelector(".column-title").textContent;
      const n = col.querySelectorAll("ol.cards > .card").length;
      const here = id === card.dataset.column;
      li.querySelector(".move-target-count").textContent = here ? "(it is here)" : `(${n} card${n === 1 ? "" : "s"})`;
      btn.disabled = here;
      return li;
    });
    document.getElementById("move-targets").replaceChildren(...items);
    this.dialog.showModal();
    const first = this.dialog.querySelector(".move-target:not([disabled])");
    if (first) first.focus();
  }

  /** A column was chosen: the card goes to the bottom of it, as one move. */
  choose(btn) {
    const card = this.card;
    this.dialog.close();
    this.card = null;
    if (!card || !card.isConnected) return;
    const column = btn.dataset.column;
    if (!this.mover.moveTo(card, column)) return;
    this.announce(`Moved ${titleOf(card)} to ${columnTitle(column)}.`);
    reveal(card);
    card.focus({ preventScroll: true });
  }
}

/** Others' moves: the mark on the card and the polite announcements. */
export class OthersMoves {
  constructor({ region }) {
    this.region = region; // aria-live="polite"
    this.timers = new Map(); // card id -> timeout
    this.queue = []; // words not yet announced
    this.lastAnnounced = 0;
    this.flushTimer = null;
  }

  /** A card_moved event (the item says who: ``item.actor``, "" when hidden). */
  moved(ev, actor) {
    const el = document.getElementById(`card-${ev.card_id}`);
    if (!el || !actor) return;
    this.mark(el, actor);
    const where = ev.from_column === ev.column ? `within ${columnTitle(ev.column)}` : `to ${columnTitle(ev.column)}`;
    this.say(`${actor} moved ${titleOf(el)} ${where}.`);
  }

  mark(el, actor) {
    const id = el.dataset.card;
    clearTimeout(this.timers.get(id));
    el.querySelector(":scope > .moved-by")?.remove();
    const badge = document.createElement("span");
    badge.className = "moved-by";
    badge.title = `Moved by ${actor}`;
    badge.setAttribute("aria-hidden", "true"); // the announcement says it in words
    badge.textContent = initialsOf(actor);
    el.prepend(badge);
    el.classList.remove("moved-by-other");
    void el.offsetWidth; // restart the animation
    el.classList.add("moved-by-other");
    this.timers.set(id, setTimeout(() => {
      this.timers.delete(id);
      const now = document.getElementById(`card-${id}`);
      if (!now) return;
      now.classList.remove("moved-by-other");
      now.querySelector(":scope > .moved-by")?.remove();
    }, MARK_MS));
  }

  /** Announce politely; moves close together are said once, as a summary. */
  say(text) {
    this.queue.push(text);
    if (this.flushTimer) return;
    const wait = Math.max(0, this.lastAnnounced + ANNOUNCE_EVERY_MS - Date.now());
    this.flushTimer = setTimeout(() => this.flush(), Math.max(wait, 300));
  }

  flush() {
    this.flushTimer = null;
    const words = this.queue.length === 1 ? this.queue[0] : `${this.queue.length} cards were moved by others. The last: ${this.queue[this.queue.length - 1]}`;
    this.queue = [];
    this.lastAnnounced = Date.now();
    this.region.textContent = words;
  }
}

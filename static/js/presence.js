// Who has this card (SPEC R29): this page tells the server which card its person is
// dragging or editing (`hold`), and shows on each card someone else holds who has it,
// with their initials and colour, so two people do not fight over one card.
//
// What this page holds is worked out from the page itself, not from hooks in drag.js
// or the dialogs: the card being dragged (`.placeholder`), picked up with the keyboard
// (`.held`), or open in the edit dialog. Whenever that changes, one `hold` goes out
// (`{card: null}` when nothing is held). A hold is never queued: after a reconnect the
// current one is sent again (the server let go of it when the old socket left).

const NOTE = "is moving or editing this";

/** "Maya Chen" -> "MC", "Fay (Platform)" -> "FP", "bo" -> "BO": letters and digits of
 * the first and last words (server/web/formats.py `initials` says the same). */
export function initialsOf(name) {
  const parts = name.split(/[^\p{L}\p{N}]+/u).filter(Boolean);
  if (parts.length > 1) return (parts[0][0] + parts[parts.length - 1][0]).toUpperCase();
  return parts.length ? parts[0].slice(0, 2).toUpperCase() : "?";
}

/** "Maya (Checkout)": a name with the teams its person picked here (SPEC R52). */
function nameOf(peer) {
  return peer.teams && peer.teams.length ? `${peer.name} (${peer.teams.join(", ")})` : peer.name;
}

function titleOf(card) {
  const t = card && card.querySelector(".card-title");
  return t ? t.textContent : "this card";
}

export class Holds {
  /** @param {{live: object, readOnly?: boolean, dialog?: HTMLDialogElement|null}} options
   *   `readOnly`: a viewer's page shows holds but never holds anything. */
  constructor({ live, readOnly = false, dialog = null }) {
    this.live = live;
    this.readOnly = readOnly;
    this.dialog = dialog;
    this.peers = new Map(); // peer id -> {id, name, hue}
    this.me = null;
    this.holds = new Map(); // peer id -> card id (others and ourselves, as the server says)
    this.sent = undefined; // the card we last told the server we hold (undefined: nothing sent yet)
    this.note = document.createElement("div");
    this.note.id = "hold-live";
    this.note.className = "sr-only";
    this.note.setAttribute("aria-live", "polite");
    document.body.append(this.note);
    this.warning = null;
    this.watch();
  }

  // -- what the server says ------------------------------------------------------------

  /** Presence, as the live handler gets it (welcome: `reset`; batches: joined/left). */
  presence({ reset, you, joined, left }) {
    if (reset) {
      this.peers.clear();
      for (const p of reset) this.peers.set(p.id, p);
      this.me = you;
    }
    for (const p of joined || []) this.peers.set(p.id, p);
    for (const id of left || []) {
      this.peers.delete(id);
      this.holds.delete(id);
    }
  }

  /** Holds: every hold now (welcome: `reset`) or what changed (batch: `changes`). */
  update({ reset, changes }) {
    if (reset) {
      this.holds.clear();
      this.sent = undefined; // a new connection: the server holds nothing of ours
    }
    for (const h of reset || changes || []) {
      const before = this.holds.get(h.peer);
      if (h.card) this.holds.set(h.peer, h.card);
      else this.holds.delete(h.peer);
      if (!reset && h.card && h.card !== before && !this.mine(h.peer)) this.announce(h.peer, h.card);
    }
    this.refresh();
    this.sync();
  }

  mine(peerId) {
    return !!this.me && peerId === this.me.id;
  }

  announce(peerId, cardId) {
    const peer = this.peers.get(peerId);
    if (!peer) return;
    const card = document.getElementById(`card-${cardId}`);
    this.note.textContent = `${nameOf(peer)} ${NOTE}: ${titleOf(card)}.`;
  }

  /** Who else holds `cardId` (the first one), or null. */
  holder(cardId) {
    for (const [peerId, card] of this.holds) {
      if (card === cardId && !this.mine(peerId) && this.peers.has(peerId)) return this.peers.get(peerId);
    }
    return null;
  }

  /** Show every hold on its card (again after any update: cards may have been replaced). */
  refresh() {
    const shown = new Map(); // card id -> holder
    for (const [peerId, cardId] of this.holds) {
      if (this.mine(peerId) || shown.has(cardId)) continue;
      const peer = this.peers.get(peerId);
      if (peer) shown.set(cardId, peer);
    }
    for (const el of document.querySelectorAll(".card.is-held")) {
      if (!shown.has(el.dataset.card)) this.clear(el);
    }
    for (const [cardId, peer] of shown) {
      const el = document.getElementById(`card-${cardId}`);
      if (el && el.closest("#columns")) this.show(el, peer);
    }
  }

  show(el, peer) {
    el.classList.add("is-held");
    el.style.setProperty("--hue", String(peer.hue));
    let note = el.querySelector(":scope > .hold-note");
    if (note && note.dataset.peer === peer.id && note.dataset.who === nameOf(peer)) return;
    if (!note) {
      note = document.createElement("p");
      note.className = "hold-note";
      const head = el.querySelector(":scope > .card-head");
      if (head) head.after(note);
      else el.prepend(note);
    }
    note.dataset.peer = peer.id;
    note.dataset.who = nameOf(peer);
    const chip = document.createElement("span");
    chip.className = "hold-chip";
    chip.setAttribute("aria-hidden", "true");
    chip.textContent = initialsOf(peer.name);
    const text = document.createElement("span");
    text.className = "hold-text";
    const who = document.createElement("bdi"); // isolated: a name never turns the note around
    who.textContent = nameOf(peer);
    text.append(who, ` ${NOTE}`);
    note.replaceChildren(chip, text);
  }

  clear(el) {
    el.classList.remove("is-held");
    el.style.removeProperty("--hue");
    for (const note of el.querySelectorAll(":scope > .hold-note")) note.remove();
  }

  // -- what this page holds --------------------------------------------------------------

  /** The card this page is dragging, has picked up, or is editing (null: none). */
  current() {
    const moving = document.querySelector("#columns .card.placeholder, #columns .card.held");
    if (moving) return moving.dataset.card;
    const d = this.dialog;
    if (d && d.open) {
      const field = d.querySelector("form [name=card]");
      if (field && field.value) return field.value;
    }
    return null;
  }

  /** Tell the server when what we hold changed (and warn when someone else has it). */
  sync() {
    if (this.readOnly || !this.live.ready) return; // resent after the welcome
    const card = this.current();
    if (card === this.sent || (card === null && this.sent === undefined)) return;
    this.live.raw({ type: "hold", card });
    this.sent = card;
    if (card) this.warn(card);
    else this.unwarn();
  }

  warn(cardId) {
    const other = this.holder(cardId);
    if (!other) return;
    const text = `${other.name} ${NOTE} too: your changes may overwrite theirs.`;
    const form = this.dialog && this.dialog.open ? this.dialog.querySelector("form") : null;
    if (form && this.current() === cardId && !document.querySelector("#columns .card.placeholder, #columns .card.held")) {
      if (!this.warning) {
        this.warning = document.createElement("p");
        this.warning.className = "hold-warning";
        this.warning.setAttribute("role", "status");
      }
      this.warning.textContent = text;
      const title = form.querySelector("h2");
      if (title) title.after(this.warning);
      else form.prepend(this.warning);
    }
    this.note.textContent = text;
  }

  unwarn() {
    if (this.warning) this.warning.remove();
  }

  watch() {
    const later = () => setTimeout(() => this.sync(), 0);
    // Drag and keyboard pick-up: drag.js marks the card with these classes.
    const columns = document.querySelector(".board") || document.body;
    new MutationObserver(later).observe(columns, { subtree: true, attributes: true, attributeFilter: ["class"] });
    if (this.dialog) {
      new MutationObserver(later).observe(this.dialog, { attributes: true, attributeFilter: ["open"] });
      this.dialog.addEventListener("close", later);
    }
    // A card replaced or removed while held takes its classes with it.
    window.addEventListener("pointerup", later);
    window.addEventListener("pointercancel", later);
    document.addEventListener("keyup", later);
  }
}

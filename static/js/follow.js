// Follow the facilitator (board/focus.py, SPEC R30–R31). The server keeps the board's
// focus (a card or column id) and sends it as the live region `#focus` (data-target);
// this module scrolls the target into view and marks it (class `is-focus` and a
// visible "Facilitator is here" label) for everyone who follows. Following is on by
// default, remembered per tab (sessionStorage); the projector always follows.
// Facilitators' "Bring everyone here" and "Release" buttons send `set_focus`.

import { cardEl, columnEl } from "./dom.js";

const LABEL = "Facilitator is here";

function storageKey(forumId) {
  return `scaleboard.follow.${forumId}`;
}

function reducedMotion() {
  return window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
}

/** The element the focus names: a live card on the board, or a column. */
function targetEl(id) {
  if (!id) return null;
  const card = cardEl(id);
  if (card && card.closest("#columns")) return card;
  const col = columnEl(id);
  return col && col.closest("#columns") ? col : null;
}

function politeRegion() {
  let el = document.getElementById("focus-live");
  if (!el) {
    el = document.createElement("div");
    el.id = "focus-live";
    el.className = "sr-only";
    el.setAttribute("aria-live", "polite");
    document.body.append(el);
  }
  return el;
}

export class Follow {
  /**
   * @param {{forumId: string, always?: boolean, send?: (op: object, what: string) => void}} options
   *   `always`: the projector (no toggle); `send`: how to send an op (absent: read-only).
   */
  constructor({ forumId, always = false, send = null }) {
    this.forumId = forumId;
    this.always = always;
    this.send = send;
    this.shown = null; // the target we last scrolled to
    this.toggle = document.getElementById("follow-toggle");
    this.live = politeRegion();
    this.following = always || this.remembered();
    if (this.toggle && !always) {
      this.toggle.addEventListener("click", () => this.setFollowing(!this.following));
    }
    if (send) {
      document.addEventListener("click", (e) => this.click(e));
    }
    this.syncToggle();
    this.refresh();
  }

  remembered() {
    try {
      return sessionStorage.getItem(storageKey(this.forumId)) !== "off";
    } catch {
      return true;
    }
  }

  setFollowing(on) {
    this.following = on;
    try {
      sessionStorage.setItem(storageKey(this.forumId), on ? "on" : "off");
    } catch {
      // storage refused (private mode): the choice lasts as long as the page
    }
    this.syncToggle();
    this.shown = null; // rejoining scrolls to where everyone is now
    this.refresh();
    this.say(on ? "You follow the facilitator again." : "You left the follow; the facilitator will not move your view.");
  }

  syncToggle() {
    if (this.toggle) this.toggle.setAttribute("aria-pressed", String(this.following));
  }

  say(text) {
    this.live.textContent = "";
    setTimeout(() => { this.live.textContent = text; }, 30);
  }

  target() {
    const bar = document.getElementById("focus");
    return bar ? bar.dataset.target || null : null;
  }

  /** Mark the current focus (after any update: marked cards may have been replaced);
   * scroll to it when it changed since we last did. */
  refresh() {
    const target = this.following ? this.target() : null;
    for (const el of document.querySelectorAll(".is-focus")) {
      if (el.dataset.card !== target && el.dataset.column !== target) this.unmark(el);
    }
    const el = targetEl(target);
    if (!el) {
      if (!target) this.shown = null;
      return;
    }
    this.mark(el);
    if (this.shown !== target) {
      this.shown = target;
      el.scrollIntoView({ block: "center", inline: "center", behavior: reducedMotion() ? "auto" : "smooth" });
      const name = el.matches(".card") ? el.querySelector(".card-title") : el.querySelector(".column-title");
      this.say(`The facilitator brought everyone to ${name ? name.textContent : "this"}.`);
    }
    this.nameInBar(el);
  }

  mark(el) {
    el.classList.add("is-focus");
    const host = el.matches(".card") ? el : el.querySelector(".column-head");
    if (!host || host.querySelector(":scope > .focus-label")) return;
    const label = document.createElement("span");
    label.className = "focus-label";
    label.textContent = LABEL;
    if (el.matches(".card")) host.prepend(label);
    else host.append(label);
  }

  unmark(el) {
    el.classList.remove("is-focus");
    for (const label of el.querySelectorAll(".focus-label")) label.remove();
  }

  /** Keep the bar's name in step with the card's or column's current title. */
  nameInBar(el) {
    const out = document.querySelector("#focus .focus-name");
    const name = el.matches(".card") ? el.querySelector(".card-title") : el.querySelector(".column-title");
    if (out && name && out.textContent !== name.textContent) out.textContent = name.textContent;
  }

  click(e) {
    const btn = e.target.closest("[data-action]");
    if (!btn) return;
    if (btn.dataset.action === "bring-here") {
      e.preventDefault();
      const card = btn.closest(".card");
      const target = card ? card.dataset.card : btn.closest(".column").dataset.column;
      const menu = btn.closest("details");
      if (menu) menu.open = false;
      this.send({ type: "set_focus", target }, "Could not bring everyone there");
    } else if (btn.dataset.action === "release-focus") {
      e.preventDefault();
      this.send({ type: "set_focus", target: null }, "Could not release");
    }
  }
}

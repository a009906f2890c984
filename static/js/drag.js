// Moving cards: with a mouse, a finger or a pen (pointer events), and with the
// keyboard alone (Space to pick up, arrows to move, Space to drop, Escape to cancel).
// Either way the card is moved in the page at once and `onMove(card, column, index)`
// is called once, on drop, so a drag is one operation (SPEC R14).

import { columns, listOf } from "./dom.js";

const DRAG_THRESHOLD = 5;
const LONG_PRESS_MS = 350;
const EDGE = 48; // px from the strip's or the window's edge where a drag scrolls
const MAX_STEP = 18; // px per frame at the very edge

function listIndex(el) {
  return Array.prototype.indexOf.call(el.parentNode.children, el);
}

function origin(el) {
  return { list: el.parentNode, next: el.nextElementSibling, column: el.dataset.column, index: listIndex(el) };
}

function restore(el, from) {
  from.list.insertBefore(el, from.next && from.next.parentNode === from.list ? from.next : null);
}

function cardLists() {
  return columns().map((c) => c.querySelector("ol.cards")).filter(Boolean);
}

function describe(el) {
  const list = el.parentNode;
  const column = list.closest(".column");
  const title = column ? column.querySelector(".column-title").textContent : "";
  return `${title}, position ${listIndex(el) + 1} of ${list.children.length}`;
}

function titleOf(el) {
  const t = el.querySelector(".card-title");
  return t ? t.textContent : "card";
}

export class Mover {
  constructor({ root, onMove, announce, onOpen }) {
    this.root = root;
    this.onMove = onMove;
    this.announce = announce;
    this.onOpen = onOpen;
    this.drag = null; // pointer drag in progress
    this.held = null; // keyboard pick-up in progress: {el, from}
    // Optional: dropping a card ONTO another card (grouping, static/js/voting.js):
    // {target(el, x, y) -> card element or null, drop(el, onto)}.
    this.dropOn = null;
    root.addEventListener("pointerdown", (e) => this.pointerDown(e));
    root.addEventListener("keydown", (e) => this.keyDown(e));
    root.addEventListener("focusout", (e) => this.focusOut(e));
    // While dragging with touch, stop the page from scrolling under the finger.
    document.addEventListener("touchmove", (e) => { if (this.drag && this.drag.active) e.preventDefault(); }, { passive: false });
  }

  /** A remote move of a card this person is moving wins: let go of it (null: any card). */
  yieldCard(cardId) {
    const mine = (el) => cardId === null || el.dataset.card === cardId;
    if (this.drag && mine(this.drag.el)) {
      if (this.drag.active) this.endDrag(false);
      else this.drag = null;
    }
    if (this.held && mine(this.held.el)) {
      this.held.el.classList.remove("held");
      this.held = null;
      this.announce("Someone else moved this card.");
    }
  }

  // -- pointer --------------------------------------------------------------------

  pointerDown(e) {
    if (e.button !== 0 || this.drag || this.held) return;
    const el = e.target.closest(".card");
    if (!el || !el.closest("#columns")) return;
    const onHandle = !!e.target.closest(".handle");
    if (!onHandle && e.target.closest("button, a, input, textarea, select, summary")) return;
    const touchy = e.pointerType !== "mouse";
    this.drag = {
      el, id: e.pointerId, x0: e.clientX, y0: e.clientY, active: false, from: null,
      ghost: null, dx: 0, dy: 0, timer: null, touchy, onHandle,
    };
    if (touchy && !onHandle) {
      this.drag.timer = setTimeout(() => this.begin(e.clientX, e.clientY), LONG_PRESS_MS);
    }
    const move = (ev) => this.pointerMove(ev);
    const up = (ev) => {
      window.removeEventListener("pointermove", move);
      window.removeEventListener("pointerup", up);
      window.removeEventListener("pointercancel", up);
      this.pointerUp(ev);
    };
    window.addEventListener("pointermove", move);
    window.addEventListener("pointerup", up);
    window.addEventListener("pointercancel", up);
  }

  pointerMove(e) {
    const d = this.drag;
    if (!d || e.pointerId !== d.id) return;
    const far = Math.hypot(e.clientX - d.x0, e.clientY - d.y0) > DRAG_THRESHOLD;
    if (!d.active) {
      if (!far) return;
      if (d.touchy && !d.onHandle) {
        clearTimeout(d.timer); // moved before the long press: the finger is scrolling
        this.drag = null;
        return;
      }
      this.begin(e.clientX, e.clientY);
    }
    e.preventDefault();
    this.follow(e.clientX, e.clientY);
  }

  begin(x, y) {
    const d = this.drag;
    if (!d || d.active) return;
    d.active = true;
    d.from = origin(d.el);
    const r = d.el.getBoundingClientRect();
    d.dx = d.x0 - r.left;
    d.dy = d.y0 - r.top;
    const ghost = d.el.cloneNode(true);
    ghost.removeAttribute("id");
    ghost.classList.add("ghost");
    ghost.setAttribute("aria-hidden", "true");
    ghost.style.width = `${r.width}px`;
    document.body.append(ghost);
    d.ghost = ghost;
    d.el.classList.add("placeholder");
    document.body.classList.add("dragging");
    this.follow(x, y);
    this.autoScrollLoop();
  }

  follow(x, y) {
    const d = this.drag;
    d.x = x;
    d.y = y;
    d.ghost.style.transform = `translate(${x - d.dx}px, ${y - d.dy}px) rotate(2deg)`;
    this.place(x, y);
  }

  /** Put the placeholder where the pointer is (or mark the card it is over). */
  place(x, y) {
    const d = this.drag;
    if (this.dropOn) {
      const over = this.dropOn.target(d.el, x, y);
      if (over !== d.over) {
        if (d.over) d.over.classList.remove("drop-onto");
        d.over = over;
        if (over) over.classList.add("drop-onto");
      }
      if (over) return;
    }
    const list = this.listAt(x, y);
    if (!list) return;
    let before = null;
    for (const sib of list.children) {
      if (sib === d.el) continue;
      const r = sib.getBoundingClientRect();
      if (y < r.top + r.height / 2) {
        before = sib;
        break;
      }
    }
    if (d.el.parentNode !== list || d.el.nextElementSibling !== before) list.insertBefore(d.el, before);
  }

  listAt(x, y) {
    for (const list of cardLists()) {
      const col = list.closest(".column").getBoundingClientRect();
      if (x >= col.left && x <= col.right && y >= col.top - 40 && y <= col.bottom + 40) return list;
    }
    return null;
  }

  /** While a drag is on, every frame: a pointer held near an edge of the column strip
   * (or of the window) scrolls it, faster nearer the edge, and the placeholder follows
   * into the column that comes under the pointer. So a phone reaches every column. */
  autoScrollLoop() {
    const step = () => {
      const d = this.drag;
      if (!d || !d.active) return;
      const speed = (dist) => (dist < EDGE ? Math.ceil(MAX_STEP * (1 - Math.max(dist, 0) / EDGE)) : 0);
      let moved = false;
      const strip = document.getElementById("columns");
      if (strip) {
        const r = strip.getBoundingClientRect();
        const left = Math.max(r.left, 0);
        const right = Math.min(r.right, window.innerWidth);
        const before = strip.scrollLeft;
        if (d.x < left + EDGE) strip.scrollLeft -= speed(d.x - left);
        else if (d.x > right - EDGE) strip.scrollLeft += speed(right - d.x);
        moved = strip.scrollLeft !== before;
      }
      const top = window.scrollY;
      if (d.y < EDGE) window.scrollBy(0, -speed(d.y));
      else if (d.y > window.innerHeight - EDGE) window.scrollBy(0, speed(window.innerHeight - d.y));
      if (moved || window.scrollY !== top) this.place(d.x, d.y);
      d.frame = requestAnimationFrame(step);
    };
    this.drag.frame = requestAnimationFrame(step);
  }

  pointerUp(e) {
    const d = this.drag;
    if (!d || e.pointerId !== d.id) return;
    clearTimeout(d.timer);
    if (!d.active) {
      this.drag = null;
      if (e.type === "pointerup" && !e.target.closest("button, a, summary, [role=menu]") && this.onOpen) this.onOpen(d.el);
      return;
    }
    this.endDrag(e.type === "pointerup");
  }

  endDrag(commit) {
    const d = this.drag;
    this.drag = null;
    if (!d || !d.active) return;
    cancelAnimationFrame(d.frame);
    d.ghost.remove();
    d.el.classList.remove("placeholder");
    document.body.classList.remove("dragging");
    if (d.over) {
      d.over.classList.remove("drop-onto");
      restore(d.el, d.from);
      if (commit && this.dropOn) this.dropOn.drop(d.el, d.over);
      return;
    }
    if (!commit) {
      restore(d.el, d.from);
      return;
    }
    this.commit(d.el, d.from);
  }

  /** "Move to…": the card to the bottom of ``column`` at once, then one move (false:
   * it is already there, or the column is gone). */
  moveTo(el, column) {
    const list = listOf(column);
    if (!list || el.dataset.column === column || !el.closest("#columns")) return false;
    const from = origin(el);
    list.append(el);
    this.commit(el, from);
    return true;
  }

  commit(el, from) {
    const column = el.parentNode.dataset.column;
    const index = listIndex(el);
    if (column === from.column && index === from.index) return;
    this.onMove(el, column, index, from);
  }

  // -- keyboard -------------------------------------------------------------------

  keyDown(e) {
    const el = e.target;
    if (!(el instanceof HTMLElement) || !el.classList.contains("card") || !el.closest("#columns")) return;
    if (this.held && this.held.el !== el) return;
    if (!this.held) {
      if (e.key === " " || e.key === "Spacebar") {
        e.preventDefault();
        this.held = { el, from: origin(el) };
        el.classList.add("held");
        this.announce(`Picked up ${titleOf(el)}. ${describe(el)}. Arrow keys move it, Space drops it, Escape cancels.`);
      } else if (e.key === "Enter" && this.onOpen) {
        e.preventDefault();
        this.onOpen(el);
      }
      return;
    }
    const list = el.parentNode;
    const lists = cardLists();
    const at = lists.indexOf(list);
    let moved = false;
    switch (e.key) {
      case "ArrowUp":
        if (el.previousElementSibling) { this.keep(() => list.insertBefore(el, el.previousElementSibling)); moved = true; }
        break;
      case "ArrowDown":
        if (el.nextElementSibling) { this.keep(() => list.insertBefore(el, el.nextElementSibling.nextElementSibling)); moved = true; }
        break;
      case "Home":
        this.keep(() => list.prepend(el)); moved = true;
        break;
      case "End":
        this.keep(() => list.append(el)); moved = true;
        break;
      case "ArrowLeft":
      case "ArrowRight": {
        const target = lists[at + (e.key === "ArrowLeft" ? -1 : 1)];
        if (target) {
          const index = Math.min(listIndex(el), target.children.length);
          this.keep(() => target.insertBefore(el, target.children[index] || null));
          moved = true;
        }
        break;
      }
      case " ":
      case "Spacebar":
      case "Enter": {
        const { from } = this.held;
        this.held = null;
        el.classList.remove("held");
        this.announce(`Dropped ${titleOf(el)}. ${describe(el)}.`);
        this.commit(el, from);
        break;
      }
      case "Escape": {
        const { from } = this.held;
        this.keep(() => restore(el, from)); // while still held: keep() refocuses it
        this.held = null;
        el.classList.remove("held");
        this.announce(`Move cancelled. ${titleOf(el)} is back in ${describe(el)}.`);
        break;
      }
      case "Tab":
        this.cancelHeld();
        return;
      default:
        return;
    }
    e.preventDefault();
    if (moved) {
      el.scrollIntoView({ block: "nearest", inline: "nearest" });
      this.announce(describe(el));
    }
  }

  keep(domChange) {
    // Moving a focused element blurs it; put focus back and ignore that blur.
    const el = this.held.el;
    this.moving = true;
    domChange();
    el.focus({ preventScroll: true });
    this.moving = false;
  }

  focusOut(e) {
    if (this.held && e.target === this.held.el && !this.moving) this.cancelHeld();
  }

  cancelHeld() {
    if (!this.held) return;
    const { el, from } = this.held;
    this.held = null;
    el.classList.remove("held");
    restore(el, from);
    this.announce("Move cancelled.");
  }
}

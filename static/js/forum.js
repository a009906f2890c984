// The forum page: connects the live board, the dialogs and the moves.

import { roomControls } from "./room.js";
import { between } from "./ranks.js";
import { Live } from "./live.js";
import { startTicking, tickElapsed, tickTimer, timerControls } from "./timer.js";
import { Mover } from "./drag.js";
import { retroControls } from "./retro.js";
import { sdsControls, sdsPeople, startSdsClock, tickSds } from "./sds.js";
import { initVoting, syncVoting } from "./voting.js";
import { applyEvent, applyRegions, cardEl, columns, listOf, placeByRank, refreshCounts } from "./dom.js";
import { Holds } from "./presence.js";
import { MyTeams, renderPresence } from "./people.js";
import { Follow } from "./follow.js";
import { cardFields, fillCardFields, initBacklog, tradeOffNote } from "./backlog.js";
import { connectsOf, fillConnects, syncMarkers } from "./dependencies.js";
import { initMenus } from "./menu.js";
import { MoveTo, OthersMoves, reveal } from "./moves.js";
import { initStrip, syncStrip } from "./strip.js";
import { initEscalation, openEscalate } from "./escalation.js";
import { initStandards, openAdopt, openAnswer, showStandard } from "./standards_board.js";

const root = document.getElementById("forum");
const announcer = document.getElementById("announcer");
const toasts = document.getElementById("toasts");
const conn = document.getElementById("conn");
const othersMoves = new OthersMoves({ region: document.getElementById("moves-announcer") });

function announce(text) {
  announcer.textContent = "";
  setTimeout(() => { announcer.textContent = text; }, 30);
}

function toast(text, kind = "error") {
  const el = document.createElement("p");
  el.className = `toast ${kind}`;
  el.setAttribute("role", kind === "error" ? "alert" : "status");
  el.textContent = text;
  toasts.append(el);
  setTimeout(() => el.remove(), 6000);
}

const STATUS_TEXT = {
  connecting: "Connecting…",
  live: "Live",
  reconnecting: "Reconnecting… your changes are kept",
  gone: "This forum no longer exists",
  forbidden: "No access: ask the facilitator for a new link",
};

// A viewer's page has no controls (the server renders none and refuses every
// operation a viewer sends); nothing here picks cards up for one either.
const readOnly = root.dataset.role === "viewer";

// -- presence ------------------------------------------------------------------

const peers = new Map();
let me = null;

for (const chip of document.querySelectorAll("#presence-list .chip")) {
  chip.style.setProperty("--hue", chip.dataset.hue);
}

// -- the connection ------------------------------------------------------------

const live = new Live({
  forumId: root.dataset.forum,
  seq: Number(root.dataset.seq),
  epoch: root.dataset.epoch,
  handlers: {
    status(state) {
      conn.dataset.state = state;
      conn.textContent = STATUS_TEXT[state] || state;
      document.body.classList.toggle("offline", state !== "live");
    },
    full(html) {
      mover.yieldCard(null);
      applyRegions(html);
      refreshCounts();
      tickElapsed();
      tickTimer();
      tickSds();
      syncVoting();
      follow.refresh();
      holds.refresh();
      syncMarkers();
      syncStrip();
    },
    event(ev, html, item) {
      applyEvent(ev, html, { beforeMove: (id) => mover.yieldCard(id) });
      const mine = item && live.pending.has(item.op_id);
      if (ev.type === "card_moved" && !mine && item && item.actor && !(me && item.actor === me.name)) {
        othersMoves.moved(ev, item.actor);
      }
      // The scroll follows what this person did: a card they added comes into view.
      if (ev.type === "card_added" && mine) requestAnimationFrame(() => reveal(cardEl(ev.card.id)));
      if (ev.type === "standard_announced" || ev.type === "standard_adopted") showStandard(ev);
    },
    after(html) {
      applyRegions(html);
      refreshCounts();
      tickElapsed();
      tickTimer();
      tickSds();
      syncVoting();
      follow.refresh();
      holds.refresh();
      syncMarkers();
      syncStrip();
    },
    holds(change) {
      holds.update(change);
    },
    presence({ reset, you, joined, left }) {
      holds.presence({ reset, you, joined, left });
      if (reset) {
        peers.clear();
        for (const p of reset) peers.set(p.id, p);
        me = you;
      }
      for (const p of joined || []) {
        peers.set(p.id, p);
        if (me && p.id === me.id) me = p; // our own teams changed (SPEC R52)
      }
      for (const id of left || []) peers.delete(id);
      renderPresence(peers, me);
      sdsPeople([...new Set([...peers.values()].map((p) => p.name))]); // speakers offered in the Scaled Daily Scrum
      myTeams.mine(me);
    },
    error(msg) {
      toast(msg.reason || "The server could not read a message.");
    },
  },
});

// Who has which card (presence.js) and following the facilitator (follow.js).
const holds = new Holds({ live, readOnly, dialog: document.getElementById("card-dialog") });
const follow = new Follow({ forumId: root.dataset.forum, send: root.dataset.role === "facilitator" ? simple : null });

// -- moves -----------------------------------------------------------------------

function rankAt(list, el) {
  const prev = el.previousElementSibling;
  const next = el.nextElementSibling;
  return between(prev ? prev.dataset.rank : null, next ? next.dataset.rank : null);
}

const mover = readOnly ? { yieldCard() {} } : new Mover({
  root,
  announce,
  onOpen: (el) => openCardDialog(el),
  onMove(el, column, index, from) {
    const oldRank = el.dataset.rank;
    const provisional = rankAt(el.parentNode, el);
    if (provisional) el.dataset.rank = provisional;
    el.dataset.column = column;
    refreshCounts();
    // A re-order in a MetaScrum or Scaled Backlog session asks for a trade-off note first.
    tradeOffNote(el, column).then((note) => live.send(
      { type: "move_card", card: el.dataset.card, column, index, ...note },
      {
        onReject(msg) {
          el.dataset.rank = oldRank;
          el.dataset.column = from.column;
          const list = listOf(from.column);
          if (list && el.isConnected) placeByRank(list, el);
          refreshCounts();
          toast(`The move was undone: ${msg.reason}`);
        },
      },
    ));
  },
});

// -- dialogs ---------------------------------------------------------------------

function dialogError(form, text) {
  const out = form.querySelector(".form-error");
  out.textContent = text;
  out.hidden = !text;
}

function openDialog(id, fill) {
  const dialog = document.getElementById(id);
  const form = dialog.querySelector("form");
  form.reset();
  dialogError(form, "");
  if (fill) fill(form);
  dialog.showModal();
  const first = form.querySelector("[autofocus]") || form.querySelector("input:not([type=hidden]), textarea, select");
  if (first) first.focus();
  return dialog;
}

/** Send an op from a dialog: close it on ack, show the reason on reject. */
function submitOp(form, op) {
  const dialog = form.closest("dialog");
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  live.send(op, {
    onAck() {
      button.disabled = false;
      dialog.close();
    },
    onReject(msg) {
      button.disabled = false;
      dialogError(form, msg.reason);
    },
  });
  if (!live.ready) dialogError(form, "Offline: this will be saved when the connection is back.");
}

function fillColumns(select, selected) {
  const options = columns().map((col) => {
    const o = document.createElement("option");
    o.value = col.dataset.column;
    o.textContent = col.querySelector(".column-title").textContent;
    o.selected = o.value === selected;
    return o;
  });
  select.replaceChildren(...options);
}

/** The cards a decision or next step concerns: a tick box per card (no modifier key). */
function fillCardPicker(list, selected = []) {
  const tpl = document.getElementById("pick-card-tpl");
  const items = [];
  for (const card of document.querySelectorAll("#columns .card")) {
    const title = card.querySelector(".card-title");
    if (!title) continue; // face down
    const li = tpl.content.firstElementChild.cloneNode(true);
    const box = li.querySelector("input");
    box.value = card.dataset.card;
    box.checked = selected.includes(box.value);
    li.querySelector(".pick-title").textContent = title.textContent;
    items.push(li);
  }
  list.replaceChildren(...items);
}

function syncToTeam(form) {
  const kind = form.elements.kind.value;
  form.querySelector(".to-team-field").hidden = !(kind === "dependency" || kind === "risk");
}

function openCardDialog(card, columnId) {
  openDialog("card-dialog", (form) => {
    const editing = !!card;
    document.getElementById("card-dialog-title").textContent = editing ? "Edit card" : "Add a card";
    fillColumns(form.elements.column, editing ? card.dataset.column : columnId);
    form.elements.column.dataset.was = editing ? card.dataset.column : "";
    form.elements.card.value = editing ? card.dataset.card : "";
    if (editing) {
      form.elements.title.value = card.querySelector(".card-title").textContent;
      const body = card.querySelector(".card-body");
      form.elements.body.value = body ? body.textContent : "";
      form.elements.kind.value = card.dataset.kind;
      form.elements.team.value = card.dataset.team;
      form.elements.to_team.value = card.dataset.toTeam;
      form.elements.owner.value = card.dataset.owner;
    }
    syncToTeam(form);
    fillCardFields(form, editing ? card : null);
    fillConnects(form, card);
  });
}

document.getElementById("card-form").addEventListener("change", (e) => {
  if (e.target.name === "kind") syncToTeam(e.currentTarget);
});

document.getElementById("card-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const f = e.currentTarget.elements;
  const fields = {
    title: f.title.value, body: f.body.value, kind: f.kind.value,
    team: f.team.value, to_team: f.to_team.value, owner: f.owner.value,
  };
  if (!["dependency", "risk"].includes(fields.kind)) fields.to_team = "";
  Object.assign(fields, cardFields(e.currentTarget)); // owning teams, experiment (backlog.js)
  const op = f.card.value
    ? { type: "edit_card", card: f.card.value, ...fields }
    : { type: "add_card", column: f.column.value, ...fields };
  if (!f.card.value && f.anonymous?.checked && !f.anonymous.closest("[hidden]")) op.anonymous = true;
  if (fields.kind === "dependency") op.connects = connectsOf(e.currentTarget);
  submitOp(e.currentTarget, op);
  // Editing, with another column picked: the card moves there too (one move after the edit).
  const card = f.card.value && cardEl(f.card.value);
  if (card && f.column.value && f.column.value !== f.column.dataset.was) moveTo.mover.moveTo(card, f.column.value);
});

document.getElementById("column-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const f = e.currentTarget.elements;
  const op = f.column.value
    ? { type: "rename_column", column: f.column.value, title: f.title.value }
    : { type: "add_column", title: f.title.value };
  submitOp(e.currentTarget, op);
});

document.getElementById("forum-form").addEventListener("submit", (e) => {
  e.preventDefault();
  submitOp(e.currentTarget, { type: "rename_forum", name: e.currentTarget.elements.name.value });
});

function picked(form) {
  return Array.from(form.querySelectorAll("input[name=cards]:checked"), (box) => box.value);
}

document.getElementById("decision-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const f = e.currentTarget.elements;
  submitOp(e.currentTarget, { type: "record_decision", text: f.text.value, cards: picked(e.currentTarget) });
});

document.getElementById("step-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const f = e.currentTarget.elements;
  submitOp(e.currentTarget, {
    type: "add_next_step", text: f.text.value, owner: f.owner.value,
    due: f.due.value || null, cards: picked(e.currentTarget),
  });
});

document.getElementById("return-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const f = e.currentTarget.elements;
  submitOp(e.currentTarget, { type: "return_escalation", card: f.card.value, note: f.note.value });
});

document.getElementById("end-form").addEventListener("submit", (e) => {
  e.preventDefault();
  submitOp(e.currentTarget, { type: "end_session" });
});

// -- buttons ---------------------------------------------------------------------

function simple(op, what) {
  live.send(op, { onReject: (msg) => toast(`${what}: ${msg.reason}`) });
}

const actions = {
  "add-card": (btn) => openCardDialog(null, btn.closest(".column").dataset.column),
  edit: (btn) => openCardDialog(btn.closest(".card")),
  "move-to": (btn) => moveTo.open(btn.closest(".card")),
  "move-to-column": (btn) => moveTo.choose(btn),
  archive: (btn) => simple({ type: "archive_card", card: btn.closest(".card").dataset.card }, "Could not archive"),
  escalate: (btn) => openEscalate(btn, openDialog),
  "adopt-standard": (btn) => openAdopt(btn, openDialog),
  "answer-feedback": (btn) => openAnswer(btn, openDialog),
  "return-escalation": (btn) => openDialog("return-dialog", (form) => {
    form.elements.card.value = btn.closest(".card").dataset.card;
  }),
  restore: (btn) => simple({ type: "restore_card", card: btn.closest(".card").dataset.card }, "Could not restore"),
  "add-column": () => openDialog("column-dialog", (form) => {
    document.getElementById("column-dialog-title").textContent = "Add a column";
    form.elements.column.value = "";
  }),
  "rename-column": (btn) => openDialog("column-dialog", (form) => {
    const col = btn.closest(".column");
    document.getElementById("column-dialog-title").textContent = "Rename the column";
    form.elements.column.value = col.dataset.column;
    form.elements.title.value = col.querySelector(".column-title").textContent;
  }),
  "move-column-left": (btn) => moveColumn(btn, -1),
  "move-column-right": (btn) => moveColumn(btn, 1),
  "remove-column": (btn) => {
    const col = btn.closest(".column");
    const title = col.querySelector(".column-title").textContent;
    if (window.confirm(`Remove the column “${title}”?`)) {
      simple({ type: "remove_column", column: col.dataset.column }, "Could not remove the column");
    }
  },
  "rename-forum": () => openDialog("forum-dialog", (form) => {
    form.elements.name.value = document.getElementById("forum-name").textContent;
  }),
  "start-session": () => simple({ type: "start_session" }, "Could not start"),
  "end-session": () => openDialog("end-dialog"),
  "record-decision": () => openDialog("decision-dialog", () => fillCardPicker(document.getElementById("decision-cards"))),
  "add-next-step": () => openDialog("step-dialog", () => fillCardPicker(document.getElementById("step-cards"))),
  "step-done": (btn) => stepStatus(btn, "done"),
  "step-drop": (btn) => stepStatus(btn, "dropped"),
  "step-reopen": (btn) => stepStatus(btn, "open"),
  "close-dialog": (btn) => btn.closest("dialog").close(),
  "my-teams": () => myTeams.open(),
};

function moveColumn(btn, delta) {
  const col = btn.closest(".column");
  const index = columns().indexOf(col) + delta;
  btn.closest("details").open = false;
  if (index < 0 || index >= columns().length) return;
  simple({ type: "move_column", column: col.dataset.column, index }, "Could not move the column");
}

function stepStatus(btn, status) {
  simple({ type: "update_next_step", step: btn.closest(".step").dataset.step, status }, "Could not update");
}

const moveTo = new MoveTo({ mover, announce });
const myTeams = new MyTeams({ live, openDialog, dialogError });
initMenus();
initStrip();
initEscalation({ forumId: root.dataset.forum, announce, dialogError });
initStandards({ forumId: root.dataset.forum, announce, dialogError, submitOp });
timerControls(simple, toast);
initBacklog({ live, toast, announce });
retroControls(simple, live);
sdsControls({ live, send: simple, toast, root });
startSdsClock();
roomControls(live, toast);
initVoting({ live, send: simple, announce, mover: readOnly ? null : mover });
startTicking();

document.addEventListener("click", (e) => {
  const btn = e.target.closest("[data-action]");
  if (!btn || btn.dataset.action === "grab") return;
  const action = actions[btn.dataset.action];
  if (action) {
    e.preventDefault();
    action(btn);
  }
});


document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible") live.nudge();
});
window.addEventListener("online", () => live.nudge());

live.connect();
window.scaleboard = { live }; // for tests and the curious

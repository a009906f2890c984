// The Scaled Daily Scrum (templates/_sds.html, SPEC R54-R56): the round's clock, counted
// up on this device against the server's time (like timer.js) and "Over the timebox"
// shown live; and the controls — Start, I speak for…, the facilitator's pick, the
// answers, Next team / Skip / End, and "Make a card" of a raised impediment or
// dependency. Every control sends an ordinary op; the server answers with the new
// region:sds. Answers being typed survive the region being replaced. Only ever sets
// textContent and values; never builds markup from user text.

import { mmss } from "./timer.js";

const offsets = new WeakMap(); // .sds-clock element -> server clock minus this clock (s)

function serverNow(el) {
  let offset = offsets.get(el);
  if (offset === undefined) {
    offset = Number(el.dataset.serverNow) - Date.now() / 1000;
    if (!Number.isFinite(offset)) offset = 0;
    offsets.set(el, offset);
  }
  return Date.now() / 1000 + offset;
}

/** Count the round's clock up; past its timebox, say by how much (every screen). */
export function tickSds() {
  for (const el of document.querySelectorAll(".sds-clock[data-started-at]")) {
    const end = el.dataset.endedAt !== undefined ? Number(el.dataset.endedAt) : serverNow(el);
    const took = Math.max(0, end - Number(el.dataset.startedAt));
    const timebox = Number(el.dataset.timebox);
    const elapsed = el.querySelector(".sds-elapsed");
    const text = mmss(Math.floor(took));
    if (elapsed && elapsed.textContent !== text) elapsed.textContent = text;
    const over = took > timebox;
    el.classList.toggle("is-over", over);
    const badge = el.querySelector(".sds-over");
    if (badge) {
      badge.hidden = !over;
      const by = badge.querySelector(".sds-over-by");
      const overText = mmss(Math.floor(Math.max(0, took - timebox)));
      if (by && by.textContent !== overText) by.textContent = overText;
    }
  }
}

export function startSdsClock() {
  tickSds();
  setInterval(tickSds, 250);
}

/** The people here now, offered as speakers in the facilitator's pick. */
export function sdsPeople(names) {
  const list = document.getElementById("sds-people");
  if (!list) return;
  const options = [...new Set(names)].sort().map((name) => {
    const option = document.createElement("option");
    option.value = name;
    return option;
  });
  list.replaceChildren(...options);
}

// What is being typed into the round's fields, by "team:field", kept until it is saved,
// and which field had the focus: both put back when the server replaces the region.
const drafts = new Map();
let focused = null; // {key, start, end}

const keyOf = (field) => {
  const form = field.closest("[data-team]");
  return form ? `${form.dataset.team}:${field.name}` : null;
};

function restoreDrafts() {
  const region = document.getElementById("sds");
  if (!region) return;
  for (const field of region.querySelectorAll("textarea, input[name=speaker]")) {
    const key = keyOf(field);
    if (key === null) continue;
    const saved = field.dataset.saved ?? field.defaultValue;
    if (drafts.has(key)) {
      if (drafts.get(key) === saved) drafts.delete(key);
      else field.value = drafts.get(key);
    }
    if (focused && focused.key === key && document.activeElement !== field) {
      const { start, end } = focused; // focusing the new field notes its own caret
      field.focus({ preventScroll: true });
      try { field.setSelectionRange(start, end); } catch { /* not text */ }
      focused = { key, start, end };
    }
  }
}

/**
 * Wire the controls. `live` is the page's connection, `send(op, what)` sends an op and
 * toasts `what: reason` on a reject, `toast(text, kind)` tells the person.
 */
export function sdsControls({ live, send, toast, root }) {
  const served = () => {
    try { return JSON.parse(root.dataset.served || "[]"); } catch { return []; }
  };

  document.addEventListener("click", (e) => {
    const t = e.target;
    const start = t.closest("[data-sds-start]");
    if (start) {
      e.preventDefault();
      const teams = served();
      if (!teams.length) {
        toast("This Scrum of Scrums serves no teams yet: the admin sets them on the network page.");
        return;
      }
      if (start.dataset.session === "start") send({ type: "start_session" }, "Could not start the session");
      send({ type: "start_sds", teams }, "Could not start the Scaled Daily Scrum");
      return;
    }
    const claim = t.closest("[data-sds-claim]");
    if (claim) {
      e.preventDefault();
      send({ type: "claim_sds_team", team: claim.dataset.sdsClaim }, "Could not record you as the speaker");
      return;
    }
    const next = t.closest("[data-sds-next], [data-sds-skip]");
    if (next) {
      e.preventDefault();
      const skip = next.dataset.sdsSkip !== undefined;
      const team = skip ? next.dataset.sdsSkip : next.dataset.sdsNext;
      send({ type: "next_sds_team", team, skip }, "Could not move on");
      return;
    }
    if (t.closest("[data-sds-end]")) {
      e.preventDefault();
      send({ type: "end_sds" }, "Could not end the round");
      return;
    }
    const card = t.closest("[data-sds-card]");
    if (card) {
      e.preventDefault();
      const text = card.dataset.text || "";
      const max = Number(root.dataset.maxTitle) || 200;
      const firstLine = text.split("\n")[0];
      const title = firstLine.length > max ? `${firstLine.slice(0, max - 1)}…` : firstLine;
      const column = document.querySelector("#columns > .column")?.dataset.column;
      if (!column) return;
      live.send(
        { type: "add_card", column, kind: card.dataset.kind, team: card.dataset.team, title, body: title === text ? "" : text },
        {
          onAck: () => toast(`Added the ${card.dataset.kind} card “${title}”.`, "ok"),
          onReject: (msg) => toast(`Could not add the card: ${msg.reason}`),
        },
      );
    }
  });

  document.addEventListener("submit", (e) => {
    const form = e.target;
    if (form.matches("[data-sds-pick]")) {
      e.preventDefault();
      drafts.delete(`${form.dataset.team}:speaker`);
      send({ type: "set_sds_speaker", team: form.dataset.team, speaker: form.elements.speaker.value }, "Could not set the speaker");
    } else if (form.matches("[data-sds-answers]")) {
      e.preventDefault();
      const op = { type: "answer_sds", team: form.dataset.team };
      for (const field of form.querySelectorAll("textarea")) op[field.name] = field.value;
      send(op, "Could not save the answers");
    }
  });

  // An answer is saved when its field loses focus changed, as well as by "Save answers".
  document.addEventListener("change", (e) => {
    const field = e.target;
    const form = field.closest && field.closest("[data-sds-answers]");
    if (!form || field.tagName !== "TEXTAREA") return;
    send({ type: "answer_sds", team: form.dataset.team, [field.name]: field.value }, "Could not save the answer");
  });

  const caret = (e) => {
    const key = e.target.closest && e.target.closest("#sds") ? keyOf(e.target) : null;
    if (key && focused && focused.key === key) {
      focused.start = e.target.selectionStart;
      focused.end = e.target.selectionEnd;
    }
    return key;
  };
  document.addEventListener("input", (e) => {
    const key = caret(e);
    if (key) drafts.set(key, e.target.value);
  });
  document.addEventListener("keyup", caret);
  document.addEventListener("mouseup", caret);
  document.addEventListener("focusin", (e) => {
    const key = e.target.closest && e.target.closest("#sds") ? keyOf(e.target) : null;
    focused = key ? { key, start: e.target.selectionStart, end: e.target.selectionEnd } : null;
  });
  document.addEventListener("focusout", (e) => {
    // Leaving a field on purpose forgets it; a replaced region's field is gone (not left).
    if (e.target.isConnected && !(e.relatedTarget === null && !document.hasFocus())) {
      setTimeout(() => {
        const el = document.activeElement;
        if (!el || !el.closest || !el.closest("#sds")) focused = null;
      }, 0);
    }
  });

  const region = document.getElementById("sds");
  if (region && region.parentElement) {
    new MutationObserver(restoreDrafts).observe(region.parentElement, { childList: true });
  }
}

// The replay page, live: the slider, the step buttons, the keys and the step list
// fetch the server-rendered board of a step (GET /sessions/{id}/replay/{step}) and
// swap it in. Markup only ever comes from the server (parsed with dom.js's
// `fragment`); text set here goes through textContent. Only the latest request is
// shown: a slow answer for a step the user already left is dropped.

import { fragment } from "./dom.js";

const root = document.getElementById("replay");
const slider = document.getElementById("replay-slider");
const stepNo = document.getElementById("replay-step-no");
const status = document.getElementById("replay-status");
const errorBox = document.getElementById("replay-error");
const list = document.getElementById("replay-steps");
const controls = document.getElementById("replay-controls");

const sessionId = root.dataset.session;
const total = Number(root.dataset.steps);
const lastSeq = root.dataset.lastSeq;
const base = `/sessions/${encodeURIComponent(sessionId)}/replay`;

const CACHE_MAX = 60;
const cache = new Map(); // step -> Promise<string> (server HTML), least recently used first
let shown = Number(document.getElementById("replay-frame").dataset.step);
let latest = 0; // id of the newest show() request; older answers are dropped

for (const el of controls.querySelectorAll(".no-js")) el.hidden = true;

const clamp = (k) => Math.max(0, Math.min(total, k));

function load(step) {
  let pending = cache.get(step);
  if (pending) {
    cache.delete(step); // re-insert: most recently used
  } else {
    pending = fetch(`${base}/${step}?last=${encodeURIComponent(lastSeq)}`, {
      headers: { accept: "text/html" },
    }).then((r) => {
      if (!r.ok) throw new Error(`The server answered ${r.status} for step ${step}.`);
      return r.text();
    });
    pending.catch(() => {
      if (cache.get(step) === pending) cache.delete(step); // a failure is not remembered
    });
  }
  cache.set(step, pending);
  while (cache.size > CACHE_MAX) cache.delete(cache.keys().next().value);
  return pending;
}

function prefetch(step) {
  if (step >= 0 && step <= total && !cache.has(step)) load(step).catch(() => {});
}

function updateControls(step, captionText) {
  slider.value = String(step);
  slider.setAttribute("aria-valuetext", captionText);
  stepNo.textContent = String(step);
  const targets = { first: 0, prev: clamp(step - 1), next: clamp(step + 1), last: total };
  for (const a of document.querySelectorAll("[data-nav]")) {
    const target = targets[a.dataset.nav];
    a.href = `${base}?step=${target}`;
    const atEdge = target === step;
    if (atEdge) a.setAttribute("aria-disabled", "true");
    else a.removeAttribute("aria-disabled");
  }
  const old = list.querySelector("[aria-current]");
  if (old) old.removeAttribute("aria-current");
  const link = list.querySelector(`a[data-step="${step}"]`);
  if (link) {
    link.setAttribute("aria-current", "step");
    scrollIntoList(link.parentElement);
  }
}

// Keep the current step visible in the list without scrolling the page itself.
function scrollIntoList(item) {
  const box = list.getBoundingClientRect();
  const at = item.getBoundingClientRect();
  if (at.top < box.top) list.scrollTop -= box.top - at.top;
  else if (at.bottom > box.bottom) list.scrollTop += at.bottom - box.bottom;
}

function swap(html) {
  const el = fragment(html);
  const old = document.getElementById("replay-frame");
  if (!el || !old) return null;
  const wasOpen = old.querySelector("#archive")?.open;
  const archive = el.querySelector("#archive");
  // Open the archive when it is open already or this step archived a card.
  if (archive && (wasOpen || archive.querySelector(".mark-touched"))) archive.open = true;
  old.replaceWith(el);
  return el;
}

async function show(step, { announce = true } = {}) {
  step = clamp(step);
  const ticket = ++latest;
  let html;
  try {
    html = await load(step);
  } catch (e) {
    if (ticket === latest) {
      errorBox.textContent = `Could not show step ${step}: ${e.message}`;
      errorBox.hidden = false;
    }
    return;
  }
  if (ticket !== latest) return; // the user has moved on: drop this answer
  const el = swap(html);
  if (!el) return;
  errorBox.hidden = true;
  shown = step;
  const captionText = (el.querySelector("#replay-caption")?.textContent || "").replace(/\s+/g, " ").trim();
  updateControls(step, captionText);
  history.replaceState(null, "", `${base}?step=${step}`);
  if (announce) status.textContent = captionText;
  prefetch(step - 1);
  prefetch(step + 1);
}

// -- input ---------------------------------------------------------------------------

slider.addEventListener("input", () => show(Number(slider.value)));
controls.addEventListener("submit", (e) => {
  e.preventDefault();
  show(Number(slider.value));
});

for (const a of document.querySelectorAll("[data-nav]")) {
  a.addEventListener("click", (e) => {
    e.preventDefault();
    const nav = a.dataset.nav;
    const target = nav === "first" ? 0 : nav === "last" ? total : shown + (nav === "next" ? 1 : -1);
    show(target);
  });
}

list.addEventListener("click", (e) => {
  const a = e.target.closest("a[data-step]");
  if (!a || e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
  e.preventDefault();
  show(Number(a.dataset.step));
});

// Arrows, Home and End step through the session when the page has focus. The slider
// handles them itself (and fires `input`), and fields and lists keep their own keys.
const KEYS = { ArrowLeft: -1, ArrowRight: 1, Home: "first", End: "last" };
document.addEventListener("keydown", (e) => {
  if (!(e.key in KEYS) || e.altKey || e.ctrlKey || e.metaKey || e.shiftKey) return;
  const t = e.target;
  if (t === slider || (t instanceof Element && t.closest("input, textarea, select, [contenteditable]"))) return;
  e.preventDefault();
  const move = KEYS[e.key];
  show(move === "first" ? 0 : move === "last" ? total : shown + move);
});

// Warm the neighbours of the step the page opened on.
cache.set(shown, Promise.resolve(document.getElementById("replay-frame").outerHTML));
prefetch(shown - 1);
prefetch(shown + 1);
window.scaleboardReplay = { show, get step() { return shown; } };

// The network page: swap in a fresh picture (and its table) every few seconds and
// when the tab comes back to the foreground. The markup is the server's
// (GET /network/picture, rendered by templates/_network.html); this only places it.

import { fragment } from "./dom.js";

const root = document.getElementById("network");
const status = document.getElementById("network-status");
const every = Math.max(2, Number(root?.dataset.refresh) || 5) * 1000;
let timer = null;
let latest = 0;

async function refresh() {
  const ask = ++latest;
  try {
    const res = await fetch("/network/picture", { credentials: "same-origin", cache: "no-store" });
    if (!res.ok) throw new Error(res.statusText);
    const html = await res.text();
    if (ask !== latest) return; // a newer request is on its way
    const el = fragment(html);
    const old = document.getElementById("network-picture");
    if (el && old) old.replaceWith(el);
    status.textContent = "Live";
    root.dataset.updated = String(Date.now());
  } catch {
    if (ask === latest) status.textContent = "Not updated: the server did not answer; trying again";
  }
}

function schedule() {
  clearInterval(timer);
  timer = document.visibilityState === "visible" ? setInterval(refresh, every) : null;
}

document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible") refresh();
  schedule();
});

if (root) schedule();

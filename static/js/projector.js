// The projector (templates/projector.html): the forum's board on a wall screen.
// Read-only: it sends no operations. It follows the forum's live connection like the
// forum page (live.js reconnects by itself after a drop or a server restart), applies
// the server's markup with dom.js, and marks what changed for 5 s — with the initials of
// who did it (``item.actor``; nobody's for a hidden or anonymous card, R23).

import { Live } from "./live.js";
import { startTicking, tickElapsed, tickTimer } from "./timer.js";
import { applyEvent, applyRegions, cardEl, refreshCounts } from "./dom.js";
import { Follow } from "./follow.js";
import { initialsOf } from "./presence.js";
import { syncVoting } from "./voting.js";
import { startSdsClock, tickSds } from "./sds.js";

const root = document.getElementById("projector");
const conn = document.getElementById("conn");
const HIGHLIGHT_MS = 5000;
const JOIN_REFRESH_MS = 10000; // a rotated room link reaches the wall within this

// The join panel (QR code, printed link, whom to ask: SPEC R47) is the server's markup,
// fetched again when room joining changes, when people come or go (whom to ask), after
// a reconnect, and now and then (a rotation is no board event); only while connected.
let joinTimer = 0;
let joinAsked = 0;
async function refreshJoin() {
  if (conn.dataset.state !== "live") return; // the server is away: the reconnect asks again
  const asked = ++joinAsked;
  try {
    const r = await fetch(`/forums/${encodeURIComponent(root.dataset.forum)}/projector/join-panel`, {
      credentials: "same-origin",
      cache: "no-store",
    });
    if (!r.ok || asked !== joinAsked) return;
    applyRegions({ "region:join": await r.text() });
  } catch {
    // offline: the next reconnect or refresh tries again
  }
}
function refreshJoinSoon() {
  clearTimeout(joinTimer);
  joinTimer = setTimeout(refreshJoin, 300);
}
setInterval(refreshJoin, JOIN_REFRESH_MS);

const STATUS_TEXT = {
  connecting: "Connecting…",
  live: "Live",
  reconnecting: "Reconnecting…",
  gone: "This forum no longer exists",
  forbidden: "No access: this link was replaced",
};

/** The forum's live connection, read-only whatever this browser's role (server/live/endpoint.py). */
class ProjectorLive extends Live {
  url() {
    return `${super.url()}?view=projector`;
  }
}

const timers = new WeakMap();

function highlight(id, actor) {
  const el = cardEl(id);
  if (!el) return;
  clearTimeout(timers.get(el));
  el.classList.remove("moved");
  el.querySelector(":scope > .moved-by")?.remove();
  if (actor) {
    const badge = document.createElement("span");
    badge.className = "moved-by";
    badge.title = actor;
    badge.textContent = initialsOf(actor);
    el.prepend(badge);
  }
  void el.offsetWidth; // restart the animation when a card moves again
  el.classList.add("moved");
  timers.set(el, setTimeout(() => {
    el.classList.remove("moved");
    el.querySelector(":scope > .moved-by")?.remove();
  }, HIGHLIGHT_MS));
}

const MARKED = {
  card_moved: (ev) => ev.card_id,
  card_added: (ev) => ev.card.id,
  card_edited: (ev) => ev.card.id,
  card_restored: (ev) => ev.card.id,
};

const live = new ProjectorLive({
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
      applyRegions(html);
      refreshJoinSoon();
      refreshCounts();
      tickElapsed();
      tickTimer();
      tickSds();
      syncVoting();
      follow.refresh();
    },
    event(ev, html, item) {
      applyEvent(ev, html);
      if (ev.type === "room_join_changed") refreshJoinSoon();
      const id = MARKED[ev.type] && MARKED[ev.type](ev);
      if (id) highlight(id, item && item.actor);
    },
    after(html) {
      applyRegions(html);
      refreshCounts();
      tickElapsed();
      tickTimer();
      tickSds();
      syncVoting();
      follow.refresh();
    },
    presence() {
      refreshJoinSoon(); // whom to ask: the facilitators here now
    },
    error() {},
  },
});

const follow = new Follow({ forumId: root.dataset.forum, always: true }); // the wall always follows
startTicking();
startSdsClock(); // the Scaled Daily Scrum's clock, over the timebox shown live
syncVoting(); // clusters drawn as boxes from the page as served (SPEC R49)

document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible") live.nudge();
});
window.addEventListener("online", () => live.nudge());

live.connect();
window.scaleboard = { live }; // for tests

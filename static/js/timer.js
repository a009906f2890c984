// The shared countdown (templates/_timer.html). The server renders the timer's state
// and its own time into data-* attributes; this module works out what is left on the
// server's clock (correcting for this device's clock, see docs/protocol.md "The
// timer"), ticks the display, and (for facilitators) sends the timer's operations.
// It only ever sets textContent.

const seen = new WeakMap(); // #timer element -> server clock minus this clock, in seconds

function offsetOf(el) {
  let offset = seen.get(el);
  if (offset === undefined) {
    offset = Number(el.dataset.serverNow) - Date.now() / 1000;
    if (!Number.isFinite(offset)) offset = 0;
    seen.set(el, offset);
  }
  return offset;
}

/** Seconds left on the timer element `el` now (null: no timer set). */
export function timeLeft(el) {
  if (el.dataset.remaining === undefined) return null;
  const remaining = Number(el.dataset.remaining);
  if (el.dataset.startedAt === undefined) return Math.max(0, remaining);
  const serverNow = Date.now() / 1000 + offsetOf(el);
  return Math.max(0, remaining - Math.max(0, serverNow - Number(el.dataset.startedAt)));
}

/** `5:00`, `1:02:03`: seconds rounded up, as the server renders them. */
export function mmss(seconds) {
  const total = Math.max(0, Math.ceil(seconds - 1e-6));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

export function tickTimer() {
  const el = document.getElementById("timer");
  if (!el) return;
  offsetOf(el); // note the server's time as soon as the markup is here
  const left = timeLeft(el);
  if (left === null) return;
  const time = el.querySelector(".timer-time");
  const text = mmss(left);
  if (time && time.textContent !== text) time.textContent = text;
  if (el.dataset.startedAt !== undefined && left <= 0) {
    const state = el.querySelector(".timer-state");
    if (state && state.textContent !== "time is up") state.textContent = "time is up";
  }
}

/** A duration typed by a person: `5` (minutes), `4.5`, `4:30`, `1:00:00`; or null. */
export function parseDuration(text) {
  const value = String(text || "").trim();
  if (!value) return null;
  let seconds;
  if (value.includes(":")) {
    const parts = value.split(":");
    if (parts.length > 3 || parts.some((p) => !/^\d+$/.test(p))) return null;
    seconds = parts.reduce((acc, p) => acc * 60 + Number(p), 0);
  } else {
    if (!/^\d+(\.\d+)?$/.test(value)) return null;
    seconds = Math.round(Number(value) * 60);
  }
  return seconds >= 1 && seconds <= 4 * 3600 ? seconds : null;
}

/** Run the facilitator's timer buttons; `send(op, what)` sends one operation. */
export function timerControls(send, complain) {
  document.addEventListener("click", (e) => {
    const btn = e.target.closest("#timer [data-timer]");
    if (!btn) return;
    e.preventDefault();
    const el = document.getElementById("timer");
    const action = btn.dataset.timer;
    if (action === "start") {
      const input = el.querySelector("input[name=duration]");
      const duration = parseDuration(input ? input.value : "");
      if (duration === null) {
        complain("Give the timer 1 second to 4 hours, as minutes (5) or m:ss (4:30).");
        return;
      }
      const current = el.dataset.duration === undefined ? null : Number(el.dataset.duration);
      if (duration !== current) {
        send({ type: "set_timer", duration }, "Could not set the timer");
      }
      send({ type: "start_timer" }, "Could not start the timer");
    } else if (action === "pause") {
      send({ type: "pause_timer" }, "Could not pause the timer");
    } else if (action === "reset") {
      send({ type: "reset_timer" }, "Could not reset the timer");
    }
  });
  document.addEventListener("submit", (e) => {
    if (!e.target.matches("#timer form")) return;
    e.preventDefault();
    e.target.querySelector("[data-timer=start]")?.click();
  });
}

/** Tick every element's display a few times a second (so two screens agree). */
/** "running for 12 min" beside a running session (every ``.elapsed[data-since]``). */
export function tickElapsed() {
  for (const el of document.querySelectorAll(".elapsed[data-since]")) {
    const minutes = Math.max(0, Math.floor((Date.now() / 1000 - Number(el.dataset.since)) / 60));
    el.textContent = minutes < 60
      ? `running for ${minutes} min`
      : `running for ${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, "0")} min`;
  }
}

/** Keep the shared timer and the session's running time current on the page. */
export function startTicking() {
  tickTimer();
  setInterval(tickTimer, 200);
  tickElapsed();
  setInterval(tickElapsed, 15000);
}

// The live connection to one forum (board/SPEC.md): hello with the last seq, apply
// batches in seq order, keep un-acked operations and resend them after a reconnect.

function randomId() {
  const bytes = new Uint8Array(6);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export class Live {
  constructor({ forumId, seq, epoch, handlers }) {
    this.forumId = forumId;
    this.seq = seq;
    this.epoch = epoch;
    this.h = handlers;
    this.clientId = randomId();
    this.counter = 0;
    this.pending = new Map(); // op id -> {op, onAck, onReject}; insertion order = send order
    this.ws = null;
    this.ready = false; // welcomed on the current socket
    this.retry = 0;
    this.stopped = false;
    this.timer = null;
  }

  url() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    return `${scheme}//${location.host}/forums/${encodeURIComponent(this.forumId)}/live`;
  }

  connect() {
    if (this.stopped) return;
    this.ready = false;
    this.h.status(this.retry ? "reconnecting" : "connecting");
    let ws;
    try {
      ws = new WebSocket(this.url());
    } catch (e) {
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    ws.onopen = () => this.hello();
    ws.onmessage = (e) => this.receive(e.data);
    ws.onclose = (e) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.ready = false;
      if (e.code === 4404) {
        this.stopped = true;
        this.h.status("gone");
        return;
      }
      if (e.code === 4403) {
        // No access (any more): reconnecting cannot help until there is a new link.
        this.stopped = true;
        this.h.status("forbidden");
        return;
      }
      this.scheduleReconnect();
    };
    ws.onerror = () => {};
  }

  hello() {
    this.raw({ type: "hello", last_seq: this.seq, epoch: this.epoch });
  }

  scheduleReconnect() {
    if (this.stopped) return;
    this.h.status("reconnecting");
    const delay = Math.min(8000, 400 * 2 ** Math.min(this.retry, 5)) * (0.7 + Math.random() * 0.6);
    this.retry += 1;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.connect(), delay);
  }

  /** Reconnect now (e.g. the page came back to the foreground). */
  nudge() {
    if (!this.ws && !this.stopped) {
      clearTimeout(this.timer);
      this.connect();
    }
  }

  raw(msg) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) {
      this.ws.send(JSON.stringify(msg));
      return true;
    }
    return false;
  }

  /** Send an operation. It stays pending until acked or rejected (SPEC R7, R13). */
  send(op, { onAck, onReject } = {}) {
    const id = `${this.clientId}-${++this.counter}`;
    this.pending.set(id, { op, onAck, onReject });
    if (this.ready) this.raw({ type: "op", id, op });
    return id;
  }

  receive(data) {
    let msg;
    try {
      msg = JSON.parse(data);
    } catch (e) {
      return;
    }
    switch (msg.type) {
      case "welcome":
        this.welcome(msg);
        break;
      case "batch":
        this.batch(msg);
        break;
      case "ack":
        this.settle(msg.id, "onAck", msg);
        break;
      case "reject":
        this.settle(msg.id, "onReject", msg);
        break;
      case "resync":
        this.hello();
        break;
      case "error":
        this.h.error(msg);
        break;
      default:
        break;
    }
  }

  welcome(msg) {
    this.retry = 0;
    if (msg.full) {
      this.h.full(msg.html);
    } else {
      for (const item of msg.items) this.item(item, msg.html);
      this.h.after(msg.html);
    }
    this.seq = msg.seq;
    this.epoch = msg.epoch;
    this.h.presence({ reset: msg.peers, you: msg.you });
    this.ready = true;
    this.h.status("live");
    if (this.h.holds) this.h.holds({ reset: msg.holds || [] }); // who has which card (R29)
    for (const [id, entry] of this.pending) this.raw({ type: "op", id, op: entry.op });
  }

  item(item, html) {
    if (item.seq <= this.seq) return; // already applied (SPEC R5)
    for (const ev of item.events) this.h.event(ev, html, item);
    this.seq = item.seq;
  }

  batch(msg) {
    const first = msg.items[0];
    if (first && first.seq > this.seq + 1) {
      this.hello(); // a gap: ask for what we missed
      return;
    }
    for (const item of msg.items) this.item(item, msg.html);
    if (msg.items.length) this.h.after(msg.html);
    if (msg.joined.length || msg.left.length) this.h.presence({ joined: msg.joined, left: msg.left });
    if (msg.holds && msg.holds.length && this.h.holds) this.h.holds({ changes: msg.holds });
  }

  settle(id, key, msg) {
    const entry = this.pending.get(id);
    if (!entry) return;
    this.pending.delete(id);
    if (entry[key]) entry[key](msg);
    else if (key === "onReject") this.h.error(msg); // never drop a refusal silently (R7)
  }
}

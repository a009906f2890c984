// Grouping and dot voting on the forum page (SPEC R25-R28, templates/_voting.html).
//
// The server renders two regions: #voting (the same for everyone: clusters, what to
// vote on, the discussion order with counts) and #my-votes (this person's own dots,
// never anyone else's). This module puts what they say onto the board — each cluster
// as one box under its name (SPEC R49), "+ Dot"/"− Dot" on what can be voted on (R48),
// "your dots" while voting, the count after the close — with textContent only, adds
// "Group with…" to each card in the group phase, and sends the group/vote operations
// (grouping with `gather`, so a cluster's cards sit together in one box).

const phase = () => document.getElementById("voting")?.dataset.phase || "";
const titleOf = (card) => card.querySelector(".card-title")?.textContent || "card";

function topicsOf() {
  return Array.from(document.querySelectorAll("#voting [data-topic]"));
}

function setBadge(card, text) {
  let badge = card.querySelector(":scope > .card-head > .vote-badge");
  if (!text) {
    if (badge) badge.remove();
    return;
  }
  if (!badge) {
    badge = document.createElement("span");
    badge.className = "vote-badge";
    card.querySelector(":scope > .card-head")?.append(badge);
  }
  badge.textContent = text;
}

function groupButtons(on) {
  // "Group with…" is an item of the card's actions menu (templates/_card.html).
  for (const card of document.querySelectorAll("#columns .card")) {
    const menu = card.querySelector('[role="menu"]');
    let btn = card.querySelector("[data-action=group-with]");
    if (on && menu && !btn) {
      btn = document.createElement("button");
      btn.type = "button";
      btn.setAttribute("role", "menuitem");
      btn.tabIndex = -1;
      btn.dataset.action = "group-with";
      btn.textContent = "Group with…";
      menu.prepend(btn);
    } else if (!on && btn) {
      btn.remove();
    }
  }
}

/** Whether this page may vote: its person's own dots are shown (#my-votes is rendered
 * only for someone who may vote, in the vote phase; a viewer, the projector, never). */
const canVote = () => {
  const mine = document.getElementById("my-votes");
  return !!mine && !mine.hidden && !document.getElementById("forum")?.dataset.role?.startsWith("viewer");
};

/** The cluster names the panel lists (#voting .cluster-names): group id -> {title, votable}. */
function clusterNames() {
  const names = new Map();
  for (const el of document.querySelectorAll("#voting .cluster-names [data-group]")) {
    names.set(el.dataset.group, { title: el.dataset.groupTitle || "Cluster", votable: el.dataset.votable === "true" });
  }
  return names;
}

/** "+ Dot" and "− Dot" for `target`, named for `title` to a screen reader. */
function dotButtons(target, title) {
  const box = document.createElement("span");
  box.className = "card-dots";
  box.dataset.target = target;
  for (const [action, label, words] of [["cast-vote", "+ Dot", " for "], ["retract-vote", "− Dot", " from "]]) {
    const btn = document.createElement("button");
    btn.type = "button";
    btn.dataset.action = action;
    btn.dataset.target = target;
    btn.textContent = label;
    const sr = document.createElement("span");
    sr.className = "sr-only";
    sr.textContent = words + title;
    btn.append(sr);
    box.append(btn);
  }
  return box;
}

/** The vote phase's dots on the cards themselves: "+ Dot" and "− Dot" on every ungrouped
 * card the vote is about (a cluster's are on its box, drawClusters); a card that is no
 * topic — "Went well" (SPEC R48) — and any card outside the vote phase has none. */
function cardDots(on, mine) {
  const targets = new Map(); // card id -> topic id
  if (on && canVote()) {
    for (const topic of topicsOf()) {
      if (topic.dataset.group) continue;
      for (const id of (topic.dataset.cards || "").split(" ").filter(Boolean)) targets.set(id, topic.dataset.topic);
    }
  }
  for (const card of document.querySelectorAll("#columns .card")) {
    const target = targets.get(card.dataset.card);
    let box = card.querySelector(":scope > .card-foot > .card-dots");
    if (!target) {
      box?.remove();
      continue;
    }
    if (!box || box.dataset.target !== target) {
      box?.remove();
      box = dotButtons(target, titleOf(card));
      (card.querySelector(":scope > .card-foot") || card).append(box);
    }
    box.querySelector("[data-action=retract-vote]").disabled = !(mine.get(target) || 0);
  }
}

/** Each cluster drawn on the board as one box under its name (SPEC R49): a run of
 * adjacent cards of one cluster in a column gets the classes in-cluster, cluster-start and
 * cluster-end (static/css/voting.css draws the box around them), and its first card a
 * label above it: "Cluster", the name, its dots (yours while voting, everyone's after the
 * close) and, in the vote phase, the cluster's one "+ Dot" / "− Dot". */
function drawClusters(names, counts, voteOn, mine) {
  const voting = voteOn && canVote();
  for (const list of document.querySelectorAll("#columns ol.cards")) {
    const cards = Array.from(list.children).filter((el) => el.classList.contains("card"));
    const groupOf = (el) => (el && names.has(el.dataset.group) ? el.dataset.group : "");
    cards.forEach((card, i) => {
      const g = groupOf(card);
      const start = !!g && groupOf(cards[i - 1]) !== g;
      card.classList.toggle("in-cluster", !!g);
      card.classList.toggle("cluster-start", start);
      card.classList.toggle("cluster-end", !!g && groupOf(cards[i + 1]) !== g);
      if (!start) card.style.removeProperty("--label-h");
      let label = card.querySelector(":scope > .cluster-label");
      if (!start) {
        label?.remove();
        return;
      }
      const { title, votable } = names.get(g);
      if (!label || label.dataset.group !== g) {
        label?.remove();
        label = document.createElement("div");
        label.className = "cluster-label";
        label.dataset.group = g;
        const kind = document.createElement("span");
        kind.className = "cluster-kind";
        kind.textContent = "Cluster";
        const name = document.createElement("span");
        name.className = "cluster-name-text";
        const row = document.createElement("span");
        row.className = "cluster-dots";
        label.append(kind, name, row);
        card.prepend(label);
      }
      const name = label.querySelector(".cluster-name-text");
      if (name.textContent !== title) name.textContent = title;
      label.title = `Cluster: ${title}`;
      const row = label.querySelector(".cluster-dots");
      const text = counts.get(g) || "";
      let count = row.querySelector(".cluster-count");
      if (text && !count) {
        count = document.createElement("span");
        count.className = "cluster-count";
        row.prepend(count);
      }
      if (count && !text) count.remove();
      else if (count && count.textContent !== text) count.textContent = text;
      let dots = row.querySelector(":scope > .card-dots");
      const wanted = voting && votable;
      if (dots && (!wanted || dots.dataset.title !== title)) {
        dots.remove();
        dots = null;
      }
      if (wanted && !dots) {
        dots = dotButtons(g, title);
        dots.dataset.title = title;
        row.append(dots);
      }
      if (dots) dots.querySelector("[data-action=retract-vote]").disabled = !(mine.get(g) || 0);
      const height = `${label.offsetHeight}px`; // the box's head is as tall as its label
      if (card.style.getPropertyValue("--label-h") !== height) card.style.setProperty("--label-h", height);
    });
  }
}

/** Bring the cards in line with the regions (after every batch and catch-up). */
export function syncVoting() {
  const now = phase();
  const names = clusterNames();
  // Counts: my own dots while voting, everyone's after the close.
  const badges = new Map(); // card id (ungrouped) or group id -> text
  const mine = new Map();
  for (const el of document.querySelectorAll("#my-votes [data-mine]")) mine.set(el.dataset.mine, Number(el.dataset.dots));
  for (const topic of topicsOf()) {
    let text = "";
    if (now === "vote") {
      const dots = mine.get(topic.dataset.topic) || 0;
      if (dots) text = `Your dots: ${dots}`;
      let out = topic.querySelector(".topic-mine");
      if (!out) {
        out = document.createElement("span");
        out.className = "topic-mine";
        topic.querySelector(".topic-title")?.after(out);
      }
      out.textContent = dots ? ` · your dots: ${dots}` : "";
    } else if (topic.dataset.votes !== undefined) {
      const n = Number(topic.dataset.votes);
      text = `${n} ${n === 1 ? "vote" : "votes"}`;
    }
    if (!text) continue;
    if (topic.dataset.group) badges.set(topic.dataset.group, text);
    else for (const id of (topic.dataset.cards || "").split(" ").filter(Boolean)) badges.set(id, text);
  }
  const left = document.getElementById("my-votes")?.dataset.left;
  cardDots(now === "vote", mine);
  drawClusters(names, badges, now === "vote", mine);
  for (const btn of document.querySelectorAll("[data-action=cast-vote]")) btn.disabled = left === "0";
  for (const card of document.querySelectorAll("#columns .card")) {
    setBadge(card, names.has(card.dataset.group) ? "" : badges.get(card.dataset.card) || "");
  }
  groupButtons(now === "group");
}

function cardAt(dragged, x, y) {
  if (phase() !== "group") return null;
  for (const el of document.elementsFromPoint(x, y)) {
    const card = el.closest(".card");
    if (!card || card === dragged || card.classList.contains("ghost") || !card.closest("#columns")) continue;
    const r = card.getBoundingClientRect();
    // The middle of a card groups; its edges still place the card between others.
    return y > r.top + r.height * 0.25 && y < r.bottom - r.height * 0.25 ? card : null;
  }
  return null;
}

function openGroupDialog(card) {
  const dialog = document.getElementById("group-dialog");
  const form = document.getElementById("group-form");
  form.reset();
  const error = form.querySelector(".form-error");
  error.hidden = true;
  error.textContent = "";
  form.elements.card.value = card.dataset.card;
  document.getElementById("group-dialog-title").textContent = `Group “${titleOf(card)}” with…`;
  const options = [];
  const names = clusterNames();
  for (const other of document.querySelectorAll("#columns .card")) {
    if (other === card) continue;
    const o = document.createElement("option");
    o.value = other.dataset.card;
    const cluster = names.get(other.dataset.group);
    o.textContent = titleOf(other) + (cluster ? ` (Cluster: ${cluster.title})` : "");
    options.push(o);
  }
  form.elements.with_card.replaceChildren(...options);
  if (options.length) options[0].selected = true;
  dialog.showModal();
  form.elements.with_card.focus();
}

/** Wire the controls. `send(op, what)` sends an op and shows a refusal; `live` is the
 * connection (for ops whose answer a form shows); `mover` the page's drag handler. */
export function initVoting({ live, send, announce, mover }) {
  if (mover) {
    mover.dropOn = {
      target: cardAt,
      drop(el, onto) {
        send({ type: "group_card", card: el.dataset.card, with_card: onto.dataset.card, gather: true }, "Could not group");
        announce(`Grouped ${titleOf(el)} with ${titleOf(onto)}.`);
      },
    };
  }
  const actions = {
    "group-with": (btn) => openGroupDialog(btn.closest(".card")),
    ungroup: (btn) => send({ type: "ungroup_card", card: btn.dataset.card, gather: true }, "Could not take it out"),
    "cast-vote": (btn) => send({ type: "cast_vote", target: btn.dataset.target }, "Could not vote"),
    "retract-vote": (btn) => send({ type: "retract_vote", target: btn.dataset.target }, "Could not take the dot back"),
  };
  document.addEventListener("click", (e) => {
    const btn = e.target.closest("[data-action]");
    const action = btn && actions[btn.dataset.action];
    if (action) {
      e.preventDefault();
      action(btn);
    }
  });
  document.getElementById("group-form")?.addEventListener("submit", (e) => {
    e.preventDefault();
    const form = e.currentTarget;
    const error = form.querySelector(".form-error");
    const op = { type: "group_card", card: form.elements.card.value, with_card: form.elements.with_card.value, gather: true };
    if (!op.with_card) return;
    live.send(op, {
      onAck() { form.closest("dialog").close(); announce("Grouped."); },
      onReject(msg) { error.textContent = msg.reason; error.hidden = false; },
    });
  });
  document.addEventListener("submit", (e) => {
    const form = e.target.closest("[data-group-form]");
    if (!form) return;
    e.preventDefault();
    send({ type: "name_group", group: form.dataset.groupForm, title: form.elements.title.value }, "Could not name the cluster");
  });
  syncVoting();
}

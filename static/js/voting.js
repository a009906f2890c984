// Grouping and dot voting on the forum page (SPEC R25-R28, templates/_voting.html).
//
// The server renders two regions: #voting (the same for everyone: clusters, what to
// vote on, the discussion order with counts) and #my-votes (this person's own dots,
// never anyone else's). This module puts what they say onto the cards — a cluster's
// name as a chip, "your dots" while voting, the count after the close — with
// textContent only, adds "Group with…" to each card in the group phase, and sends the
// group/vote operations.

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

/** The vote phase's dots on the cards themselves: "+ Dot" and "− Dot" on every card the
 * vote is about (a cluster's cards vote for the cluster); a card that is no topic — and
 * any card outside the vote phase — has none. */
function cardDots(on, mine) {
  const targets = new Map(); // card id -> topic id
  if (on && !document.getElementById("forum")?.dataset.role?.startsWith("viewer")) {
    for (const topic of topicsOf()) {
      for (const id of (topic.dataset.cards || "").split(" ").filter(Boolean)) targets.set(id, topic.dataset.topic);
    }
  }
  for (const card of document.querySelectorAll("#columns .card")) {
    const target = targets.get(card.dataset.card);
    let box = card.querySelector(":scope .card-dots");
    if (!target) {
      box?.remove();
      continue;
    }
    if (!box || box.dataset.target !== target) {
      box?.remove();
      box = document.createElement("span");
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
        sr.textContent = words + titleOf(card);
        btn.append(sr);
        box.append(btn);
      }
      (card.querySelector(":scope > .card-foot") || card).append(box);
    }
    const retract = box.querySelector("[data-action=retract-vote]");
    retract.disabled = !(mine.get(target) || 0);
  }
}

/** Bring the cards in line with the regions (after every batch and catch-up). */
export function syncVoting() {
  const now = phase();
  // Cluster names on the cards' chips.
  const names = new Map();
  for (const el of document.querySelectorAll("#voting [data-group-title]")) names.set(el.dataset.group, el.dataset.groupTitle);
  for (const chip of document.querySelectorAll(".card .group-chip[data-group]")) {
    const name = names.get(chip.dataset.group);
    chip.textContent = name ? `Cluster: ${name}` : "Cluster";
  }
  // Counts: my own dots while voting, everyone's after the close.
  const badges = new Map();
  const mine = new Map();
  for (const el of document.querySelectorAll("#my-votes [data-mine]")) mine.set(el.dataset.mine, Number(el.dataset.dots));
  for (const topic of topicsOf()) {
    const cards = (topic.dataset.cards || "").split(" ").filter(Boolean);
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
      const retract = topic.querySelector("[data-action=retract-vote]");
      if (retract) retract.disabled = !dots;
    } else if (topic.dataset.votes !== undefined) {
      const n = Number(topic.dataset.votes);
      text = `${n} ${n === 1 ? "vote" : "votes"}`;
    }
    for (const id of cards) if (text) badges.set(id, text);
  }
  const left = document.getElementById("my-votes")?.dataset.left;
  cardDots(now === "vote", mine);
  for (const btn of document.querySelectorAll("[data-action=cast-vote]")) btn.disabled = left === "0";
  for (const card of document.querySelectorAll("#columns .card")) setBadge(card, badges.get(card.dataset.card) || "");
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
  for (const other of document.querySelectorAll("#columns .card")) {
    if (other === card) continue;
    const o = document.createElement("option");
    o.value = other.dataset.card;
    const chip = other.querySelector(".group-chip");
    o.textContent = titleOf(other) + (chip ? ` (${chip.textContent})` : "");
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
        send({ type: "group_card", card: el.dataset.card, with_card: onto.dataset.card }, "Could not group");
        announce(`Grouped ${titleOf(el)} with ${titleOf(onto)}.`);
      },
    };
  }
  const actions = {
    "group-with": (btn) => openGroupDialog(btn.closest(".card")),
    ungroup: (btn) => send({ type: "ungroup_card", card: btn.dataset.card }, "Could not take it out"),
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
    const op = { type: "group_card", card: form.elements.card.value, with_card: form.elements.with_card.value };
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

// Who is here and their teams (SPEC R52): the presence chips and the "N here" list,
// the "My teams" dialog, and the names a next step's owner field suggests.
//
// Presence comes from the server as {id, name, hue, teams} (team names). When a person
// picks their teams, the server sends each of their connections again in `joined`, so
// the same handler that adds a newcomer updates them. Nothing here builds markup from
// user text: names and teams go in with textContent, rows are cloned <template>s.

import { initialsOf } from "./presence.js";

/** "Maya (Checkout, Payments)", or the bare name when they picked no team. */
export function withTeams(p) {
  return p.teams && p.teams.length ? `${p.name} (${p.teams.join(", ")})` : p.name;
}

/** The chips and the list of who is here (one entry per display name). */
export function renderPresence(peers, me) {
  const byName = new Map();
  for (const p of peers.values()) if (!byName.has(p.name)) byName.set(p.name, p);
  const chips = [];
  const rows = [];
  const tpl = document.getElementById("person-tpl");
  for (const p of byName.values()) {
    const li = document.createElement("li");
    li.className = "chip" + (me && p.name === me.name ? " me" : "");
    li.title = withTeams(p);
    li.style.setProperty("--hue", String(p.hue));
    const initials = document.createElement("span");
    initials.setAttribute("aria-hidden", "true");
    initials.textContent = initialsOf(p.name);
    const name = document.createElement("bdi"); // isolated: a name never turns the text after it
    name.className = "sr-only";
    name.textContent = withTeams(p);
    li.append(initials, name);
    chips.push(li);
    if (tpl) {
      const row = tpl.content.firstElementChild.cloneNode(true);
      row.querySelector(".person-name").textContent = p.name;
      row.querySelector(".person-teams").textContent = p.teams && p.teams.length ? p.teams.join(", ") : "";
      rows.push(row);
    }
  }
  document.getElementById("presence-list").replaceChildren(...chips);
  const people = document.getElementById("presence-people");
  if (people) people.replaceChildren(...rows);
  document.getElementById("presence-count").textContent = `${byName.size} here`;
  knownPeople(byName.keys());
}

const known = new Set(); // names the server suggested when the page was made
for (const o of document.querySelectorAll("#people-list option")) known.add(o.value);

/** The owner field's suggestions: the names the page came with and everyone here now. */
function knownPeople(names) {
  const list = document.getElementById("people-list");
  if (!list) return;
  const all = new Map();
  for (const n of [...known, ...names]) if (!all.has(n.toLowerCase())) all.set(n.toLowerCase(), n);
  const options = [...all.values()].map((n) => {
    const o = document.createElement("option");
    o.value = n;
    return o;
  });
  list.replaceChildren(...options);
}

/** The words of the "My teams" button for a pick (team names; null: not picked yet). */
function label(names) {
  if (names === null) return "Pick your teams";
  if (!names.length) return "No team";
  return `${names.length === 1 ? "Team" : "Teams"}: ${names.join(", ")}`;
}

/** Keep a pick for the forums where this person has not picked yet (SPEC R74); why it
 * was not kept, or null. */
async function keepForOtherForums(ids) {
  const csrf = document.querySelector("meta[name=csrf-token]");
  const body = new URLSearchParams(ids.map((id) => ["teams", id]));
  body.append("csrf", csrf ? csrf.content : "");
  try {
    const r = await fetch("/my/teams", { method: "POST", body, credentials: "same-origin" });
    if (r.ok) return null;
    const answer = await r.json().catch(() => ({}));
    return answer.reason || `the server answered ${r.status}`;
  } catch {
    return "the server could not be reached";
  }
}

/** The "My teams" dialog: opens from the button, sends `set_my_teams` (and, with "Use
 * these in my other forums" ticked, keeps the pick for them), and follows the person's
 * own presence (a pick made in another tab, or carried from another forum, shows here). */
export class MyTeams {
  constructor({ live, openDialog, dialogError }) {
    this.button = document.getElementById("my-teams-button");
    this.nudge = document.getElementById("teams-nudge"); // "Pick your teams", until they do
    this.form = document.getElementById("teams-form");
    if (!this.button || !this.form) return;
    this.openDialog = openDialog;
    this.form.addEventListener("submit", (e) => {
      e.preventDefault();
      const boxes = Array.from(this.form.querySelectorAll("input[name=teams]:checked"));
      const submit = this.form.querySelector("button[type=submit]");
      submit.disabled = true;
      const ids = boxes.map((b) => b.value);
      const carry = this.form.querySelector("input[name=carry]");
      live.send({ type: "set_my_teams", teams: ids }, {
        onAck: async () => {
          this.show(boxes.map((b) => b.dataset.name));
          const problem = carry && carry.checked ? await keepForOtherForums(ids) : null;
          submit.disabled = false;
          if (problem) dialogError(this.form, `Saved here, but not for your other forums: ${problem}`);
          else this.form.closest("dialog").close();
        },
        onReject: (msg) => {
          submit.disabled = false;
          dialogError(this.form, msg.reason);
        },
      });
      if (!live.ready) dialogError(this.form, "Offline: this will be saved when the connection is back.");
    });
  }

  open() {
    if (!this.form) return;
    this.button.closest("details").open = false;
    this.openDialog("teams-dialog");
  }

  /** Show a pick (team names) on the button and as the boxes' defaults. */
  show(names) {
    const picked = new Set(names);
    for (const box of this.form.querySelectorAll("input[name=teams]")) {
      box.defaultChecked = picked.has(box.dataset.name);
      box.checked = box.defaultChecked;
    }
    this.button.textContent = label(names);
    this.button.classList.add("picked");
    this.nudge?.remove(); // picked: the board stops asking
    this.nudge = null;
  }

  /** Our own presence as the server sent it (a pick made in another tab shows here
   * too); no teams while the button still asks for a pick says nothing new. */
  mine(me) {
    if (!this.button || !me || !Array.isArray(me.teams)) return;
    if (me.teams.length || !this.nudge) this.show(me.teams);
  }
}

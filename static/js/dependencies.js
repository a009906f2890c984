// Dependencies on the board (board/dependencies.py): the card dialog's two "connects"
// selects, and the markers on connected cards. A dependency card's markup carries its
// marker as a <template> and the ids it connects (data-connects); after every live
// update the markers are copied from there into the cards they connect, so a card
// that stopped being connected loses its marker without being re-rendered. The
// markup is the server's; this only clones and places it.

const live = "#columns .card";

/** Put each live dependency's marker into the cards it connects, and only there. */
export function syncMarkers() {
  const want = new Map();
  for (const dep of document.querySelectorAll(`${live}[data-kind="dependency"]`)) {
    const tpl = dep.querySelector("template.dep-marker-tpl");
    if (!tpl) continue;
    for (const id of (dep.dataset.connects || "").split(" ").filter(Boolean)) {
      if (!want.has(id)) want.set(id, []);
      want.get(id).push(tpl);
    }
  }
  for (const card of document.querySelectorAll(".card[data-card]")) {
    const tpls = want.get(card.dataset.card) || [];
    let slot = card.querySelector(":scope > .dep-markers");
    const have = slot ? Array.from(slot.querySelectorAll(".dep-marker"), (m) => m.outerHTML).join("") : "";
    const next = tpls.map((t) => t.innerHTML.trim()).join("");
    if (have === next) continue;
    if (!tpls.length) {
      slot?.remove();
      continue;
    }
    if (!slot) {
      slot = document.createElement("p");
      slot.className = "dep-markers";
      const before = card.querySelector(":scope > .dep-connects, :scope > .card-foot");
      card.insertBefore(slot, before);
    }
    slot.replaceChildren(...tpls.map((t) => t.content.cloneNode(true)));
  }
}

function showConnects(form) {
  const field = form.querySelector(".connects-field");
  if (field) field.hidden = form.elements.kind.value !== "dependency";
}

/** Fill the dialog's two selects with this board's live cards (not the card itself),
 * choosing the ones `card` connects now. */
export function fillConnects(form, card) {
  const pickers = form.querySelectorAll("select[data-connects-picker]");
  const own = card ? card.dataset.card : "";
  const current = card ? (card.dataset.connects || "").split(" ").filter(Boolean) : [];
  const cards = Array.from(document.querySelectorAll(live)).filter((c) => c.dataset.card !== own);
  pickers.forEach((select, i) => {
    const none = document.createElement("option");
    none.value = "";
    none.textContent = "No card";
    const options = [none];
    const ids = new Set();
    for (const c of cards) {
      const o = document.createElement("option");
      o.value = c.dataset.card;
      o.textContent = c.querySelector(".card-title")?.textContent || c.dataset.card;
      options.push(o);
      ids.add(o.value);
    }
    if (current[i] && !ids.has(current[i])) {
      const o = document.createElement("option"); // connected, since archived
      o.value = current[i];
      o.textContent = `${document.querySelector(`#card-${CSS.escape(current[i])} .card-title`)?.textContent || current[i]} (archived)`;
      options.push(o);
    }
    select.replaceChildren(...options);
    select.value = current[i] || "";
  });
  showConnects(form);
}

/** The ids chosen in the dialog (none twice). */
export function connectsOf(form) {
  const ids = Array.from(form.querySelectorAll("select[data-connects-picker]"), (s) => s.value);
  return Array.from(new Set(ids.filter(Boolean)));
}

document.getElementById("card-form")?.addEventListener("change", (e) => {
  if (e.target.name === "kind") showConnects(e.currentTarget);
});

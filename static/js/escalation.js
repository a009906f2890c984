// Escalating a card, or sending it by another route (SPEC R50, R51): the card's menu item
// opens the escalate dialog (templates/forum.html) with an optional note; sending is
// POST /api/forums/{forum}/cards/{card}/send/{route} with {"note"}. The server writes on
// both boards; this page sees the card move and change through the live connection
// like everyone else. Markup comes from the template; user text goes in by textContent.

/** Open the escalate dialog for the menu item ``btn`` (``openDialog`` from forum.js). */
export function openEscalate(btn, openDialog) {
  const card = btn.closest(".card");
  openDialog("escalate-dialog", (form) => {
    form.elements.card.value = card.dataset.card;
    const route = btn.dataset.route || "escalate";
    // An SoS with a parent SoS escalates there (SPEC R72): the dialog names it.
    const up = document.getElementById("escalate-up");
    if (up) up.hidden = route !== "escalate";
    const plain = btn.dataset.label || btn.textContent.replace(/…$/, "");
    const again = plain.endsWith(" again") ? " again" : "";
    const label = up && route === "escalate" ? `Escalate to ${up.dataset.parent}${again}` : plain;
    form.elements.route.value = route;
    document.getElementById("escalate-dialog-title").textContent = label;
    const title = card.querySelector(".card-title");
    document.getElementById("escalate-card-title").textContent = title ? title.textContent : "";
    form.querySelector("button[type=submit]").textContent = label;
  });
}

/** Send the dialog's card with its note; close on success, show the reason if not. */
async function send(form, { forumId, announce, dialogError }) {
  const f = form.elements;
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  dialogError(form, "");
  try {
    const csrf = document.querySelector("meta[name=csrf-token]");
    const path = [forumId, f.card.value].map(encodeURIComponent);
    const res = await fetch(`/api/forums/${path[0]}/cards/${path[1]}/send/${encodeURIComponent(f.route.value)}`, {
      method: "POST",
      headers: { "X-CSRF-Token": csrf ? csrf.content : "", "Content-Type": "application/json" },
      credentials: "same-origin",
      body: JSON.stringify({ note: f.note.value }),
    });
    if (res.ok) {
      form.closest("dialog").close();
      announce("Sent.");
    } else {
      const body = await res.json().catch(() => ({}));
      dialogError(form, `Could not send it: ${body.reason || res.statusText}`);
    }
  } catch {
    dialogError(form, "Could not send it: the server did not answer.");
  } finally {
    button.disabled = false;
  }
}

/** Wire the escalate dialog's form. */
export function initEscalation(deps) {
  const form = document.getElementById("escalate-form");
  if (!form) return;
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    send(e.currentTarget, deps);
  });
}

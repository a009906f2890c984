// Standards and feedback on a board (SPEC R66–R68; markup: templates/_standards.html).
// - A standard adopted or retired for this forum arrives live as the event
//   ``standard_announced`` (``standard_adopted`` on the EAT itself): the notice shows
//   "New standard adopted: …" (textContent only) with a link to the Standards page.
// - The EAT facilitator's "Adopt as a standard…" (a card's menu) opens the adopt dialog;
//   adopting is POST /api/forums/{forum}/cards/{card}/adopt.
// - "Answer the feedback…" opens the answer dialog; answering is the op answer_feedback.

/** Show the live notice for a standard event (``ev.standard``). */
export function showStandard(ev) {
  const box = document.getElementById("standard-notice");
  if (!box || !ev.standard) return;
  const retired = Boolean(ev.standard.retired_at);
  document.getElementById("standard-notice-lead").textContent = retired ? "Standard retired:" : "New standard adopted:";
  document.getElementById("standard-notice-text").textContent = ev.standard.text;
  box.hidden = false;
}

/** The card's title, for a dialog's hint. */
function titleOf(card) {
  const title = card.querySelector(".card-title");
  return title ? title.textContent : "";
}

/** Open the adopt dialog for the card of menu item ``btn``. */
export function openAdopt(btn, openDialog) {
  const card = btn.closest(".card");
  openDialog("adopt-dialog", (form) => {
    form.elements.card.value = card.dataset.card;
    document.getElementById("adopt-card-title").textContent = titleOf(card);
    if (!form.elements.text.value) form.elements.text.value = titleOf(card);
  });
}

/** Open the answer dialog for the feedback card of menu item ``btn``. */
export function openAnswer(btn, openDialog) {
  const card = btn.closest(".card");
  openDialog("answer-dialog", (form) => {
    form.elements.card.value = card.dataset.card;
  });
}

function checked(form, name) {
  return [...form.querySelectorAll(`input[name=${name}]:checked`)].map((i) => i.value);
}

async function adopt(form, { forumId, announce, dialogError }) {
  const f = form.elements;
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  dialogError(form, "");
  const body = {
    text: f.text.value,
    applies: f.applies.value,
    kinds: checked(form, "kinds"),
    forums: checked(form, "forums"),
    effective: f.effective.value || null,
  };
  try {
    const csrf = document.querySelector("meta[name=csrf-token]");
    const path = [forumId, f.card.value].map(encodeURIComponent);
    const res = await fetch(`/api/forums/${path[0]}/cards/${path[1]}/adopt`, {
      method: "POST",
      headers: { "X-CSRF-Token": csrf ? csrf.content : "", "Content-Type": "application/json" },
      credentials: "same-origin",
      body: JSON.stringify(body),
    });
    if (res.ok) {
      form.closest("dialog").close();
      form.reset();
      announce("Adopted as a standard.");
    } else {
      const answer = await res.json().catch(() => ({}));
      dialogError(form, `Could not adopt it: ${answer.reason || res.statusText}`);
    }
  } catch {
    dialogError(form, "Could not adopt it: the server did not answer.");
  } finally {
    button.disabled = false;
  }
}

/** Wire the notice, the adopt dialog and the answer dialog. */
export function initStandards(deps) {
  const box = document.getElementById("standard-notice");
  if (box) {
    box.querySelector("[data-action=dismiss-standard]").addEventListener("click", () => { box.hidden = true; });
  }
  const form = document.getElementById("adopt-form");
  if (form) {
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      adopt(e.currentTarget, deps);
    });
  }
  const answer = document.getElementById("answer-form");
  if (answer) {
    answer.addEventListener("submit", (e) => {
      e.preventDefault();
      const f = e.currentTarget.elements;
      deps.submitOp(e.currentTarget, { type: "answer_feedback", card: f.card.value, outcome: f.outcome.value, note: f.note.value });
    });
  }
}

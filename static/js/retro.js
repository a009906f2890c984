// The retrospective's phase bar (templates/_retro.html, SPEC R20–R24): the
// facilitator's phase and settings controls, the "Post anonymously" checkbox of the
// add-card dialog, and "Make next step" for experiments in the decide phase.
// Every control sends an ordinary op; the server answers with the new region:retro.

/** The phase bar element now (live updates replace it). */
const bar = () => document.getElementById("retro");

/** Show "Post anonymously" in the add-card dialog only while the facilitator allows it. */
function syncAnonymous() {
  const field = document.querySelector(".anonymous-field");
  const el = bar();
  if (!field || !el) return;
  const allowed = el.dataset.anonymous === "true";
  field.hidden = !allowed;
  if (!allowed) field.querySelector("input").checked = false;
}

function showError(form, text) {
  const out = form.querySelector(".form-error");
  out.textContent = text;
  out.hidden = !text;
}

/**
 * Wire the controls. `send(op, what)` sends an op and toasts `what: reason` on a
 * reject; `live` is the page's connection (for the dialog's ack).
 */
export function retroControls(send, live) {
  document.addEventListener("click", (e) => {
    const phase = e.target.closest("[data-retro-phase]");
    if (phase) {
      e.preventDefault();
      send({ type: "set_phase", phase: phase.dataset.retroPhase }, "Could not change the phase");
      return;
    }
    const back = e.target.closest("[data-retro-back]");
    if (back) {
      e.preventDefault();
      const select = document.getElementById("retro-back");
      if (select) send({ type: "set_phase", phase: select.value }, "Could not go back");
      return;
    }
    const make = e.target.closest("[data-retro-next-step]");
    if (make) {
      e.preventDefault();
      const item = make.closest("[data-card]");
      const dialog = document.getElementById("retro-step-dialog");
      if (!item || !dialog) return;
      const form = dialog.querySelector("form");
      form.reset();
      showError(form, "");
      form.elements.card.value = item.dataset.card;
      form.elements.text.value = item.dataset.title || "";
      dialog.showModal();
      form.elements.owner.focus();
    }
  });

  document.addEventListener("submit", (e) => {
    const form = e.target;
    if (form.matches("[data-retro-config]")) {
      e.preventDefault();
      const dots = Number(form.elements.dots.value);
      if (!Number.isInteger(dots) || dots < 1 || dots > 20) {
        send({ type: "configure_retro", dots: -1 }, "Could not save"); // the server says why
        return;
      }
      send({ type: "configure_retro", dots, anonymous: form.elements.anonymous.checked }, "Could not save");
    } else if (form.id === "retro-step-form") {
      e.preventDefault();
      const f = form.elements;
      const op = {
        type: "add_next_step", text: f.text.value, owner: f.owner.value,
        due: f.due.value || null, cards: [f.card.value],
      };
      const button = form.querySelector("button[type=submit]");
      button.disabled = true;
      live.send(op, {
        onAck() { button.disabled = false; form.closest("dialog").close(); },
        onReject(msg) { button.disabled = false; showError(form, msg.reason); },
      });
    }
  });

  syncAnonymous();
  // region:retro is replaced on every phase or settings change.
  const parent = bar()?.parentElement;
  if (parent) new MutationObserver(syncAnonymous).observe(parent, { childList: true });
}

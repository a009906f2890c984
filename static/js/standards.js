// The Standards page: an EAT facilitator retires a standard with a reason
// (POST /api/forums/{eat}/standards/{id}/retire, SPEC R66), then the page reloads to show
// it retired. User text never goes into markup here (textContent only).

for (const form of document.querySelectorAll(".retire-form")) {
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const error = form.querySelector(".form-error");
    const button = form.querySelector("button[type=submit]");
    const csrf = document.querySelector("meta[name=csrf-token]");
    const path = [form.dataset.forum, form.dataset.standard].map(encodeURIComponent);
    button.disabled = true;
    error.textContent = "";
    try {
      const res = await fetch(`/api/forums/${path[0]}/standards/${path[1]}/retire`, {
        method: "POST",
        headers: { "X-CSRF-Token": csrf ? csrf.content : "", "Content-Type": "application/json" },
        credentials: "same-origin",
        body: JSON.stringify({ reason: form.elements.reason.value }),
      });
      if (res.ok) {
        location.reload();
        return;
      }
      const body = await res.json().catch(() => ({}));
      error.textContent = `Could not retire it: ${body.reason || res.statusText}`;
    } catch {
      error.textContent = "Could not retire it: the server did not answer.";
    }
    button.disabled = false;
  });
}

// The admin page (templates/admin.html): a Copy button per link, and Rotate asks first
// (it cuts off everyone who came in with the old link). Without script, Rotate still
// works and the links can be selected by hand.

const status = document.getElementById("copy-status");

async function copy(btn) {
  const input = document.getElementById(btn.dataset.copy);
  if (!input) return;
  let done = false;
  try {
    await navigator.clipboard.writeText(input.value);
    done = true;
  } catch {
    input.select(); // no clipboard permission: leave it selected for Ctrl/⌘-C
  }
  const label = btn.firstChild;
  label.textContent = done ? "Copied" : "Selected";
  if (status) status.textContent = done ? "Link copied." : "Link selected: press Ctrl+C or ⌘C to copy it.";
  setTimeout(() => { label.textContent = "Copy"; }, 2000);
}

document.addEventListener("click", (e) => {
  const btn = e.target.closest("[data-copy]");
  if (btn) copy(btn);
});

document.addEventListener("submit", (e) => {
  const form = e.target.closest("form[data-confirm]");
  if (form && !window.confirm(form.dataset.confirm)) e.preventDefault();
});

// The board's column strip (templates/_board.html's ``strip``): the only part of a page
// that scrolls sideways. When columns are out of view on a side, that side shows a fade
// and a button ("Earlier columns" / "Later columns") that scrolls by a column, so a
// board wider than the screen says so (issue 13).

const strip = () => document.getElementById("columns");

/** Show or hide the cues for where the strip is scrolled now. */
export function syncStrip() {
  const el = strip();
  const wrap = el && el.closest(".strip");
  if (!wrap) return;
  const left = el.scrollLeft > 2;
  const right = el.scrollLeft + el.clientWidth < el.scrollWidth - 2;
  if (wrap.classList.contains("more-left") !== left) wrap.classList.toggle("more-left", left);
  if (wrap.classList.contains("more-right") !== right) wrap.classList.toggle("more-right", right);
  for (const btn of wrap.querySelectorAll("[data-strip]")) {
    const hide = btn.dataset.strip === "-1" ? !left : !right;
    if (btn.hidden !== hide) btn.hidden = hide;
  }
}

function scrollByColumn(direction) {
  const el = strip();
  const col = el && el.querySelector(".column");
  if (!col) return;
  const step = col.getBoundingClientRect().width + 12;
  const smooth = !window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  el.scrollBy({ left: direction * step, behavior: smooth ? "smooth" : "auto" });
}

export function initStrip() {
  const el = strip();
  if (!el) return;
  let queued = false;
  const later = () => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => { queued = false; syncStrip(); });
  };
  document.addEventListener("scroll", (e) => { if (e.target === strip()) later(); }, true);
  window.addEventListener("resize", later);
  document.addEventListener("click", (e) => {
    const btn = e.target.closest("[data-strip]");
    if (btn) scrollByColumn(Number(btn.dataset.strip));
  });
  syncStrip();
}

// Times on pages in the viewer's own time zone (templates/_time.html): every
// <time data-local="when|clock"> the server wrote in UTC is rewritten with the browser's
// zone and its name ("Thu, 03 Dec 2026, 14:05 CET"); the UTC text stays as its title.
// Live updates bring new ones: a MutationObserver localises them as they arrive.

const FORMATS = {
  when: new Intl.DateTimeFormat("en-GB", {
    weekday: "short", day: "2-digit", month: "short", year: "numeric",
    hour: "2-digit", minute: "2-digit", hour12: false, timeZoneName: "short",
  }),
  clock: new Intl.DateTimeFormat("en-GB", {
    hour: "2-digit", minute: "2-digit", hour12: false, timeZoneName: "short",
  }),
};

function localise(el) {
  const format = FORMATS[el.dataset.local];
  const at = new Date(el.getAttribute("datetime"));
  if (!format || Number.isNaN(at.getTime()) || el.dataset.localised === "1") return;
  el.title = el.textContent;
  el.textContent = format.format(at);
  el.dataset.localised = "1";
}

function localiseIn(root) {
  if (root.matches?.("time[data-local]")) localise(root);
  for (const el of root.querySelectorAll?.("time[data-local]") || []) localise(el);
}

localiseIn(document);
new MutationObserver((changes) => {
  for (const change of changes) for (const node of change.addedNodes) if (node.nodeType === 1) localiseIn(node);
}).observe(document.body, { childList: true, subtree: true });

// Menu buttons (templates/_card.html's actions menu): a button with aria-haspopup="menu"
// and aria-expanded opens the role="menu" list it controls. Enter, Space or ArrowDown
// open it on the first item, ArrowUp on the last; arrows, Home and End move between
// items; Escape closes it and gives focus back to the button; Tab or a click elsewhere
// closes it. Choosing an item closes the menu and gives focus back to the button before
// the page's own click handler runs the item's action (so a dialog it opens returns
// focus there). The list is placed with position: fixed, so a scrolling column never
// clips it.

let open = null; // {button, list}

const itemsOf = (list) => Array.from(list.querySelectorAll('[role="menuitem"]:not([disabled])'));

function place(button, list) {
  const r = button.getBoundingClientRect();
  list.style.top = "0px";
  list.style.left = "0px";
  const w = list.offsetWidth;
  const h = list.offsetHeight;
  const left = Math.max(4, Math.min(r.right - w, window.innerWidth - w - 4));
  const below = r.bottom + 4;
  const top = below + h <= window.innerHeight - 4 ? below : Math.max(4, r.top - h - 4);
  list.style.left = `${Math.round(left)}px`;
  list.style.top = `${Math.round(top)}px`;
}

export function closeMenu(focusButton = false) {
  if (!open) return;
  const { button, list } = open;
  open = null;
  list.hidden = true;
  button.setAttribute("aria-expanded", "false");
  button.closest(".card")?.classList.remove("menu-open");
  if (focusButton && button.isConnected) button.focus({ preventScroll: true });
}

export function openMenu(button, at = "first") {
  if (open && open.button === button) return;
  closeMenu();
  const list = document.getElementById(button.getAttribute("aria-controls"));
  if (!list) return;
  list.hidden = false;
  button.setAttribute("aria-expanded", "true");
  button.closest(".card")?.classList.add("menu-open");
  place(button, list);
  open = { button, list };
  const items = itemsOf(list);
  const item = at === "last" ? items[items.length - 1] : items[0];
  if (item) item.focus({ preventScroll: true });
}

function moveFocus(list, delta, to = null) {
  const items = itemsOf(list);
  if (!items.length) return;
  let i = items.indexOf(document.activeElement);
  if (to === "first") i = 0;
  else if (to === "last") i = items.length - 1;
  else i = (i + delta + items.length) % items.length;
  items[i].focus({ preventScroll: true });
}

export function initMenus() {
  document.addEventListener("click", (e) => {
    const button = e.target.closest("[data-menu]");
    if (button) {
      e.preventDefault();
      if (open && open.button === button) closeMenu(true);
      else openMenu(button);
      return;
    }
    const item = e.target.closest('[role="menuitem"]');
    if (open && item && open.list.contains(item)) {
      closeMenu(true); // the action itself runs in the page's bubbling click handler
      return;
    }
    if (open && !open.list.contains(e.target)) closeMenu();
  }, true);

  document.addEventListener("keydown", (e) => {
    const button = e.target.closest?.("[data-menu]");
    if (button && ["ArrowDown", "ArrowUp", "Enter", " "].includes(e.key)) {
      e.preventDefault();
      e.stopPropagation();
      if (open && open.button === button && e.key !== "ArrowDown" && e.key !== "ArrowUp") closeMenu(true);
      else openMenu(button, e.key === "ArrowUp" ? "last" : "first");
      return;
    }
    if (!open || !open.list.contains(e.target)) return;
    const keys = { ArrowDown: [1], ArrowUp: [-1], Home: [0, "first"], End: [0, "last"] };
    if (keys[e.key]) {
      e.preventDefault();
      e.stopPropagation();
      moveFocus(open.list, ...keys[e.key]);
    } else if (e.key === "Escape") {
      e.preventDefault();
      e.stopPropagation();
      closeMenu(true);
    } else if (e.key === "Tab") {
      closeMenu(true);
    }
  }, true);

  // The list is placed for the button where it was: scrolling or resizing closes it.
  window.addEventListener("resize", () => closeMenu());
  document.addEventListener("scroll", (e) => {
    if (open && !open.list.contains(e.target)) closeMenu();
  }, true);
}

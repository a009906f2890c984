// Joining from the room (SPEC R45-R47; templates/_room.html): a facilitator's toggle
// "Let people in the room join from the projector" sends `set_room_join`; the server
// answers everyone with the new region:room-join (and the projector fetches its new
// QR code). "New room link" is a plain form, confirmed first like /admin's Rotate.

/** Wire the toggle and the rotate form (`live`: the forum's connection; `toast(text)`). */
export function roomControls(live, toast) {
  document.addEventListener("change", (e) => {
    const box = e.target.closest("#room-join-on");
    if (!box) return;
    const on = box.checked;
    live.send({ type: "set_room_join", on }, {
      onReject: (msg) => {
        if (box.isConnected) box.checked = !on; // as the board still is
        toast(`Could not change room joining: ${msg.reason}`);
      },
    });
  });
  document.addEventListener("submit", (e) => {
    const form = e.target.closest("form.room-link-rotate[data-confirm]");
    if (form && !window.confirm(form.dataset.confirm)) e.preventDefault();
  });
  // Back from "New room link" (server/forums/room.py): say what happened, once.
  const url = new URL(window.location.href);
  if (url.searchParams.get("room_link") === "new") {
    toast("The room link was replaced: the old one no longer works, and the projector shows the new one.", "info");
    url.searchParams.delete("room_link");
    window.history.replaceState(null, "", url.pathname + url.search + url.hash);
  }
}

"""Every page kind at every screen width: the addresses of one of each kind on the demo
network, and the check that a page never stretches sideways.

Only a board's own column strip (``#columns``) may scroll sideways; the page itself
(``document.documentElement``) must fit the window at every width the issue names
(390, 800, 1366, 1920 px). ``overflow(page)`` also names the widest elements, so a
failure says what stretched the page.
"""

from __future__ import annotations

from typing import Any

from playwright.async_api import Page

WIDTHS = (390, 800, 1366, 1920)
SOS, SESSION = "sos-commerce", "sos-commerce-1"  # the demo's Scrum of Scrums and its session
DEMO_FORUMS = (
    "sos-commerce",
    "eat",
    "metascrum-commerce",
    "ems",
    "retro-q4",
    "backlog-commerce",
)

# (page kind, address): one of each kind the site has, on the demo network.
PAGE_KINDS: tuple[tuple[str, str], ...] = (
    ("home", "/"),
    *((f"forum {f}", f"/forums/{f}") for f in DEMO_FORUMS),
    ("sessions", f"/forums/{SOS}/sessions"),
    ("all sessions", "/sessions"),
    ("session", f"/sessions/{SESSION}"),
    ("replay", f"/sessions/{SESSION}/replay"),
    ("what changed", f"/sessions/{SESSION}/changes"),
    ("projector", f"/forums/{SOS}/projector"),
    ("network", "/network"),
    ("metrics", f"/forums/{SOS}/metrics"),
    ("network metrics", "/metrics"),
    ("decisions", f"/forums/{SOS}/decisions"),
    ("next steps", f"/forums/{SOS}/next-steps"),
    ("my next steps", "/my/steps"),
    ("admin", "/admin"),
    ("integrations", f"/forums/{SOS}/integrations"),
    ("admin integrations", "/admin/integrations"),
    ("name", f"/name?next=/forums/{SOS}"),
    ("import", "/import"),
    ("error", "/forums/no-such-forum"),
)

# The page's width beyond the window, and the elements that reach past its right edge
# (outside the board's column strip, which scrolls on its own).
OVERFLOW = """() => {
  const doc = document.documentElement;
  const over = doc.scrollWidth - window.innerWidth;
  const culprits = [];
  const clipped = (el) => {  // inside something that scrolls or clips sideways
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      if (getComputedStyle(p).overflowX !== "visible") return true;
    }
    return false;
  };
  if (over > 0) {
    for (const el of document.body.querySelectorAll("*")) {
      if (getComputedStyle(el).position === "static" && clipped(el)) continue;
      const r = el.getBoundingClientRect();
      if (r.right > window.innerWidth + 1 && r.width > 0) {
        const cls = typeof el.className === "string" && el.className.trim()
          ? "." + el.className.trim().split(/\\s+/).join(".") : "";
        const name = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + cls;
        culprits.push(`${name} (right ${Math.round(r.right)})`);
        if (culprits.length >= 8) break;
      }
    }
  }
  return { over, culprits };
}"""


async def overflow(page: Page) -> dict[str, Any]:
    """How far the page reaches past the window's right edge (0: it fits) and what does."""
    found: dict[str, Any] = await page.evaluate(OVERFLOW)
    return found


async def sideways_problems(
    page: Page, address: str, widths: tuple[int, ...] = WIDTHS
) -> list[str]:
    """Open ``address`` at each width; one line per width at which the page overflows."""
    problems: list[str] = []
    for width in widths:
        await page.set_viewport_size({"width": width, "height": 900})
        await page.goto(address)
        await page.wait_for_load_state("load")
        found = await overflow(page)
        if found["over"] > 0:
            problems.append(
                f"{address} at {width}px: {found['over']}px too wide; "
                + ", ".join(found["culprits"])
            )
    return problems

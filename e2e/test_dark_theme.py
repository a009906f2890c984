"""The dark theme (issue 13): every page follows the system's dark preference through
app.css's named colours, and axe-core (run in the E2E browser with
``color_scheme="dark"``) finds no serious or critical violation — contrast included — on
the board, a session, the projector, the network, the metrics (charts) and a
retrospective with a cluster box and its dots."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from playwright.async_api import Browser, BrowserContext, Page

from tests.support import ServerProcess

from .axe import report, serious, violations
from .support import PageErrors, enter_named
from .test_accessibility import play_a_session

pytestmark = pytest.mark.e2e

# The page's background and text as the browser computed them: [r, g, b] each.
COLOURS = """() => {
  const rgb = (c) => (c.match(/\\d+(\\.\\d+)?/g) || []).slice(0, 3).map(Number);
  const body = getComputedStyle(document.body);
  const clear = body.backgroundColor === "rgba(0, 0, 0, 0)";
  const root = getComputedStyle(document.documentElement);
  const bg = rgb(clear ? root.backgroundColor : body.backgroundColor);
  return { bg, text: rgb(body.color) };
}"""


def luminance(rgb: list[float]) -> float:
    """WCAG relative luminance of an sRGB colour."""

    def channel(c: float) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.03928 else float(((c + 0.055) / 1.055) ** 2.4)

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


@pytest.fixture
async def dark(browser: Browser, demo: ServerProcess) -> AsyncIterator[BrowserContext]:
    """A browser whose system prefers dark (the test's injected axe bypasses the CSP)."""
    ctx = await browser.new_context(
        base_url=demo.url,
        viewport={"width": 1366, "height": 900},
        bypass_csp=True,
        color_scheme="dark",
    )
    ctx.set_default_timeout(10_000)
    yield ctx
    await ctx.close()


async def check(page: Page, axe: str, where: str, problems: list[str]) -> None:
    """The page is dark (light text on a dark background) and axe finds nothing serious."""
    colours = await page.evaluate(COLOURS)
    bg, text = luminance(colours["bg"]), luminance(colours["text"])
    if not (bg < 0.05 and text > 0.6):
        problems.append(f"{where}: not dark (background {colours['bg']}, text {colours['text']})")
    found = serious(await violations(page, axe))
    if found:
        problems.append(report(where, found))


async def test_every_page_kind_is_dark_and_passes_axe(
    demo: ServerProcess, dark: BrowserContext, page_errors: PageErrors, axe: str
) -> None:
    server = demo
    status, forums = await asyncio.to_thread(server.request, "GET", "/api/forums")
    assert status == 200, forums
    sos = next(f["id"] for f in forums if f["kind"] == "sos")
    session_id = await play_a_session(server, sos)
    page = await dark.new_page()
    page.on("pageerror", lambda err: page_errors.on_page_error("dark", err))
    await enter_named(page, server, sos, "Maya Chen")
    pages = {
        "board": f"/forums/{sos}",
        "session": f"/sessions/{session_id}",
        "projector (follows the system)": f"/forums/{sos}/projector",
        "network": "/network",
        "metrics (charts)": f"/forums/{sos}/metrics",
        "replay": f"/sessions/{session_id}/replay",
    }
    problems: list[str] = []
    for where, path in pages.items():
        response = await page.goto(path)
        assert response is not None and response.status == 200, (where, path)
        if "/forums/" in path and "metrics" not in path:
            await page.wait_for_selector("#conn[data-state=live]")
        await check(page, axe, f"{where} ({path})", problems)
    # The network picture's boxes and the charts' text are drawn dark too.
    await page.goto("/network")
    box = await page.evaluate(
        "() => getComputedStyle(document.querySelector('.network-svg .node-box')).fill"
    )
    assert box != "rgb(255, 255, 255)", box
    assert not problems, "the dark theme has problems:\n" + "\n".join(problems)


async def test_a_retrospective_with_a_cluster_is_dark_and_passes_axe(
    demo: ServerProcess, dark: BrowserContext, page_errors: PageErrors, axe: str
) -> None:
    server = demo
    status, forums = await asyncio.to_thread(server.request, "GET", "/api/forums")
    assert status == 200, forums
    fid = next(f["id"] for f in forums if f["kind"] == "retro")

    def op(op: dict[str, Any]) -> dict[str, Any]:
        status, body = server.request("POST", f"/api/forums/{fid}/ops", {"op": op})
        assert status in (200, 201), body
        return dict(body)

    board = await asyncio.to_thread(server.board, fid)
    col = {c["id"]: c["card_ids"] for c in board["columns"]}
    await asyncio.to_thread(op, {"type": "start_session"})
    for phase in ("write", "reveal", "group"):
        await asyncio.to_thread(op, {"type": "set_phase", "phase": phase})
    first, second = col["to-improve"][:2]
    await asyncio.to_thread(
        op, {"type": "group_card", "card": col["ideas"][0], "with_card": first, "gather": True}
    )
    await asyncio.to_thread(op, {"type": "group_card", "card": second, "with_card": first})
    page = await dark.new_page()
    page.on("pageerror", lambda err: page_errors.on_page_error("dark retro", err))
    await enter_named(page, server, fid, "Maya Chen")
    problems: list[str] = []
    for phase in ("group", "vote", "discuss", "decide"):
        if phase != "group":
            await asyncio.to_thread(op, {"type": "set_phase", "phase": phase})
        for where in (f"/forums/{fid}", f"/forums/{fid}/projector"):
            await page.goto(where)
            await page.wait_for_selector("#conn[data-state=live]")
            if where == f"/forums/{fid}":
                await page.wait_for_selector(".cluster-label")
            await check(page, axe, f"retro, {phase} ({where})", problems)
    assert not problems, "the dark theme has problems:\n" + "\n".join(problems)

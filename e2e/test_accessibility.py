"""axe-core (from the npm registry, run inside the E2E browser) finds no serious or
critical accessibility violation on the pages people use: home, forum, projector
(light and dark), the sessions lists, a session, its replay and the metrics."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from playwright.async_api import Browser, BrowserContext

from tests.support import ServerProcess

from .axe import report, serious, violations
from .support import PageErrors, add_card, enter_named

pytestmark = pytest.mark.e2e


@pytest.fixture
async def context(browser: Browser, demo: ServerProcess) -> AsyncIterator[BrowserContext]:
    # The pages' CSP refuses inline script: only this context (the test's own
    # injected axe) bypasses it.
    ctx = await browser.new_context(
        base_url=demo.url, viewport={"width": 1440, "height": 900}, bypass_csp=True
    )
    ctx.set_default_timeout(10_000)
    yield ctx
    await ctx.close()


async def play_a_session(server: ServerProcess, fid: str) -> str:
    """Cards of several kinds, a session with a decision, a next step and moves; ended."""

    def op(op: dict[str, Any]) -> None:
        status, body = server.request("POST", f"/api/forums/{fid}/ops", {"op": op})
        assert status in (200, 201), body

    red = await add_card(server, fid, "new", "Build is red", body="Since Tuesday", owner="Maya")
    status, teams = await asyncio.to_thread(server.request, "GET", "/api/teams")
    assert status == 200 and len(teams) >= 2, teams
    dep = await add_card(
        server,
        fid,
        "new",
        "Needs the other team's API",
        kind="dependency",
        team=teams[0]["id"],
        to_team=teams[1]["id"],
    )
    await add_card(server, fid, "new", "Vendor may be late", kind="risk")
    await add_card(server, fid, "new", "A note", kind="note")
    await asyncio.to_thread(op, {"type": "start_session"})
    await asyncio.to_thread(
        op, {"type": "move_card", "card": red, "column": "removing", "index": 0}
    )
    await asyncio.to_thread(op, {"type": "record_decision", "text": "Fix it first", "cards": [red]})
    await asyncio.to_thread(
        op,
        {"type": "add_next_step", "text": "Call the vendor", "owner": "Leo", "cards": [dep]},
    )
    await asyncio.to_thread(
        op, {"type": "move_card", "card": dep, "column": "needs-eat", "index": 0}
    )
    await asyncio.to_thread(op, {"type": "end_session"})
    status, found = await asyncio.to_thread(server.request, "GET", f"/api/forums/{fid}/sessions")
    assert status == 200 and found, found
    session_id = str(found[0]["id"])
    await asyncio.to_thread(op, {"type": "start_session"})  # a running one for the board
    return session_id


async def test_no_serious_or_critical_violations(
    browser: Browser,
    demo: ServerProcess,
    context: BrowserContext,
    page_errors: PageErrors,
    axe: str,
) -> None:
    server = demo
    status, forums = await asyncio.to_thread(server.request, "GET", "/api/forums")
    assert status == 200, forums
    fid = next(f["id"] for f in forums if f["kind"] == "sos")
    session_id = await play_a_session(server, fid)
    page = await context.new_page()
    page.on("console", lambda msg: page_errors.on_console("axe", msg))
    page.on("pageerror", lambda err: page_errors.on_page_error("axe", err))
    await enter_named(page, server, fid, "Maya Chen")

    pages = {
        "home": "/",
        "forum": f"/forums/{fid}",
        "projector": f"/forums/{fid}/projector",
        "projector (light)": f"/forums/{fid}/projector?theme=light",
        "projector (dark)": f"/forums/{fid}/projector?theme=dark",
        "forum sessions": f"/forums/{fid}/sessions",
        "all sessions": "/sessions",
        "session": f"/sessions/{session_id}",
        "replay": f"/sessions/{session_id}/replay",
        "changes": f"/sessions/{session_id}/changes",
        "metrics": f"/forums/{fid}/metrics",
        "network metrics": "/metrics",
        "decisions": f"/forums/{fid}/decisions",
        "next steps": f"/forums/{fid}/next-steps",
        "import cards": f"/forums/{fid}/import",
        "calendar feed": f"/forums/{fid}/feed",
        "my calendar feed": "/my/feed",
        "admin": "/admin",
        "integrations": f"/forums/{fid}/integrations",
        "admin integrations": "/admin/integrations",
        "sprints": "/sprints",
        "team metrics": f"/forums/{fid}/team-metrics",
    }
    hook = {"url": "https://example.org/hook", "kinds": ["decision.recorded"], "forum_id": fid}
    status, _ = await asyncio.to_thread(server.request, "POST", "/api/hooks", hook)
    assert status == 201  # the pages list it, with its (empty) delivery log
    problems: list[str] = []
    for where, path in pages.items():
        response = await page.goto(path)
        assert response is not None and response.status == 200, (where, path)
        if "projector" in path or path == f"/forums/{fid}":
            await page.wait_for_selector("#conn[data-state=live]")
        found = serious(await violations(page, axe))
        if found:
            problems.append(report(f"{where} ({path})", found))
    # A viewer's forum page: read-only, nothing on it takes focus but the columns.
    viewer = await browser.new_context(
        base_url=server.url, viewport={"width": 1440, "height": 900}, bypass_csp=True
    )
    try:
        vpage = await viewer.new_page()
        vpage.on("pageerror", lambda err: page_errors.on_page_error("viewer", err))
        token = (await asyncio.to_thread(server.links, fid))["viewer"]
        await vpage.goto(f"/forums/{fid}?token={token}")
        await vpage.fill("#name-input", "Stakeholder")
        await vpage.click("main form button[type=submit]")
        await vpage.wait_for_selector("#conn[data-state=live]")
        found = serious(await violations(vpage, axe))
        if found:
            problems.append(report(f"forum as a viewer (/forums/{fid})", found))
    finally:
        await viewer.close()
    assert not problems, "axe-core reports serious or critical violations:\n" + "\n".join(problems)


async def test_a_retrospective_in_every_phase_has_no_serious_violations(
    demo: ServerProcess, context: BrowserContext, page_errors: PageErrors, axe: str
) -> None:
    """The phase bar, face-down cards, clusters, the vote panel, the discussion order
    and the decide actions (issue 5), on the forum page and the projector."""
    server = demo
    status, forums = await asyncio.to_thread(server.request, "GET", "/api/forums")
    assert status == 200, forums
    fid = next(f["id"] for f in forums if f["kind"] == "retro")

    def op(op: dict[str, Any]) -> dict[str, Any]:
        status, body = server.request("POST", f"/api/forums/{fid}/ops", {"op": op})
        assert status in (200, 201), body
        return dict(body)

    await asyncio.to_thread(op, {"type": "start_session"})
    await asyncio.to_thread(op, {"type": "set_phase", "phase": "write"})
    await asyncio.to_thread(op, {"type": "configure_retro", "anonymous": True, "dots": 3})
    await add_card(server, fid, "ideas", "Pair across teams", anonymous=True)
    page = await context.new_page()
    page.on("console", lambda msg: page_errors.on_console("axe", msg))
    page.on("pageerror", lambda err: page_errors.on_page_error("axe", err))
    await enter_named(page, server, fid, "Maya Chen")
    problems: list[str] = []
    for phase in ("write", "reveal", "group", "vote", "discuss", "decide"):
        if phase != "write":
            await asyncio.to_thread(op, {"type": "set_phase", "phase": phase})
        for where in (f"/forums/{fid}", f"/forums/{fid}/projector"):
            await page.goto(where)
            await page.wait_for_selector("#conn[data-state=live]")
            found = serious(await violations(page, axe))
            if found:
                problems.append(report(f"retro, {phase} phase ({where})", found))
    assert not problems, "axe-core reports serious or critical violations:\n" + "\n".join(problems)

"""Next steps in the browser: mark one done on the next-steps page (a plain form, no
script) and see it done there, and on the live board of someone else in the forum."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from typing import Any

import pytest
from playwright.async_api import expect

from tests.support import ServerProcess

from .support import Join

pytestmark = pytest.mark.e2e


async def api(server: ServerProcess, method: str, path: str, body: Any = None) -> Any:
    status, answer = await asyncio.to_thread(server.request, method, path, body)
    assert status in (200, 201), answer
    return answer


async def test_marking_a_next_step_done_is_seen_on_the_page_and_live(
    server: ServerProcess, forum: dict[str, Any], join: Join
) -> None:
    fid = forum["id"]
    base = f"/api/forums/{fid}"
    due = dt.date.today() - dt.timedelta(days=2)
    await api(server, "POST", f"{base}/sessions")
    step = await api(
        server,
        "POST",
        f"{base}/next-steps",
        {"text": "Ask the EAT for a test budget", "owner": "Priya Nair", "due": due.isoformat()},
    )
    await api(server, "POST", f"{base}/sessions/current/end")
    sid = step["id"]

    # Leo has the forum's live board open: the open step was carried over.
    leo = await join("Leo Martin")
    on_board = leo.page.locator(f"#steps-earlier #step-{sid}")
    await expect(on_board.locator(".step-text")).to_have_text("Ask the EAT for a test budget")
    await expect(on_board.locator(".status")).to_have_text("open")

    # Maya goes from her forum page to its next steps.
    maya = await join("Maya Chen")
    page = maya.page
    await page.locator("nav.topnav a", has_text="Next steps").click()
    await page.wait_for_url(f"**/forums/{fid}/next-steps")
    row = page.locator(f"#step-{fid}-{sid}")
    await expect(row.locator(".step-text")).to_have_text("Ask the EAT for a test budget")
    await expect(row.locator(".owner-cell")).to_have_text("Priya Nair")
    await expect(row.locator(".overdue-label")).to_have_text("Overdue")
    await expect(row.locator(".step-status")).to_have_text("open")

    await row.get_by_role("button", name=re.compile(r"^Mark done")).click()
    await page.wait_for_url(f"**/forums/{fid}/next-steps")
    row = page.locator(f"#step-{fid}-{sid}")
    await expect(row.locator(".step-status")).to_have_text("done")
    await expect(row).to_have_class(re.compile(r"\bstatus-done\b"))
    await expect(row.locator(".overdue-label")).to_have_count(0)
    await expect(row.locator(".status-cell")).to_contain_text("by Maya Chen")
    await expect(row.get_by_role("button", name=re.compile(r"^Reopen"))).to_be_visible()

    # Leo's board changed live, without a reload.
    await expect(on_board.locator(".status")).to_have_text("done")
    await expect(on_board).to_have_class(re.compile(r"\bstatus-done\b"))
    await expect(on_board.locator("[data-action=step-reopen]")).to_have_count(1)
    steps = await api(server, "GET", f"{base}/next-steps")
    assert [(s["id"], s["status"], s["updated_by"]) for s in steps] == [(sid, "done", "Maya Chen")]

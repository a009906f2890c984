"""Helpers for the browser tests: a person at a browser, what their page shows, and
the console errors every page is watched for.

A ``Person`` is one browser context (own cookies, so own display name) with one page
on a forum. Board state is read from the DOM and compared with what the server's JSON
API says, so "the same board" means the same card ids, in the same columns, in the
same order, everywhere.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.async_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Error,
    Locator,
    Page,
    WebSocket,
)
from playwright.async_api import TimeoutError as PlaywrightTimeout

from tests.support import ServerProcess, column_order

Columns = list[list[Any]]  # [[column id, [card ids…]], …] in page order

# Card ids per column, as the page shows them (live columns only, in order).
READ_COLUMNS = """() => Array.from(document.querySelectorAll('#columns > .column'), (col) => [
  col.dataset.column,
  Array.from(col.querySelectorAll('ol.cards > li.card'), (li) => li.dataset.card),
])"""

# The live connection is welcomed and holds no un-acked operation.
SETTLED = """() => !!window.scaleboard && window.scaleboard.live.ready
  && window.scaleboard.live.pending.size === 0"""


class PageErrors:
    """Console errors and uncaught exceptions from every page of a test.

    A test fails if any page logs a console error or throws, unless the console
    message matches a pattern the test allowed (e.g. the browser's own "WebSocket
    connection failed" while the server is deliberately down). Uncaught page errors
    are never allowed.
    """

    def __init__(self) -> None:
        self.console_errors: list[str] = []
        self.page_errors: list[str] = []
        self.allowed: list[re.Pattern[str]] = []
        self.reported = 0

    def allow(self, pattern: str) -> None:
        self.allowed.append(re.compile(pattern))

    def on_console(self, who: str, msg: ConsoleMessage) -> None:
        if msg.type == "error":
            loc = msg.location
            where = f" at {loc.get('url')}:{loc.get('lineNumber')}" if loc.get("url") else ""
            self.console_errors.append(f"{who}: console error: {msg.text}{where}")

    def on_page_error(self, who: str, err: Error) -> None:
        self.page_errors.append(f"{who}: uncaught {err.name}: {err.message}\n{err.stack or ''}")

    def problems(self) -> list[str]:
        bad = [m for m in self.console_errors if not any(p.search(m) for p in self.allowed)]
        return self.page_errors + bad

    def check(self) -> None:
        found = self.problems()
        new = found[self.reported :]
        self.reported = len(found)
        if new:
            raise AssertionError("the page reported errors:\n" + "\n".join(new))


@dataclass
class Person:
    """One person: a browser context with its own name cookie, on one forum page."""

    name: str
    forum_id: str
    context: BrowserContext
    page: Page
    sent: list[dict[str, Any]] = field(default_factory=list)  # frames sent on the live socket

    @classmethod
    async def open(
        cls,
        browser: Browser,
        server: ServerProcess,
        forum_id: str,
        name: str,
        errors: PageErrors,
        role: str = "facilitator",
    ) -> Person:
        """Open the forum's ``role`` link in a new browser context, as a person does
        with the link a facilitator shared, and pick the display name on the way."""
        context = await browser.new_context(
            base_url=server.url, viewport={"width": 1600, "height": 1000}
        )
        context.set_default_timeout(10_000)
        page = await context.new_page()
        person = cls(name, forum_id, context, page)
        page.on("console", lambda msg: errors.on_console(name, msg))
        page.on("pageerror", lambda err: errors.on_page_error(name, err))
        page.on("websocket", person._watch_socket)
        tokens = await asyncio.to_thread(server.links, forum_id)
        await page.goto(f"/forums/{forum_id}?token={tokens[role]}")
        await page.wait_for_url(f"**/name?next=/forums/{forum_id}")  # the token is gone
        await pick_name(page, forum_id, name)
        await person.wait_live()
        return person

    def _watch_socket(self, ws: WebSocket) -> None:
        def sent(payload: str | bytes) -> None:
            if isinstance(payload, str):
                self.sent.append(json.loads(payload))

        ws.on("framesent", sent)

    def sent_ops(self, op_type: str) -> list[dict[str, Any]]:
        return [m["op"] for m in self.sent if m.get("type") == "op" and m["op"]["type"] == op_type]

    # -- what the page shows ----------------------------------------------------------

    def card(self, card_id: str) -> Locator:
        return self.page.locator(f"#card-{card_id}")

    async def wait_live(self, timeout: float = 10_000) -> None:
        await self.page.wait_for_selector("#conn[data-state=live]", timeout=timeout)

    async def settled(self, timeout: float = 10_000) -> None:
        """Wait until the page is live and every operation it sent is answered."""
        await self.page.wait_for_function(SETTLED, timeout=timeout)

    async def columns(self) -> Columns:
        result: Columns = await self.page.evaluate(READ_COLUMNS)
        return result

    async def wait_columns(self, expected: Columns, timeout: float = 10_000) -> None:
        """Wait until the page shows exactly these card ids per column, in order."""
        check = f"(expected) => JSON.stringify(({READ_COLUMNS})()) === JSON.stringify(expected)"
        try:
            await self.page.wait_for_function(check, arg=expected, timeout=timeout)
        except PlaywrightTimeout:
            actual = await self.columns()
            raise AssertionError(
                f"{self.name}'s board never became\n  {expected}\nit shows\n  {actual}"
            ) from None

    async def card_action(self, card_id: str, action: str) -> None:
        """Open a card's actions menu and choose the item ``data-action=action``."""
        card = self.card(card_id)
        await card.locator("[data-menu]").click()
        await card.locator(f'[role=menu] [data-action="{action}"]').click()

    async def announcement(self) -> str:
        return (await self.page.text_content("#announcer")) or ""

    # -- doing things -----------------------------------------------------------------

    async def press_card_grab(self, card_id: str) -> tuple[float, float]:
        """Press the mouse on a card's title and drag it past the 5 px threshold."""
        box = await self.card(card_id).locator(".card-title").bounding_box()
        assert box, f"card {card_id} is not visible for {self.name}"
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        mouse = self.page.mouse
        await mouse.move(x, y)
        await mouse.down()
        await mouse.move(x + 8, y + 8, steps=2)
        return x, y

    async def drag_over(self, column: str, before: str | None = None) -> None:
        """With a drag in progress, move the pointer to a place in a column: above the
        middle of card ``before``, or below the column's last card."""
        if before is not None:
            box = await self.card(before).bounding_box()
            assert box, f"card {before} is not visible for {self.name}"
            x, y = box["x"] + box["width"] / 2, box["y"] + min(8, box["height"] / 4)
        else:
            lst = await self.page.locator(f"#col-{column} ol.cards").bounding_box()
            assert lst, f"column {column} is not visible for {self.name}"
            x, y = lst["x"] + lst["width"] / 2, lst["y"] + lst["height"] - 4
        await self.page.mouse.move(x, y, steps=10)

    async def drag(self, card_id: str, column: str, before: str | None = None) -> None:
        """Drag a card with the mouse and drop it (see ``drag_over`` for where)."""
        await self.press_card_grab(card_id)
        await self.drag_over(column, before)
        await self.page.mouse.up()

    async def send(self, op: dict[str, Any]) -> None:
        """Send a raw operation through the page's own live connection."""
        await self.page.evaluate("(op) => { window.scaleboard.live.send(op); }", op)


Join = Callable[..., Awaitable[Person]]  # the `join` fixture: await join("Maya")


async def enter_as_admin(page: Page, server: ServerProcess) -> None:
    """Open the admin link in ``page``'s browser context (it lands on ``/admin``)."""
    await page.goto(f"/admin/enter?token={server.admin_token}")
    await page.wait_for_url("**/admin")


async def pick_name(page: Page, forum_id: str, name: str) -> None:
    """On the name form ``page`` shows, pick ``name`` and wait to be on the forum."""
    await page.fill("#name-input", name)
    await page.click("main form button[type=submit]")
    await page.wait_for_url(f"**/forums/{forum_id}")


async def enter_named(page: Page, server: ServerProcess, forum_id: str, name: str) -> None:
    """Enter as the admin, then pick ``name`` on the way to the forum (``page`` is on it)."""
    await enter_as_admin(page, server)
    await page.goto(f"/name?next=/forums/{forum_id}")
    await pick_name(page, forum_id, name)


@asynccontextmanager
async def running(db: Path, demo: bool = False) -> AsyncIterator[ServerProcess]:
    """A real server on the SQLite file ``db`` (``demo``: with the demo network) for the
    ``async with`` body; its log is printed after (pytest shows it when a test failed)."""
    proc = ServerProcess(db, demo=demo)
    await asyncio.to_thread(proc.start)
    try:
        yield proc
    finally:
        await asyncio.to_thread(proc.stop)
        print(f"--- server log ---\n{proc.log()}")


async def server_columns(server: ServerProcess, forum_id: str) -> Columns:
    """The board as the server's JSON API has it, in the pages' format."""
    board = await asyncio.to_thread(server.board, forum_id)
    return [[col, ids] for col, ids in column_order(board).items()]


async def add_card(
    server: ServerProcess, forum_id: str, column: str, title: str, **fields: Any
) -> str:
    """Add a card through the JSON API; returns its id."""
    status, card = await asyncio.to_thread(
        server.request,
        "POST",
        f"/api/forums/{forum_id}/cards",
        {"column": column, "title": title, **fields},
    )
    assert status == 201, card
    return str(card["id"])


async def same_board_everywhere(server: ServerProcess, forum_id: str, *people: Person) -> Columns:
    """Wait until every page is settled and shows the server's board; return it."""
    for person in people:
        await person.settled()
    expected = await server_columns(server, forum_id)
    for person in people:
        await person.wait_columns(expected)
    return expected

"""``python -m bench --only browsers`` (opt-in): the per-delivery server CPU with real pages.

The other cases' people are load clients. Here ``PAGES`` of them are real Chromium pages
(Debian's ``/usr/bin/chromium`` through Playwright, one browser context each: a person
with a display name of their own, on the forum's participant link, the page's own live
socket, rendering every batch it gets) on one forum, while a load process
(``bench/load.py``) of ``SENDERS`` people moves cards at ``RATE`` moves/s with
meeting-like Poisson timing. Every move the pages receive is counted from the frames
their sockets get (Playwright's ``framereceived``). The same case then runs with the
pages replaced by load clients; the two alternate (pages, clients, pages, clients) and
the server CPU per delivery of each is printed with their ratio.

A browser cannot keep up the throughput cases and does not need to: this confirms, on
a small sample, that a real page costs the server what a load client does.
"""

from __future__ import annotations

import asyncio
import json
import re
import statistics
from typing import Any

from playwright.async_api import Browser, BrowserContext, WebSocket, async_playwright

from bench.servers import Servers, load, load_average, ratio

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PAGES, SENDERS, RATE, DURATION = 20, 5, 20, 12.0
TAG = "bw-"
MOVE_ID = re.compile(r'"(?:op_)?id":"' + re.escape(TAG))


class Pages:
    """``count`` people as real pages on one forum, counting the moves they receive."""

    def __init__(self) -> None:
        self.received = 0
        self.contexts: list[BrowserContext] = []

    def _watch(self, ws: WebSocket) -> None:
        def got(payload: str | bytes) -> None:
            if isinstance(payload, str):
                self.received += len(MOVE_ID.findall(payload))

        ws.on("framereceived", got)

    async def open(self, browser: Browser, servers: Servers, forum: str, count: int) -> None:
        server = servers.scaleboard
        token = (await asyncio.to_thread(server.links, forum))["participant"]
        names: list[str] = json.loads(servers.names.read_text())
        for i in range(count):
            context = await browser.new_context(base_url=server.url)
            await context.add_cookies(
                [{"name": "sb_name", "value": names[i % len(names)], "url": server.url}]
            )
            page = await context.new_page()
            page.on("websocket", self._watch)
            await page.goto(f"/forums/{forum}?token={token}")
            await page.wait_for_selector("#conn[data-state=live]", timeout=30_000)
            self.contexts.append(context)

    async def close(self) -> None:
        for context in self.contexts:
            await context.close()


async def with_pages(browser: Browser, servers: Servers, quick: bool) -> dict[str, Any]:
    pages, duration = (5, 3.0) if quick else (PAGES, DURATION)
    forum = servers.forum(SENDERS)
    people = Pages()
    try:
        await people.open(browser, servers, forum, pages)
        await asyncio.sleep(1.0)  # the pages' first requests settle
        result, cpu = await asyncio.to_thread(
            load,
            "scaleboard",
            servers.scaleboard.port,
            servers.scaleboard_pid,
            [forum],
            clients=SENDERS,
            senders=SENDERS,
            rate=RATE,
            duration=duration,
            tag=TAG,
            names=servers.names,
        )
        want = result["moves"] * pages
        deadline = asyncio.get_running_loop().time() + 5.0
        while people.received < want and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.1)  # frames still on their way to the pages
    finally:
        await people.close()
    delivered = result["delivered"] + people.received
    return {
        "pages": pages,
        "moves": result["moves"],
        "page_deliveries": people.received,
        "expected_page_deliveries": result["moves"] * pages,
        "delivered": delivered,
        "cpu": cpu,
        "cpu_us": cpu / max(1, delivered) * 1e6,
        "acked": result["acked"],
    }


def with_clients(servers: Servers, quick: bool) -> dict[str, Any]:
    pages, duration = (5, 3.0) if quick else (PAGES, DURATION)
    forum = servers.forum(SENDERS)
    result, cpu = load(
        "scaleboard",
        servers.scaleboard.port,
        servers.scaleboard_pid,
        [forum],
        clients=SENDERS + pages,
        senders=SENDERS,
        rate=RATE,
        duration=duration,
        tag=TAG,
        names=servers.names,
    )
    return {
        "moves": result["moves"],
        "delivered": result["delivered"],
        "expected": result["expected"],
        "cpu": cpu,
        "cpu_us": cpu / max(1, result["delivered"]) * 1e6,
    }


async def _run(servers: Servers, quick: bool, rounds: int) -> dict[str, Any]:
    runs: dict[str, list[dict[str, Any]]] = {"pages": [], "clients": []}
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for r in range(rounds):
                print(f"browsers round {r + 1}/{rounds} · load average {load_average()}")
                runs["pages"].append(await with_pages(browser, servers, quick))
                runs["clients"].append(await asyncio.to_thread(with_clients, servers, quick))
                p, c = runs["pages"][-1], runs["clients"][-1]
                print(
                    f"  pages: {p['page_deliveries']}/{p['expected_page_deliveries']} moves"
                    f" reached the pages, {p['cpu_us']:5.2f} µs/delivery"
                    f" | load clients: {c['delivered']}/{c['expected']},"
                    f" {c['cpu_us']:5.2f} µs/delivery",
                    flush=True,
                )
        finally:
            await browser.close()
    pages_us = statistics.median(r["cpu_us"] for r in runs["pages"])
    clients_us = statistics.median(r["cpu_us"] for r in runs["clients"])
    n = runs["pages"][0]["pages"]
    print(
        f"browsers {n} Chromium pages + {SENDERS} senders, {RATE} moves/s (Poisson)"
        f" | server CPU/delivery with pages {pages_us:5.2f} µs,"
        f" with load clients {clients_us:5.2f} µs ({ratio(pages_us, clients_us)})",
        flush=True,
    )
    return {"runs": runs, "pages_us": pages_us, "clients_us": clients_us}


def browsers(servers: Servers, quick: bool, rounds: int = 2) -> dict[str, Any]:
    return asyncio.run(_run(servers, quick, 1 if quick else rounds))

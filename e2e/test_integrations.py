"""The Integrations page in Chromium (issue 16): a facilitator subscribes a receiver
(its own process) to their forum, sees the signing secret once, sends a test event and
sees it delivered in the log; a bad URL is refused on the page with the reason."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from tests.receiver import Receiver
from tests.support import ServerProcess, free_port

from .support import PageErrors, pick_name, running

pytestmark = pytest.mark.e2e


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[ServerProcess]:
    async with running(tmp_path / "hooks.db") as proc:
        yield proc


async def test_a_facilitator_subscribes_tests_and_sees_the_delivery(
    browser: Browser, server: ServerProcess, page_errors: PageErrors
) -> None:
    receiver = await asyncio.to_thread(Receiver(free_port()).start)
    try:
        forum = await asyncio.to_thread(server.new_forum, "sos", "SoS Chat")
        token = (await asyncio.to_thread(server.links, forum["id"]))["facilitator"]
        context = await browser.new_context(base_url=server.url)
        page = await context.new_page()
        page.on("pageerror", lambda err: page_errors.on_page_error("integrations", err))
        await page.goto(f"/forums/{forum['id']}?token={token}")
        if "/name" in page.url:  # a new person picks a display name first
            await pick_name(page, forum["id"], "Fay")
        await page.get_by_role("link", name="Integrations").click()
        await page.wait_for_url(f"**/forums/{forum['id']}/integrations")
        await expect(page.get_by_role("heading", level=1)).to_have_text("Integrations: SoS Chat")

        await page.get_by_label("URL (http or https)").fill("ftp://example.org/hook")
        await page.get_by_label("Decision recorded").check()
        await page.get_by_role("button", name="Subscribe").click()
        await expect(page.locator("#subscribe-error")).to_contain_text("Only http:// and https://")
        await expect(page.get_by_text("No subscription yet.")).to_be_visible()

        await page.get_by_label("URL (http or https)").fill(receiver.url("chat"))
        await page.get_by_label("Format").select_option("slack")
        await page.get_by_label("Decision recorded").check()
        await page.get_by_role("button", name="Subscribe").click()
        secret = await page.locator("#secret-value").input_value()
        assert secret.startswith("whsec_")
        await asyncio.to_thread(receiver.control, secrets={"/chat": secret})

        await page.get_by_role("button", name="Send a test event").click()
        await expect(page.get_by_role("status")).to_contain_text("A test event is on its way")
        await expect(page.locator("#secret-value")).to_have_count(0)  # shown once
        stats = await asyncio.to_thread(
            receiver.wait_for, lambda st: len(st["bodies"].get("/chat", [])) == 1
        )
        [body] = stats["bodies"]["/chat"]
        assert body["text"].startswith("*Test event in SoS Chat*")
        await page.reload()
        row = page.locator("tr.delivery")
        await expect(row).to_have_count(1)
        await expect(row).to_contain_text("delivered")
        await expect(row).to_contain_text("Test event")
        await context.close()
    finally:
        await asyncio.to_thread(receiver.stop)

"""The projector in the room (issue 13): one click from the forum page; readable at
1280×720 and 1920×1080 in light and dark — the forum's name breaks between words only,
every column is in view, the head leaves the board most of the screen, and axe-core
finds nothing serious or critical in either theme; and joining from the room (SPEC
R45-R47): the facilitator's toggle changes the projector's QR code live, a phone joins
by it in two taps while it is on, and is told whom to ask while it is off."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest
from playwright.async_api import Browser, Page, expect

from tests.support import ServerProcess

from .axe import axe_source, report, serious, violations
from .support import Join, PageErrors, enter_as_admin, enter_named

pytestmark = pytest.mark.e2e

# Each word of the forum's name lies on one line (no "Scru/m of/Scru/ms").
WORDS_WHOLE = """() => {
  const h = document.getElementById("forum-name");
  const text = h.firstChild;
  const broken = [];
  let at = 0;
  for (const word of text.textContent.split(/(\\s+)/)) {
    if (word.trim()) {
      const r = document.createRange();
      r.setStart(text, at);
      r.setEnd(text, at + word.length);
      const tops = new Set(Array.from(r.getClientRects(), (b) => Math.round(b.top)));
      if (tops.size > 1) broken.push(word);
    }
    at += word.length;
  }
  return broken;
}"""

COLUMNS_IN_VIEW = """() => Array.from(document.querySelectorAll("#columns > .column"), (c) => {
  const r = c.getBoundingClientRect();
  return [c.dataset.column, r.left >= 0 && r.right <= window.innerWidth + 0.5 && r.width > 120];
})"""


async def test_the_projector_is_one_click_from_the_forum_page(
    browser: Browser, demo: ServerProcess, page_errors: PageErrors
) -> None:
    context = await browser.new_context(base_url=demo.url)
    page = await context.new_page()
    page.on("pageerror", lambda err: page_errors.on_page_error("maya", err))
    await enter_named(page, demo, "sos-commerce", "Maya Chen")
    # A facilitator also gets the toggle that lets the room join (SPEC R45).
    toggle = page.get_by_label("Let people in the room join from the projector")
    await expect(toggle).to_be_visible()
    await expect(toggle).not_to_be_checked()
    await page.get_by_role("link", name=re.compile(r"^Projector\W+this board")).click()
    await page.wait_for_url("**/forums/sos-commerce/projector")
    await page.wait_for_selector("#conn[data-state=live]")
    await context.close()


@pytest.mark.parametrize("theme", ["light", "dark"])
async def test_the_projector_reads_well_at_room_sizes(
    browser: Browser, demo: ServerProcess, page_errors: PageErrors, theme: str
) -> None:
    # An escalated card: a "With EAT: …" line on the SoS, a "From …" line on the EAT.
    board = await asyncio.to_thread(demo.board, "sos-commerce")
    card = next(
        c for c in board["cards"].values() if c["kind"] == "impediment" and not c["sent_to"]
    )
    status, body = await asyncio.to_thread(
        demo.request, "POST", f"/api/forums/sos-commerce/cards/{card['id']}/escalate"
    )
    assert status in (200, 201), body
    context = await browser.new_context(base_url=demo.url, bypass_csp=True)  # axe only
    page: Page = await context.new_page()
    page.on("pageerror", lambda err: page_errors.on_page_error("projector", err))
    await enter_as_admin(page, demo)
    source = axe_source()
    problems: list[str] = []
    for width, height in ((1280, 720), (1920, 1080)):
        await page.set_viewport_size({"width": width, "height": height})
        for forum in ("sos-commerce", "eat"):
            where = f"{forum} {width}x{height} {theme}"
            await page.goto(f"/forums/{forum}/projector?theme={theme}")
            await page.wait_for_selector("#conn[data-state=live]")
            broken = await page.evaluate(WORDS_WHOLE)
            if broken:
                problems.append(f"{where}: the name breaks inside {broken}")
            hidden = [c for c, ok in await page.evaluate(COLUMNS_IN_VIEW) if not ok]
            if hidden:
                problems.append(f"{where}: columns out of view {hidden}")
            head = await page.locator(".projector-head").bounding_box()
            assert head
            if head["height"] > 0.25 * height:
                problems.append(f"{where}: the head takes {head['height']:.0f} of {height}px")
            if forum == "eat":
                await expect(page.locator(".card .link-from").first).to_be_visible()
            found = serious(await violations(page, source))
            if found:
                problems.append(report(where, found))
    await expect(page.locator("body")).to_have_class(f"projector theme-{theme} kind-eat")
    assert not problems, "\n".join(problems)
    await context.close()


PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True}


async def test_the_room_joins_from_the_projector_while_the_facilitator_lets_it(
    browser: Browser,
    server: ServerProcess,
    forum: dict[str, Any],
    join: Join,
    page_errors: PageErrors,
) -> None:
    forum_id = forum["id"]
    fay = await join("Fay Lead")  # the facilitator
    pia = await join("Pia", role="participant")
    links = await asyncio.to_thread(server.links, forum_id)
    host = server.url.split("://", 1)[1]
    wall_context = await browser.new_context(
        base_url=server.url, viewport={"width": 1280, "height": 720}
    )
    wall = await wall_context.new_page()
    wall.on("pageerror", lambda err: page_errors.on_page_error("projector", err))
    await wall.goto(f"/forums/{forum_id}/projector?token={links['viewer']}")
    await wall.wait_for_selector("#conn[data-state=live]")
    panel = wall.locator("#join")
    # Off (SPEC R47): the forum's address, and whom to ask: the facilitator here.
    await expect(panel).to_have_attribute("data-room", "off")
    await expect(panel).to_contain_text("To join, ask Fay Lead or the admin for a link")
    await expect(wall.locator(".join-link")).to_have_text(f"{host}/forums/{forum_id}")

    # The facilitator lets the room join: the wall and everyone's page follow, live.
    await fay.page.get_by_label("Let people in the room join from the projector").check()
    await expect(panel).to_have_attribute("data-room", "on")
    room_link = f"{host}/forums/{forum_id}/join?token={links['room']}"
    await expect(wall.locator(".join-link")).to_have_text(room_link)
    await expect(panel).to_contain_text("Scan to join as a participant")
    await expect(pia.page.locator("#room-join")).to_contain_text(
        "People in the room may join from the projector"
    )
    # Only the facilitator has the toggle (R45).
    await expect(pia.page.get_by_label("Let people in the room join")).to_have_count(0)

    # A phone scans the code: the name prompt names the forum and the role, then the board.
    phone_context = await browser.new_context(base_url=server.url, **PHONE)  # type: ignore[arg-type]
    phone = await phone_context.new_page()
    phone.on("pageerror", lambda err: page_errors.on_page_error("phone", err))
    await phone.goto(f"http://{room_link}")
    await expect(phone.locator(".name-for")).to_have_text(
        "You are joining E2E forum as participant."
    )
    await phone.fill("#name-input", "Phil")
    await phone.locator("main form button[type=submit]").tap()
    await phone.wait_for_url(f"**/forums/{forum_id}")
    await expect(phone.locator("#forum")).to_have_attribute("data-role", "participant")
    await phone.wait_for_selector("#conn[data-state=live]")
    await expect(fay.page.locator("#presence-list")).to_contain_text("Phil")

    # Off again: the wall asks, and a new phone is told whom to ask, not let in.
    await fay.page.get_by_label("Let people in the room join from the projector").uncheck()
    await expect(panel).to_have_attribute("data-room", "off")
    await expect(panel).to_contain_text("To join, ask Fay Lead or the admin for a link")
    late_context = await browser.new_context(base_url=server.url, **PHONE)  # type: ignore[arg-type]
    late = await late_context.new_page()
    answer = await late.goto(f"http://{room_link}")
    assert answer is not None and answer.status == 403
    await expect(late.get_by_role("heading", level=1)).to_have_text("Joining from the room is off")
    await expect(late.locator("main")).to_contain_text("ask Fay Lead or the admin for a link")
    # Phil, already in, stays in.
    await phone.reload()
    await expect(phone.locator("#forum")).to_have_attribute("data-role", "participant")
    await phone.wait_for_selector("#conn[data-state=live]")

    # On again, then a new room link (confirmed): the wall shows it without a reload,
    # and Phil, who came in by the old one, is cut off.
    toggle = fay.page.get_by_label("Let people in the room join from the projector")
    await toggle.check()
    await expect(panel).to_have_attribute("data-room", "on")
    fay.page.once("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
    await fay.page.locator(".forum-more summary").click()  # the facilitator's "More" menu
    await fay.page.get_by_role("button", name="New room link").click()
    await expect(fay.page.locator(".toast")).to_contain_text("The room link was replaced")
    assert fay.page.url.endswith(f"/forums/{forum_id}")  # the notice is shown once
    new = (await asyncio.to_thread(server.links, forum_id))["room"]
    assert new != links["room"]
    await expect(wall.locator(".join-link")).to_have_text(
        f"{host}/forums/{forum_id}/join?token={new}", timeout=15_000
    )
    await expect(phone.locator("#conn")).to_have_attribute("data-state", "forbidden")
    for context in (wall_context, phone_context, late_context):
        await context.close()

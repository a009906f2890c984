"""A forum session from start to end, its read-only snapshot, and the next session."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from playwright.async_api import expect

from tests.support import ServerProcess

from .support import READ_COLUMNS, Join, add_card, same_board_everywhere

pytestmark = pytest.mark.e2e


async def test_a_session_is_recorded_and_its_open_steps_carry_over(
    server: ServerProcess, forum: dict[str, Any], join: Join
) -> None:
    fid = forum["id"]
    red = await add_card(server, fid, "new", "Build is red")
    login = await add_card(server, fid, "removing", "Flaky login")
    maya = await join("Maya Chen")
    leo = await join("Leo Martin")
    due = dt.date.today() + dt.timedelta(days=30)

    # Start.
    await maya.page.click("[data-action=start-session]")
    for person in (maya, leo):
        await expect(person.page.locator("#session-title")).to_contain_text("Session 1")
        await expect(person.page.locator("#session-title .badge")).to_have_text("running")

    # A decision about a card.
    await maya.page.click("[data-action=record-decision]")
    await expect(maya.page.locator("#decision-cards .pick-title")).to_have_text(
        ["Build is red", "Flaky login"]
    )
    await maya.page.fill("#decision-text", "Escalate the red build to the EAT")
    await maya.page.check(f"#decision-cards input[value='{red}']")
    await maya.page.click("#decision-dialog button[type=submit]")
    await expect(maya.page.locator("#decision-dialog")).to_be_hidden()
    for person in (maya, leo):
        decision = person.page.locator("#decision-list li.decision")
        await expect(decision).to_have_count(1)
        await expect(decision.locator(".decision-text")).to_have_text(
            "Escalate the red build to the EAT"
        )
        await expect(decision.locator(".card-ref")).to_have_text("Build is red")
        await expect(decision.locator(".meta")).to_contain_text("Maya Chen")

    # A next step with an owner and a due date, from the other screen.
    await leo.page.click("[data-action=add-next-step]")
    await leo.page.fill("#step-text", "Ask the platform team for a second staging DB")
    await leo.page.fill("#step-owner", "Priya Nair")
    await leo.page.fill("#step-due", due.isoformat())
    await leo.page.check(f"#step-cards input[value='{login}']")
    await leo.page.click("#step-dialog button[type=submit]")
    await expect(leo.page.locator("#step-dialog")).to_be_hidden()
    due_text = due.strftime("%d %b %Y")
    for person in (maya, leo):
        step = person.page.locator("#steps-current li.step")
        await expect(step).to_have_count(1)
        await expect(step.locator(".step-text")).to_have_text(
            "Ask the platform team for a second staging DB"
        )
        await expect(step.locator(".owner")).to_have_text("Owner: Priya Nair")
        await expect(step.locator("time")).to_have_text(due_text)
        await expect(step.locator("time")).to_have_attribute("datetime", due.isoformat())
        await expect(step.locator(".status")).to_have_text("open")
    step_op = leo.sent_ops("add_next_step")[0]
    assert (step_op["owner"], step_op["due"], step_op["cards"]) == (
        "Priya Nair",
        due.isoformat(),
        [login],
    )
    await expect(maya.page.locator("#session-status .participants")).to_contain_text("Leo Martin")

    # End it through the end dialog.
    await maya.page.click("[data-action=end-session]")
    await expect(maya.page.locator("#end-dialog")).to_be_visible()
    await maya.page.click("#end-dialog button[type=submit]")
    await expect(maya.page.locator("#end-dialog")).to_be_hidden()
    for person in (maya, leo):
        await expect(person.page.locator("#session-title")).to_have_text("No session running")
        await expect(person.page.locator("#session-status")).to_contain_text("1 session held.")
    at_end = await same_board_everywhere(server, fid, maya, leo)

    # The board moves on after the session…
    await maya.drag(red, "removed")
    await same_board_everywhere(server, fid, maya, leo)

    # …but the snapshot keeps it as it stood, read-only.
    await leo.page.click("#session-status a:text-is('Open the last one')")
    await leo.page.wait_for_url(f"**/sessions/{fid}-1")
    snap = leo.page
    await expect(snap.locator("h1")).to_have_text("E2E forum — session 1")
    await expect(snap.locator(".session-facts")).to_contain_text("ended by Maya Chen")
    await expect(snap.locator(".participants")).to_contain_text("Maya Chen")
    await expect(snap.locator(".participants")).to_contain_text("Leo Martin")
    assert await snap.evaluate(READ_COLUMNS) == at_end
    await expect(snap.locator(f"#card-{red} .card-title")).to_have_text("Build is red")
    await expect(snap.locator(".decision-text")).to_have_text(["Escalate the red build to the EAT"])
    await expect(snap.locator(".decision .card-ref")).to_have_text(["Build is red"])
    await expect(snap.locator(".step-text")).to_have_text(
        ["Ask the platform team for a second staging DB"]
    )
    await expect(snap.locator(".step .owner")).to_have_text(["Owner: Priya Nair"])
    await expect(snap.locator(".step time")).to_have_text([due_text])
    # Nothing to edit, drag or press.
    await expect(snap.locator("main [data-action]")).to_have_count(0)
    await expect(snap.locator("main button")).to_have_count(0)
    await expect(snap.locator("li.card[tabindex]")).to_have_count(0)
    await expect(snap.locator("dialog")).to_have_count(0)

    # The next session shows the open step under "From earlier sessions".
    await leo.page.goto(f"/forums/{fid}")
    await leo.wait_live()
    await maya.page.click("[data-action=start-session]")
    for person in (maya, leo):
        page = person.page
        await expect(page.locator("#session-title")).to_contain_text("Session 2")
        await expect(page.locator("#next-steps h3").first).to_have_text("From earlier sessions")
        earlier = page.locator("#steps-earlier li.step")
        await expect(earlier).to_have_count(1)
        await expect(earlier.locator(".step-text")).to_have_text(
            "Ask the platform team for a second staging DB"
        )
        await expect(page.locator("#steps-current li.step")).to_have_count(0)
        await expect(page.locator("#decision-list li")).to_have_count(0)

    # Marking it done is seen live.
    await leo.page.locator("#steps-earlier [data-action=step-done]").click()
    for person in (maya, leo):
        step = person.page.locator("#steps-earlier li.step")
        await expect(step.locator(".status")).to_have_text("done")
        await expect(step).to_have_class(re.compile(r"\bstatus-done\b"))
        await expect(step.locator("[data-action=step-reopen]")).to_have_count(1)
    await same_board_everywhere(server, fid, maya, leo)

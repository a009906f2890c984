"""What a person cannot send, and what they see when the server says no."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.async_api import expect

from tests.support import ServerProcess

from .support import Join, add_card, same_board_everywhere

pytestmark = pytest.mark.e2e

# The server's wording may change; these are what a person must be able to read.
NO_SESSION = re.compile(r"no session is running", re.IGNORECASE)
EMPTY_TITLE = re.compile(r"title cannot be empty", re.IGNORECASE)


async def test_an_empty_title_is_not_sent_and_a_long_one_stops_at_maxlength(
    server: ServerProcess, forum: dict[str, Any], join: Join
) -> None:
    fid = forum["id"]
    maya = await join("Maya Chen")
    leo = await join("Leo Martin")
    page = maya.page
    dialog = page.locator("#card-dialog")
    title = page.locator("#card-title")

    await page.click("#col-new [data-action=add-card]")
    await expect(dialog).to_be_visible()
    await page.click("#card-dialog button[type=submit]")
    await title.press("Enter")
    await expect(dialog).to_be_visible()  # the browser refused the form
    assert await title.evaluate("(el) => el.validity.valueMissing")
    assert await title.evaluate("(el) => el.validationMessage") != ""

    # maxlength (the server's limit, 200): typing stops there.
    assert await title.get_attribute("maxlength") == "200"
    await title.fill("x" * 199)
    await title.press_sequentially("abcdef")
    value = await title.input_value()
    assert value == "x" * 199 + "a"
    await page.click("#card-dialog button[type=submit]")
    await expect(dialog).to_be_hidden()

    # Only the valid card went out, and everyone has it.
    sent = maya.sent_ops("add_card")
    assert [op["title"] for op in sent] == [value]
    await expect(leo.page.locator("#col-new .card-title")).to_have_text([value])
    board = await same_board_everywhere(server, fid, maya, leo)
    assert len(board[0][1]) == 1


async def test_the_servers_refusals_are_shown_in_words(
    server: ServerProcess, forum: dict[str, Any], join: Join
) -> None:
    fid = forum["id"]
    await add_card(server, fid, "new", "Build is red")
    maya = await join("Maya Chen")
    leo = await join("Leo Martin")
    page = maya.page

    # Spaces pass `required` but not the server: the dialog stays open and says why.
    await page.click("#col-new [data-action=add-card]")
    await page.fill("#card-title", "   ")
    await page.click("#card-dialog button[type=submit]")
    error = page.locator("#card-dialog .form-error")
    await expect(error).to_be_visible()
    await expect(error).to_have_text(EMPTY_TITLE)
    await expect(page.locator("#card-dialog")).to_be_visible()
    await expect(page.locator("#card-dialog button[type=submit]")).to_be_enabled()
    await page.click("#card-dialog [data-action=close-dialog]")
    await expect(page.locator("#card-dialog")).to_be_hidden()

    # An operation sent straight through the connection, with no one waiting for
    # its answer: the refusal still shows, as a toast.
    await maya.send({"type": "record_decision", "text": "We ship on Friday"})
    toast = page.locator("#toasts .toast.error")
    await expect(toast).to_have_text(NO_SESSION)
    await expect(toast).to_have_attribute("role", "alert")
    await expect(leo.page.locator("#toasts .toast")).to_have_count(0)  # R7: sender only

    # A race: Maya has the decision dialog open when Leo ends the session.
    await page.click("[data-action=start-session]")
    await expect(leo.page.locator("#session-title")).to_contain_text("Session 1")
    await page.click("[data-action=record-decision]")
    await page.fill("#decision-text", "Escalate the red build")
    await leo.page.click("[data-action=end-session]")
    await leo.page.click("#end-dialog button[type=submit]")
    await expect(page.locator("#session-title")).to_have_text("No session running")
    await page.click("#decision-dialog button[type=submit]")
    error = page.locator("#decision-dialog .form-error")
    await expect(error).to_have_text(NO_SESSION)
    await expect(page.locator("#decision-dialog")).to_be_visible()
    await maya.settled()

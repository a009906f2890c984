"""Two people on one live board: moves by mouse and by keyboard, the card dialog,
archive and restore, and the same card dragged by both at once.

A Scrum of Scrums forum has the columns new, removing ("Being removed"), needs-eat
and removed. Every test ends by checking both pages against the server's board.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest
from playwright.async_api import expect

from tests.support import ServerProcess

from .support import Join, add_card, same_board_everywhere

pytestmark = pytest.mark.e2e


def board(**cols: list[str]) -> list[list[Any]]:
    """The expected board, columns in their page order (empty unless given)."""
    order = ("new", "removing", "needs_eat", "removed")
    return [[c.replace("_", "-"), cols.get(c, [])] for c in order]


async def test_a_mouse_drag_lands_in_the_same_place_for_everyone(
    server: ServerProcess, forum: dict[str, Any], join: Join
) -> None:
    fid = forum["id"]
    red = await add_card(server, fid, "new", "Build is red")
    login = await add_card(server, fid, "new", "Flaky login")
    env = await add_card(server, fid, "new", "No test environment")
    api = await add_card(server, fid, "removing", "API contract unclear")
    db = await add_card(server, fid, "removing", "Shared staging DB")
    maya = await join("Maya Chen")
    leo = await join("Leo Martin")

    # Into the middle of another column.
    await maya.drag(login, "removing", before=db)
    expected = board(new=[red, env], removing=[api, login, db])
    await maya.wait_columns(expected)  # at once, before the server answers
    await leo.wait_columns(expected)
    assert await same_board_everywhere(server, fid, maya, leo) == expected
    await expect(leo.page.locator("#col-removing [data-count]")).to_have_text("3")
    await expect(leo.page.locator("#col-new [data-count]")).to_have_text("2")

    # The other person: to an empty column, then to the top of a column.
    await leo.drag(red, "needs-eat")
    await leo.drag(env, "removing", before=api)
    expected = board(removing=[env, api, login, db], needs_eat=[red])
    await maya.wait_columns(expected)
    assert await same_board_everywhere(server, fid, maya, leo) == expected

    # A drag is one operation, sent on drop (SPEC R14), and does not open the card.
    assert len(maya.sent_ops("move_card")) == 1
    assert len(leo.sent_ops("move_card")) == 2
    for person in (maya, leo):
        await expect(person.page.locator("#card-dialog")).to_be_hidden()
        await expect(person.page.locator(".ghost")).to_have_count(0)


async def test_the_keyboard_alone_moves_a_card_and_says_where_it_is(
    server: ServerProcess, forum: dict[str, Any], join: Join
) -> None:
    fid = forum["id"]
    red = await add_card(server, fid, "new", "Build is red")
    login = await add_card(server, fid, "new", "Flaky login")
    api = await add_card(server, fid, "removing", "API contract unclear")
    maya = await join("Maya Chen")
    leo = await join("Leo Martin")
    page = maya.page
    announcer = page.locator("#announcer")

    card = maya.card(red)
    await card.focus()
    await page.keyboard.press("Space")
    await expect(announcer).to_have_text(
        "Picked up Build is red. New, position 1 of 2. "
        "Arrow keys move it, Space drops it, Escape cancels."
    )
    await expect(card).to_have_class(re.compile(r"\bheld\b"))
    await page.keyboard.press("ArrowRight")
    await expect(announcer).to_have_text("Being removed, position 1 of 2")
    await page.keyboard.press("ArrowDown")
    await expect(announcer).to_have_text("Being removed, position 2 of 2")
    await page.keyboard.press("Space")
    await expect(announcer).to_have_text("Dropped Build is red. Being removed, position 2 of 2.")
    await expect(card).not_to_have_class(re.compile(r"\bheld\b"))
    await expect(card).to_be_focused()

    expected = board(new=[login], removing=[api, red])
    await leo.wait_columns(expected)
    assert await same_board_everywhere(server, fid, maya, leo) == expected
    await expect(card).to_be_focused()  # still, after the server's echo of the move

    # Escape puts a picked-up card back and sends nothing.
    other = maya.card(login)
    await other.focus()
    await page.keyboard.press("Space")
    await page.keyboard.press("ArrowRight")
    await expect(announcer).to_have_text("Being removed, position 1 of 3")
    await page.keyboard.press("Escape")
    await expect(announcer).to_have_text(
        "Move cancelled. Flaky login is back in New, position 1 of 1."
    )
    await maya.wait_columns(expected)
    await expect(other).to_be_focused()
    assert len(maya.sent_ops("move_card")) == 1
    assert await same_board_everywhere(server, fid, maya, leo) == expected

    # Enter opens the focused card.
    await page.keyboard.press("Enter")
    await expect(page.locator("#card-dialog-title")).to_have_text("Edit card")
    await expect(page.locator("#card-title")).to_have_value("Flaky login")
    await page.keyboard.press("Escape")
    await expect(page.locator("#card-dialog")).to_be_hidden()


async def test_a_card_added_edited_archived_and_restored_is_seen_live(
    server: ServerProcess, forum: dict[str, Any], join: Join
) -> None:
    fid = forum["id"]
    maya = await join("Maya Chen")
    leo = await join("Leo Martin")
    page = maya.page

    # Add through the dialog.
    await page.click("#col-removing [data-action=add-card]")
    dialog = page.locator("#card-dialog")
    await expect(dialog).to_be_visible()
    await expect(page.locator("#card-dialog-title")).to_have_text("Add a card")
    await expect(page.locator("#card-column")).to_have_value("removing")
    await expect(page.locator("#card-title")).to_be_focused()
    await page.fill("#card-title", "Staging DB is shared")
    await page.fill("#card-body", "Two teams overwrite each other's data.")
    await page.select_option("#card-kind", "dependency")
    await page.fill("#card-owner", "Priya Nair")
    await page.click("#card-dialog button[type=submit]")
    await expect(dialog).to_be_hidden()

    seen = leo.page.locator("#col-removing li.card")
    await expect(seen).to_have_count(1)
    cid = await seen.get_attribute("data-card")
    assert cid
    for person in (maya, leo):
        card = person.card(cid)
        await expect(card.locator(".card-title")).to_have_text("Staging DB is shared")
        await expect(card.locator(".card-body")).to_have_text(
            "Two teams overwrite each other's data."
        )
        await expect(card.locator(".kind-label")).to_have_text("Dependency")
        await expect(card.locator(".owner")).to_have_text("Owner Priya Nair")
        await expect(person.page.locator("#col-removing [data-count]")).to_have_text("1")

    # The other person edits it.
    await leo.card_action(cid, "edit")
    await expect(leo.page.locator("#card-dialog-title")).to_have_text("Edit card")
    await expect(leo.page.locator("#card-title")).to_have_value("Staging DB is shared")
    await expect(leo.page.locator("#card-title")).to_be_focused()
    # The column picker is there when editing too (issue 13), on the card's column.
    await expect(leo.page.locator("#card-column")).to_be_visible()
    await expect(leo.page.locator("#card-column")).to_have_value("removing")
    await expect(leo.page.locator("#card-owner")).to_have_value("Priya Nair")
    await leo.page.fill("#card-title", "Staging DB shared by three teams")
    await leo.page.fill("#card-owner", "")
    await leo.page.click("#card-dialog button[type=submit]")
    await expect(leo.page.locator("#card-dialog")).to_be_hidden()
    for person in (maya, leo):
        card = person.card(cid)
        await expect(card.locator(".card-title")).to_have_text("Staging DB shared by three teams")
        await expect(card.locator(".owner")).to_have_count(0)
        await expect(card.locator(".kind-label")).to_have_text("Dependency")
    edits = leo.sent_ops("edit_card")
    assert len(edits) == 1 and edits[0]["card"] == cid

    # Archive: it leaves the column for the archive, on both screens.
    await maya.card_action(cid, "archive")
    for person in (maya, leo):
        await expect(person.page.locator(f"#archived-cards #card-{cid}")).to_have_count(1)
        await expect(person.page.locator(f"#columns #card-{cid}")).to_have_count(0)
        await expect(person.page.locator("#archive summary [data-count]")).to_have_text("1")
        await expect(person.page.locator("#col-removing [data-count]")).to_have_text("0")
    assert await same_board_everywhere(server, fid, maya, leo) == board()

    # Restore from the other screen's archive.
    await leo.page.click("#archive > summary")
    await leo.page.locator(f"#archived-cards #card-{cid} [data-action=restore]").click()
    for person in (maya, leo):
        await expect(person.page.locator(f"#col-removing #card-{cid}")).to_have_count(1)
        await expect(person.page.locator(f"#archived-cards #card-{cid}")).to_have_count(0)
        await expect(person.page.locator("#archive summary [data-count]")).to_have_text("0")
        await expect(person.card(cid).locator("[data-action=edit]")).to_have_count(1)
    assert await same_board_everywhere(server, fid, maya, leo) == board(removing=[cid])


async def test_the_same_card_dropped_by_two_people_at_once_ends_the_same_everywhere(
    server: ServerProcess, forum: dict[str, Any], join: Join
) -> None:
    fid = forum["id"]
    card = await add_card(server, fid, "new", "Release train blocked")
    others = {
        col: await add_card(server, fid, col, f"Something in {col}")
        for col in ("new", "removing", "needs-eat", "removed")
    }
    maya = await join("Maya Chen")
    leo = await join("Leo Martin")

    rounds = [("removing", "needs-eat"), ("removed", "new"), ("needs-eat", "removing")]
    for maya_to, leo_to in rounds:
        # Both pick the card up and carry it to different columns, then drop together.
        await maya.press_card_grab(card)
        await maya.drag_over(maya_to, before=others[maya_to])
        await leo.press_card_grab(card)
        await leo.drag_over(leo_to, before=others[leo_to])
        await asyncio.gather(maya.page.mouse.up(), leo.page.mouse.up())

        final = await same_board_everywhere(server, fid, maya, leo)
        where = [col for col, ids in final if card in ids]
        assert where in ([maya_to], [leo_to]), final
        for person in (maya, leo):
            await expect(person.page.locator(".ghost")).to_have_count(0)
            await expect(person.page.locator(".placeholder")).to_have_count(0)


async def test_a_drag_yields_when_someone_else_moves_the_card_first(
    server: ServerProcess, forum: dict[str, Any], join: Join
) -> None:
    fid = forum["id"]
    card = await add_card(server, fid, "new", "Release train blocked")
    maya = await join("Maya Chen")
    leo = await join("Leo Martin")

    await leo.press_card_grab(card)
    await leo.drag_over("needs-eat")  # Leo is still holding the mouse button
    await maya.drag(card, "removing")
    expected = board(removing=[card])
    await leo.wait_columns(expected)  # Maya's move wins; Leo's drag lets go
    await expect(leo.page.locator(".ghost")).to_have_count(0)
    await expect(leo.page.locator("body")).not_to_have_class(re.compile(r"\bdragging\b"))
    await leo.page.mouse.up()  # nothing left to drop
    assert leo.sent_ops("move_card") == []
    assert await same_board_everywhere(server, fid, maya, leo) == expected

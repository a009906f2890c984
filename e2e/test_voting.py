"""Grouping and dot voting in the browser (issue 5, SPEC R25-R28): two participants group
cards (with the "Group with…" dialog and by dropping a card onto another), name the
cluster, vote within their dots, and see nothing of each other's votes until the
facilitator closes the vote; then both see the discussion order and the counts."""

from __future__ import annotations

import asyncio
import re

import pytest
from playwright.async_api import expect

from tests.support import ServerProcess

from .support import Join, Person, add_card

pytestmark = pytest.mark.e2e


async def phase(fay: Person, name: str, *people: Person) -> None:
    await fay.send({"type": "set_phase", "phase": name})
    for person in (fay, *people):
        await expect(person.page.locator("#voting")).to_have_attribute(
            "data-phase", name, timeout=10_000
        )


async def test_group_vote_and_discuss(join: Join, server: ServerProcess) -> None:
    forum = await asyncio.to_thread(server.new_forum, "retro", "Retro")
    fid = forum["id"]
    fay = await join("Fay", forum_id=fid)
    await fay.send({"type": "start_session"})
    ci = await add_card(server, fid, "went-well", "Fast CI")
    flaky = await add_card(server, fid, "to-improve", "Flaky tests")
    slow = await add_card(server, fid, "to-improve", "Slow reviews")
    ana = await join("Ana", forum_id=fid, role="participant")
    bo = await join("Bo", forum_id=fid, role="participant")
    for name in ("write", "reveal"):
        await fay.send({"type": "set_phase", "phase": name})
    await phase(fay, "group", ana, bo)

    # Group with… (keyboard): Ana puts "Slow reviews" with "Flaky tests".
    await ana.card(slow).get_by_role("button", name="Actions for card Slow reviews").focus()
    await ana.page.keyboard.press("Enter")  # opens the menu on its first item, "Group with…"
    await expect(ana.card(slow).get_by_role("menuitem", name="Group with…")).to_be_focused()
    await ana.page.keyboard.press("Enter")
    dialog = ana.page.locator("#group-dialog")
    await expect(dialog).to_be_visible()
    await ana.page.get_by_label("Put it in a cluster with").select_option(flaky)
    await ana.page.keyboard.press("Tab")
    await dialog.get_by_role("button", name="Group").press("Enter")
    await expect(dialog).to_be_hidden()
    # SPEC R49: the cluster is one box under its name, drawn for everyone.
    for person in (ana, bo):
        label = person.card(flaky).locator(".cluster-label")
        await expect(label).to_have_text(re.compile(r"^Cluster\s*Flaky tests"))
        await expect(person.card(slow)).to_have_class(re.compile(r"\bin-cluster\b"))
        await expect(person.page.locator(".cluster-label")).to_have_count(1)

    # Bo drops "Fast CI" onto "Flaky tests": it joins the same cluster.
    await bo.press_card_grab(ci)
    box = await bo.card(flaky).bounding_box()
    assert box
    await bo.page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, steps=12)
    await expect(bo.card(flaky)).to_have_class(re.compile(r"\bdrop-onto\b"))
    await bo.page.mouse.up()
    # It is gathered into the cluster's box: moved after the cluster's cards, for everyone.
    await expect(ana.card(ci)).to_have_attribute("data-column", "to-improve")
    await expect(ana.card(ci)).to_have_class(re.compile(r"\bcluster-end\b"))
    await expect(ana.page.locator(".cluster-label")).to_have_count(1)

    # Ana names the cluster in the Clusters panel; the chips follow.
    await ana.page.get_by_label("Name of the cluster").fill("Our pipeline")
    await ana.page.locator("#voting").get_by_role("button", name="Save").click()
    for person in (ana, bo, fay):
        label = person.card(flaky).locator(".cluster-label")
        await expect(label).to_contain_text("Our pipeline")
    await expect(bo.page.locator("#voting .cluster-cards li")).to_have_count(3)

    # Vote: 2 dots each; Ana uses both on the cluster, and cannot add a third.
    await fay.send({"type": "configure_retro", "dots": 2})
    await phase(fay, "vote", ana, bo)
    await expect(ana.page.locator("#my-votes")).to_contain_text("2 of 2 dots left")
    plus = ana.page.get_by_role("button", name="+ Dot for Our pipeline")
    await plus.click()
    await expect(ana.page.locator("#my-votes")).to_contain_text("1 of 2 dots left")
    await plus.click()
    await expect(ana.page.locator("#my-votes")).to_contain_text("0 of 2 dots left")
    await expect(plus).to_be_disabled()
    await expect(ana.card(flaky).locator(".cluster-count")).to_have_text("Your dots: 2")
    await ana.send({"type": "cast_vote", "target": slow})
    await expect(ana.page.locator("#toasts")).to_contain_text("You have used all 2 dots")

    # Bo sees that one person voted, not for what; he still has his own dots.
    await expect(bo.page.locator("#voting .voters")).to_contain_text("1 person has voted")
    await expect(bo.page.locator("#my-votes")).to_contain_text("2 of 2 dots left")
    await expect(bo.page.locator(".vote-badge, .cluster-count")).to_have_count(0)
    await expect(fay.page.locator(".vote-badge, .cluster-count")).to_have_count(0)
    await bo.page.get_by_role("button", name="+ Dot for Our pipeline").click()
    await expect(bo.page.locator("#my-votes")).to_contain_text("1 of 2 dots left")
    await expect(ana.page.locator("#voting .voters")).to_contain_text("2 people have voted")
    await expect(ana.card(flaky).locator(".cluster-count")).to_have_text("Your dots: 2")

    # The facilitator closes the vote: the discussion order with the counts, for all.
    await phase(fay, "discuss", ana, bo)
    for person in (ana, bo, fay):
        order = person.page.locator("#voting .discussion-order > li")
        await expect(order.first).to_contain_text("3 votes")
        await expect(order.first).to_contain_text("Our pipeline")
        await expect(person.card(flaky).locator(".cluster-count")).to_have_text("3 votes")

"""Clusters drawn as boxes and what can be voted on, in two browsers (issue 13.6):

- SPEC R49: grouping gathers a card into its cluster's box, drawn under the cluster's
  name for everyone; renaming and moving re-draw it for everyone.
- SPEC R48: a "Went well" card has no dot control, and a dot sent for one anyway is
  refused with a clear reason that changes nothing."""

from __future__ import annotations

import asyncio
import re

import pytest
from playwright.async_api import expect

from tests.support import ServerProcess

from .support import Join, add_card

pytestmark = pytest.mark.e2e


async def test_a_cluster_is_one_box_and_went_well_takes_no_dots(
    join: Join, server: ServerProcess
) -> None:
    forum = await asyncio.to_thread(server.new_forum, "retro", "Boxes")
    fid = forum["id"]
    pairing = await add_card(server, fid, "went-well", "Pairing")
    flaky = await add_card(server, fid, "to-improve", "Flaky tests")
    mob = await add_card(server, fid, "ideas", "Mob on flaky ones")
    fay = await join("Fay", fid)
    pat = await join("Pat", fid, role="participant")
    await fay.send({"type": "start_session"})
    for name in ("write", "reveal", "group"):
        await fay.send({"type": "set_phase", "phase": name})
    await expect(pat.page.locator("#voting")).to_have_attribute("data-phase", "group")

    # Pat groups "Mob" with "Flaky tests" from its menu: it moves into Flaky's box.
    await pat.card(mob).get_by_role("button", name="Actions for card Mob on flaky ones").click()
    await pat.card(mob).get_by_role("menuitem", name="Group with…").click()
    await pat.page.get_by_label("Put it in a cluster with").select_option(flaky)
    await pat.page.locator("#group-dialog").get_by_role("button", name="Group").click()
    for person in (pat, fay):
        await expect(person.card(mob)).to_have_attribute("data-column", "to-improve")
        label = person.card(flaky).locator(".cluster-label")
        await expect(label).to_have_text(re.compile(r"^Cluster\s*Flaky tests$"))
        await expect(person.card(flaky)).to_have_class(re.compile(r"\bcluster-start\b"))
        await expect(person.card(mob)).to_have_class(re.compile(r"\bcluster-end\b"))
        await expect(person.card(pairing)).not_to_have_class(re.compile(r"\bin-cluster\b"))
    # The box is drawn around both cards: the label sits above the first, inside the frame.
    box = await fay.card(flaky).bounding_box()
    head = await fay.card(flaky).locator(".cluster-label").bounding_box()
    assert box and head and head["y"] + head["height"] <= box["y"]

    # The projector draws the same box (read-only: no dot control).
    wall = await fay.page.context.new_page()
    await wall.goto(f"/forums/{fid}/projector")
    await expect(wall.locator("#conn")).to_have_attribute("data-state", "live")
    await expect(wall.locator(f"#card-{flaky} .cluster-name-text")).to_have_text("Flaky tests")

    # Fay renames it: Pat's box and the projector's say the new name at once.
    await fay.page.get_by_label("Name of the cluster").fill("Our pipeline")
    await fay.page.locator("#voting").get_by_role("button", name="Save").click()
    await expect(pat.card(flaky).locator(".cluster-name-text")).to_have_text("Our pipeline")
    await expect(wall.locator(f"#card-{flaky} .cluster-name-text")).to_have_text("Our pipeline")

    # Fay moves "Flaky tests" to Ideas: each place the cluster's cards are is drawn
    # under its name, for everyone.
    await fay.send({"type": "move_card", "card": flaky, "column": "ideas", "index": 0})
    for person in (pat, fay):
        await expect(person.page.locator(".cluster-label")).to_have_count(2)
        await expect(person.card(mob).locator(".cluster-name-text")).to_have_text("Our pipeline")
    await fay.send({"type": "move_card", "card": flaky, "column": "to-improve", "index": 0})
    await expect(pat.page.locator(".cluster-label")).to_have_count(1)

    # Vote: "Went well" has no dot control; the cluster has one, on its box.
    await fay.send({"type": "set_phase", "phase": "vote"})
    await expect(pat.page.locator("#voting")).to_have_attribute("data-phase", "vote")
    await expect(pat.card(pairing).get_by_role("button", name=re.compile("Dot"))).to_have_count(0)
    await expect(pat.card(mob).locator(".card-dots")).to_have_count(0)  # the box's, not each card's
    plus = pat.page.get_by_role("button", name="+ Dot for Our pipeline")
    await expect(plus).to_have_count(1)
    await plus.click()
    await expect(pat.card(flaky).locator(".cluster-count")).to_have_text("Your dots: 1")
    await expect(pat.page.locator("#voting .topics")).not_to_contain_text("Pairing")
    await expect(pat.page.locator("#voting .unvoted")).to_have_text(
        "Cards in “Went well” are not voted on."
    )
    # A dot sent for "Went well" anyway is refused, clearly, and changes nothing.
    await pat.send({"type": "cast_vote", "target": pairing})
    await expect(pat.page.locator("#toasts")).to_contain_text(
        "Cards in “Went well” are not voted on."
    )
    await pat.settled()
    await expect(pat.page.locator("#my-votes .dots-left strong")).to_have_text("2")
    await expect(fay.page.locator("#voting .voters")).to_contain_text("1 person has voted")

    await expect(wall.locator(".card-dots")).to_have_count(0)  # the wall never votes

    # After the close the box carries the total, for everyone and on the wall.
    await fay.send({"type": "set_phase", "phase": "discuss"})
    await expect(wall.locator(f"#card-{flaky} .cluster-count")).to_have_text("1 vote")
    for person in (pat, fay):
        await expect(person.card(flaky).locator(".cluster-count")).to_have_text("1 vote")
        await expect(person.card(pairing).locator(".vote-badge")).to_have_count(0)

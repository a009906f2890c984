"""Standards and feedback loops against a real server (SPEC R66, R67, R68): adopting in
an EAT shows live on another forum's board, lists on /standards and the API, makes a
``standard.adopted`` webhook; feedback's outcome flows back live; and both survive a
restart between the two forums' writes."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from board import ops_standards as so
from tests.receiver import Receiver
from tests.support import (
    HttpResponse,
    LiveClient,
    ServerProcess,
    close_all,
    free_port,
    name_cookie,
    on_disk,
)
from tests.test_escalation_live import bearer, call, event, linked_pair
from tests.test_escalation_restart import commit_without_delivering, wait_for_link


async def eat_ready(server: ServerProcess, e: LiveClient) -> str:
    """A running session on the EAT of ``e``, with an improvement card: its id."""
    assert (await e.call({"type": "start_session"}))["type"] == "ack"
    add = {"type": "add_card", "column": "escalated", "title": "Trunk", "kind": "experiment"}
    return f"c{(await e.call(add))['seq']}"


def adopt_body(forum: str, text: str = "Merge to trunk daily") -> dict[str, Any]:
    return {"text": text, "applies": "forums", "forums": [forum], "effective": "2027-01-04"}


async def test_adopting_shows_live_on_the_forums_it_applies_to_and_lists(
    server: ServerProcess,
) -> None:  # SPEC R66, R67
    sos, eat = await linked_pair(server)
    e = await LiveClient.connect(server.ws_url(eat["id"]))
    s = await LiveClient.connect(server.ws_url(sos["id"]))
    try:
        card = await eat_ready(server, e)
        base = f"/api/forums/{eat['id']}"
        # bad input and the wrong role change nothing
        participant = server.links(eat["id"])["participant"]
        status, out = await call(
            server, "POST", f"{base}/cards/{card}/adopt", adopt_body(sos["id"]),
            headers=bearer(participant),
        )  # fmt: skip
        assert status == 403, out
        for bad in (
            {**adopt_body(sos["id"]), "text": "   "},
            {**adopt_body(sos["id"]), "forums": ["no-such-forum"]},
            {**adopt_body(sos["id"]), "applies": "kinds", "kinds": ["nope"]},
            {**adopt_body(sos["id"]), "applies": "sometimes"},
        ):
            status, out = await call(server, "POST", f"{base}/cards/{card}/adopt", bad)
            assert status == 400 and out["reason"], (bad, out)
        status, out = await call(
            server, "POST", f"/api/forums/{sos['id']}/cards/c1/adopt", adopt_body(sos["id"])
        )
        assert status in (400, 404), out  # not an EAT
        status, std = await call(
            server, "POST", f"{base}/cards/{card}/adopt", adopt_body(sos["id"])
        )
        assert status == 201, std
        assert std["text"] == "Merge to trunk daily" and std["forums"] == [sos["id"]]
        assert std["effective"] == "2027-01-04" and std["card"] == card
        shown = await event(s, lambda ev: ev["type"] == "standard_announced")
        assert shown["standard"]["text"] == "Merge to trunk daily"
        # the EAT's session records it as a decision
        board = await asyncio.to_thread(server.board, eat["id"])
        assert (
            board["session"]["decisions"][-1]["text"]
            == "Adopted as a standard: Merge to trunk daily"
        )
        # listed network-wide, filterable
        status, listed = await call(server, "GET", f"/api/standards?forum={sos['id']}")
        assert status == 200 and [x["id"] for x in listed] == [std["id"]]
        status, none = await call(server, "GET", f"/api/standards?forum={sos['id']}&status=retired")
        assert status == 200 and none == []
        page = await asyncio.to_thread(server.http, "GET", "/standards")
        assert page.status == 200 and "Merge to trunk daily" in page.text
        # retired with a reason: kept, and the forum is told
        status, out = await call(
            server, "POST", f"{base}/standards/{std['id']}/retire", {"reason": ""}
        )
        assert status == 400, out
        status, gone = await call(
            server, "POST", f"{base}/standards/{std['id']}/retire", {"reason": "Superseded"}
        )
        assert status == 200 and gone["retired_reason"] == "Superseded", gone
        word = await event(s, lambda ev: ev["type"] == "standard_announced")
        assert word["standard"]["retired_reason"] == "Superseded"
        status, listed = await call(
            server, "GET", f"/api/standards?forum={sos['id']}&status=retired"
        )
        assert [x["id"] for x in listed] == [std["id"]]
    finally:
        await close_all([e, s])


async def test_adoption_makes_a_standard_adopted_webhook(tmp_path: Path) -> None:
    # SPEC R60, R61, R66
    receiver = Receiver(free_port()).start()
    server = ServerProcess(tmp_path / "board.db", extra_args=["--hook-retry", "0.05"]).start()
    try:
        sos, eat = await linked_pair(server)
        body = {"url": receiver.url("std"), "kinds": ["standard.adopted"], "format": "json"}
        status, sub = await call(server, "POST", "/api/hooks", {**body, "forum_id": sos["id"]})
        assert status == 201, sub
        receiver.control(secrets={"/std": sub["secret"]}, mode="ok")
        e = await LiveClient.connect(server.ws_url(eat["id"]))
        try:
            card = await eat_ready(server, e)
            path = f"/api/forums/{eat['id']}/cards/{card}/adopt"
            status, std = await call(server, "POST", path, adopt_body(sos["id"]))
            assert status == 201, std
        finally:
            await e.close()
        stats = receiver.wait_for(lambda st: len(st["bodies"].get("/std", [])) >= 1)
        [got] = stats["bodies"]["/std"]
        assert stats["bad"] == 0
        assert got["kind"] == "standard.adopted" and got["standard"]["text"] == std["text"]
        assert got["forums"] == [eat["id"], sos["id"]]
    finally:
        server.stop()
        receiver.stop()


async def feedback_pair(server: ServerProcess) -> tuple[dict[str, Any], dict[str, Any], str, str]:
    """An SoS note sent to its EAT as process feedback: the forums and both cards."""
    sos, eat = await linked_pair(server)
    status, added = await call(
        server, "POST", f"/api/forums/{sos['id']}/cards",
        {"column": "new", "title": "Retro actions get lost", "kind": "note"},
    )  # fmt: skip
    assert status == 201, added
    card = added["id"]
    path = f"/api/forums/{sos['id']}/cards/{card}/send/feedback-process"
    status, out = await call(server, "POST", path, {"note": "Track them here?"})
    assert status == 201, out
    assert out["target_card"]["kind"] == "feedback"
    return sos, eat, card, out["target_card"]["id"]


async def test_feedback_outcome_flows_back_live(server: ServerProcess) -> None:
    # SPEC R68
    sos, eat, card, target = await feedback_pair(server)
    e = await LiveClient.connect(server.ws_url(eat["id"]))
    s = await LiveClient.connect(server.ws_url(sos["id"]))
    try:
        bad = await e.call({"type": "answer_feedback", "card": target, "outcome": "declined"})
        assert bad["type"] == "reject" and bad["code"] == "invalid"
        answer = {
            "type": "answer_feedback",
            "card": target,
            "outcome": "declined",
            "note": "Use the SoS board",
        }
        assert (await e.call(answer))["type"] == "ack"

        def declined(ev: dict[str, Any]) -> bool:
            sent = ev.get("card", {}).get("sent_to") if ev["type"] == "card_edited" else None
            return sent is not None and sent["status"] == "declined"

        got = await event(s, declined)
        assert got["card"]["sent_to"]["label"] == "Declined"
        assert got["card"]["sent_to"]["note"] == "Use the SoS board"
        done = {"type": "answer_feedback", "card": target, "outcome": "done"}
        assert (await e.call(done))["type"] == "ack"
        got = await event(
            s, lambda ev: ev["type"] == "card_edited" and ev["card"]["sent_to"]["status"] == "done"
        )
        assert got["card"]["id"] == card
    finally:
        await close_all([e, s])


async def test_outcomes_and_standards_reach_their_forum_after_a_restart(tmp_path: Path) -> None:
    # SPEC R18, R18a, R67, R68: committed, not delivered (a crash), delivered at the next start
    db = tmp_path / "board.db"
    server = ServerProcess(db).start()
    try:
        sos, eat, card, target = await feedback_pair(server)
        e = await LiveClient.connect(server.ws_url(eat["id"]))
        try:
            improvement = await eat_ready(server, e)
        finally:
            await e.close()
    finally:
        server.stop()
    answer = so.AnswerFeedback(card=target, outcome="accepted")
    await commit_without_delivering(db, eat["id"], answer, lose=True)  # reconcile's case
    server = ServerProcess(db).start()
    try:
        link = await wait_for_link(server, sos["id"], card, lambda x: x["status"] == "accepted")
        assert (link["status"], link["label"]) == ("accepted", "Accepted")
    finally:
        server.stop()
    adopt = so.AdoptStandard(
        card=improvement, text="Trunk daily", applies="forums", forums=(sos["id"],)
    )
    await commit_without_delivering(db, eat["id"], adopt, lose=False)  # the mail's case
    server = ServerProcess(db).start()
    try:
        deadline = asyncio.get_running_loop().time() + 15
        while True:
            board = await asyncio.to_thread(server.board, sos["id"])
            if board.get("standards") or asyncio.get_running_loop().time() > deadline:
                break
            await asyncio.sleep(0.1)
        assert [x["text"] for x in board["standards"]] == ["Trunk daily"]
    finally:
        server.stop()


def in_force_line(html: dict[str, Any]) -> str:
    """The markup of ``region:standards-here`` a frame carries (``""``: none)."""
    return str(html.get("region:standards-here", ""))


async def board_page(server: ServerProcess, forum_id: str) -> HttpResponse:
    """The forum's board page as a browser gets it (a reload)."""
    cookie = name_cookie(server, "Ann")
    page = await asyncio.to_thread(server.http, "GET", f"/forums/{forum_id}", headers=cookie)
    assert page.status == 200, page.status
    return page


async def region_with(client: LiveClient, kind: str) -> str:
    """The ``region:standards-here`` of the next batch with an event of ``kind``."""
    msg = await client.expect(
        "batch", match=lambda m: any(e["type"] == kind for it in m["items"] for e in it["events"])
    )
    return in_force_line(msg["html"])


async def test_the_standards_in_force_line_follows_live(server: ServerProcess) -> None:
    # SPEC R67: every client of a forum a standard applies to (and of the EAT) sees
    # "N standards in force here" change without a reload, as server-rendered markup.
    sos, eat = await linked_pair(server)
    e = await LiveClient.connect(server.ws_url(eat["id"]))
    first = await LiveClient.connect(server.ws_url(sos["id"]))
    second = await LiveClient.connect(server.ws_url(sos["id"]))
    try:
        page = await board_page(server, sos["id"])
        assert '<p class="standards-here" id="standards-here" hidden></p>' in page.text
        card = await eat_ready(server, e)
        base = f"/api/forums/{eat['id']}"
        bad = {**adopt_body(sos["id"]), "applies": "sometimes"}
        status, out = await call(server, "POST", f"{base}/cards/{card}/adopt", bad)
        assert status == 400, out  # refused: nothing changes, no region is sent
        status, std = await call(
            server, "POST", f"{base}/cards/{card}/adopt", adopt_body(sos["id"])
        )
        assert status == 201, std
        one = "1 standard in force here</a>"
        for client in (first, second):
            line = await region_with(client, "standard_announced")
            assert line.startswith('<p class="standards-here" id="standards-here">'), line
            assert one in line and f"/standards?forum={sos['id']}&amp;status=in-force" in line
        assert one in await region_with(e, "standard_adopted")  # the EAT's own line too
        # What a reload would show is what the clients were sent.
        page = await board_page(server, sos["id"])
        assert line in page.text
        # A client that connects now gets the line in its full welcome.
        late = await LiveClient.connect(server.ws_url(sos["id"]))
        welcome = next(m for m in late.received if m["type"] == "welcome")
        await late.close()
        assert welcome["full"] and in_force_line(welcome["html"]) == line

        status, gone = await call(
            server, "POST", f"{base}/standards/{std['id']}/retire", {"reason": "Superseded"}
        )
        assert status == 200, gone
        none = '<p class="standards-here" id="standards-here" hidden></p>'
        for client in (first, second):
            assert await region_with(client, "standard_announced") == none
        assert await region_with(e, "standard_retired") == none
        # Other batches carry no such region.
        moved = await first.call({"type": "add_card", "column": "new", "title": "Plain"})
        assert moved["type"] == "ack"
        batch = await second.expect("batch", match=lambda m: m["items"])
        assert "region:standards-here" not in batch["html"]
    finally:
        await close_all([e, first, second])


async def test_feedback_is_no_escalation_on_the_network_page_or_metrics(
    server: ServerProcess,
) -> None:
    # SPEC R68a, R32a, R8a: an impediment sent as feedback stays the SoS's open impediment
    # and is counted as feedback, not as an escalation, in the stored metrics.
    sos, eat = await linked_pair(server)
    s = await LiveClient.connect(server.ws_url(sos["id"]))
    e = await LiveClient.connect(server.ws_url(eat["id"]))
    try:
        added = await s.call({"type": "add_card", "column": "new", "title": "Standups drag"})
        card = f"c{added['seq']}"
        path = f"/api/forums/{sos['id']}/cards/{card}/send/feedback-process"
        status, out = await call(server, "POST", path)
        assert status == 201, out
        target = out["target_card"]["id"]
        answer = {"type": "answer_feedback", "card": target, "outcome": "done"}
        assert (await e.call(answer))["type"] == "ack"
        await event(
            s, lambda ev: ev["type"] == "card_edited" and ev["card"]["sent_to"]["status"] == "done"
        )
        await on_disk(s)  # the answer is in the SoS's stored log (R8a)
    finally:
        await close_all([s, e])
    status, net = await call(server, "GET", "/api/network")
    assert status == 200, net
    counts = {f["id"]: f["open_impediments"] for f in net["forums"]}
    assert (counts[sos["id"]], counts[eat["id"]]) == (1, 0)
    for forum, sent, received in ((sos, 1, 0), (eat, 0, 1)):
        status, report = await call(server, "GET", f"/api/forums/{forum['id']}/metrics?days=7")
        assert status == 200, report
        m = report["metrics"]
        assert (m["escalations"]["sent"], m["escalations"]["received"]) == (0, 0)
        assert m["escalations"]["items"] == []
        fb = m["feedback"]
        assert (fb["sent"], fb["received"], fb["answered"]) == (sent, received, 1)
        assert fb["outcomes"]["done"] == 1 and fb["time_to_answer"]["count"] == 1
    page = await asyncio.to_thread(server.http, "GET", f"/forums/{sos['id']}/metrics?days=7")
    assert '<strong data-metric="escalations-sent">0</strong>' in page.text
    assert '<strong data-metric="feedback-sent">1</strong>' in page.text

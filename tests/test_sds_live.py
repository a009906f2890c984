"""The Scaled Daily Scrum against a real server, two websocket clients (SPEC R54-R56):
who may run it, the round live on both screens, bad input refused to its sender only,
the record on the session page and in every export, and the round after a restart."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from board.export import check_import
from tests.support import LiveClient, ServerProcess, live_as


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A server of this module's own, with the demo network (it has the teams)."""
    proc = ServerProcess(tmp_path_factory.mktemp("sds") / "board.db", demo=True).start()
    yield proc
    proc.stop()


def events_of(batch: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for item in batch["items"] for e in item["events"]]


async def round_batch(client: LiveClient, action: str) -> dict[str, Any]:
    """The next batch carrying an ``sds_changed`` with ``action``."""
    return await client.expect(
        "batch",
        match=lambda b: any(
            e["type"] == "sds_changed" and e["action"] == action for e in events_of(b)
        ),
    )


async def test_a_round_through_two_teams_live(demo: ServerProcess) -> None:
    """SPEC R54-R56: the facilitator starts the round (the timer with it), a participant
    speaks for a team and answers, Next and Skip move on and end it; both clients see
    every step; refusals reach only their sender and change nothing."""
    server = demo
    forum = server.new_forum("sos", "SDS live")["id"]
    status, _ = server.request(
        "POST", f"/api/forums/{forum}/serves", {"teams": ["checkout", "payments"]}
    )
    assert status in (200, 201)
    fay = await live_as(server, forum, "Fay", "facilitator")
    pia = await live_as(server, forum, "Pia", "participant")
    try:
        start = {"type": "start_sds", "teams": ["checkout", "payments"]}
        refused = await pia.call(start)
        assert refused["type"] == "reject" and refused["code"] == "forbidden"
        no_session = await fay.call(start)
        assert no_session["type"] == "reject" and no_session["code"] == "no_session"
        assert (await fay.call({"type": "start_session"}))["type"] == "ack"
        bad = await fay.call({"type": "start_sds", "teams": ["checkout", "nope"]})
        assert bad["type"] == "reject" and bad["code"] == "invalid" and "nope" in bad["reason"]
        seq = server.board(forum)["seq"]
        assert (await fay.call(start))["type"] == "ack"
        batch = await round_batch(pia, "started")
        kinds = {e["type"] for e in events_of(batch)}
        assert {"sds_changed", "timer_changed"} <= kinds  # the timebox starts with it
        panel = batch["html"]["region:sds"]
        assert 'aria-current="step"' in panel and "speaking now" in panel
        assert "Checkout" in panel and "of 15:00" in panel
        assert "data-sds-next" not in panel  # a participant's panel has no facilitator controls
        # Pia speaks for Checkout and answers; Fay sees it.
        assert (await pia.call({"type": "claim_sds_team", "team": "checkout"}))["type"] == "ack"
        seen = await round_batch(fay, "speaker")
        assert "Speaker: <bdi>Pia</bdi>" in seen["html"]["region:sds"]
        wrong = await pia.call({"type": "answer_sds", "team": "search", "blocking": "x"})
        assert wrong["type"] == "reject" and wrong["code"] == "invalid"
        answer = {"type": "answer_sds", "team": "checkout", "impediments": "Flaky CI"}
        assert (await pia.call(answer))["type"] == "ack"
        seen = await round_batch(fay, "answered")
        assert (
            "Flaky CI" in seen["html"]["region:sds"]
            and "data-sds-card" in seen["html"]["region:sds"]
        )
        forbidden = await pia.call({"type": "next_sds_team", "team": "checkout"})
        assert forbidden["type"] == "reject" and forbidden["code"] == "forbidden"
        # Next, then Skip: the round ends after the last team, the timer stops.
        assert (await fay.call({"type": "next_sds_team", "team": "checkout"}))["type"] == "ack"
        moved = await round_batch(pia, "next")
        assert "Payments" in moved["html"]["region:sds"]
        late = await fay.call({"type": "next_sds_team", "team": "checkout"})
        assert late["type"] == "reject" and late["code"] == "conflict"  # a second click
        skip = {"type": "next_sds_team", "team": "payments", "skip": True}
        assert (await fay.call(skip))["type"] == "ack"
        ended = await round_batch(pia, "skipped")
        assert any(
            e["type"] == "timer_changed" and e["action"] == "paused" for e in events_of(ended)
        )
        board = server.board(forum)
        sds = board["sds"]
        assert sds["ended_at"] is not None and board["seq"] == seq + 5
        assert [(t["team"], t["status"], t["speaker"]) for t in sds["turns"]] == [
            ("checkout", "done", "Pia"),
            ("payments", "skipped", ""),
        ]
        assert (await fay.call({"type": "end_session"}))["type"] == "ack"
    finally:
        await fay.close()
        await pia.close()
    session = f"{forum}-1"
    page = server.http("GET", f"/sessions/{session}").text
    assert "Scaled Daily Scrum" in page and "Represented:</span> 1 of 2 teams" in page
    assert "skipped (not here)" in page and "scaled-daily.csv" in page
    csv = server.http("GET", f"/sessions/{session}/scaled-daily.csv").text
    assert "checkout,Checkout,done,Pia,Flaky CI" in csv and "payments,Payments,skipped" in csv
    md = server.http("GET", f"/sessions/{session}/export.md").text
    assert "## Scaled Daily Scrum" in md and "no speaker: Payments" in md
    raw = server.http("GET", f"/sessions/{session}/export.json").text
    exported = json.loads(raw)
    assert exported["board"]["sds"]["turns"][0]["impediments"] == "Flaky CI"
    checked = check_import(raw.encode())  # the operations replay to the same round
    assert checked.board.sds is not None and checked.board.sds.turns[0].speaker == "Pia"
    # The round survives a restart: it is in the log.
    server.stop()
    server.start()
    assert server.board(forum)["sds"] == sds

"""The shared timer over the websocket (issue 5): the facilitator runs it, everyone
gets the same state and the server's time with it, a participant is refused, and it
survives reconnects and a server restart."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

from tests.support import LiveClient, ServerProcess


def timer_attrs(html: str) -> dict[str, str]:
    """The data-* attributes of the rendered ``#timer`` region."""
    head = html.split(">", 1)[0]
    assert 'id="timer"' in head, html
    return dict(re.findall(r'data-([a-z-]+)="([^"]*)"', head))


def left(attrs: dict[str, str]) -> float:
    """Seconds left, as a client computes it at the server time the region carries."""
    remaining = float(attrs["remaining"])
    if "started-at" not in attrs:
        return remaining
    return max(0.0, remaining - (float(attrs["server-now"]) - float(attrs["started-at"])))


async def clients(server: ServerProcess, forum_id: str) -> tuple[LiveClient, LiveClient]:
    tokens = server.links(forum_id)
    fac = await LiveClient.connect(server.ws_url(forum_id, tokens["facilitator"]))
    part = await LiveClient.connect(server.ws_url(forum_id, tokens["participant"]))
    return fac, part


def timer_batch(msg: dict[str, Any]) -> bool:
    return msg["type"] == "batch" and "region:timer" in msg["html"]


async def test_the_facilitator_starts_it_and_everyone_sees_it(
    server: ServerProcess, forum: dict[str, Any]
) -> None:
    fac, part = await clients(server, forum["id"])
    try:
        assert (await fac.call({"type": "set_timer", "duration": 300}))["type"] == "ack"
        before = time.time()
        assert (await fac.call({"type": "start_timer"}))["type"] == "ack"
        batch = await part.expect(
            "batch",
            match=lambda m: any(
                e["type"] == "timer_changed" and e["action"] == "started"
                for i in m["items"]
                for e in i["events"]
            ),
        )
        event = next(e for i in batch["items"] for e in i["events"] if e["type"] == "timer_changed")
        item = next(i for i in batch["items"] if event in i["events"])
        assert event["timer"] == {"duration": 300, "remaining": 300.0, "started_at": item["at"]}
        assert before - 1 <= item["at"] <= time.time() + 1
        attrs = timer_attrs(batch["html"]["region:timer"])
        assert attrs["state"] == "running" and attrs["duration"] == "300"
        assert float(attrs["started-at"]) == item["at"]
        assert 298 <= left(attrs) <= 300
        # The participant sees no controls; the facilitator does.
        assert "data-timer=" not in batch["html"]["region:timer"]
        await fac.wait_seq(item["seq"])
        mine = [m for m in fac.received if timer_batch(m)]
        assert 'data-timer="pause"' in mine[-1]["html"]["region:timer"]
        board = server.board(forum["id"])
        assert board["timer"]["started_at"] == item["at"]
        # Pause: both see the same frozen time.
        assert (await fac.call({"type": "pause_timer"}))["type"] == "ack"
        paused = await part.expect(
            "batch", match=lambda m: timer_batch(m) and "paused" in m["html"]["region:timer"]
        )
        attrs = timer_attrs(paused["html"]["region:timer"])
        assert attrs["state"] == "paused" and "started-at" not in attrs
        assert 295 <= left(attrs) <= 300
    finally:
        await fac.close()
        await part.close()


async def test_a_participant_may_not_run_the_timer(
    server: ServerProcess, forum: dict[str, Any]
) -> None:
    fac, part = await clients(server, forum["id"])
    try:
        await fac.call({"type": "set_timer", "duration": 60})
        seq = server.board(forum["id"])["seq"]
        for op in ("start_timer", "pause_timer", "reset_timer"):
            answer = await part.call({"type": op})
            assert answer["type"] == "reject" and answer["code"] == "forbidden", answer
        answer = await part.call({"type": "set_timer", "duration": 10})
        assert answer["code"] == "forbidden"
        assert server.board(forum["id"])["seq"] == seq
        assert server.board(forum["id"])["timer"]["started_at"] is None
        # A bad duration from the facilitator is refused with a reason.
        answer = await fac.call({"type": "set_timer", "duration": 0})
        assert answer["type"] == "reject" and answer["code"] == "invalid" and answer["reason"]
    finally:
        await fac.close()
        await part.close()


async def test_a_reconnecting_client_gets_the_running_timer(
    server: ServerProcess, forum: dict[str, Any]
) -> None:
    fac, part = await clients(server, forum["id"])
    await fac.call({"type": "set_timer", "duration": 600})
    await fac.call({"type": "start_timer"})
    await part.wait_seq(server.board(forum["id"])["seq"])
    seq, epoch = part.seq, part.epoch
    await part.close()
    token = server.links(forum["id"])["participant"]
    try:
        # Up to date (a delta with nothing missed) and from scratch (the whole board).
        for last_seq, again in ((seq, epoch), (None, None)):
            c = await LiveClient.connect(
                server.ws_url(forum["id"], token), last_seq=last_seq, epoch=again
            )
            welcome = c.received[0]
            attrs = timer_attrs(welcome["html"]["region:timer"])
            assert attrs["state"] == "running"
            assert abs(float(attrs["server-now"]) - time.time()) < 5
            assert 590 <= left(attrs) <= 600
            await c.close()
    finally:
        await fac.close()


async def test_the_timer_survives_a_restart(tmp_path: Path) -> None:
    db = tmp_path / "timer.db"
    server = ServerProcess(db).start()
    try:
        forum = server.new_forum("sos", "Timed")
        fac, _part = await clients(server, forum["id"])
        await fac.call({"type": "set_timer", "duration": 900})
        await fac.call({"type": "start_timer"})
        await fac.call({"type": "pause_timer"})
        await fac.call({"type": "start_timer"})
        before = server.board(forum["id"])["timer"]
        await fac.close()
        await _part.close()
        server.stop()
    finally:
        server.kill()
    server = ServerProcess(db, port=server.port).start()
    try:
        assert server.board(forum["id"])["timer"] == before
        assert before["started_at"] is not None
        token = server.links(forum["id"])["viewer"]
        c = await LiveClient.connect(server.ws_url(forum["id"], token))
        attrs = timer_attrs(c.received[0]["html"]["region:timer"])
        assert attrs["state"] == "running" and float(attrs["started-at"]) == before["started_at"]
        assert 880 <= left(attrs) <= 900
        await c.close()
        # The projector page renders it too.
        page = server.http("GET", f"/forums/{forum['id']}/projector", headers=server.auth)
        assert page.status == 200 and 'id="timer"' in page.text and 'role="timer"' in page.text
    finally:
        server.kill()

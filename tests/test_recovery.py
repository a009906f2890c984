"""Durability across restarts: each test runs its own server on its own SQLite file and
stops it gently (SIGINT) or kills it (SIGKILL), then starts a new one on the same file."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import websockets

from tests.support import LiveClient, ServerProcess, column_order, name_cookie


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "recovery.db"


@contextlib.contextmanager
def running(db: Path, *, demo: bool = False) -> Iterator[ServerProcess]:
    """A server on ``db`` that is killed at the end if the test left it running."""
    server = ServerProcess(db, demo=demo).start()
    try:
        yield server
    finally:
        server.kill()


def acks(client: LiveClient) -> dict[str, int]:
    return {m["id"]: m["seq"] for m in client.received if m["type"] == "ack"}


async def test_graceful_stop_keeps_every_acked_op(db: Path) -> None:
    with running(db) as server:
        forum = server.new_forum("sos", "Durable")
        a = await LiveClient.connect(server.ws_url(forum["id"]))
        b = await LiveClient.connect(server.ws_url(forum["id"]))
        for i in range(4):
            await a.call({"type": "add_card", "column": "new", "title": f"Card {i}"})
        columns = ("new", "removing", "needs-eat", "removed")
        ids: dict[LiveClient, list[str]] = {a: [], b: []}
        rng = random.Random(11)
        for _ in range(20):
            for c in (a, b):
                op = {
                    "type": "move_card",
                    "card": f"c{rng.randint(1, 4)}",
                    "column": rng.choice(columns),
                    "index": rng.randrange(3),
                }
                ids[c].append(await c.op(op))
        for c, sent in ids.items():
            assert all(x["type"] == "ack" for x in await c.answers(sent))
        before = server.board(forum["id"])
        epoch, last = a.epoch, before["seq"]
        await a.wait_seq(last)
        # The acked ops that changed the board (a move to where a card is spends no seq).
        logged = {i["op_id"]: i["seq"] for i in a.items() if i["op_id"] in acks(a)}
        assert len(logged) > 15
        server.stop()  # SIGINT while both are connected
        assert server.proc is not None and server.proc.poll() is not None
        log = server.log()
        assert "Application shutdown complete" in log and "Traceback" not in log, log
        # Clients are told the server is restarting (docs/protocol.md: close 1012).
        for c in (a, b):
            await asyncio.wait_for(c.ws.wait_closed(), 5)
            assert c.ws.close_code == 1012
        await asyncio.gather(a.close(), b.close())

    with running(db) as server:
        after = server.board(forum["id"])
        # SPEC R8: everything acked is on disk; the board is the same board.
        assert after == before
        # SPEC R10: the epoch changed with the reload, so the old copy is replaced whole.
        c = await LiveClient.connect(server.ws_url(forum["id"]), last_seq=last, epoch=epoch)
        welcome = c.received[0]
        assert welcome["full"] is True and welcome["epoch"] != epoch
        assert welcome["seq"] == last and welcome["items"] == []
        # SPEC R6: accepted ids are remembered across restarts.
        for op_id, seq in logged.items():
            op = {"type": "move_card", "card": "c1", "column": "new", "index": 0}
            assert await c.call(op, op_id) == {
                "type": "ack",
                "id": op_id,
                "seq": seq,
                "duplicate": True,
            }
        assert server.board(forum["id"]) == before
        await c.close()


async def burst(
    server: ServerProcess, forum_id: str, tag: str
) -> tuple[dict[str, str], dict[str, int], str]:
    """Two clients send 100 add_card ops each without waiting; the server is killed
    once some acks are in. Returns every op (id -> title), the acked ids, the epoch."""
    clients = [await LiveClient.connect(server.ws_url(forum_id)) for _ in range(2)]
    epoch = clients[0].epoch
    assert epoch is not None
    titles: dict[str, str] = {}

    async def send(c: LiveClient, who: int) -> None:
        for i in range(100):
            op_id = f"{tag}-{who}-{i}"
            titles[op_id] = f"{tag} from {who} #{i}"
            with contextlib.suppress(websockets.ConnectionClosed):
                await c.op({"type": "add_card", "column": "new", "title": titles[op_id]}, op_id)
            if i % 10 == 9:
                await asyncio.sleep(0.001)  # a stream of bursts, still far ahead of the acks

    senders = [asyncio.create_task(send(c, i)) for i, c in enumerate(clients)]
    while sum(len(acks(c)) for c in clients) < 20:
        await asyncio.sleep(0.002)
    server.kill()  # SIGKILL mid-burst: no shutdown at all
    await asyncio.gather(*senders)
    acked = {k: v for c in clients for k, v in acks(c).items()}
    await asyncio.gather(*(c.close() for c in clients))
    return titles, acked, epoch


async def check_after_kill(
    server: ServerProcess, forum_id: str, titles: dict[str, str], acked: dict[str, int], epoch: str
) -> dict[str, Any]:
    board = server.board(forum_id)
    n = board["seq"]
    # SPEC R8: every acked op is on the board, at the seq its ack named.
    assert max(acked.values()) <= n
    for op_id, seq in acked.items():
        assert board["cards"][f"c{seq}"]["title"] == titles[op_id], op_id
    # SPEC R4: seqs are contiguous: every add made c<seq>, for each seq 1..n.
    assert set(board["cards"]) == {f"c{s}" for s in range(1, n + 1)}
    # SPEC R10: a client of the old epoch gets the whole board.
    resender = await LiveClient.connect(server.ws_url(forum_id), last_seq=n, epoch=epoch)
    assert resender.received[0]["full"] is True and resender.received[0]["epoch"] != epoch
    # SPEC R6, R13: resending every op with its id: acked ones are duplicates at their
    # seq; the others are applied now, or found already applied. None is applied twice.
    sent = [
        await resender.op({"type": "add_card", "column": "new", "title": t}, op_id)
        for op_id, t in titles.items()
    ]
    answers = dict(zip(sent, await resender.answers(sent), strict=True))
    for op_id, answer in answers.items():
        assert answer["type"] == "ack", answer
        if op_id in acked:
            assert answer["duplicate"] is True and answer["seq"] == acked[op_id]
    await resender.close()
    board = server.board(forum_id)
    on_board = [c["title"] for c in board["cards"].values()]
    for title in titles.values():
        assert on_board.count(title) == 1, title
    assert set(board["cards"]) == {f"c{s}" for s in range(1, board["seq"] + 1)}
    return board


async def test_kill_mid_burst_loses_no_acked_op(db: Path) -> None:
    with running(db) as server:
        forum_id = server.new_forum("sos", "Crashy")["id"]
        titles, acked, epoch = await burst(server, forum_id, "k")
    assert 20 <= len(acked) <= 200
    with running(db) as server:
        board = await check_after_kill(server, forum_id, titles, acked, epoch)
        assert len(board["cards"]) == 200


async def test_repeated_kills_on_one_database(db: Path) -> None:
    with running(db) as server:
        forum_id = server.new_forum("sos", "Crashy thrice")["id"]
    everything: dict[str, str] = {}
    for round_ in range(3):
        with running(db) as server:
            assert len(server.board(forum_id)["cards"]) == len(everything)
            titles, acked, epoch = await burst(server, forum_id, f"r{round_}")
        everything.update(titles)
        with running(db) as server:
            board = await check_after_kill(server, forum_id, titles, acked, epoch)
            assert sorted(c["title"] for c in board["cards"].values()) == sorted(
                everything.values()
            )
            before = column_order(board)
            server.stop()
    with running(db) as server:
        assert column_order(server.board(forum_id)) == before


async def test_an_ended_session_is_still_listed_after_a_restart(db: Path) -> None:
    with running(db) as server:
        forum_id = server.new_forum("eat", "Executive Action Team")["id"]
        base = f"/api/forums/{forum_id}"
        server.request("POST", f"{base}/cards", {"column": "escalated", "title": "Budget freeze"})
        assert server.request("POST", f"{base}/sessions")[0] == 201
        server.request("POST", f"{base}/decisions", {"text": "Unfreeze the test budget"})
        server.request("POST", f"{base}/next-steps", {"text": "Tell finance", "owner": "Kim"})
        status, ended = server.request("POST", f"{base}/sessions/current/end")
        assert status == 201, ended
        cookie = name_cookie(server, "Kim")
        server.kill()  # the end was answered, so it is on disk (SPEC R8)
    with running(db) as server:
        status, listed = server.request("GET", f"{base}/sessions")
        assert status == 200
        assert [s["id"] for s in listed] == [ended["session"]["id"]]
        assert listed[0]["ended_at"] == ended["session"]["ended_at"]
        status, detail = server.request("GET", f"/api/sessions/{ended['session']['id']}")
        assert status == 200 and detail == ended
        page = server.http("GET", f"/sessions/{ended['session']['id']}")
        assert page.status == 200 and "Unfreeze the test budget" in page.text
        # The name cookie is signed with the instance's secret, which outlives restarts.
        board_page = server.http("GET", f"/forums/{forum_id}", headers=cookie)
        assert board_page.status == 200 and "Budget freeze" in board_page.text
        assert server.board(forum_id)["session"] is None
        assert [s["text"] for s in server.request("GET", f"{base}/next-steps")[1]] == [
            "Tell finance"
        ]


async def test_the_demo_is_created_once(db: Path) -> None:
    with running(db, demo=True) as server:
        status, forums = server.request("GET", "/api/forums")
        assert status == 200
        # Five teams and one forum of each kind (three Scrums of Scrums: two and their
        # parent, SPEC R72), with real boards.
        assert sorted(f["kind"] for f in forums) == sorted(
            ["sos", "sos", "sos", "eat", "metascrum", "ems", "retro", "backlog"]
        )
        assert "sos-commerce" in {f["id"] for f in forums}
        teams = server.request("GET", "/api/teams")[1]
        assert len(teams) == 5
        boards = {f["id"]: server.board(f["id"]) for f in forums}
        assert any(b["cards"] for b in boards.values())
        server.stop()
    with running(db, demo=True) as server:
        status, again = server.request("GET", "/api/forums")
        assert sorted(f["id"] for f in again) == sorted(boards)
        assert server.request("GET", "/api/teams")[1] == teams
        for forum_id, board in boards.items():
            assert server.board(forum_id) == board


async def test_an_ack_covers_what_the_forum_accepted_before_it(db: Path) -> None:
    """SPEC R8a: a client that saw another's items and then gets the ack of an op of its
    own — even one that changes nothing — knows those items are on disk: a SIGKILL right
    after that ack loses none of them."""
    with running(db) as server:
        forum = server.new_forum("sos", "Covered")
        writer = await LiveClient.connect(server.ws_url(forum["id"]))
        reader = await LiveClient.connect(server.ws_url(forum["id"]))
        for i in range(40):  # not waiting for acks: a burst still being written
            await writer.op({"type": "add_card", "column": "new", "title": f"Burst {i}"})
        await reader.wait_seq(40)
        answer = await reader.call({"type": "set_focus", "target": None})  # changes nothing
        assert answer["type"] == "ack", answer
        server.kill()
    with running(db) as again:
        board = again.board(forum["id"])
        assert board["seq"] >= 40
        titles = {c["title"] for c in board["cards"].values()}
        assert {f"Burst {i}" for i in range(40)} <= titles

"""The live protocol over real websockets against a real server process: order, answers,
resends, reconnecting, presence, origin (SPEC R3-R10, R16). Bad input and limits are in
``test_live_input.py``."""

from __future__ import annotations

import asyncio
import random
from typing import Any

import pytest
import websockets

from tests.support import (
    EventBoard,
    LiveClient,
    ServerProcess,
    add_cards,
    barrier,
    close_all,
    column_order,
    connect,
)

Forum = dict[str, Any]
COLUMNS = ("new", "removing", "needs-eat", "removed")


def since(client: LiveClient, mark: int) -> list[dict[str, Any]]:
    return client.received[mark:]


def first_index(messages: list[dict[str, Any]], pred: Any) -> int:
    for i, m in enumerate(messages):
        if pred(m):
            return i
    raise AssertionError(f"no such message in {messages}")


def holds_op(op_id: str) -> Any:
    return lambda m: m["type"] == "batch" and any(i["op_id"] == op_id for i in m["items"])


def is_answer(op_id: str) -> Any:
    return lambda m: m["type"] in ("ack", "reject") and m["id"] == op_id


async def until(client: LiveClient, n: int, op_id: str) -> list[dict[str, Any]]:
    """The first ``n`` answers to ``op_id``, in arrival order."""
    for _ in range(500):
        found = [m for m in client.received if is_answer(op_id)(m)]
        if len(found) >= n:
            return found
        await asyncio.sleep(0.01)
    raise TimeoutError(f"fewer than {n} answers to {op_id}")


# -- order and identity ---------------------------------------------------------------


async def test_interleaved_moves_reach_everyone_in_the_same_order(
    server: ServerProcess, forum: Forum
) -> None:
    clients = await connect(server, forum, 4)
    start = server.board(forum["id"])
    cards = await add_cards(clients[0], 6)
    rng = random.Random(7)
    sent: dict[LiveClient, list[str]] = {c: [] for c in clients[:3]}
    for _ in range(25):  # three senders interleave moves without waiting for answers
        for sender in sent:
            op = {
                "type": "move_card",
                "card": rng.choice(cards),
                "column": rng.choice(COLUMNS),
                "index": rng.randrange(0, 4),
            }
            sent[sender].append(await sender.op(op))
    answers = [a for s, ids in sent.items() for a in await s.answers(ids)]
    assert all(a["type"] == "ack" and not a["duplicate"] for a in answers), answers
    board = server.board(forum["id"])
    n = board["seq"]
    assert n == max(a["seq"] for a in answers)
    for c in clients:
        await c.wait_seq(n)
    # SPEC R4: seqs 1..N, no gap, no reuse. SPEC R5: the same items, same order, everywhere.
    reference = clients[0].items()
    assert [i["seq"] for i in reference] == list(range(1, n + 1))
    for c in clients[1:]:
        assert c.items() == reference
    # Each answer names its op's own seq, or (a move that changed nothing) the current
    # seq without an item of its own (SPEC R4).
    for a in answers:
        if reference[a["seq"] - 1]["op_id"] != a["id"]:
            assert a["id"] not in {i["op_id"] for i in reference}
    # SPEC R5: applying the events in order yields the server's board.
    replayed = EventBoard(start).apply(reference)
    assert replayed.column_order() == column_order(board)
    for card_id, card in board["cards"].items():
        assert replayed.cards[card_id]["rank"] == card["rank"]
    await close_all(clients)


async def test_clients_joining_mid_burst_converge_on_the_board(
    server: ServerProcess, forum: Forum
) -> None:
    (a,) = await connect(server, forum)
    start = server.board(forum["id"])
    cards = await add_cards(a, 4)
    epoch = a.epoch
    rng = random.Random(5)

    async def moves(n: int) -> list[str]:
        return [
            await a.op(
                {
                    "type": "move_card",
                    "card": rng.choice(cards),
                    "column": rng.choice(COLUMNS),
                    "index": rng.randrange(3),
                }
            )
            for _ in range(n)
        ]

    sent = await moves(20)
    # Joining while moves are in flight: a delta from seq 2, and a whole board.
    late = await LiveClient.connect(server.ws_url(forum["id"]), last_seq=2, epoch=epoch)
    fresh = await LiveClient.connect(server.ws_url(forum["id"]))
    sent += await moves(20)
    await a.answers(sent)
    board = server.board(forum["id"])
    for c in (late, fresh):
        await c.wait_seq(board["seq"])
    # SPEC R5, R10: the welcome's items then the batches (repeats ignored, no gap)
    # give the server's board.
    assert late.received[0]["full"] is False
    held = EventBoard(start).apply(a.items()[:2])
    assert held.apply(late.items()).column_order() == column_order(board)
    welcome = fresh.received[0]
    assert welcome["full"] is True
    after = [i for i in fresh.items() if i["seq"] > welcome["seq"]]
    assert [i["seq"] for i in after] == list(range(welcome["seq"] + 1, board["seq"] + 1))
    # SPEC R3: and no item twice, even when the join fell in the middle of a turn.
    for c in (late, fresh):
        seqs = [i["seq"] for i in c.items()]
        assert len(seqs) == len(set(seqs)), seqs
    assert [i["seq"] for i in fresh.items()] == [i["seq"] for i in after]
    await close_all([a, late, fresh])


async def test_ack_reaches_sender_after_the_batch_carrying_its_op(
    server: ServerProcess, forum: Forum
) -> None:
    a, b = await connect(server, forum, 2)
    cards = await add_cards(a, 3)
    ids = []
    for i in range(30):
        op = {"type": "move_card", "card": cards[i % 3], "column": COLUMNS[i % 4], "index": 0}
        ids.append(await a.op(op))
    await a.answers(ids)
    # SPEC R9: the batch holding an op reaches its sender before the op's ack, and the
    # sender has every seq up to the ack's seq when the ack arrives.
    held = 0
    for msg in a.received:
        if msg["type"] == "batch":
            held = max([held, *(i["seq"] for i in msg["items"])])
        elif msg["type"] == "ack":
            assert msg["seq"] <= held, msg
    for op_id in ids:
        if any(i["op_id"] == op_id for i in a.items()):
            assert first_index(a.received, holds_op(op_id)) < first_index(
                a.received, is_answer(op_id)
            )
    # SPEC R7: answers go to the sender only.
    assert not [m for m in b.received if m["type"] in ("ack", "reject")]
    await close_all([a, b])


async def test_two_people_moving_one_card_at_once_end_on_the_same_board(
    server: ServerProcess, forum: Forum
) -> None:
    a, b = await connect(server, forum, 2)
    (card,) = await add_cards(a, 1)
    start = server.board(forum["id"])
    for target_a, target_b in (("removing", "needs-eat"), ("removed", "new"), ("new", "removed")):
        ids = await asyncio.gather(
            a.op({"type": "move_card", "card": card, "column": target_a, "index": 0}),
            b.op({"type": "move_card", "card": card, "column": target_b, "index": 0}),
        )
        ack_a, ack_b = await a.answer(ids[0]), await b.answer(ids[1])
        assert ack_a["type"] == ack_b["type"] == "ack"
        # SPEC R5: the move with the higher seq is where the card stays.
        winner = target_a if ack_a["seq"] > ack_b["seq"] else target_b
        board = server.board(forum["id"])
        assert board["cards"][card]["column"] == winner
        for c in (a, b):
            await c.wait_seq(board["seq"])
            assert EventBoard(start).apply(c.items()).column_order() == column_order(board)
    assert a.items() == b.items()
    await close_all([a, b])


# -- answers: ack, reject, resends ------------------------------------------------------


async def test_op_on_a_missing_card_is_rejected_to_its_sender_only(
    server: ServerProcess, forum: Forum
) -> None:
    a, b = await connect(server, forum, 2)
    await add_cards(a, 2)
    await b.wait_seq(2)
    before = server.board(forum["id"])
    mark_a, mark_b = len(a.received), len(b.received)
    answer = await a.call({"type": "move_card", "card": "c99", "column": "removed", "index": 0})
    # SPEC R7: a reject with a stable code and a readable reason, to the sender only.
    assert answer["type"] == "reject" and answer["code"] == "not_found"
    assert "c99" in answer["reason"]
    assert server.board(forum["id"]) == before  # it changed nothing
    done = await barrier(a, [b])
    assert done["seq"] == before["seq"] + 1  # no seq was spent on the reject (R4)
    got = since(b, mark_b)
    assert [m["type"] for m in got] == ["batch"] and len(got[0]["items"]) == 1
    assert [m["type"] for m in since(a, mark_a)] == ["reject", "batch", "ack"]
    await close_all([a, b])


async def test_resending_an_op_id_is_safe(server: ServerProcess, forum: Forum) -> None:
    a, b = await connect(server, forum, 2)
    op = {"type": "add_card", "column": "new", "title": "Only once"}
    first = await a.call(op, "resend-1")
    second = await a.call(op, "resend-1")
    # SPEC R6: the same id again is acked with the original seq and applied once.
    assert first == {"type": "ack", "id": "resend-1", "seq": 1, "duplicate": False}
    assert second == {"type": "ack", "id": "resend-1", "seq": 1, "duplicate": True}
    board = server.board(forum["id"])
    assert board["seq"] == 1
    assert [c["title"] for c in board["cards"].values()] == ["Only once"]
    # A refused id gets the same reject, even once the op would now succeed.
    move = {"type": "move_card", "card": "c2", "column": "removed", "index": 0}
    refused = await a.call(move, "resend-2")
    assert refused["type"] == "reject" and refused["code"] == "not_found"
    await add_cards(a, 1)  # now c2 exists
    assert await a.call(move, "resend-2") == refused
    assert server.board(forum["id"])["cards"]["c2"]["column"] == "new"
    # A second connection resending the id is answered the same way.
    assert await b.call(op, "resend-1") == second
    # The same id twice at once: one item, two acks, the second a duplicate.
    twice = {"type": "add_card", "column": "new", "title": "Twice at once"}
    await a.op(twice, "resend-3")
    await a.op(twice, "resend-3")
    await a.wait_seq(3)
    answers = await until(a, 2, "resend-3")
    assert [(x["seq"], x["duplicate"]) for x in answers] == [(3, False), (3, True)]
    await barrier(a, [b])
    assert [i["op_id"] for i in b.items()].count("resend-1") == 1
    await close_all([a, b])


# -- reconnecting -----------------------------------------------------------------------


async def test_reconnect_with_seq_and_epoch_gets_exactly_the_missed_items(
    server: ServerProcess, forum: Forum
) -> None:
    a, b = await connect(server, forum, 2)
    await add_cards(a, 2)
    await b.wait_seq(2)
    epoch, last = b.epoch, b.seq
    await b.close()
    await add_cards(a, 3, prefix="Missed")
    missed = [i for i in a.items() if i["seq"] > last]
    b2 = await LiveClient.connect(server.ws_url(forum["id"]), last_seq=last, epoch=epoch)
    welcome = b2.received[0]
    # SPEC R10: same epoch, seq still held: a delta with exactly the missed items.
    assert welcome["type"] == "welcome" and welcome["full"] is False
    assert welcome["epoch"] == epoch and welcome["seq"] == 5
    assert welcome["items"] == missed
    assert [i["seq"] for i in welcome["items"]] == [3, 4, 5]
    assert set(welcome["html"]) == {"card:c3", "card:c4", "card:c5"}
    # Up to date: an empty delta.
    b3 = await LiveClient.connect(server.ws_url(forum["id"]), last_seq=5, epoch=epoch)
    assert b3.received[0]["full"] is False and b3.received[0]["items"] == []
    await close_all([a, b2, b3])


@pytest.mark.parametrize(
    ("last_seq", "epoch"),
    [(1, "not-the-epoch"), (None, None), (None, "same"), (1, None), (99, "same")],
    ids=["old-epoch", "nothing", "no-last-seq", "no-epoch", "seq-from-the-future"],
)
async def test_reconnect_without_a_usable_position_gets_the_whole_board(
    server: ServerProcess, forum: Forum, last_seq: int | None, epoch: str | None
) -> None:
    (a,) = await connect(server, forum)
    await add_cards(a, 2, prefix="Whole")
    assert a.epoch is not None
    if epoch == "same":
        epoch = a.epoch
    b = await LiveClient.connect(server.ws_url(forum["id"]), last_seq=last_seq, epoch=epoch)
    welcome = b.received[0]
    # SPEC R10: otherwise the whole board, as rendered regions.
    assert welcome["full"] is True and welcome["items"] == []
    assert welcome["epoch"] == a.epoch and welcome["seq"] == 2
    regions = {"region:forum-name", "region:columns", "region:archive", "region:session-status"}
    assert regions <= set(welcome["html"])
    columns = welcome["html"]["region:columns"]
    assert 'id="card-c1"' in columns and "Whole 1" in columns
    await close_all([a, b])


# -- presence and origin --------------------------------------------------------------


async def test_presence_joined_and_left(server: ServerProcess, forum: Forum) -> None:
    (a,) = await connect(server, forum)
    first = a.received[0]
    assert [p["id"] for p in first["peers"]] == [first["you"]["id"]]
    b = await LiveClient.connect(server.ws_url(forum["id"]))
    you = b.received[0]["you"]
    assert {p["id"] for p in b.received[0]["peers"]} == {first["you"]["id"], you["id"]}
    # SPEC R16: presence rides in batches.
    joined = await a.expect("batch", match=lambda m: you in m["joined"])
    assert joined["items"] == []
    await b.close()
    left = await a.expect("batch", match=lambda m: m["left"])
    assert left["left"] == [you["id"]]
    # A connection that just drops (no closing handshake) leaves presence too.
    c = await LiveClient.connect(server.ws_url(forum["id"]))
    gone = c.received[0]["you"]["id"]
    await a.expect("batch", match=lambda m: gone in [p["id"] for p in m["joined"]])
    c.ws.transport.abort()
    await a.expect("batch", match=lambda m: gone in m["left"], timeout=5)
    await asyncio.gather(a.close(), c.close())


async def test_a_cross_origin_handshake_is_refused(server: ServerProcess, forum: Forum) -> None:
    with pytest.raises(websockets.InvalidStatus) as refused:
        await websockets.connect(server.ws_url(forum["id"]), origin="https://evil.example")
    assert refused.value.response.status_code == 403
    # The page's own origin is welcome.
    own = await LiveClient.connect(server.ws_url(forum["id"]), origin=server.url)
    assert own.received[0]["type"] == "welcome"
    await own.close()

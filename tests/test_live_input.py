"""Bad input and limits on the live socket, against a real server process: malformed
and unknown messages, hello first, unknown forums, frame size and rate (SPEC R1, R2,
R12, R14)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from tests.support import LiveClient, ServerProcess, add_cards, barrier, close_all, connect

Forum = dict[str, Any]


# -- bad input ----------------------------------------------------------------------------

BAD_FRAMES = {
    "not-json": ("{oops", None),
    "not-utf8": (b'{"type": "ping"\xff}', None),
    "unknown-message": (json.dumps({"type": "shout"}), None),
    "unknown-op": (json.dumps({"type": "op", "id": "x1", "op": {"type": "explode"}}), None),
    "unknown-field": (
        json.dumps(
            {
                "type": "op",
                "id": "x2",
                "op": {"type": "add_card", "column": "new", "title": "t", "colour": "red"},
            }
        ),
        "colour",
    ),
    "title-too-long": (
        json.dumps(
            {
                "type": "op",
                "id": "x3",
                "op": {"type": "add_card", "column": "new", "title": "x" * 201},
            }
        ),
        "$.op.title",
    ),
    "server-only-op": (
        json.dumps({"type": "op", "id": "x4", "op": {"type": "note_presence", "names": ["Eve"]}}),
        None,
    ),
    "wrong-type": (json.dumps({"type": "hello", "last_seq": "five"}), "$.last_seq"),
}


async def test_bad_frames_hurt_only_their_sender(server: ServerProcess, forum: Forum) -> None:
    a, b = await connect(server, forum, 2)
    await add_cards(a, 1)
    await b.wait_seq(1)
    before = server.board(forum["id"])
    mark_b = len(b.received)
    for name, (frame, named) in BAD_FRAMES.items():
        await a.ws.send(frame)
        error = await a.expect(("error", "ack", "reject"))
        # SPEC R12: `error` `bad_message`, naming what is wrong.
        assert error["type"] == "error" and error["code"] == "bad_message", (name, error)
        if named:
            assert named in error["reason"], (name, error)
    assert server.board(forum["id"]) == before  # nothing written
    # The connection stays open and usable.
    await a.send_json({"type": "ping"})
    await a.expect("pong")
    await barrier(a, [b])
    got = b.received[mark_b:]
    assert [m["type"] for m in got] == ["batch"], got  # others saw nothing else
    assert not [m for m in a.received if m["type"] == "reject"]
    await close_all([a, b])


async def test_an_op_before_hello_gets_hello_first(server: ServerProcess, forum: Forum) -> None:
    a = await LiveClient.connect(server.ws_url(forum["id"]), hello=False)
    op_id = await a.op({"type": "add_card", "column": "new", "title": "Too early"})
    error = await a.expect(("error", "ack", "reject"))
    # SPEC R2: hello first; anything else is answered with `hello_first` and ignored.
    assert error["type"] == "error" and error["code"] == "hello_first"
    assert server.board(forum["id"])["seq"] == 0
    welcome = await a.hello()
    assert welcome["seq"] == 0
    answer = await a.call({"type": "add_card", "column": "new", "title": "In time"})
    assert answer["type"] == "ack" and answer["seq"] == 1
    assert not [m for m in a.received if m.get("id") == op_id]
    await a.close()


async def test_unknown_forum_gets_an_error_and_close_4404(server: ServerProcess) -> None:
    a = await LiveClient.connect(server.ws_url("no-such-forum"), hello=False)
    error = await a.expect("error")
    # SPEC R2: `unknown_forum`, then close code 4404.
    assert error["code"] == "unknown_forum"
    await asyncio.wait_for(a.ws.wait_closed(), 5)
    assert a.ws.close_code == 4404
    await a.close()


async def test_an_oversized_message_gets_an_error_and_closes_with_1009(
    server: ServerProcess, forum: Forum
) -> None:
    a, b = await connect(server, forum, 2)
    limit = a.received[0]["limits"]["max_message_bytes"]
    assert limit == 64 * 1024
    frame = json.dumps({"type": "ping", "pad": ""})
    # Exactly at the limit: read, and refused only for its unknown field (SPEC R12).
    await a.ws.send(frame.replace('""', '"' + "x" * (limit - len(frame)) + '"'))
    error = await a.expect("error")
    assert error["code"] == "bad_message" and "pad" in error["reason"]
    # SPEC R1: one byte over (counted in bytes of UTF-8, not characters) gets a clear
    # error, then the socket is closed with 1009.
    await a.ws.send(frame.replace('""', '"' + "é" * ((limit - len(frame)) // 2 + 1) + '"'))
    error = await a.expect("error")
    assert error["code"] == "too_large" and str(limit) in error["reason"]
    await asyncio.wait_for(a.ws.wait_closed(), 5)
    assert a.ws.close_code == 1009
    # A frame too large to read at all is cut off by the websocket layer, also 1009.
    huge = await LiveClient.connect(server.ws_url(forum["id"]))
    await huge.ws.send("x" * (1024 * 1024 + 1))
    await asyncio.wait_for(huge.ws.wait_closed(), 5)
    assert huge.ws.close_code == 1009
    # ... and the server keeps serving everyone else.
    answer = await b.call({"type": "add_card", "column": "new", "title": "Still here"})
    assert answer["type"] == "ack"
    c = await LiveClient.connect(server.ws_url(forum["id"]))
    assert c.received[0]["seq"] == answer["seq"]
    await close_all([a, b, c])


async def test_a_burst_far_over_the_rate_is_limited(server: ServerProcess, forum: Forum) -> None:
    a, b = await connect(server, forum, 2)
    rate, burst = a.received[0]["limits"]["ops_per_second"], 200
    loop = asyncio.get_running_loop()
    started = loop.time()
    ids = [
        await a.op({"type": "add_card", "column": "new", "title": f"Burst {i}"}) for i in range(600)
    ]
    answers = await a.answers(ids)
    elapsed = loop.time() - started  # at most the time the server took to read them
    # SPEC R14: beyond the burst, `rate_limited`; SPEC R7: each op answered exactly once.
    codes = [x.get("code") for x in answers if x["type"] == "reject"]
    acked = [x for x in answers if x["type"] == "ack"]
    assert codes and set(codes) == {"rate_limited"}
    assert burst <= len(acked) <= burst + rate * elapsed + 5  # the burst, then the rate
    assert sorted(m["id"] for m in a.received if m["type"] in ("ack", "reject")) == sorted(ids)
    board = server.board(forum["id"])
    assert len(board["cards"]) == len(acked) == board["seq"]  # rejects changed nothing
    # Another connection is not limited by it.
    answer = await b.call({"type": "add_card", "column": "new", "title": "Unaffected"})
    assert answer["type"] == "ack"
    await close_all([a, b])


def nested(depth: int) -> dict[str, str]:
    """Frames nested ``depth`` levels deep where the decoder must skip or read them."""
    arrays, objects = "[" * depth + "]" * depth, '{"a":' * depth + "1" + "}" * depth
    return {
        "before-the-tag": '{"x":' + arrays + ',"type":"hello"}',
        "in-an-op": '{"type":"op","id":"n1","op":{"column":' + arrays + ',"type":"add_card"}}',
        "objects": '{"type":"op","id":"n2","op":{"title":' + objects + ',"type":"add_card"}}',
        "bare": arrays,
    }


async def test_a_deeply_nested_frame_gets_bad_message_and_the_socket_stays_open(
    server: ServerProcess, forum: Forum
) -> None:
    a, b = await connect(server, forum, 2)
    await add_cards(a, 1)
    await b.wait_seq(1)
    before = server.board(forum["id"])
    mark_b = len(b.received)
    frames = nested(1000)
    assert len(frames["before-the-tag"]) < 2100  # about 2 KB is enough
    for name, frame in {**frames, **{f"{k}-deeper": v for k, v in nested(10_000).items()}}.items():
        await a.ws.send(frame)
        error = await a.expect(("error", "ack", "reject", "welcome"))
        # SPEC R12: `error` `bad_message`, the connection open, nothing changed.
        assert error["type"] == "error" and error["code"] == "bad_message", (name, error)
        assert a.ws.close_code is None, name
    assert server.board(forum["id"]) == before
    await a.send_json({"type": "ping"})
    await a.expect("pong")
    await barrier(a, [b])
    assert [m["type"] for m in b.received[mark_b:]] == ["batch"]  # others saw nothing else
    await close_all([a, b])
    assert "Traceback" not in server.log_path.read_text()


async def test_a_hello_flood_is_rate_limited_and_never_the_whole_board_again(
    server: ServerProcess, forum: Forum
) -> None:
    a, b = await connect(server, forum, 2)
    for i in range(30):  # a board worth sending: each full welcome is tens of KB
        await a.call({"type": "add_card", "column": "new", "title": f"Card {i}", "body": "b" * 400})
    flood = await LiveClient.connect(server.ws_url(forum["id"]))  # its own rate
    full_size = len(json.dumps(flood.received[0]))
    assert flood.received[0]["full"] is True and full_size > 20_000
    loop = asyncio.get_running_loop()
    started = loop.time()
    for _ in range(1000):
        await flood.send_json({"type": "hello", "last_seq": None, "epoch": None})
    deadline = loop.time() + 30
    while len([m for m in flood.received[1:] if m["type"] in ("welcome", "error")]) < 1000:
        assert loop.time() < deadline, "not every hello was answered"
        await asyncio.sleep(0.05)
    elapsed = loop.time() - started
    got = flood.received[1:]
    welcomes = [m for m in got if m["type"] == "welcome"]
    limited = [m for m in got if m["type"] == "error"]
    # SPEC R14: every hello after the first counts against the rate (a burst of 200).
    assert {m["code"] for m in limited} == {"rate_limited"}
    assert 200 <= len(welcomes) <= 200 + 50 * elapsed + 5
    # SPEC R3: on a connection already welcomed, a delta, never the whole board again.
    assert all(w["full"] is False and w["items"] == [] for w in welcomes)
    sent_back = sum(len(json.dumps(m)) for m in got)
    assert sent_back < 1000 * 600, sent_back  # before: 1000 whole boards, tens of MB
    # The connection is still served, and nobody else was affected.
    answer = await b.call({"type": "add_card", "column": "new", "title": "Unaffected"})
    assert answer["type"] == "ack"
    await flood.wait_seq(answer["seq"])
    await a.wait_seq(answer["seq"])
    await close_all([a, b, flood])

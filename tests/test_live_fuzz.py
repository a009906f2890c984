"""Hypothesis-generated websocket messages against a real server (SPEC R3, R12-R14).

Wrong types, missing and unknown fields, unknown ops, bad ids, huge strings, text
that is not JSON, JSON nested thousands of levels deep, floods of hellos and pings:
the sender gets ``error`` or ``reject`` (or a delta ``welcome``, never the whole board
again), its socket stays open, the server keeps serving, and nobody else's board
changes unless an op was acknowledged.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support import LiveClient, ServerProcess

# Examples hold 60 kB strings; their repr in a failure report is still wanted.
pytestmark = pytest.mark.filterwarnings("ignore:Generating overly large repr")

KNOWN_OPS = [
    "add_card",
    "edit_card",
    "move_card",
    "archive_card",
    "restore_card",
    "add_column",
    "rename_column",
    "move_column",
    "remove_column",
    "rename_forum",
    "record_decision",
    "add_next_step",
    "update_next_step",
]
FIELDS = [
    "card",
    "column",
    "title",
    "body",
    "kind",
    "index",
    "team",
    "to_team",
    "owner",
    "text",
    "cards",
    "step",
    "status",
    "due",
    "name",
    "id",
    "seq",
    "x",
]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
field_values = (
    json_values
    | st.text(min_size=300, max_size=5000)
    | st.sampled_from(
        ["c1", "new", "nope", "", "../../etc", "<script>alert(1)</script>", "\u0000", "\ud7ff"]
    )
)
ops = st.fixed_dictionaries(
    {"type": st.sampled_from([*KNOWN_OPS, "drop_table", "start_session ", "", "NotePresence"])},
    optional={f: field_values for f in FIELDS},
)
messages = st.one_of(
    json_values.map(json.dumps),
    st.text(max_size=200),
    st.builds(
        lambda op_id, op: json.dumps({"type": "op", "id": op_id, "op": op}),
        json_values | st.text(min_size=1, max_size=80),
        ops,
    ),
    st.builds(lambda op: json.dumps({"type": "op", "op": op}), ops),
    st.builds(
        lambda t, extra: json.dumps({"type": t, **extra}),
        st.sampled_from(["hello", "ping", "op", "welcome", "batch", "ack", "HELLO", ""]),
        st.dictionaries(
            st.sampled_from(["last_seq", "epoch", "id", "op", "x"]), json_values, max_size=3
        ),
    ),
    st.just("x" * 60_000),
    st.builds(  # deep nesting where the decoder must skip or read it (under 64 KiB)
        lambda depth, arrays, frame: frame.replace(
            "X", "[" * depth + "]" * depth if arrays else '{"a":' * depth + "1" + "}" * depth
        ),
        st.integers(1, 5000),
        st.booleans(),
        st.sampled_from(
            [
                "X",
                '{"x":X,"type":"hello"}',
                '{"type":"op","id":"n1","op":{"card":X,"type":"archive_card"}}',
                '{"type":"op","id":X,"op":{"type":"archive_card","card":"c1"}}',
                '{"type":"hold","card":X}',
            ]
        ),
    ),
    st.just(
        '{"type": "op", "id": "' + "i" * 50_000 + '", "op": {"type": "archive_card", "card": "c1"}}'
    ),
)


# A flood: the same hello or ping hundreds of times (they count against the rate, R14).
floods = st.builds(
    lambda frame, n: [frame] * n,
    st.sampled_from(
        [
            json.dumps({"type": "hello"}),
            json.dumps({"type": "ping"}),
            '{"type":"hello","epoch":"x"}',
        ]
    ),
    st.integers(1, 400),
)
BARRIER = json.dumps({"type": "barrier-of-the-fuzz-test"})


async def _scenario(server: ServerProcess, forum_id: str, batch: list[str]) -> None:
    url = server.ws_url(forum_id)
    observer = await LiveClient.connect(url)
    start_seq = observer.seq
    fuzzer = await LiveClient.connect(url)
    for raw in batch:
        await fuzzer.ws.send(raw)
    # An unknown type is answered at once and never rate-limited: all before it was read.
    await fuzzer.ws.send(BARRIER)
    await fuzzer.expect("error", match=lambda m: "barrier-of" in m["reason"], timeout=20)
    await asyncio.sleep(0.2)  # answers to ops and hellos come from the room, after it
    answers = fuzzer.received[1:]
    assert fuzzer.ws.close_code is None, "the fuzzer's socket must stay open"
    kinds = {m["type"] for m in answers}
    assert kinds <= {"error", "reject", "ack", "pong", "batch", "welcome"}, kinds
    # SPEC R3: a connection already welcomed never gets the whole board again.
    assert not [m for m in answers if m["type"] == "welcome" and m["full"]]
    for m in answers:
        if m["type"] in ("error", "reject"):
            assert m["code"] and m["reason"], m
    acked = [m for m in answers if m["type"] == "ack" and m["seq"] > start_seq]
    # The board changed for the observer only through acknowledged ops.
    probe = await LiveClient.connect(url)
    assert probe.seq == (max(m["seq"] for m in acked) if acked else start_seq)
    if not acked:
        assert not [m for m in observer.received if m["type"] == "batch" and m["items"]]
    # The forum still takes a valid op from anyone.
    answer = await probe.call({"type": "add_card", "column": "new", "title": "still fine"})
    assert answer["type"] == "ack"
    for c in (observer, fuzzer, probe):
        await c.close()


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(batch=st.lists(messages, min_size=1, max_size=12) | floods)
def test_generated_messages_get_errors_and_change_nothing(
    server: ServerProcess, forum: dict[str, Any], batch: list[str]
) -> None:
    asyncio.run(_scenario(server, forum["id"], batch))
    log = server.log_path.read_text()
    assert "Traceback" not in log, log[-3000:]

"""The wire schema (board/protocol.py): strict client decoding, server round-trips."""

from __future__ import annotations

import datetime as dt
import json
import typing
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from board import events as voting_events
from board import ops as o
from board.events import (
    BacklogPaired,
    BacklogUnpaired,
    CardAdded,
    CardArchived,
    CardEdited,
    CardMoved,
    CardRestored,
    ColumnAdded,
    ColumnMoved,
    ColumnRemoved,
    ColumnRenamed,
    ColumnReranked,
    DecisionRecorded,
    Event,
    FocusChanged,
    ForumRenamed,
    MyTeamsSet,
    NextStepAdded,
    NextStepUpdated,
    ParticipantsAdded,
    RoomJoinChanged,
    SdsChanged,
    SessionEnded,
    SessionStarted,
    TimerChanged,
)
from board.model import (
    Card,
    CardGroup,
    Column,
    Decision,
    NextStep,
    Retro,
    Session,
    Standard,
    Timer,
)
from board.protocol import (
    Ack,
    BadMessage,
    Batch,
    Error,
    Hello,
    Limits,
    PeerInfo,
    Ping,
    Pong,
    Reject,
    Resync,
    Send,
    ServerMessage,
    Welcome,
    WireItem,
    decode_client,
    decode_server,
    encode,
)
from board.sds_model import ScaledDaily, SdsTurn

# One example of every client operation, as a client sends it.
OPS: dict[str, dict[str, Any]] = {
    "add_card": {"column": "new", "title": "CI is red", "kind": "risk", "body": "b", "team": "red",
                 "to_team": "blue", "owner": "Li", "index": 0},
    "edit_card": {"card": "c1", "title": "t", "owner": ""},
    "move_card": {"card": "c1", "column": "removing", "index": 3},
    "archive_card": {"card": "c1"},
    "restore_card": {"card": "c1"},
    "add_column": {"title": "Blocked", "index": None},
    "rename_column": {"column": "new", "title": "Fresh"},
    "move_column": {"column": "new", "index": 2},
    "remove_column": {"column": "new"},
    "rename_forum": {"name": "ART SoS"},
    "start_session": {},
    "end_session": {},
    "record_decision": {"text": "Ship", "cards": ["c1", "c2"]},
    "add_next_step": {"text": "Call EAT", "owner": "Li", "due": "2030-01-31", "cards": ["c1"]},
    "update_next_step": {"step": "s4", "status": "done", "due": None},
    "return_escalation": {"card": "c1", "note": "Needs a team decision first"},
    "answer_feedback": {"card": "c1", "outcome": "declined", "note": "Covered already"},
    "set_timer": {"duration": 300},
    "start_timer": {},
    "pause_timer": {},
    "reset_timer": {},
    "set_focus": {"target": "c1"},
    "group_card": {"card": "c1", "with_card": "c2"},
    "ungroup_card": {"card": "c1"},
    "name_group": {"group": "g3", "title": "Pipeline"},
    "cast_vote": {"target": "g3"},
    "retract_vote": {"target": "c1"},
    "set_phase": {"phase": "reveal"},
    "configure_retro": {"dots": 5, "anonymous": True},
    "set_wip_limit": {"column": "new", "limit": 4},
    "set_room_join": {"on": True},
    "set_my_teams": {"teams": ["checkout", "platform"]},
    "start_sds": {"teams": ["checkout", "payments"]},
    "set_sds_speaker": {"team": "checkout", "speaker": "Maya"},
    "claim_sds_team": {"team": "checkout"},
    "answer_sds": {"team": "checkout", "impediments": "Flaky CI", "blocking": ""},
    "next_sds_team": {"team": "checkout", "skip": True},
    "end_sds": {},
}  # fmt: skip


def frame(op_type: str, **fields: Any) -> str:
    return json.dumps({"type": "op", "id": "abc-1", "op": {"type": op_type, **fields}})


def test_every_client_op_type_has_an_example() -> None:
    tags = {cls.__struct_config__.tag for cls in o.CLIENT_OP_TYPES}
    assert tags == set(OPS)


@pytest.mark.parametrize("op_type", sorted(OPS))
def test_decode_every_client_op(op_type: str) -> None:
    msg = decode_client(frame(op_type, **OPS[op_type]).encode())
    assert isinstance(msg, Send) and msg.id == "abc-1"
    assert msg.op.__struct_config__.tag == op_type
    for name, value in OPS[op_type].items():
        got = getattr(msg.op, name)
        expected = tuple(value) if isinstance(value, list) else value
        assert got == (dt.date.fromisoformat(value) if name == "due" and value else expected)
    assert decode_client(encode(msg)) == msg


def test_decode_defaults_and_unset_fields() -> None:
    msg = decode_client(frame("add_card", column="new", title="x"))
    assert isinstance(msg, Send) and isinstance(msg.op, o.AddCard)
    assert (msg.op.kind, msg.op.index, msg.op.body) == (None, None, "")
    edit = decode_client(frame("edit_card", card="c1", title="t"))
    assert isinstance(edit, Send) and isinstance(edit.op, o.EditCard)
    assert edit.op.body is msgspec.UNSET  # left out: unchanged
    step = decode_client(frame("update_next_step", step="s1", due=None))
    assert isinstance(step, Send) and isinstance(step.op, o.UpdateNextStep)
    assert step.op.due is None and step.op.status is msgspec.UNSET


@pytest.mark.parametrize(
    ("raw", "msg"),
    [
        ('{"type": "hello"}', Hello()),
        ('{"type": "hello", "last_seq": 0, "epoch": null}', Hello(last_seq=0)),
        ('{"type": "hello", "last_seq": 41, "epoch": "5f0c1a9b2e77"}', Hello(41, "5f0c1a9b2e77")),
        ('{"type": "ping"}', Ping()),
    ],
)
def test_decode_hello_and_ping(raw: str, msg: Any) -> None:
    assert decode_client(raw) == msg
    assert decode_client(encode(msg)) == msg


LONG = "x" * 201

BAD: list[tuple[str, str]] = [
    # SPEC R12: (frame, what the error must name)
    ("{", "truncated"),
    ("not json", "malformed"),
    ("[]", "object"),
    ('"hello"', "object"),
    ("{}", "type"),
    ('{"type": "goodbye"}', "$.type"),
    ('{"type": 7}', "type"),
    ('{"type": "hello", "extra": 1}', "extra"),
    ('{"type": "hello", "last_seq": -1}', "$.last_seq"),
    ('{"type": "hello", "last_seq": "41"}', "$.last_seq"),
    ('{"type": "hello", "last_seq": 1.5}', "$.last_seq"),
    ('{"type": "hello", "epoch": 5}', "$.epoch"),
    (json.dumps({"type": "hello", "epoch": "e" * 65}), "$.epoch"),
    ('{"type": "ping", "seq": 1}', "seq"),
    ('{"type": "op", "op": {"type": "start_session"}}', "id"),
    ('{"type": "op", "id": "", "op": {"type": "start_session"}}', "$.id"),
    (json.dumps({"type": "op", "id": "i" * 65, "op": {"type": "start_session"}}), "$.id"),
    ('{"type": "op", "id": "a"}', "op"),
    ('{"type": "op", "id": "a", "op": {"type": "fly"}}', "$.op.type"),
    ('{"type": "op", "id": "a", "op": {"type": "note_presence", "names": []}}', "$.op.type"),
    (frame("start_session", x=1), "x"),
    (frame("move_card", card="c1", column="new"), "index"),
    (frame("move_card", card="c1", column="new", index=-1), "$.op.index"),
    (frame("move_card", card="c1", column="new", index=100_001), "$.op.index"),
    (frame("move_card", card="c1", column="new", index="2"), "$.op.index"),
    (frame("move_card", card=1, column="new", index=0), "$.op.card"),
    (frame("add_card", column="new", title=LONG), "$.op.title"),
    (frame("add_card", column="new", title="t", body="b" * 4001), "$.op.body"),
    (frame("add_card", column="new", title="t", owner="o" * 61), "$.op.owner"),
    (frame("add_card", column="", title="t"), "$.op.column"),
    (frame("add_column", title="c" * 61), "$.op.title"),
    (frame("rename_forum", name="n" * 81), "$.op.name"),
    (frame("record_decision", text="d" * 2001), "$.op.text"),
    (frame("record_decision", text="d", cards=[f"c{i}" for i in range(21)]), "$.op.cards"),
    (frame("record_decision", text="d", cards=["c1", ""]), "$.op.cards[1]"),
    (frame("add_next_step", text="t", due="31/01/2030"), "$.op.due"),
    (frame("update_next_step", step="s1", status="finished"), "$.op.status"),
    (frame("edit_card", card="c1", title=None), "$.op.title"),
]


@pytest.mark.parametrize(("raw", "names"), BAD)
def test_bad_messages_name_what_is_wrong(raw: str, names: str) -> None:
    # SPEC R12: a frame that is not JSON or does not fit the schema is a BadMessage.
    with pytest.raises(BadMessage) as info:
        decode_client(raw)
    assert names in str(info.value) or names in str(info.value).lower()
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    "raw",
    [
        b'{"type": "hello", "epoch": "\xff"}',
        b"\xff\xfe",
        b"",
        '{"type": "hello", "epoch": "\ud800"}',
    ],
)
def test_bad_bytes_are_a_bad_message(raw: str | bytes) -> None:
    # SPEC R12: a frame that is not UTF-8 is bad input too, not a crash.
    with pytest.raises(BadMessage):
        decode_client(raw)


surrogates = st.text(st.characters(categories=["Cs"]), min_size=1, max_size=2)
json_st = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
op_type_st = st.sampled_from([*OPS, "note_presence", "x"])


@settings(max_examples=200, deadline=None)
@given(
    raw=st.binary(max_size=60)
    | st.text(max_size=60)
    | st.builds(lambda a, s: a + s, st.text(max_size=30), surrogates)  # lone surrogates
    | st.binary(max_size=4).map(lambda b: b'{"type": "hello", "epoch": "' + b + b'"}')
    | st.builds(
        lambda t, d: json.dumps({"type": t, **d}),
        st.sampled_from(["hello", "op", "ping"]),
        st.dictionaries(st.sampled_from(["id", "op", "last_seq", "epoch", "x"]), json_st),
    )
    | st.builds(
        lambda t, d: frame(t, **d),
        op_type_st,
        st.dictionaries(
            st.sampled_from(
                ["card", "column", "title", "index", "text", "cards", "due", "status", "step"]
            ),
            json_st,
        ),
    )
)
def test_decode_client_only_ever_raises_bad_message(raw: str | bytes) -> None:
    # SPEC R12: whatever a client sends, decoding either succeeds or says BadMessage.
    try:
        msg = decode_client(raw)
    except BadMessage as e:
        assert str(e)
    else:
        assert decode_client(encode(msg)) == msg


# -- server to client ---------------------------------------------------------------------


def card(**kw: Any) -> Card:
    base = Card("c1", "risk", "Vendor late", "new", "V", 1.5, "Ann", 2.5, "Bo")
    return msgspec.structs.replace(base, **kw)


SESSION = Session(
    "f1-1", 1, 1.0, "Ann", 3, ("Ann", "Bo"), (Decision("d4", "f1-1", "Go", 2.0, "Bo", ("c1",)),)
)
STEP = NextStep(
    "s5", "f1-1", "Call", 1.0, "Ann", 2.0, "Bo", "Li", dt.date(2030, 1, 31), "done", ("c1",)
)

STANDARD = Standard(
    id="st9", text="Trunk daily", eat="eat", eat_name="EAT", card="c1", card_title="Trunk",
    adopted_at=1.5, adopted_by="Ann", session_id="eat-s1", session_number=1, forums=("sos",),
)  # fmt: skip

EVENTS: list[Event] = [
    CardAdded(card=card(body="multi\nline", team="red", to_team="blue", owner="Li")),
    CardEdited(card=card(title="é ü 日本")),
    CardMoved(card_id="c1", from_column="new", column="removing", rank="0V"),
    ColumnReranked(column="new", ranks={"c1": "1", "c2": "2"}),
    CardArchived(card=card(archived=True)),
    CardRestored(card=card()),
    ColumnAdded(column=Column("col9", "Blocked", (), 3), index=1),
    ColumnRenamed(column_id="new", title="Fresh"),
    ColumnMoved(column_id="new", index=2),
    ColumnRemoved(column_id="col9"),
    ForumRenamed(name="ART"),
    BacklogPaired(forum="backlog-1", name="Scaled Backlog"),
    BacklogUnpaired(forum="backlog-1", name="Scaled Backlog"),
    SessionStarted(session=SESSION),
    ParticipantsAdded(session_id="f1-1", names=("Cy",)),
    SessionEnded(session=SESSION, ended_at=9.0, ended_by="Ann", end_seq=12, next_steps=(STEP,)),
    DecisionRecorded(decision=SESSION.decisions[0]),
    NextStepAdded(step=STEP),
    NextStepUpdated(step=NextStep("s5", "f1-1", "Call", 1.0, "Ann", 2.0, "Bo")),
    TimerChanged(action="started", timer=Timer(300, 120.5, 1764000000.25)),
    FocusChanged(target="c1"),
    RoomJoinChanged(on=True),
    MyTeamsSet(name="Maya", teams=("checkout",)),
    SdsChanged(
        action="started",
        sds=ScaledDaily(
            session_id="f-1", started_at=1.0, started_by="Fay", turns=(SdsTurn(team="checkout"),)
        ),
    ),
    voting_events.GroupChanged(group=CardGroup(id="g3", title="Pipeline")),
    voting_events.GroupRemoved(group_id="g3"),
    voting_events.VoteCast(voter="Ann", target="g3", used=2, voters=4),
    voting_events.VoteRetracted(voter="Ann", target="g3", used=1, voters=4),
    voting_events.VotesCounted(voters=4),
    voting_events.VoteClosed(tally={"g3": 5, "c1": 2}),
    voting_events.VoteReopened(),
    voting_events.PhaseChanged(retro=Retro(phase="reveal", dots=5), previous="write"),
    voting_events.RetroConfigured(retro=Retro(phase="write", anonymous=True)),
    voting_events.CardsRevealed(cards=(card(),)),
    voting_events.WipLimitSet(column="new", limit=4),
    voting_events.WipExceeded(column="new", count=5, limit=4, title="New", card_id="c1"),
    voting_events.StandardAdopted(standard=STANDARD),
    voting_events.StandardRetired(standard=STANDARD),
    voting_events.StandardAnnounced(standard=STANDARD),
]


def test_examples_cover_every_event_type() -> None:
    assert {type(e) for e in EVENTS} == set(typing.get_args(Event))


ME = PeerInfo(id="a1b2", name="Maya Chen", hue=212)
ITEMS = [
    WireItem(seq=i + 1, op_id=f"op{i}" if i % 2 else None, actor="Ann", at=1.5, events=(e,))
    for i, e in enumerate(EVENTS)
]

SERVER_MESSAGES: list[ServerMessage] = [
    Welcome(
        epoch="e1",
        seq=17,
        you=ME,
        peers=[ME],
        full=False,
        items=ITEMS,
        html={},
        limits=Limits(65536, 50),
    ),
    Welcome(
        epoch="e1",
        seq=17,
        you=ME,
        peers=[],
        full=True,
        items=[],
        html={"region:columns": "<ol></ol>"},
        limits=Limits(1, 2),
    ),
    Batch(items=ITEMS[:3], html={"card:c1": "<li>…</li>"}, joined=[ME], left=["zz"]),
    Batch(items=[], html={}),
    Ack(id="abc-1", seq=4),
    Ack(id="abc-1", seq=4, duplicate=True),
    Reject(id="abc-2", code="not_found", reason="There is no card 'c9'."),
    Error(code="bad_message", reason="Expected `int` >= 0 - at `$.last_seq`"),
    Pong(),
    Resync(reason="reloaded"),
]


@pytest.mark.parametrize("msg", SERVER_MESSAGES, ids=lambda m: type(m).__name__)
def test_server_messages_round_trip(msg: ServerMessage) -> None:
    data = encode(msg)
    assert json.loads(data)["type"] == msg.__struct_config__.tag
    assert decode_server(data) == msg
    assert decode_server(data.decode()) == msg


def test_server_decoding_is_strict() -> None:
    with pytest.raises(msgspec.ValidationError):
        decode_server(b'{"type": "ack", "id": "a", "seq": 1, "extra": 2}')
    with pytest.raises(msgspec.ValidationError):
        decode_server(b'{"type": "hello"}')  # a client message is no server message


@pytest.mark.parametrize(
    "op_type",
    [
        "escalate_card",
        "receive_escalation",
        "escalation_status",
        "pair_backlog",
        "unpair_backlog",
        "mirror_item",
        "backlog_order",
    ],
)
def test_a_client_cannot_send_a_server_made_escalation_op(op_type: str) -> None:
    with pytest.raises(BadMessage):
        decode_client(frame(op_type, card="c1").encode())

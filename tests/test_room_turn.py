"""A room's turn without a server: ``server.live.turn.RoomState`` driven with plain data
(clients that only record, messages built by hand), and what it decides checked frame
by frame: who gets what now, what is appended, what is answered after the commit.
The last tests run SPEC R11 (a failed write, a reload, a resync) with the step and a
real store whose write fails for a real reason: another writer took the seq."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from board import ops as o
from board.model import Team, new_board
from board.protocol import Hello, Limits
from board.sync import Accepted, ForumSync, Outcome
from server.config import TEMPLATES_DIR
from server.live.messages import IDLE, RELOAD, STOP, Join, Leave, OpIn
from server.live.turn import Plan, RoomState, answers_after_commit
from server.storage import StoreError
from server.storage.sqlite import SqliteStorage
from server.web.render import Renderer

RENDERER = Renderer(TEMPLATES_DIR)
NOW = 1_000.0


@dataclass(eq=False)
class Client:
    """A connected client as the step sees it; it only records what it is given."""

    id: str
    name: str
    role: str = "facilitator"
    hue: int = 0
    takes_part: bool = True
    closed: bool = False
    got: list[dict[str, Any]] = field(default_factory=list)
    person: str = ""  # SPEC R40: the person key ("" below: the name is the key)

    def __post_init__(self) -> None:
        self.person = self.person or self.name

    def deliver(self, message: dict[str, Any]) -> None:
        self.got.append(message)

    def deliver_all(self, messages: list[dict[str, Any]]) -> None:
        self.got.extend(messages)


@dataclass
class Reply:
    """Where an HTTP caller waits (the step never sets it: the adapter does)."""

    result: Outcome | None = None

    def done(self) -> bool:
        return self.result is not None

    def set_result(self, result: Outcome, /) -> None:
        self.result = result


def room(board_id: str = "f1", snapshot_every: int = 500) -> RoomState:
    sync = ForumSync(new_board(board_id, "sos", "Forum"), "epoch-1")
    limits = Limits(max_message_bytes=65536, ops_per_second=50)
    return RoomState(sync, RENDERER, limits=limits, snapshot_every=snapshot_every)


def decoded(message: dict[str, Any]) -> dict[str, Any]:
    return dict(json.loads(message["text"]))


def sent(plan: Plan, state: RoomState) -> dict[str, list[dict[str, Any]]]:
    """Client id -> the frames ``plan`` sends it now (``None`` targets: everyone)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for targets, message in plan.frames:
        for client in targets if targets is not None else tuple(state.peers.values()):
            out.setdefault(client.id, []).append(decoded(message))
    return out


def card(title: str) -> o.AddCard:
    return o.AddCard(column="new", title=title)


def joined(state: RoomState, *clients: Client) -> None:
    state.turn([Join(c, Hello()) for c in clients], NOW, frozenset())


def test_a_join_gets_a_welcome_and_everyone_the_news() -> None:
    state = room()
    ann, bob = Client("a", "Ann"), Client("b", "Bob")
    joined(state, ann)
    plan = state.turn([Join(bob, Hello())], NOW, frozenset())
    frames = sent(plan, state)
    assert [m["type"] for m in frames["b"]] == ["welcome", "batch"]
    assert frames["b"][0]["full"] is True and frames["b"][0]["seq"] == 0
    assert [m["type"] for m in frames["a"]] == ["batch"]
    assert frames["a"][0]["joined"] == [{"id": "b", "name": "Bob", "hue": 0, "teams": []}]
    assert plan.joined and not plan.accepted and ann.got == [] and bob.got == []


def test_ops_of_a_turn_are_one_append_and_one_frame_per_role() -> None:
    state = room()
    ann, bob, vic = Client("a", "Ann"), Client("b", "Bob"), Client("v", "Vic", role="viewer")
    joined(state, ann, bob, vic)
    batch: list[Any] = [OpIn(card(f"C{i}"), f"op{i}", "Ann", ann) for i in range(3)]
    plan = state.turn(batch, NOW, frozenset())
    assert [a.item.seq for a in plan.accepted] == [1, 2, 3]
    assert [a.item.op_id for a in plan.accepted] == ["op0", "op1", "op2"]
    assert plan.accepted[-1].board == state.sync.board and not plan.snapshot
    assert len(plan.frames) == 2  # one frame for the facilitators, one for the viewer
    by_role = {len(targets or ()): decoded(m) for targets, m in plan.frames}
    assert [i["seq"] for i in by_role[2]["items"]] == [1, 2, 3]
    assert by_role[1]["html"] != by_role[2]["html"]  # a viewer gets no buttons
    assert [(m.op_id, type(out).__name__) for m, out in plan.answers] == [
        ("op0", "Accepted"),
        ("op1", "Accepted"),
        ("op2", "Accepted"),
    ]


def test_moves_are_one_frame_for_everyone() -> None:
    state = room()
    ann, vic = Client("a", "Ann"), Client("v", "Vic", role="viewer")
    joined(state, ann, vic)
    state.turn([OpIn(card("One"), "x", "Ann", ann)], NOW, frozenset())
    move = o.MoveCard(card="c1", column="removing", index=0)
    plan = state.turn([OpIn(move, "m", "Ann", ann)], NOW, frozenset())
    assert len(plan.frames) == 1 and plan.frames[0][0] is None


def test_acks_wait_for_the_commit_and_come_one_write_per_client() -> None:
    state = room()
    ann, bob = Client("a", "Ann"), Client("b", "Bob")
    joined(state, ann, bob)
    plan = state.turn(
        [OpIn(card("A1"), "a1", "Ann", ann), OpIn(card("B1"), "b1", "Bob", bob),
         OpIn(card("A2"), "a2", "Ann", ann)],
        NOW,
        frozenset(),
    )  # fmt: skip
    replies, frames = answers_after_commit(plan.answers, durable=True)
    assert replies == []
    assert [decoded(m) for m in frames[ann]] == [
        {"type": "ack", "id": "a1", "seq": 1, "duplicate": False},
        {"type": "ack", "id": "a2", "seq": 3, "duplicate": False},
    ]
    assert [decoded(m)["seq"] for m in frames[bob]] == [2]


def test_a_refused_op_is_answered_now_and_appends_nothing() -> None:
    state = room()
    ann, bob = Client("a", "Ann"), Client("b", "Bob")
    joined(state, ann, bob)
    bad = o.MoveCard(card="nope", column="new", index=0)
    plan = state.turn([OpIn(bad, "bad", "Ann", ann)], NOW, frozenset())
    assert plan.accepted == [] and plan.answers == []
    assert plan.frames == [((ann,), plan.frames[0][1])]
    assert decoded(plan.frames[0][1])["type"] == "reject"


def test_http_callers_are_answered_by_reply_not_frames() -> None:
    state = room()
    refused, ok = Reply(), Reply()
    bad = o.MoveCard(card="nope", column="new", index=0)
    plan = state.turn(
        [OpIn(bad, None, "Ann", reply=refused), OpIn(card("x"), None, "Ann", reply=ok)],
        NOW,
        frozenset(),
    )
    assert [type(out).__name__ for _, out in plan.replies] == ["Refused"]
    replies, frames = answers_after_commit(plan.answers, durable=True)
    assert frames == {} and [type(out).__name__ for _, out in replies] == ["Accepted"]
    assert refused.result is None and ok.result is None  # the adapter sets them


def test_a_snapshot_every_so_many_ops() -> None:
    state = room(snapshot_every=3)
    ann = Client("a", "Ann")
    joined(state, ann)
    first = state.turn(
        [OpIn(card("1"), "1", "Ann", ann), OpIn(card("2"), "2", "Ann", ann)], NOW, frozenset()
    )
    second = state.turn([OpIn(card("3"), "3", "Ann", ann)], NOW, frozenset())
    third = state.turn([OpIn(card("4"), "4", "Ann", ann)], NOW, frozenset())
    assert (first.snapshot, second.snapshot, third.snapshot) == (False, True, False)


def test_starting_a_session_notes_who_is_present() -> None:
    state = room()
    ann, screen = Client("a", "Ann"), Client("p", "Projector", takes_part=False)
    joined(state, ann, screen)
    start = OpIn(o.StartSession(), None, "Zoe", reply=Reply())  # from HTTP
    plan = state.turn([start], NOW, frozenset())
    assert [type(a.item.op).__name__ for a in plan.accepted] == ["StartSession", "NotePresence"]
    assert state.sync.board.session is not None
    assert "Ann" in state.sync.board.session.participants
    assert "Projector" not in state.sync.board.session.participants


def test_the_last_leave_then_idle_evicts() -> None:
    state = room()
    ann = Client("a", "Ann")
    joined(state, ann)
    plan = state.turn([Leave(ann)], NOW, frozenset())
    assert plan.emptied and state.peers == {}
    assert decoded(plan.frames[-1][1])["left"] == ["a"]
    assert state.turn([IDLE], NOW, frozenset()).action == "evict"
    back = state.turn([Leave(ann), Join(ann, Hello())], NOW, frozenset())
    assert back.joined and not back.emptied


def test_a_client_welcomed_mid_turn_gets_each_item_once() -> None:
    # SPEC R3, R5: the turn's batch carries, for a client it welcomed, only the items
    # after its welcome; the others get them all.
    state = room()
    ann, bob = Client("a", "Ann"), Client("b", "Bob")
    joined(state, ann)
    plan = state.turn(
        [OpIn(card("Before"), "1", "Ann", ann), Join(bob, Hello()),
         OpIn(card("After"), "2", "Ann", ann)],
        NOW,
        frozenset(),
    )  # fmt: skip
    frames = sent(plan, state)
    welcome, *batches = frames["b"]
    assert welcome["type"] == "welcome" and welcome["seq"] == 1 and "Before" in str(welcome)
    assert [[i["seq"] for i in b["items"]] for b in batches] == [[2]]
    assert batches[0]["joined"] == [{"id": "b", "name": "Bob", "hue": 0, "teams": []}]
    assert "card:c1" not in batches[0]["html"] and "card:c2" in batches[0]["html"]
    assert [[i["seq"] for i in b["items"]] for b in frames["a"]] == [[1, 2]]
    # A client welcomed after every item of the turn gets only the news of it.
    cid = Client("c", "Cid")
    plan = state.turn([OpIn(card("Third"), "3", "Ann", ann), Join(cid, Hello())], NOW, frozenset())
    frames = sent(plan, state)
    assert [m["type"] for m in frames["c"]] == ["welcome", "batch"]
    assert frames["c"][0]["seq"] == 3 and frames["c"][1]["items"] == []
    assert [[i["seq"] for i in b["items"]] for b in frames["a"]] == [[3]]
    assert [[i["seq"] for i in b["items"]] for b in frames["b"]] == [[3]]


def test_another_hello_on_a_connection_gets_a_delta_not_the_board() -> None:
    # SPEC R3, R14: a repeated hello on a welcomed connection of this epoch is a delta
    # from its previous welcome, whatever it asks for; never the whole board again.
    state = room()
    ann = Client("a", "Ann")
    joined(state, ann)
    state.turn([OpIn(card(f"C{i}"), f"o{i}", "Ann", ann) for i in range(3)], NOW, frozenset())
    again = sent(state.turn([Join(ann, Hello())], NOW, frozenset()), state)["a"]
    assert [m["type"] for m in again] == ["welcome"]  # no batch: nothing new, nobody new
    assert again[0]["full"] is False and [i["seq"] for i in again[0]["items"]] == [1, 2, 3]
    flood = [Join(ann, Hello(last_seq=0, epoch="epoch-1")) for _ in range(5)]
    welcomes = sent(state.turn(flood, NOW, frozenset()), state)["a"]
    assert [(w["full"], w["items"]) for w in welcomes] == [(False, [])] * 5
    # A new epoch (a reload, R11) makes the next hello a whole board again.
    state.reload(ForumSync(state.sync.board, "epoch-2"))
    after = sent(
        state.turn([Join(ann, Hello(last_seq=3, epoch="epoch-1"))], NOW, frozenset()), state
    )
    assert after["a"][0]["full"] is True and after["a"][0]["epoch"] == "epoch-2"


def test_stop_ends_the_room_after_the_turn() -> None:
    # SPEC R9a: what was queued before the stop is decided in the same turn.
    state = room()
    ann = Client("a", "Ann")
    joined(state, ann)
    plan = state.turn([OpIn(card("Last"), "l", "Ann", ann), STOP], NOW, frozenset())
    assert plan.action == "stop" and [a.item.seq for a in plan.accepted] == [1]
    assert [m.op_id for m, _ in plan.answers] == ["l"]


# -- R11: a failed write, a reload from storage, a resync ------------------------------


async def test_r11_a_failed_append_reloads_and_resyncs(tmp_path: Path) -> None:
    # SPEC R11
    db = tmp_path / "board.db"
    storage = await SqliteStorage.open(db)
    other = await SqliteStorage.open(db)  # another writer of the same file
    try:
        await storage.forums.create(new_board("f1", "sos", "Forum"), NOW)
        loaded = await storage.log.load("f1")
        assert loaded is not None
        state = RoomState(
            ForumSync(loaded.board, "epoch-1", known_op_ids=loaded.known_op_ids),
            RENDERER,
            limits=Limits(max_message_bytes=65536, ops_per_second=50),
            snapshot_every=500,
        )
        ann, bob = Client("a", "Ann"), Client("b", "Bob")
        joined(state, ann, bob)
        plan = state.turn([OpIn(card("Kept"), "k", "Ann", ann)], NOW, frozenset())
        await storage.log.append("f1", plan.accepted, NOW)

        # Another writer logs seq 2 first: the room's own seq 2 cannot be written.
        theirs = await other.log.load("f1")
        assert theirs is not None
        elsewhere = ForumSync(theirs.board, "x").submit(
            card("From elsewhere"), op_id=None, actor="Eve", at=NOW
        )
        assert isinstance(elsewhere, Accepted)
        await other.log.append("f1", [elsewhere], NOW)

        plan = state.turn([OpIn(card("Lost"), "lost", "Bob", bob)], NOW, frozenset())
        assert [a.item.seq for a in plan.accepted] == [2]
        with pytest.raises(StoreError):
            await storage.log.append("f1", plan.accepted, NOW)
        _, frames = answers_after_commit(plan.answers, durable=False)
        assert [decoded(m) for m in frames[bob]] == [
            {"type": "reject", "id": "lost", "code": "storage",
             "reason": "The server could not save this; try again."}
        ]  # fmt: skip

        # The adapter posts RELOAD; the turn says so, and the reload takes the store's board.
        assert state.turn([RELOAD], NOW, frozenset()).action == "reload"
        reloaded = await storage.log.load("f1")
        assert reloaded is not None and reloaded.board.seq == 2
        resync = state.reload(
            ForumSync(reloaded.board, "epoch-2", known_op_ids=reloaded.known_op_ids)
        )
        assert decoded(resync)["type"] == "resync"

        # A client that says hello again with its old epoch gets the whole stored board.
        plan = state.turn([Join(bob, Hello(last_seq=2, epoch="epoch-1"))], NOW, frozenset())
        welcome = sent(plan, state)["b"][0]
        assert (welcome["type"], welcome["epoch"], welcome["full"], welcome["seq"]) == (
            "welcome",
            "epoch-2",
            True,
            2,
        )
        assert "From elsewhere" in json.dumps(welcome["html"])
        assert "Lost" not in json.dumps(welcome["html"])
        # ... and its op, sent again, is accepted after the other writer's.
        plan = state.turn([OpIn(card("Lost"), "lost", "Bob", bob)], NOW, frozenset())
        assert [a.item.seq for a in plan.accepted] == [3]
        await storage.log.append("f1", plan.accepted, NOW)
    finally:
        await other.close()
        await storage.close()


def test_a_teams_pick_sends_that_persons_presence_again() -> None:
    # SPEC R52: every connection of the person who picked is in the turn's `joined`,
    # with the team names; the renderer's teams name them; nobody else's is re-sent.
    renderer = Renderer(TEMPLATES_DIR)
    renderer.set_teams([Team("checkout", "Checkout", "#1f77b4")])
    sync = ForumSync(new_board("f1", "sos", "Forum"), "epoch-1")
    limits = Limits(max_message_bytes=65536, ops_per_second=50)
    state = RoomState(sync, renderer, limits=limits, snapshot_every=500)
    ann, ann_phone, bob = Client("a", "Ann"), Client("a2", "Ann"), Client("b", "Bob")
    joined(state, ann, ann_phone, bob)
    op = OpIn(o.SetMyTeams(teams=("checkout",)), "x1", "Ann", ann, by="Ann")
    plan = state.turn([op], NOW, frozenset({"checkout"}))
    frames = sent(plan, state)
    for client in ("a", "a2", "b"):
        (batch,) = frames[client]
        assert batch["joined"] == [
            {"id": "a", "name": "Ann", "hue": 0, "teams": ["Checkout"]},
            {"id": "a2", "name": "Ann", "hue": 0, "teams": ["Checkout"]},
        ]

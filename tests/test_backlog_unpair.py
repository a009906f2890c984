"""Choosing another Scaled Backlog, or none, unpairs the old one (SPEC R76), pure: the
``unpair_backlog`` op, mail between the old boards refused, the old lists no longer
mirroring, re-pairing, and the log replaying the same."""

from __future__ import annotations

import msgspec
import pytest

from board import events as ev
from board import ops as o
from board import ops_backlog as ob
from board.apply import Context, Rejected, apply
from board.log import Item, LoggedOp
from board.model import Board, new_board
from board.replay import board_after, replay
from tests.test_backlog_sync import Net, paired


class LoggedNet(Net):
    """``Net`` keeping each forum's log as the server stores it."""

    def __init__(self, *boards: Board) -> None:
        super().__init__(*boards)
        self.starts = dict(self.boards)
        self.logs: dict[str, list[Item]] = {b.forum_id: [] for b in boards}

    def do(self, forum: str, op: o.Op, actor: str = "Ana") -> list[ev.Event]:
        before = self.boards[forum]
        events = super().do(forum, op, actor)
        if events:
            at = 1000.0 + before.seq
            self.logs[forum].append(
                Item(seq=before.seq + 1, op_id=None, actor=actor, at=at, op=op, events=(*events,))
            )
        return events


def logged_pair() -> LoggedNet:
    net = LoggedNet(
        new_board("m", "metascrum", "MetaScrum"),
        new_board("b", "backlog", "Backlog"),
        new_board("b2", "backlog", "Backlog Two"),
    )
    for title in ("Checkout redesign", "One-click pay"):
        net.do("m", o.AddCard(column="ordered", title=title))
    net.do("b", o.AddCard(column="ordered", title="Search relevance", team="search"))
    net.do("b2", o.AddCard(column="ordered", title="Loyalty points"))
    net.do("m", ob.PairBacklog(forum="b", name="Backlog"))
    net.do("b", ob.PairBacklog(forum="m", name="MetaScrum"))
    net.settle()
    return net


def unpair(net: Net, forum: str, other: str, name: str = "") -> list[ev.Event]:
    return net.do(forum, ob.UnpairBacklog(forum=other, name=name), actor="")


def test_unpairing_clears_the_pair_with_its_event_once() -> None:
    """SPEC R76: ``unpair_backlog`` clears ``pair`` and ``pair_name`` with
    ``backlog_unpaired``; the same again, or naming a forum the board is not paired
    with, changes nothing; only a MetaScrum or a Scaled Backlog takes it."""
    net = paired()
    assert unpair(net, "m", "b") == [ev.BacklogUnpaired(forum="b", name="Backlog")]
    board = net.boards["m"]
    assert (board.pair, board.pair_name, board.unpaired) == ("", "", ("b",))
    assert unpair(net, "m", "b") == []
    assert unpair(net, "b", "elsewhere") == [] and net.boards["b"].pair == "m"
    eat = new_board("e", "eat", "EAT")
    with pytest.raises(Rejected):
        apply(eat, ob.UnpairBacklog(forum="b"), Context(seq=1, at=1.0, actor=""))


def test_the_old_lists_stop_mirroring_and_mail_on_its_way_is_refused() -> None:
    """SPEC R76: once unpaired, a change on either old board sends nothing to the other,
    and mail sent before the unpairing (still on its way) is refused there: both lists
    keep the items they held, as they were."""
    net = paired()
    before = net.titles("m")
    net.do("b", o.AddCard(column="ordered", title="Sent before", index=0))  # mail waits
    net.do("m", o.AddCard(column="ordered", title="Also before", index=0))
    unpair(net, "m", "b", "Backlog")
    unpair(net, "b", "m", "MetaScrum")
    net.settle()
    assert net.titles("m") == ["Also before", *before]
    assert net.titles("b") == ["Sent before", *before]
    net.do("b", o.AddCard(column="ordered", title="After", index=0))
    net.do("m", o.MoveCard(card=net.card("m", "One-click pay"), column="ordered", index=0))
    assert not net.queues["m"] and not net.queues["b"]  # nothing travels
    late = ob.MirrorItem(
        from_forum="b", item=ob.ItemRef(forum="b", card="c99"), present=True, title="Late"
    )
    board = net.boards["m"]
    with pytest.raises(Rejected) as refused:
        apply(board, late, Context(seq=board.seq + 1, at=1.0, actor=""))
    assert refused.value.code == "conflict"


def test_repairing_with_another_backlog_carries_the_metascrums_own_items() -> None:
    """SPEC R76, R57, R58: re-paired with another Scaled Backlog, the MetaScrum sends it
    the items made on it; an item that came from the old Scaled Backlog stays on the
    MetaScrum and travels no more, even when edited, and is not named as the item above."""
    net = logged_pair()
    assert net.titles("m") == ["Checkout redesign", "One-click pay", "Search relevance"]
    search = net.card("m", "Search relevance")
    net.do("m", o.MoveCard(card=search, column="ordered", index=0))
    net.settle()
    unpair(net, "m", "b", "Backlog")
    net.do("m", ob.PairBacklog(forum="b2", name="Backlog Two"))
    unpair(net, "b", "m", "MetaScrum")
    net.do("b2", ob.PairBacklog(forum="m", name="MetaScrum"))
    net.settle()
    assert net.boards["m"].pair == "b2" and net.boards["b"].pair == ""
    assert net.titles("b2") == ["Checkout redesign", "One-click pay", "Loyalty points"]
    # The old item stays here, in a slot of its own (R58: one the order does not name).
    assert [t for t in net.titles("m") if t != "Search relevance"] == net.titles("b2")
    assert "Search relevance" in net.titles("m") and "Search relevance" not in net.titles("b2")
    net.do("m", o.EditCard(card=search, title="Search relevance v2"))
    assert not net.queues["b2"]
    net.do("m", o.MoveCard(card=search, column="ordered", index=0))
    assert not net.queues["b2"]  # nor does its move
    net.do("m", o.AddCard(column="ordered", title="Wallet", index=1))  # below the old item
    net.settle()
    assert net.titles("b2")[0] == "Wallet"  # after none that travels: the top
    assert net.titles("m")[:2] == ["Search relevance v2", "Wallet"]
    assert "Search relevance v2" not in net.titles("b2")
    assert "Search relevance" in net.titles("b")  # the old list keeps its own


def test_pairing_the_same_two_again_joins_them_without_duplicates() -> None:
    """SPEC R76: pairing with a forum it was unpaired from takes it off ``unpaired``; the
    items made on each in the meantime go over, and none twice."""
    net = paired()
    unpair(net, "m", "b", "Backlog")
    unpair(net, "b", "m", "MetaScrum")
    net.do("m", o.AddCard(column="ordered", title="While apart"))
    net.do("m", ob.PairBacklog(forum="b", name="Backlog"))
    net.do("b", ob.PairBacklog(forum="m", name="MetaScrum"))
    net.settle()
    assert net.boards["m"].unpaired == () and net.boards["b"].unpaired == ()
    assert net.titles("m") == net.titles("b")
    assert sorted(net.titles("b")) == sorted(
        ["Checkout redesign", "One-click pay", "Search relevance", "While apart"]
    )


def test_a_log_with_unpairing_replays_the_same() -> None:
    """SPEC R76 (and R5): every board's log, encoded as stored and replayed from its
    first board, gives the same events and the same board, ``unpaired`` included."""
    net = logged_pair()
    unpair(net, "m", "b", "Backlog")
    net.do("m", ob.PairBacklog(forum="b2", name="Backlog Two"))
    unpair(net, "b", "m", "MetaScrum")
    net.do("b2", ob.PairBacklog(forum="m", name="MetaScrum"))
    net.settle()
    for forum, items in net.logs.items():
        stored = [msgspec.json.encode(LoggedOp(i.seq, i.actor, i.at, i.op)) for i in items]
        logged = [msgspec.json.decode(raw, type=LoggedOp) for raw in stored]
        replayed = list(replay(net.starts[forum], logged))
        assert [r.item.events for r in replayed] == [i.events for i in items]
        assert board_after(net.starts[forum], logged) == net.boards[forum]
    assert net.boards["b"].unpaired == ("m",)

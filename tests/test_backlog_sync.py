"""One Scaled Backlog, pure (board/backlog_sync.py, SPEC R57–R59): a MetaScrum's ordered
column and its Scaled Backlog kept one list by mail, the Scaled Backlog's order winning,
and an Executive MetaScrum's decision text coming back to the MetaScrum's card."""

from __future__ import annotations

import contextlib
import random
from collections import deque

import pytest

from board import events as ev
from board import ops as o
from board import ops_backlog as ob
from board.apply import Context, Rejected, apply
from board.log import Item
from board.mail import Mail, mail_for
from board.model import Board, check, new_board

TEAMS = frozenset({"checkout", "payments", "search"})


class Net:
    """Forums by id, and their mail in a queue per forum (delivered in order, as stored)."""

    def __init__(self, *boards: Board) -> None:
        self.boards = {b.forum_id: b for b in boards}
        self.queues: dict[str, deque[o.Op]] = {b.forum_id: deque() for b in boards}

    def do(self, forum: str, op: o.Op, actor: str = "Ana") -> list[ev.Event]:
        board = self.boards[forum]
        ctx = Context(seq=board.seq + 1, at=1000.0 + board.seq, actor=actor, teams=TEAMS)
        after, events = apply(board, op, ctx)
        assert check(after) == []
        if events:
            self.boards[forum] = after
            item = Item(
                seq=ctx.seq, op_id=None, actor=actor, at=ctx.at, op=op, events=tuple(events)
            )
            for m in mail_for(item, after):
                self.post(m)
        return events

    def post(self, mail: Mail) -> None:
        if mail.to_forum in self.queues:
            self.queues[mail.to_forum].append(mail.op)

    def deliver_one(self, forum: str) -> bool:
        if not self.queues[forum]:
            return False
        op = self.queues[forum].popleft()
        with contextlib.suppress(Rejected):  # settled, as the postman does
            self.do(forum, op, actor="")
        return True

    def settle(self) -> None:
        while any(self.deliver_one(f) for f in list(self.queues)):
            pass

    def titles(self, forum: str, column: str = "ordered") -> list[str]:
        board = self.boards[forum]
        col = board.column(column)
        assert col is not None
        return [board.cards[c].title for c in col.card_ids]

    def card(self, forum: str, title: str) -> str:
        board = self.boards[forum]
        return next(c.id for c in board.cards.values() if c.title == title and not c.archived)


def paired() -> Net:
    net = Net(new_board("m", "metascrum", "MetaScrum"), new_board("b", "backlog", "Backlog"))
    for title in ("Checkout redesign", "One-click pay"):
        net.do("m", o.AddCard(column="ordered", title=title))
    net.do("b", o.AddCard(column="ordered", title="Search relevance", team="search"))
    net.do("m", ob.PairBacklog(forum="b", name="Backlog"))
    net.do("b", ob.PairBacklog(forum="m", name="MetaScrum"))
    net.settle()
    return net


def test_pairing_merges_both_lists_into_one_order() -> None:
    """SPEC R57: once paired, each board's items are on the other, in one order (R58:
    the Scaled Backlog's)."""
    net = paired()
    assert sorted(net.titles("b")) == ["Checkout redesign", "One-click pay", "Search relevance"]
    assert net.titles("m") == net.titles("b")
    assert net.titles("b").index("Checkout redesign") < net.titles("b").index("One-click pay")
    copy = net.boards["m"].cards[net.card("m", "Search relevance")]
    assert copy.twin is not None and copy.twin.forum == "b" and copy.team == "search"
    assert net.boards["m"].pair == "b" and net.boards["b"].pair == "m"


def test_a_reorder_in_either_board_shows_in_both() -> None:
    """SPEC R57/R58: a re-order on the MetaScrum (with its note, a decision there only)
    or on the Scaled Backlog changes the one list."""
    net = paired()
    net.do("m", o.StartSession())
    pay = net.card("m", "One-click pay")
    net.do("m", o.MoveCard(card=pay, column="ordered", index=0, note="Pay first: Q4 revenue"))
    net.settle()
    assert net.titles("m")[0] == net.titles("b")[0] == "One-click pay"
    assert net.titles("m") == net.titles("b")
    session = net.boards["m"].session
    assert session is not None and session.decisions[-1].text.startswith("Re-ordered One-click")
    assert net.boards["b"].session is None  # the note is the MetaScrum's decision
    search = net.card("b", "Search relevance")
    net.do("b", o.MoveCard(card=search, column="ordered", index=2))
    net.settle()
    assert net.titles("b")[-1] == "Search relevance" and net.titles("m") == net.titles("b")


def test_adding_editing_and_leaving_the_list_travel() -> None:
    """SPEC R57: an item added on either board appears on the other; an edit follows;
    one moved out of the ordered column (or archived) leaves both lists, and comes back."""
    net = paired()
    net.do("b", o.AddCard(column="ordered", title="Gift cards", index=1))
    net.do("m", o.AddCard(column="ordered", title="Wallet", index=0))
    net.settle()
    assert net.titles("m") == net.titles("b")
    assert {"Gift cards", "Wallet"} <= set(net.titles("m"))
    net.do("m", o.EditCard(card=net.card("m", "Gift cards"), title="Gift cards v2"))
    net.settle()
    assert "Gift cards v2" in net.titles("b")
    wallet = net.card("m", "Wallet")
    net.do("m", o.MoveCard(card=wallet, column="committed", index=0))
    net.settle()
    assert "Wallet" not in net.titles("b") and net.titles("m") == net.titles("b")
    net.do("m", o.MoveCard(card=wallet, column="ordered", index=1))
    net.settle()
    assert net.titles("m") == net.titles("b") and net.titles("b")[1] == "Wallet"
    net.do("b", o.ArchiveCard(card=net.card("b", "Wallet")))
    net.settle()
    assert "Wallet" not in net.titles("m") and net.titles("m") == net.titles("b")
    # a non-backlog kind lands on the Scaled Backlog as a backlog item
    net.do("m", o.AddCard(column="ordered", title="Cart risk", kind="risk"))
    net.settle()
    assert net.boards["b"].cards[net.card("b", "Cart risk")].kind == "backlog_item"


@pytest.mark.parametrize("seed", range(40))
def test_concurrent_reorders_end_in_one_order(seed: int) -> None:
    """SPEC R58: re-orders made on both boards at once, mail delivered in any
    interleaving, end in the same order on both: the Scaled Backlog's."""
    rng = random.Random(seed)
    net = paired()
    for title in ("A", "B", "C", "D"):
        net.do(rng.choice("mb"), o.AddCard(column="ordered", title=title))
    net.settle()
    for _ in range(12):
        forum = rng.choice("mb")
        titles = net.titles(forum)
        card = net.card(forum, rng.choice(titles))
        net.do(forum, o.MoveCard(card=card, column="ordered", index=rng.randrange(len(titles))))
        if rng.random() < 0.5:
            net.deliver_one(rng.choice("mb"))
    net.settle()
    assert net.titles("m") == net.titles("b")
    assert len(set(net.titles("b"))) == len(net.titles("b")) == 7


def test_mail_from_a_forum_not_paired_is_refused() -> None:
    """SPEC R57: a board paired with one forum takes no list from another."""
    net = paired()
    order = ob.BacklogOrder(from_forum="other", order=())
    board = net.boards["m"]
    with pytest.raises(Rejected):
        apply(board, order, Context(seq=board.seq + 1, at=1.0, actor=""))
    eat = new_board("e", "eat", "EAT")
    with pytest.raises(Rejected):
        apply(eat, ob.PairBacklog(forum="b"), Context(seq=1, at=1.0, actor=""))


def test_an_ems_decision_comes_back_with_its_text() -> None:
    """SPEC R59: a decision the Executive MetaScrum records about a card the MetaScrum
    escalated comes back to that card with its text, beside the column name."""
    net = Net(new_board("m", "metascrum", "MetaScrum"), new_board("x", "ems", "EMS"))
    item = (net.do("m", o.AddCard(column="ordered", title="Drop loyalty for pay")))[0]
    assert isinstance(item, ev.CardAdded)
    escalate = o.EscalateCard(card=item.card.id, to_forum="x", to_name="EMS", to_kind="ems")
    net.do("m", escalate)
    net.settle()
    copy = net.card("x", "Drop loyalty for pay")
    net.do("x", o.StartSession())
    net.do("x", o.MoveCard(card=copy, column="decided", index=0))
    net.do(
        "x", o.RecordDecision(text="Fund one-click pay; loyalty waits a quarter.", cards=(copy,))
    )
    net.settle()
    link = net.boards["m"].cards[item.card.id].sent_to
    assert link is not None
    assert link.label == "Decided"
    assert link.decision == "Fund one-click pay; loyalty waits a quarter."

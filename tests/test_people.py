"""A person is an identity, not a name (issue 14, SPEC R40-R43), in the pure board.

Ops carry a person key (``Context.by`` / ``LoggedOp.by``); dots, hidden cards and
attendance are keyed by it (``who``: the key, or the display name for an op logged
before keys existed). No client is shown another person's key.
"""

from __future__ import annotations

import re

import msgspec
import pytest

from board import ops as o
from board import visibility, voting
from board.apply import Context, Rejected, apply
from board.events import VoteCast
from board.export import check_import, encode, export_session, replay_session
from board.log import Item, LoggedOp
from board.model import Board, new_board
from board.protocol import WireItem
from board.sync import Accepted, ForumSync, Refused

ANA_1 = "pAna1xxxxxxxxxxxx"
ANA_2 = "pAna2xxxxxxxxxxxx"
BO = "pBoxxxxxxxxxxxxxx"
API = "~API (participant link)"


class Forum:
    """A retrospective decided op by op, as a room does (``ForumSync``)."""

    def __init__(self) -> None:
        self.sync = ForumSync(new_board("f1", "retro", "Retro"), "e")
        self.at = 1000.0
        self.log: list[LoggedOp] = []

    @property
    def board(self) -> Board:
        return self.sync.board

    def do(self, op: o.Op, actor: str = "Fac", by: str = "pFacxxxxxxxxxxxxx") -> Item:
        outcome = self.try_(op, actor, by)
        assert isinstance(outcome, Accepted), outcome
        return outcome.item

    def try_(self, op: o.Op, actor: str, by: str) -> Accepted | Refused:
        self.at += 1
        outcome = self.sync.submit(op, op_id=None, actor=actor, at=self.at, by=by)
        assert isinstance(outcome, Accepted | Refused), outcome
        if isinstance(outcome, Accepted):
            i = outcome.item
            self.log.append(LoggedOp(i.seq, i.actor, i.at, i.op, i.op_id, i.by))
        return outcome

    def to(self, *phases: str) -> None:
        for phase in phases:
            self.do(o.SetPhase(phase=phase))  # type: ignore[arg-type]


def voting_forum(dots: int = 2) -> Forum:
    f = Forum()
    f.do(o.StartSession())
    f.do(o.AddCard(column="to-improve", title="Pairing"))  # c2
    f.do(o.AddCard(column="to-improve", title="Fast CI"))  # c3
    f.to("write")
    f.do(o.ConfigureRetro(dots=dots))
    f.to("reveal", "group", "vote")
    return f


def test_two_people_of_one_name_have_two_dot_budgets() -> None:  # SPEC R40, R41
    f = voting_forum(dots=2)
    for by in (ANA_1, ANA_2):
        f.do(o.CastVote(target="c2"), "Ana", by)
        f.do(o.CastVote(target="c3"), "Ana", by)
    retro = f.board.retro
    assert retro is not None
    assert retro.votes == {ANA_1: {"c2": 1, "c3": 1}, ANA_2: {"c2": 1, "c3": 1}}
    third = f.try_(o.CastVote(target="c2"), "Ana", ANA_1)
    assert isinstance(third, Refused) and third.code == "limit"


def test_a_renamed_person_keeps_their_dots() -> None:  # SPEC R41
    f = voting_forum(dots=2)
    f.do(o.CastVote(target="c2"), "Ana", ANA_1)
    f.do(o.CastVote(target="c2"), "Ana", ANA_1)
    renamed = f.try_(o.CastVote(target="c3"), "Anna", ANA_1)
    assert isinstance(renamed, Refused) and renamed.reason == "You have used all 2 dots."
    f.do(o.RetractVote(target="c2"), "Anna", ANA_1)  # and may take back what "Ana" cast
    assert f.board.retro is not None and f.board.retro.votes == {ANA_1: {"c2": 1}}


def test_an_op_logged_before_person_keys_is_keyed_by_its_name() -> None:  # SPEC R40
    f = voting_forum(dots=1)
    f.do(o.CastVote(target="c2"), "Ana", "")
    again = f.try_(o.CastVote(target="c3"), "Ana", "")
    assert isinstance(again, Refused) and again.code == "limit"
    assert f.board.retro is not None and f.board.retro.votes == {"Ana": {"c2": 1}}
    assert LoggedOp(1, "Ana", 1.0, o.StartSession()).who == "Ana"
    assert LoggedOp(1, "Ana", 1.0, o.StartSession(), by=ANA_1).who == ANA_1
    assert Context(seq=1, at=1.0, actor="Ana").who == "Ana"


def test_the_log_with_its_keys_replays_to_the_same_board() -> None:  # SPEC R40
    f = voting_forum(dots=2)
    for by in (ANA_1, ANA_2):
        f.do(o.CastVote(target="c2"), "Ana", by)
        f.do(o.CastVote(target="c2"), "Ana", by)
    replayed = replay_session(new_board("f1", "retro", "Retro"), f.log)[-1].board
    assert replayed == f.board
    # Without the keys the same log does not replay: the second Ana's dots are refused.
    nameless = [LoggedOp(e.seq, e.actor, e.at, e.op, e.op_id) for e in f.log]
    with pytest.raises(Exception, match="You have used all 2 dots"):
        replay_session(new_board("f1", "retro", "Retro"), nameless)


def test_nobody_sees_another_persons_key() -> None:  # SPEC R40
    f = voting_forum(dots=2)
    item = f.do(o.CastVote(target="c2"), "Ana", ANA_1)
    f.do(o.CastVote(target="c3"), "Bo", BO)
    board = f.board
    # Ana's own vote event says "you"; Bo gets a count; nobody gets a key.
    own = visibility.item_for(item, ANA_1, board)
    assert own.events[0] == VoteCast(voter="you", target="c2", used=1, voters=1)
    for viewer in (BO, None):
        shown = msgspec.json.encode(WireItem.of(visibility.item_for(item, viewer, board)))
        assert ANA_1.encode() not in shown
    # The board: one's own votes under one's own key, the others as "voter <n>".
    ana = visibility.board_for(board, ANA_1)
    assert ana.retro is not None and ana.retro.votes == {ANA_1: {"c2": 1}, "voter 2": {}}
    nobody = msgspec.json.encode(visibility.board_for(board, None))
    for key in (ANA_1, BO, "pFacxxxxxxxxxxxxx"):
        assert key.encode() not in nobody
    assert voting.voters(visibility.board_for(board, None).retro) == 2  # type: ignore[arg-type]
    # After the close the votes are public, still without keys.
    f.to("discuss")
    closed = visibility.board_for(f.board, BO)
    assert closed.retro is not None
    assert closed.retro.votes == {"voter 1": {"c2": 1}, BO: {"c3": 1}}


def test_a_hidden_card_is_its_persons_not_its_names() -> None:  # SPEC R41
    f = Forum()
    f.do(o.StartSession())
    f.to("write")
    item = f.do(o.AddCard(column="went-well", title="Secret"), "Ana", ANA_1)
    cid = f"c{item.seq}"
    card = f.board.cards[cid]
    assert card.hidden and card.author == ANA_1
    mine = visibility.card_for(card, ANA_1)
    assert mine.title == "Secret" and mine.author == ""  # the key is not shown, even to her
    assert visibility.card_for(card, ANA_2).title == ""  # the other Ana: face down
    assert visibility.card_for(card, "Ana").title == ""  # a name is nobody's key
    seen = WireItem.of(visibility.item_for(item, ANA_2, f.board))
    assert b"Secret" not in msgspec.json.encode(seen)
    edit = f.try_(o.EditCard(card=cid, title="Mine now"), "Ana", ANA_2)
    assert isinstance(edit, Refused) and edit.code == "conflict"
    f.do(o.EditCard(card=cid, title="Still secret"), "Anna", ANA_1)  # renamed: still hers
    f.to("reveal")
    assert f.board.cards[cid].author == ""  # revealed: nobody needs the key


def test_an_api_token_is_labelled_and_never_an_attendee() -> None:  # SPEC R42
    f = Forum()
    f.do(o.StartSession(), "API (participant link)", API)
    f.do(o.AddCard(column="went-well", title="From a script"), "API (participant link)", API)
    session = f.board.session
    assert session is not None and session.participants == ()
    assert session.started_by == "API (participant link)"
    assert f.board.cards["c2"].created_by == "API (participant link)"
    f.do(o.AddCard(column="went-well", title="By hand"), "Bo", BO)
    assert f.board.session is not None and f.board.session.participants == ("Bo",)


def test_attendance_counts_people_not_names() -> None:  # SPEC R43
    f = Forum()
    f.do(o.StartSession(), "Fac")
    f.do(o.AddCard(column="went-well", title="One"), "Ana", ANA_1)
    f.do(o.AddCard(column="went-well", title="Two"), "Anna", ANA_1)  # renamed: same person
    f.do(o.AddCard(column="went-well", title="Three"), "Ana", ANA_2)  # another Ana
    f.do(o.NotePresence(names=("Ana", "Bo"), people=(ANA_1, BO)), "")
    session = f.board.session
    assert session is not None
    assert session.participants == ("Fac", "Ana", "Ana (2)", "Bo")
    assert session.people[ANA_1] == "Ana" and session.people[ANA_2] == "Ana (2)"
    # The keys stay on the server: pages, frames and the session record never carry them.
    shown = visibility.board_for(f.board, ANA_1)
    assert shown.session is not None and shown.session.people == {}
    started = visibility.item_for(
        Item(seq=1, actor="Fac", at=1.0, op=o.StartSession(), events=f_started(f)), None
    )
    assert b"pFac" not in msgspec.json.encode(WireItem.of(started))


def f_started(f: Forum) -> tuple[object, ...]:
    """The events of the forum's first op (its ``start_session``), replayed."""
    first = replay_session(new_board("f1", "retro", "Retro"), f.log[:1])[0]
    return first.item.events  # type: ignore[return-value]


def test_an_export_names_people_by_alias_and_replays() -> None:  # SPEC R40, R43
    f = voting_forum(dots=1)
    f.do(o.CastVote(target="c2"), "Ana", ANA_1)
    f.do(o.CastVote(target="c3"), "Ana", ANA_2)
    f.do(o.NotePresence(names=("Bo",), people=(BO,)), "")
    f.do(o.EndSession())
    start = new_board("f1", "retro", "Retro")
    export = export_session(start, f.log, exported_at=2000.0)
    raw = msgspec.json.encode(export)
    for key in (ANA_1, ANA_2, BO):
        assert key.encode() not in raw
    bys = {op.by for op in export.operations if isinstance(op.op, o.CastVote)}
    assert bys == {"person 2", "person 3"}  # the facilitator was person 1
    assert export.session.participants == ("Fac", "Ana", "Ana (2)", "Bo")
    assert replay_session(export.start_board, export.operations)[-1].board == export.board


def test_a_token_has_one_dot_budget_like_a_person() -> None:  # SPEC R42
    f = voting_forum(dots=1)
    board = f.board
    ctx = Context(seq=board.seq + 1, at=1.0, actor="API (admin)", by="~API (admin)")
    voted, _ = apply(board, o.CastVote(target="c2"), ctx)
    assert voted.retro is not None and voted.retro.votes == {"~API (admin)": {"c2": 1}}
    with pytest.raises(Rejected):
        apply(voted, o.CastVote(target="c3"), msgspec.structs.replace(ctx, seq=ctx.seq + 1))


def test_an_export_without_people_still_imports() -> None:  # SPEC R40
    log = [
        LoggedOp(1, "Fac", 1.0, o.StartSession(), None, "pFacxxxxxxxxxxxxx"),
        LoggedOp(2, "Fac", 2.0, o.EndSession(), None, "pFacxxxxxxxxxxxxx"),
    ]
    raw = encode(export_session(new_board("f1", "sos", "S"), log, exported_at=3.0))
    assert b'"by":"person 1"' in raw
    older = re.sub(rb',"by":"[^"]*"', b"", raw)  # a file from before person keys
    assert b'"by"' not in older
    assert [op.by for op in check_import(older).operations] == ["", ""]

"""Retrospective phases, hidden write-phase cards and anonymous cards in ``board``
(issue 5): the phase rules, hiding and revealing, what each viewer may see
(``board.visibility``), and how history and exports leave authors out. SPEC R20-R24."""

from __future__ import annotations

import msgspec
import pytest

from board import ops as o
from board import visibility
from board.access import can, needed
from board.apply import Context, Rejected, apply
from board.events import CardAdded, CardMoved, CardsRevealed, PhaseChanged, RetroConfigured
from board.export import check_import, encode, export_session
from board.history import Timeline
from board.log import Item, LoggedOp
from board.model import Board, Retro, new_board
from board.protocol import decode_client
from board.retro import PhaseVisit, phase_log


class Log:
    """A board with its log, so tests can replay, export and look back."""

    def __init__(self, board: Board) -> None:
        self.start = board
        self.board = board
        self.ops: list[LoggedOp] = []
        self.items: list[Item] = []

    def do(self, op: o.Op, actor: str = "Fay") -> list[object]:
        seq = self.board.seq + 1
        at = 1000.0 + seq
        before = msgspec.json.encode(self.board)
        new, events = apply(self.board, op, Context(seq=seq, at=at, actor=actor))
        assert msgspec.json.encode(self.board) == before  # apply never mutates its input
        if events:
            self.ops.append(LoggedOp(seq, actor, at, op))
            self.items.append(Item(seq, actor, at, op, events=tuple(events)))
        self.board = new
        return list(events)

    def refused(self, op: o.Op, actor: str = "Fay") -> Rejected:
        with pytest.raises(Rejected) as e:
            self.do(op, actor)
        return e.value


@pytest.fixture
def retro() -> Log:
    """A Scaled Retrospective with a session running."""
    log = Log(new_board("r1", "retro", "Retro"))
    log.do(o.StartSession())
    return log


def card_in(events: list[object]) -> str:
    return next(e.card.id for e in events if isinstance(e, CardAdded))


# -- phases (R20) -------------------------------------------------------------------


def test_the_first_set_phase_starts_the_phases_in_write(retro: Log) -> None:
    # SPEC R20
    events = retro.do(o.SetPhase(phase="write"))
    assert retro.board.retro == Retro(phase="write")
    assert events[0] == PhaseChanged(retro=Retro(phase="write"), previous=None)
    assert retro.refused(o.SetPhase(phase="group")).code == "invalid"  # skips reveal


def test_forward_one_step_at_a_time_back_to_any_earlier(retro: Log) -> None:
    # SPEC R20
    e = retro.refused(o.SetPhase(phase="reveal"))
    assert e.code == "invalid" and "Write" in e.reason
    retro.do(o.SetPhase(phase="write"))
    for phase in ("reveal", "group", "vote"):
        retro.do(o.SetPhase(phase=phase))  # type: ignore[arg-type]
    e = retro.refused(o.SetPhase(phase="decide"))
    assert e.code == "invalid" and "Discuss" in e.reason
    assert retro.board.retro is not None and retro.board.retro.phase == "vote"
    events = retro.do(o.SetPhase(phase="reveal"))  # a phase advanced by mistake: back
    assert retro.board.retro.phase == "reveal"
    assert isinstance(events[0], PhaseChanged) and events[0].previous == "vote"
    assert retro.do(o.SetPhase(phase="reveal")) == []  # already there: nothing changes


def test_phases_need_a_running_session_of_a_retro_forum() -> None:
    # SPEC R20
    sos = Log(new_board("s1", "sos", "SoS"))
    sos.do(o.StartSession())
    assert sos.refused(o.SetPhase(phase="write")).code == "invalid"
    idle = Log(new_board("r2", "retro", "Retro"))
    assert idle.refused(o.SetPhase(phase="write")).code == "no_session"
    assert idle.refused(o.ConfigureRetro(dots=5)).code == "no_session"


def test_only_the_facilitator_runs_the_phases() -> None:
    # SPEC R20, R2a
    for op in ("set_phase", "configure_retro"):
        assert needed(op) == "facilitator"
        assert can("facilitator", op) and not can("participant", op) and not can("viewer", op)


def test_configure_dots_and_anonymous(retro: Log) -> None:
    # SPEC R21
    assert retro.refused(o.ConfigureRetro(dots=5)).code == "conflict"  # phases not started
    retro.do(o.SetPhase(phase="write"))
    events = retro.do(o.ConfigureRetro(dots=5, anonymous=True))
    assert retro.board.retro == Retro(phase="write", dots=5, anonymous=True)
    assert events == [RetroConfigured(retro=retro.board.retro)]
    for bad in (0, 21, -3):
        assert retro.refused(o.ConfigureRetro(dots=bad)).code == "invalid"
    assert retro.do(o.ConfigureRetro(dots=5)) == []


def test_the_wire_schema_takes_the_new_ops() -> None:
    msg = decode_client(b'{"type":"op","id":"a1","op":{"type":"set_phase","phase":"vote"}}')
    assert msg.op == o.SetPhase(phase="vote")  # type: ignore[union-attr]
    with pytest.raises(ValueError):
        decode_client(b'{"type":"op","id":"a1","op":{"type":"set_phase","phase":"nap"}}')
    add = decode_client(
        b'{"type":"op","id":"a2","op":{"type":"add_card","column":"ideas","title":"x",'
        b'"anonymous":true}}'
    )
    assert add.op == o.AddCard(column="ideas", title="x", anonymous=True)  # type: ignore[union-attr]


# -- hidden until reveal (R22) ------------------------------------------------------------


def test_write_phase_cards_are_hidden_until_leaving_write(retro: Log) -> None:
    # SPEC R22
    before = card_in(retro.do(o.AddCard(column="ideas", title="Before phases"), actor="Ana"))
    retro.do(o.SetPhase(phase="write"))
    secret = card_in(retro.do(o.AddCard(column="ideas", title="Secret", body="b"), actor="Ana"))
    assert not retro.board.cards[before].hidden
    assert retro.board.cards[secret].hidden
    events = retro.do(o.SetPhase(phase="reveal"))
    revealed = [e for e in events if isinstance(e, CardsRevealed)]
    assert [c.id for c in revealed[0].cards] == [secret]
    assert not retro.board.cards[secret].hidden and revealed[0].cards[0].title == "Secret"
    # Stepping back to write keeps revealed cards face up; new ones are hidden again.
    retro.do(o.SetPhase(phase="write"))
    assert not retro.board.cards[secret].hidden
    again = card_in(retro.do(o.AddCard(column="ideas", title="Second round"), actor="Bo"))
    assert retro.board.cards[again].hidden
    retro.do(o.SetPhase(phase="reveal"))
    assert not retro.board.cards[again].hidden


def test_only_the_author_may_change_a_hidden_card(retro: Log) -> None:
    # SPEC R22
    retro.do(o.SetPhase(phase="write"))
    cid = card_in(retro.do(o.AddCard(column="ideas", title="Mine"), actor="Ana"))
    for op in (
        o.EditCard(card=cid, title="Yours"),
        o.MoveCard(card=cid, column="to-improve", index=0),
        o.ArchiveCard(card=cid),
    ):
        e = retro.refused(op, actor="Bo")
        assert e.code == "conflict" and "hidden" in e.reason
    assert retro.board.cards[cid].title == "Mine"
    retro.do(o.EditCard(card=cid, title="Still mine"), actor="Ana")
    retro.do(o.MoveCard(card=cid, column="to-improve", index=0), actor="Ana")
    assert retro.board.cards[cid].title == "Still mine"
    assert retro.board.cards[cid].column == "to-improve"


def test_ending_the_session_reveals_everything_and_ends_the_phases(retro: Log) -> None:
    # SPEC R22
    retro.do(o.SetPhase(phase="write"))
    cid = card_in(retro.do(o.AddCard(column="ideas", title="Late"), actor="Ana"))
    events = retro.do(o.EndSession())
    assert isinstance(events[0], CardsRevealed) and events[0].cards[0].id == cid
    assert not retro.board.cards[cid].hidden
    assert retro.board.retro is None and retro.board.session is None


# -- anonymous (R23) ------------------------------------------------------------------------


def test_anonymous_cards_only_where_allowed(retro: Log) -> None:
    # SPEC R23
    anon = o.AddCard(column="ideas", title="Quiet", anonymous=True)
    assert retro.refused(anon, actor="Ana").code == "invalid"  # no phases yet
    retro.do(o.SetPhase(phase="write"))
    assert retro.refused(anon, actor="Ana").code == "invalid"  # not allowed
    retro.do(o.ConfigureRetro(anonymous=True))
    events = retro.do(anon, actor="Ana")
    cid = card_in(events)
    assert retro.board.cards[cid].anonymous and retro.board.cards[cid].hidden
    # Writing it does not put Ana on the participant list beside it.
    assert retro.board.session is not None and "Ana" not in retro.board.session.participants


def test_what_each_viewer_sees(retro: Log) -> None:
    # SPEC R22, R23
    retro.do(o.SetPhase(phase="write"))
    retro.do(o.ConfigureRetro(anonymous=True))
    cid = card_in(
        retro.do(
            o.AddCard(column="ideas", title="Secret", body="b", owner="Cy", anonymous=True),
            actor="Ana",
        )
    )
    card = retro.board.cards[cid]
    mine = visibility.card_for(card, "Ana")
    assert mine.title == "Secret" and mine.created_by == "" and mine.updated_by == ""
    for viewer in ("Bo", None, ""):
        down = visibility.card_for(card, viewer)
        assert visibility.is_face_down(down)
        assert (down.title, down.body, down.owner, down.team, down.created_by) == ("",) * 5
        assert (down.column, down.rank, down.id) == (card.column, card.rank, card.id)
    # The item: private (a hidden card), actor blank for all, content for the author only.
    item = retro.items[-1]
    assert visibility.needs_private(item)
    for_bo = visibility.item_for(item, "Bo", retro.board)
    assert for_bo.actor == "" and b"Secret" not in msgspec.json.encode(for_bo.events)
    for_ana = visibility.item_for(item, "Ana", retro.board)
    assert for_ana.actor == "" and b"Secret" in msgspec.json.encode(for_ana.events)
    assert b"Ana" not in msgspec.json.encode(for_ana.events)
    # The board, as each sees it.
    assert visibility.board_for(retro.board, "Bo").cards[cid].title == ""
    assert visibility.board_for(retro.board, "Ana").cards[cid].title == "Secret"
    # After the reveal: the same for all, never the author.
    retro.do(o.SetPhase(phase="reveal"))
    reveal = retro.items[-1]
    seen = [
        [e for e in visibility.item_for(reveal, v, retro.board).events if type(e) is CardsRevealed]
        for v in ("Ana", "Bo", None)
    ]
    assert seen[0] == seen[1] == seen[2]
    assert b"Secret" in msgspec.json.encode(seen[0])
    assert b'"Ana"' not in msgspec.json.encode(seen[0])
    # A move of an anonymous card names nobody (the board tells it is one).
    retro.do(o.MoveCard(card=cid, column="to-improve", index=0), actor="Ana")
    move = retro.items[-1]
    assert isinstance(move.events[0], CardMoved)
    assert visibility.item_for(move, "Bo", retro.board).actor == ""


def test_ordinary_items_are_untouched() -> None:
    # SPEC R23: the room keeps one frame for everyone
    log = Log(new_board("s2", "sos", "SoS"))
    log.do(o.AddCard(column="new", title="Plain"), actor="Ana")
    item = log.items[-1]
    assert not visibility.needs_private(item)
    assert visibility.item_for(item, "Bo", log.board) is item
    assert visibility.board_for(log.board, "Bo") is log.board


# -- the record (R24) ---------------------------------------------------------------------


def test_history_and_export_leave_authors_out(retro: Log) -> None:
    # SPEC R23, R24
    retro.do(o.SetPhase(phase="write"))
    retro.do(o.ConfigureRetro(anonymous=True))
    anon = card_in(retro.do(o.AddCard(column="ideas", title="Quiet", anonymous=True), "Ana"))
    named = card_in(retro.do(o.AddCard(column="ideas", title="Loud"), actor="Bo"))
    retro.do(o.SetPhase(phase="reveal"))
    retro.do(o.EditCard(card=anon, body="more"), actor="Ana")
    retro.do(o.SetPhase(phase="write"))  # back, by mistake
    retro.do(o.SetPhase(phase="reveal"))
    retro.do(o.EndSession())
    tl = Timeline(retro.start, retro.ops)
    summaries = [s.summary for s in tl.steps]
    assert "Someone wrote a card in Ideas, hidden until the reveal" in summaries
    assert any("revealed 2 cards" in s and "“Quiet”" in s for s in summaries)
    assert "Fay took the retrospective back to Write" in summaries
    assert "Fay started the retrospective phases with Write" in summaries
    assert not any(s.startswith("Ana") for s in summaries)
    assert [s.actor for s in tl.steps if anon in s.card_ids] == ["", ""]
    assert tl.end.cards[named].title == "Loud"
    # The export: the ops without Ana on her anonymous card, and it still imports.
    export = export_session(retro.start, retro.ops, exported_at=5000.0)
    raw = encode(export)
    assert export.board.cards[anon].created_by == "" and export.board.cards[anon].updated_by == ""
    assert all(op.actor == "" for op in export.operations if getattr(op.op, "card", "") == anon)
    assert check_import(raw).board == export.board
    # The phases the session went through, with their times.
    visits = phase_log((e.at, e.op) for e in retro.ops)
    assert [(v.phase, v.back) for v in visits] == [
        ("write", False),
        ("reveal", False),
        ("write", True),
        ("reveal", False),
    ]
    assert isinstance(visits[0], PhaseVisit) and visits[0].at == retro.ops[1].at

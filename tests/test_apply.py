"""``apply`` (board/apply.py): every operation, accepted, refused and unchanged."""

from __future__ import annotations

import datetime as dt
import unicodedata

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st
from msgspec.structs import replace

from board import apply as ap
from board import events as ev
from board import ops as o
from board import ranks
from board.apply import Context, Rejected, apply, clean_text
from board.model import Board, Card, Decision, NextStep, check, new_board


def run(
    board: Board, op: o.Op, actor: str = "Ann", teams: frozenset[str] | None = None
) -> tuple[Board, list[ev.Event]]:
    """Apply ``op`` at the next seq; the input board must come out untouched."""
    before = msgspec.json.encode(board)
    ctx = Context(seq=board.seq + 1, at=1000.0 + board.seq, actor=actor, teams=teams)
    new, events = apply(board, op, ctx)
    assert msgspec.json.encode(board) == before, "apply mutated its input board"
    assert check(new) == []
    if events:
        assert new.seq == ctx.seq
    return new, events


def play(board: Board, *ops: o.Op, actor: str = "Ann") -> Board:
    for op in ops:
        board, events = run(board, op, actor)
        assert events, op
    return board


def unchanged(board: Board, op: o.Op, actor: str = "Ann") -> None:
    # SPEC R4: an operation that changes nothing gives no events (and so no seq).
    new, events = run(board, op, actor)
    assert events == []
    assert new is board


def refused(board: Board, op: o.Op, code: str, teams: frozenset[str] | None = None) -> str:
    # SPEC R7: a reject has a stable code and a readable reason, and changes nothing.
    before = msgspec.json.encode(board)
    ctx = Context(seq=board.seq + 1, at=5.0, actor="Ann", teams=teams)
    with pytest.raises(Rejected) as info:
        apply(board, op, ctx)
    assert info.value.code == code
    assert info.value.reason
    assert msgspec.json.encode(board) == before
    return info.value.reason


@pytest.fixture
def sos() -> Board:
    """A Scrum of Scrums board with cards c1, c2, c3 in "new" and c4 in "removing"."""
    return play(
        new_board("f1", "sos", "Release train SoS"),
        o.AddCard(column="new", title="One"),
        o.AddCard(column="new", title="Two"),
        o.AddCard(column="new", title="Three"),
        o.AddCard(column="removing", title="Four", kind="risk"),
    )


def ids(board: Board, column: str) -> list[str]:
    col = board.column(column)
    assert col is not None
    return list(col.card_ids)


# -- cards ------------------------------------------------------------------------------


def test_add_card(sos: Board) -> None:
    # SPEC R17: the server turns "at the bottom" into a rank every client places by.
    new, events = run(sos, o.AddCard(column="new", title="Build is red", team="red"))
    card = new.cards["c5"]  # ids derive from seq: deterministic, replayable
    assert events == [ev.CardAdded(card=card)]
    assert (card.kind, card.column, card.team) == ("impediment", "new", "red")
    assert (card.created_by, card.updated_by, card.created_at) == ("Ann", "Ann", 1004.0)
    assert ids(new, "new") == ["c1", "c2", "c3", "c5"]
    assert sos.cards["c3"].rank < card.rank
    assert "c5" not in sos.cards


@pytest.mark.parametrize(("index", "expected"), [(0, 0), (1, 1), (99, 3)])
def test_add_card_at_index(sos: Board, index: int, expected: int) -> None:
    new, _ = run(sos, o.AddCard(column="new", title="x", index=index))
    assert ids(new, "new").index("c5") == expected


def test_add_card_is_deterministic(sos: Board) -> None:
    op = o.AddCard(column="new", title="Same", index=1)
    assert run(sos, op) == run(sos, op)


def test_add_card_cleans_text(sos: Board) -> None:
    op = o.AddCard(
        column="new", title="  Build\x00 is\t red \n", body=" a\r\nb\x07\tc \r", owner=" Li  Wu "
    )
    card = run(sos, op)[0].cards["c5"]
    assert card.title == "Build is red"
    assert card.body == "a\nb\tc"  # newlines and tabs kept, control characters dropped
    assert card.owner == "Li Wu"


@pytest.mark.parametrize("text", ["", "   ", "\n\t ", "\x00\x01", " \x1b "])
def test_blank_titles_are_invalid(sos: Board, text: str) -> None:
    refused(sos, o.AddCard(column="new", title=text), "invalid")
    refused(sos, o.EditCard(card="c1", title=text), "invalid")


@given(text=st.text() | st.sampled_from(["a \x00 b", "x\x07  y", "line\r\n\x00 next"]))
@pytest.mark.parametrize("single_line", [True, False])
def test_clean_text_is_idempotent(text: str, single_line: bool) -> None:
    # What a client sends back unchanged must not count as an edit.
    once = clean_text(text, single_line=single_line)
    assert clean_text(once, single_line=single_line) == once
    assert all(ch in "\n\t" or unicodedata.category(ch) != "Cc" for ch in once)
    if single_line:
        assert once == " ".join(once.split())


def test_add_card_validates_kind_and_column(sos: Board) -> None:
    dependency = run(sos, o.AddCard(column="new", title="x", kind="dependency"))[0]
    assert dependency.cards["c5"].kind == "dependency"
    reason = refused(sos, o.AddCard(column="new", title="x", kind="backlog_item"), "invalid")
    assert "backlog_item" in reason  # an SoS board holds no backlog items
    refused(sos, o.AddCard(column="new", title="x", kind="nonsense"), "invalid")
    refused(sos, o.AddCard(column="nowhere", title="x"), "not_found")


def test_team_validation(sos: Board) -> None:
    teams = frozenset({"red", "blue"})
    ok = run(sos, o.AddCard(column="new", title="x", team="red", to_team=" blue "), teams=teams)[0]
    assert (ok.cards["c5"].team, ok.cards["c5"].to_team) == ("red", "blue")
    refused(sos, o.AddCard(column="new", title="x", team="green"), "invalid", teams=teams)
    refused(sos, o.AddCard(column="new", title="x", to_team="green"), "invalid", teams=teams)
    refused(sos, o.EditCard(card="c1", team="green"), "invalid", teams=teams)
    run(sos, o.AddCard(column="new", title="x", team="green"))  # teams=None: replay skips it


def test_add_card_limit(sos: Board) -> None:
    col = sos.columns[3]  # "removed", empty
    n = ap.MAX_CARDS - len(sos.cards)
    cards = dict(sos.cards)
    spread = ranks.spread(n)
    for i in range(n):
        cards[f"x{i}"] = Card(f"x{i}", "note", "t", col.id, spread[i], 0.0, "a", 0.0, "a")
    col = replace(col, card_ids=tuple(f"x{i}" for i in range(n)))
    full = replace(sos, cards=cards, columns=(*sos.columns[:3], col))
    assert check(full) == []
    refused(full, o.AddCard(column="new", title="one too many"), "limit")


def test_edit_card(sos: Board) -> None:
    new, events = run(
        sos, o.EditCard(card="c2", title=" Two!", kind="risk", owner="Bo"), actor="Bo"
    )
    card = new.cards["c2"]
    assert events == [ev.CardEdited(card=card)]
    assert (card.title, card.kind, card.owner, card.updated_by) == ("Two!", "risk", "Bo", "Bo")
    assert (card.rank, card.column, card.created_by) == (sos.cards["c2"].rank, "new", "Ann")
    unchanged(new, o.EditCard(card="c2", title="Two!  ", kind="risk"))
    unchanged(sos, o.EditCard(card="c2"))


def test_edit_card_refusals(sos: Board) -> None:
    refused(sos, o.EditCard(card="c9", title="x"), "not_found")
    refused(sos, o.EditCard(card="c1", kind="experiment"), "invalid")
    archived = play(sos, o.ArchiveCard(card="c1"))
    refused(archived, o.EditCard(card="c1", title="x"), "conflict")


def test_move_card_to_another_column(sos: Board) -> None:
    new, events = run(sos, o.MoveCard(card="c2", column="removing", index=0))
    rank = new.cards["c2"].rank
    assert events == [ev.CardMoved(card_id="c2", from_column="new", column="removing", rank=rank)]
    assert ids(new, "new") == ["c1", "c3"] and ids(new, "removing") == ["c2", "c4"]
    assert rank < new.cards["c4"].rank and new.cards["c2"].column == "removing"


@pytest.mark.parametrize(("index", "order"), [(0, ["c3", "c1", "c2"]), (1, ["c1", "c3", "c2"])])
def test_move_card_within_column(sos: Board, index: int, order: list[str]) -> None:
    new, events = run(sos, o.MoveCard(card="c3", column="new", index=index))
    assert ids(new, "new") == order
    assert [type(e) for e in events] == [ev.CardMoved]
    # Only the moved card gets a new rank (SPEC R17).
    assert all(new.cards[c].rank == sos.cards[c].rank for c in ("c1", "c2", "c4"))


@pytest.mark.parametrize(("card", "index"), [("c1", 0), ("c2", 1), ("c3", 2), ("c3", 50)])
def test_drop_where_it_is_changes_nothing(sos: Board, card: str, index: int) -> None:
    unchanged(sos, o.MoveCard(card=card, column="new", index=index))  # SPEC R4


def test_move_card_refusals(sos: Board) -> None:
    refused(sos, o.MoveCard(card="c9", column="new", index=0), "not_found")
    refused(sos, o.MoveCard(card="c1", column="nowhere", index=0), "not_found")
    archived = play(sos, o.ArchiveCard(card="c1"))
    refused(archived, o.MoveCard(card="c1", column="new", index=0), "conflict")


def crowd(board: Board, make: type[o.MoveCard] | type[o.AddCard]) -> tuple[Board, list[ev.Event]]:
    """Insert at index 1 of "new" until a rank grows too long and the column re-spreads."""
    for _ in range(400):
        if make is o.MoveCard:
            op: o.Op = o.MoveCard(card=ids(board, "new")[-1], column="new", index=1)
        else:
            op = o.AddCard(column="new", title="crowd", index=1)
        board, events = run(board, op)
        if any(isinstance(e, ev.ColumnReranked) for e in events):
            return board, events
        assert all(len(c.rank) <= ranks.MAX_RANK_LEN for c in board.cards.values())
    raise AssertionError("ranks never grew past MAX_RANK_LEN")


@pytest.mark.parametrize("make", [o.MoveCard, o.AddCard])
def test_long_ranks_re_spread_the_column(
    sos: Board, make: type[o.MoveCard] | type[o.AddCard]
) -> None:
    # SPEC R17: column_reranked comes before the move that caused it; order is unchanged.
    board = play(sos, *(o.AddCard(column="new", title=f"n{i}") for i in range(5)))
    before_ids = ids(board, "new")
    board, events = crowd(board, make)
    rerank, placed = events[0], events[1]
    assert isinstance(rerank, ev.ColumnReranked) and rerank.column == "new"
    assert isinstance(placed, ev.CardMoved if make is o.MoveCard else ev.CardAdded)
    moved = placed.card_id if isinstance(placed, ev.CardMoved) else placed.card.id
    assert moved not in rerank.ranks and set(rerank.ranks) | {moved} == set(ids(board, "new"))
    assert sorted(rerank.ranks, key=rerank.ranks.__getitem__) == [
        c for c in ids(board, "new") if c != moved
    ]
    assert all(board.cards[c].rank == r and len(r) <= 3 for c, r in rerank.ranks.items())
    assert ids(board, "new")[1] == moved and check(board) == []
    assert set(before_ids) <= set(ids(board, "new"))


def test_archive_and_restore(sos: Board) -> None:
    archived, events = run(sos, o.ArchiveCard(card="c1"))
    card = archived.cards["c1"]
    assert events == [ev.CardArchived(card=card)] and card.archived
    assert ids(archived, "new") == ["c2", "c3"] and archived.archived_cards() == [card]
    unchanged(archived, o.ArchiveCard(card="c1"))
    restored, events = run(archived, o.RestoreCard(card="c1"))
    card = restored.cards["c1"]
    assert events == [ev.CardRestored(card=card)] and not card.archived
    assert ids(restored, "new") == ["c2", "c3", "c1"]  # back at the bottom of its column
    unchanged(restored, o.RestoreCard(card="c1"))
    refused(sos, o.ArchiveCard(card="c9"), "not_found")
    refused(sos, o.RestoreCard(card="c9"), "not_found")


# -- columns and the forum --------------------------------------------------------------


def test_add_column(sos: Board) -> None:
    new, events = run(sos, o.AddColumn(title=" Blocked\x00 ", index=1))
    col = new.columns[1]
    assert events == [ev.ColumnAdded(column=col, index=1)]
    assert (col.id, col.title, col.card_ids) == ("col5", "Blocked", ())
    assert run(sos, o.AddColumn(title="Last", index=99))[0].columns[-1].id == "col5"
    refused(sos, o.AddColumn(title=" \t"), "invalid")
    full = play(
        sos, *(o.AddColumn(title=f"c{i}") for i in range(ap.MAX_COLUMNS - len(sos.columns)))
    )
    refused(full, o.AddColumn(title="one too many"), "limit")


def test_rename_column(sos: Board) -> None:
    new, events = run(sos, o.RenameColumn(column="new", title="Fresh"))
    assert events == [ev.ColumnRenamed(column_id="new", title="Fresh")]
    assert new.columns[0].title == "Fresh" and new.columns[0].card_ids == sos.columns[0].card_ids
    unchanged(new, o.RenameColumn(column="new", title=" Fresh "))
    refused(sos, o.RenameColumn(column="nowhere", title="x"), "not_found")
    refused(sos, o.RenameColumn(column="new", title="\n"), "invalid")


def test_move_column(sos: Board) -> None:
    new, events = run(sos, o.MoveColumn(column="new", index=2))
    assert events == [ev.ColumnMoved(column_id="new", index=2)]
    assert [c.id for c in new.columns] == ["removing", "needs-eat", "new", "removed"]
    last, _ = run(sos, o.MoveColumn(column="new", index=99))
    assert last.columns[-1].id == "new"
    unchanged(sos, o.MoveColumn(column="needs-eat", index=2))
    refused(sos, o.MoveColumn(column="nowhere", index=0), "not_found")


def test_remove_column(sos: Board) -> None:
    new, events = run(sos, o.RemoveColumn(column="needs-eat"))
    assert events == [ev.ColumnRemoved(column_id="needs-eat")]
    assert [c.id for c in new.columns] == ["new", "removing", "removed"]
    refused(sos, o.RemoveColumn(column="new"), "conflict")  # it still has cards
    refused(sos, o.RemoveColumn(column="nowhere"), "not_found")
    one = new_board("b", "backlog", "Backlog")
    refused(one, o.RemoveColumn(column="ordered"), "conflict")  # never the last column


def test_removing_a_column_says_where_its_archived_cards_went(sos: Board) -> None:
    # SPEC R39: the archived cards of a removed column belong to the first column left,
    # and the event names them, so a client's copy matches the board before any restore.
    board = play(sos, o.ArchiveCard(card="c4"))
    new, events = run(board, o.RemoveColumn(column="removing"))
    assert events == [ev.ColumnRemoved(column_id="removing", home="new", rehomed=("c4",))]
    assert new.cards["c4"].column == "new" and new.cards["c4"].archived
    restored, _ = run(new, o.RestoreCard(card="c4"))
    assert restored.cards["c4"].column == "new"


def test_remove_column_rehomes_archived_cards(sos: Board) -> None:
    board = play(sos, o.ArchiveCard(card="c4"), o.RemoveColumn(column="removing"))
    assert board.cards["c4"].column == "new" and check(board) == []
    board = play(board, o.RestoreCard(card="c4"))
    assert ids(board, "new") == ["c1", "c2", "c3", "c4"]


def test_rename_forum(sos: Board) -> None:
    new, events = run(sos, o.RenameForum(name="  ART  SoS "))
    assert events == [ev.ForumRenamed(name="ART SoS")] and new.name == "ART SoS"
    unchanged(new, o.RenameForum(name="ART SoS"))
    refused(sos, o.RenameForum(name=" "), "invalid")


# -- sessions, decisions, next steps ----------------------------------------------------


def test_start_session(sos: Board) -> None:
    new, events = run(sos, o.StartSession(), actor="Maya")
    session = new.session
    assert session is not None and session.people == {"Maya": "Maya"}  # SPEC R43
    assert events == [ev.SessionStarted(session=replace(session, people={}))]
    assert (session.id, session.number, session.start_seq) == ("f1-1", 1, 5)
    assert session.participants == ("Maya",)
    refused(new, o.StartSession(), "conflict")


def test_session_ops_need_a_session(sos: Board) -> None:
    refused(sos, o.EndSession(), "no_session")
    refused(sos, o.RecordDecision(text="x"), "no_session")
    refused(sos, o.AddNextStep(text="x"), "no_session")
    unchanged(sos, o.NotePresence(names=("Leo",)))


def test_participants_join_when_they_act(sos: Board) -> None:
    board = play(sos, o.StartSession())
    board, events = run(board, o.AddCard(column="new", title="x"), actor="Bo")
    assert events[-1] == ev.ParticipantsAdded(session_id="f1-1", names=("Bo",))
    board, events = run(board, o.EditCard(card="c6", title="y"), actor="Bo")
    assert [type(e) for e in events] == [ev.CardEdited]  # already in
    unchanged(board, o.MoveCard(card="c1", column="new", index=0), actor="Cy")
    board, events = run(board, o.NotePresence(names=(" Dee ", "", "Bo", "Dee", "Eve")))
    assert events == [ev.ParticipantsAdded(session_id="f1-1", names=("Dee", "Eve"))]
    unchanged(board, o.NotePresence(names=("Eve",)))
    assert board.session is not None and board.session.participants == ("Ann", "Bo", "Dee", "Eve")


def test_record_decision(sos: Board) -> None:
    board = play(sos, o.StartSession())
    new, events = run(board, o.RecordDecision(text=" Ship it\x00\n", cards=("c2", "c1", "c2")))
    assert new.session is not None
    decision = new.session.decisions[-1]
    assert events == [ev.DecisionRecorded(decision=decision)]
    assert (decision.id, decision.text, decision.card_ids) == ("d6", "Ship it", ("c2", "c1"))
    refused(board, o.RecordDecision(text="x", cards=("c9",)), "not_found")
    refused(board, o.RecordDecision(text="\t"), "invalid")
    assert board.session is not None
    many = tuple(Decision(f"d{i}", "f1-1", "t", 0.0, "a") for i in range(ap.MAX_DECISIONS))
    full = replace(board, session=replace(board.session, decisions=many))
    refused(full, o.RecordDecision(text="one too many"), "limit")


def test_add_next_step(sos: Board) -> None:
    board = play(sos, o.StartSession())
    due = dt.date(2030, 1, 31)
    new, events = run(board, o.AddNextStep(text="Call EAT", owner=" Li ", due=due, cards=("c3",)))
    step = new.next_steps["s6"]
    assert events == [ev.NextStepAdded(step=step)]
    assert (step.session_id, step.owner, step.due) == ("f1-1", "Li", due)
    assert (step.status, step.card_ids) == ("open", ("c3",))
    refused(board, o.AddNextStep(text="x", cards=("c9",)), "not_found")
    refused(board, o.AddNextStep(text=" "), "invalid")
    steps = {f"s{i}": NextStep(f"s{i}", "f0", "t", 0, "a", 0, "a") for i in range(500)}
    assert len(steps) == ap.MAX_OPEN_STEPS
    refused(replace(board, next_steps=steps), o.AddNextStep(text="one too many"), "limit")


def test_update_next_step(sos: Board) -> None:
    board = play(sos, o.StartSession(), o.AddNextStep(text="Call EAT", due=dt.date(2030, 1, 1)))
    new, events = run(board, o.UpdateNextStep(step="s6", status="done", due=None), actor="Bo")
    step = new.next_steps["s6"]
    assert events[0] == ev.NextStepUpdated(step=step)
    assert (step.status, step.due, step.updated_by, step.created_by) == ("done", None, "Bo", "Ann")
    unchanged(new, o.UpdateNextStep(step="s6", status="done", text="Call EAT"))
    refused(board, o.UpdateNextStep(step="s9", status="done"), "not_found")
    refused(board, o.UpdateNextStep(step="s6", text=""), "invalid")


def test_end_session_keeps_open_steps_and_prunes_closed_ones(sos: Board) -> None:
    board = play(
        sos,
        o.StartSession(),  # seq 5
        o.AddNextStep(text="open"),  # s6
        o.AddNextStep(text="done"),  # s7
        o.AddNextStep(text="dropped"),  # s8
        o.UpdateNextStep(step="s7", status="done"),
        o.UpdateNextStep(step="s8", status="dropped"),
        o.RecordDecision(text="Escalate c4"),
    )
    session = board.session
    ended, events = run(board, o.EndSession(), actor="Zed")
    assert session is not None and len(events) == 1
    event = events[0]
    assert isinstance(event, ev.SessionEnded)
    # SPEC R43: counted by person (here, by name), the keys kept off the event.
    assert event.session == replace(session, participants=(*session.participants, "Zed"), people={})
    assert (event.ended_by, event.end_seq, event.ended_at) == ("Zed", 12, 1011.0)
    assert [s.id for s in event.next_steps] == ["s6", "s7", "s8"]  # all it made, as they ended
    assert ended.session is None and (ended.sessions_held, ended.last_session_id) == (1, "f1-1")
    assert list(ended.next_steps) == ["s6"]
    # The next session sees the open steps of the last one and can close them.
    second, events = run(ended, o.StartSession())
    assert second.session is not None and second.session.id == "f1-2"
    assert [s.id for s in second.open_steps()] == ["s6"]
    second = play(second, o.UpdateNextStep(step="s6", status="done"), o.EndSession())
    assert second.next_steps == {} and second.sessions_held == 2


def test_context_seq_must_follow_board(sos: Board) -> None:
    with pytest.raises(ValueError):
        apply(sos, o.StartSession(), Context(seq=sos.seq + 2, at=0.0, actor="Ann"))


def test_room_join_is_board_state_off_by_default(sos: Board) -> None:
    """SPEC R45: ``set_room_join`` turns it on and off; the same value again is no
    change; it is board state, so it survives encoding (snapshots, catch-up)."""
    assert sos.room_join is False
    on, events = run(sos, o.SetRoomJoin(on=True))
    assert events == [ev.RoomJoinChanged(on=True)] and on.room_join is True
    unchanged(on, o.SetRoomJoin(on=True))
    assert msgspec.json.decode(msgspec.json.encode(on), type=Board).room_join is True
    off, events = run(on, o.SetRoomJoin(on=False))
    assert events == [ev.RoomJoinChanged(on=False)] and off.room_join is False
    # A board stored before room joining existed decodes with it off.
    old = msgspec.json.encode(sos).replace(b',"room_join":false', b"")
    assert b"room_join" not in old
    assert msgspec.json.decode(old, type=Board).room_join is False

"""board.history on plain data: a timeline's board at step k is the board after the
first k ops (whatever the checkpoint interval), its steps say who did what, and
``diff`` lists what was added, removed, moved and changed between two boards."""

from __future__ import annotations

import datetime as dt
import random
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from board import ops as o
from board.apply import Context, Rejected, apply
from board.describe import describe
from board.events import VoteCast
from board.history import BoardDiff, Timeline, diff
from board.log import LoggedOp
from board.model import Board, new_board

ACTORS = ["Ann", "Bo", "Cy"]
OP_KINDS = (
    *("add", "add", "move", "move", "move", "edit", "archive", "restore", "add_col"),
    *("rename_col", "move_col", "remove_col", "rename_forum", "start", "end"),
    *("decide", "step", "update_step", "presence"),
)
TITLES = ["Fix CI", "Vendor late", "x" * 30, "  ", "Risk: staging", "Go"]


def pick(draw: st.DrawFn, items: list[str], missing: str) -> str:
    """Mostly an existing id, sometimes one that is not there (apply refuses it)."""
    if not items or draw(st.integers(0, 9)) == 0:
        return missing
    return draw(st.sampled_from(items))


@st.composite
def an_op(draw: st.DrawFn, board: Board) -> o.Op:
    cards = sorted(board.cards)
    live = [c for c in cards if not board.cards[c].archived]
    cols = [c.id for c in board.columns]
    steps = sorted(board.next_steps)
    kind = draw(st.sampled_from(OP_KINDS))
    title = draw(st.sampled_from(TITLES))
    index = draw(st.integers(0, 8))
    if kind == "add":
        return o.AddCard(
            column=pick(draw, cols, "nowhere"),
            title=title,
            owner=draw(st.sampled_from(["", "Ann"])),
        )
    if kind == "move":
        return o.MoveCard(
            card=pick(draw, live, "c999"), column=pick(draw, cols, "nowhere"), index=index
        )
    if kind == "edit":
        return o.EditCard(
            card=pick(draw, live, "c999"), title=title, owner=draw(st.sampled_from(["", "Bo"]))
        )
    if kind == "archive":
        return o.ArchiveCard(card=pick(draw, cards, "c999"))
    if kind == "restore":
        return o.RestoreCard(card=pick(draw, cards, "c999"))
    if kind == "add_col":
        return o.AddColumn(title=title, index=draw(st.none() | st.integers(0, 6)))
    if kind == "rename_col":
        return o.RenameColumn(column=pick(draw, cols, "nowhere"), title=title)
    if kind == "move_col":
        return o.MoveColumn(column=pick(draw, cols, "nowhere"), index=index)
    if kind == "remove_col":
        return o.RemoveColumn(column=pick(draw, cols, "nowhere"))
    if kind == "rename_forum":
        return o.RenameForum(name=title)
    if kind == "start":
        return o.StartSession()
    if kind == "end":
        return o.EndSession()
    if kind == "decide":
        return o.RecordDecision(text=title, cards=tuple(live[:1]))
    if kind == "step":
        return o.AddNextStep(text=title, owner="Cy", due=dt.date(2030, 1, 2))
    if kind == "update_step":
        status = draw(st.sampled_from(["open", "done", "dropped"]))
        return o.UpdateNextStep(step=pick(draw, steps, "s999"), status=status)
    return o.NotePresence(names=tuple(draw(st.lists(st.sampled_from(ACTORS), max_size=2))))


@st.composite
def histories(draw: st.DrawFn) -> tuple[list[Board], list[LoggedOp]]:
    """A log of valid ops and every board along it (``boards[i]``: after ``i`` ops)."""
    board = new_board("f", "sos", "SoS")
    boards = [board]
    log: list[LoggedOp] = []
    for _ in range(draw(st.integers(0, 60))):
        op = draw(an_op(board))
        seq = board.seq + 1
        actor = (
            draw(st.sampled_from(["", *ACTORS]))
            if isinstance(op, o.NotePresence)
            else draw(st.sampled_from(ACTORS))
        )
        try:
            new, events = apply(board, op, Context(seq=seq, at=1000.0 + seq, actor=actor))
        except Rejected:
            continue
        if not events:
            continue  # changed nothing: never logged
        log.append(LoggedOp(seq=seq, actor=actor, at=1000.0 + seq, op=op))
        board = new
        boards.append(board)
    return boards, log


@settings(max_examples=150, deadline=None)
@given(history=histories(), every=st.integers(1, 7), data=st.data())
def test_board_at_k_is_the_board_after_the_first_k_ops(
    history: tuple[list[Board], list[LoggedOp]], every: int, data: st.DataObject
) -> None:
    boards, log = history
    first = data.draw(st.integers(0, len(log)), label="ops before the session")
    tl = Timeline(boards[first], log[first:], every=every)
    n = len(log) - first
    assert len(tl) == n
    assert tl.start == boards[first]
    assert tl.end == boards[-1]
    for k in range(n + 1):
        assert tl.board_at(k) == boards[first + k], k
    for k in data.draw(st.permutations(range(n + 1)), label="random access"):
        assert tl.board_at(k) == boards[first + k], k
    with pytest.raises(IndexError):
        tl.board_at(n + 1)
    with pytest.raises(IndexError):
        tl.board_at(-1)
    # The steps: one per op, in order, with who and when, and touched cards that exist.
    assert [s.index for s in tl.steps] == list(range(1, n + 1))
    assert [(s.seq, s.actor, s.at) for s in tl.steps] == [
        (e.seq, e.actor, e.at) for e in log[first:]
    ]
    for s in tl.steps:
        after = boards[first + s.index]
        assert s.summary.strip() and "  " not in s.summary
        if s.actor and not isinstance(log[first + s.index - 1].op, o.NotePresence):
            assert s.summary.startswith(f"{s.actor} ")
        assert all(cid in after.cards for cid in s.card_ids)
        assert len(set(s.card_ids)) == len(s.card_ids)
    for k in range(n + 1):
        at = 1000.0 + boards[first + k].seq if k else 0.0
        assert tl.step_at_time(at) == k


@settings(max_examples=100, deadline=None)
@given(history=histories(), data=st.data())
def test_diff_matches_the_live_cards_of_both_boards(
    history: tuple[list[Board], list[LoggedOp]], data: st.DataObject
) -> None:
    boards, _ = history
    before = data.draw(st.sampled_from(boards))
    after = data.draw(st.sampled_from(boards))
    live_before = {k: c for k, c in before.cards.items() if not c.archived}
    live_after = {k: c for k, c in after.cards.items() if not c.archived}
    d = diff(before, after)
    assert {c.card_id for c in d.added} == live_after.keys() - live_before.keys()
    assert {c.card_id for c in d.removed} == live_before.keys() - live_after.keys()
    both = live_before.keys() & live_after.keys()
    assert {c.card_id for c in d.moved} == {
        k for k in both if live_before[k].column != live_after[k].column
    }
    for c in d.changed:
        assert c.fields and all(
            getattr(live_before[c.card_id], f) != getattr(live_after[c.card_id], f)
            for f in c.fields
        )
    assert not diff(after, after)
    assert diff(after, after) == BoardDiff()


# -- diff, by hand ---------------------------------------------------------------------


class Play:
    """A board and a log, one op at a time, as a room would keep them."""

    def __init__(self) -> None:
        self.board = new_board("f", "sos", "SoS")
        self.log: list[LoggedOp] = []

    def __call__(self, op: o.Op, actor: str = "Ann") -> Board:
        seq = self.board.seq + 1
        self.board, events = apply(self.board, op, Context(seq=seq, at=100.0 + seq, actor=actor))
        assert events
        self.log.append(LoggedOp(seq=seq, actor=actor, at=100.0 + seq, op=op))
        return self.board


def test_diff_lists_added_removed_moved_and_changed_cards() -> None:
    play = Play()
    play(o.AddCard(column="new", title="Stays"))  # c1
    play(o.AddCard(column="new", title="Goes", owner="Bo"))  # c2
    play(o.AddCard(column="new", title="Travels"))  # c3
    play(o.AddCard(column="removing", title="Old name", owner="Ann"))  # c4
    play(o.AddCard(column="new", title="Stays too"))  # c5
    before = play.board
    play(o.AddCard(column="needs-eat", title="Fresh"))  # c6
    play(o.ArchiveCard(card="c2"))
    play(o.MoveCard(card="c3", column="removed", index=0))
    play(o.EditCard(card="c4", title="New name", owner="Cy"))
    play(o.MoveCard(card="c1", column="new", index=5))  # within its column: not listed
    d = diff(before, play.board)
    assert [(c.card_id, c.title, c.column) for c in d.added] == [("c6", "Fresh", "Needs EAT")]
    assert [(c.card_id, c.title, c.column) for c in d.removed] == [("c2", "Goes", "New")]
    assert [(c.card_id, c.from_column, c.column) for c in d.moved] == [("c3", "New", "Removed")]
    assert [(c.card_id, c.fields, c.old_title, c.title) for c in d.changed] == [
        ("c4", ("title", "owner"), "Old name", "New name")
    ]
    assert d.by_card() == {
        "c6": ["added"],
        "c2": ["removed"],
        "c3": ["moved"],
        "c4": ["changed"],
    }
    assert bool(d)


def test_a_card_moved_and_edited_is_both_moved_and_changed() -> None:
    play = Play()
    play(o.AddCard(column="new", title="Both"))
    before = play.board
    play(o.MoveCard(card="c1", column="removing", index=0))
    play(o.EditCard(card="c1", body="now with details"))
    d = diff(before, play.board)
    assert d.by_card() == {"c1": ["moved", "changed"]}
    assert d.changed[0].fields == ("body",) and d.changed[0].old_title == ""


def test_restored_counts_as_added_and_archived_then_restored_is_no_change() -> None:
    play = Play()
    play(o.AddCard(column="new", title="Back again"))
    play(o.ArchiveCard(card="c1"))
    archived = play.board
    play(o.RestoreCard(card="c1"))
    d = diff(archived, play.board)
    assert [(c.kind, c.card_id, c.column) for c in d.added] == [("added", "c1", "New")]
    assert not d.removed and not d.moved and not d.changed
    assert not diff(play.board, play.board)


def test_diff_of_a_board_with_itself_is_empty() -> None:
    play = Play()
    for i in range(5):
        play(o.AddCard(column="new", title=f"Card {i}"))
    play(o.ArchiveCard(card="c2"))
    assert diff(play.board, play.board) == BoardDiff()
    assert not diff(play.board, play.board)
    assert diff(play.board, play.board).by_card() == {}


# -- steps and describe ------------------------------------------------------------------


def test_steps_say_who_did_what() -> None:
    play = Play()
    play(o.AddCard(column="new", title="Flaky CI"))
    start = play.board
    play.log.clear()
    play(o.StartSession(), "Maya")
    play(o.MoveCard(card="c1", column="removed", index=0), "Leo")
    play(o.AddCard(column="new", title="Second"), "Maya")
    play(o.RecordDecision(text="Escalate", cards=("c1",)), "Maya")
    play(o.NotePresence(names=("Priya", "Sam")), "")
    play(o.EndSession(), "Leo")
    tl = Timeline(start, play.log, every=2)
    assert [s.summary for s in tl.steps] == [
        "Maya started session 1",
        "Leo moved “Flaky CI” from New to Removed",
        "Maya added “Second” to New",
        "Maya recorded the decision “Escalate”",
        "Priya and Sam joined the session",
        "Leo ended session 1",
    ]
    assert [s.card_ids for s in tl.steps] == [(), ("c1",), ("c4",), ("c1",), (), ()]
    assert tl.board_at(1).cards["c1"].column == "new"
    assert tl.board_at(2).cards["c1"].column == "removed"
    assert tl.board_at(0) == start


def test_steps_say_focus_wip_and_votes_without_naming_a_vote() -> None:
    play = Play()
    play(o.AddCard(column="new", title="Flaky CI"))
    play(o.AddCard(column="new", title="Slow review"))
    start = play.board
    play.log.clear()
    play(o.SetFocus(target="c1"), "Fay")
    play(o.SetFocus(target="new"), "Fay")
    play(o.SetFocus(target=None), "Fay")
    play(o.SetWipLimit(column="removing", limit=1), "Leo")
    play(o.MoveCard(card="c1", column="removing", index=0), "Leo")
    play(o.MoveCard(card="c2", column="removing", index=0), "Leo")
    play(o.SetWipLimit(column="removing", limit=None), "Leo")
    tl = Timeline(start, play.log)
    assert [s.summary for s in tl.steps] == [
        "Fay brought everyone to “Flaky CI”",
        "Fay brought everyone to the column New",
        "Fay released the follow",
        "Leo set the WIP limit of Being removed to 1",
        "Leo moved “Flaky CI” from New to Being removed",
        "Leo moved “Slow review” from New to Being removed;"
        " took Being removed over its WIP limit (2/1)",
        "Leo cleared Being removed's WIP limit",
    ]
    # A vote never names its target in the steps (it is secret while the vote is open).
    line = describe(start, [VoteCast(voter="Ana", target="c1", used=1, voters=1)], "Ana")
    assert line == "Ana cast a vote" and "Flaky" not in line


def test_describe_without_actor_or_visible_change() -> None:
    board = new_board("f", "sos", "SoS")
    assert describe(board, [], "Ann") == "Ann changed the board"
    assert describe(board, [], "") == "Someone changed the board"


def test_checkpoint_interval_must_be_positive() -> None:
    with pytest.raises(ValueError):
        Timeline(new_board("f", "sos", "SoS"), [], every=0)
    tl = Timeline(new_board("f", "sos", "SoS"), [])
    assert len(tl) == 0 and tl.board_at(0) == tl.start == tl.end and tl.steps == []


def test_random_steps_of_a_long_session_never_replay_from_the_start() -> None:
    play = Play()
    for i in range(20):
        play(o.AddCard(column="new", title=f"Card {i}"))
    start = play.board
    play.log.clear()
    rng = random.Random(3)
    cols = [c.id for c in start.columns]
    while len(play.log) < 10_000:
        card = f"c{rng.randrange(1, 21)}"
        op = o.MoveCard(card=card, column=rng.choice(cols), index=rng.randrange(6))
        seq = play.board.seq + 1
        board, events = apply(play.board, op, Context(seq=seq, at=float(seq), actor="Ann"))
        if events:
            play.board = board
            play.log.append(LoggedOp(seq=seq, actor="Ann", at=float(seq), op=op))
    tl = Timeline(start, play.log)
    # Replaying from the start for each of these would be ~1.5 million applies; with a
    # checkpoint every 100 steps it is at most 99 per step.
    began = time.perf_counter()
    for k in [rng.randrange(len(tl) + 1) for _ in range(300)]:
        assert tl.board_at(k).seq == start.seq + k
    assert time.perf_counter() - began < 5.0
    assert tl.board_at(len(tl)) == play.board

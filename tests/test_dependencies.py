"""Dependencies on a board: connects validation, markers, the list and its ages
(``board/dependencies.py``). SPEC R34."""

from __future__ import annotations

import msgspec
import pytest

from board import dependencies as deps
from board import ops as o
from board.apply import Context, Rejected, apply
from board.events import CardAdded, CardEdited, CardMoved, Event
from board.log import Item
from board.model import Board, check, new_board

DAY = 24 * 3600.0
T0 = 1_700_000_000.0


def play(board: Board, *ops: o.Op, at: float = T0) -> Board:
    for op in ops:
        board, _ = apply(board, op, Context(seq=board.seq + 1, at=at, actor="Ann"))
        assert check(board) == []
    return board


def refused(board: Board, op: o.Op, code: str) -> str:
    before = msgspec.json.encode(board)
    with pytest.raises(Rejected) as info:
        apply(board, op, Context(seq=board.seq + 1, at=T0, actor="Ann"))
    assert info.value.code == code
    assert msgspec.json.encode(board) == before  # nothing changed
    return info.value.reason


@pytest.fixture
def sos() -> Board:
    """c1 and c2 (impediments of two teams), c3 a dependency, c4 a note (archived)."""
    return play(
        new_board("f1", "sos", "SoS"),
        o.AddCard(column="new", title="Checkout work", team="checkout"),
        o.AddCard(column="new", title="Payments work", team="payments"),
        o.AddCard(
            column="new", title="Needs the API", kind="dependency", team="checkout",
            to_team="payments",
        ),
        o.AddCard(column="new", title="Old", kind="note"),
        o.ArchiveCard(card="c4"),
    )  # fmt: skip


# -- connects: validation (SPEC R34) ------------------------------------------------


def test_edit_connects_two_live_cards(sos: Board) -> None:
    board = play(sos, o.EditCard(card="c3", connects=("c1", "c2")))
    assert board.cards["c3"].connects == ("c1", "c2")


def test_add_dependency_with_connects_and_duplicates_dropped(sos: Board) -> None:
    board = play(
        sos,
        o.AddCard(column="new", title="D", kind="dependency", connects=("c2", "c2")),
    )
    assert board.cards[f"c{board.seq}"].connects == ("c2",)


@pytest.mark.parametrize(
    ("connects", "code", "words"),
    [
        (("c3",), "invalid", "itself"),
        (("c9",), "not_found", "no card"),
        (("c4",), "conflict", "archived"),
    ],
)
def test_connects_must_be_live_cards_of_this_board_not_itself(
    sos: Board, connects: tuple[str, ...], code: str, words: str
) -> None:
    reason = refused(sos, o.EditCard(card="c3", connects=connects), code)
    assert words in reason


def test_only_a_dependency_connects(sos: Board) -> None:
    assert "dependency" in refused(sos, o.EditCard(card="c1", connects=("c2",)), "invalid")
    add = o.AddCard(column="new", title="I", connects=("c1",))
    assert "dependency" in refused(sos, add, "invalid")


def test_at_most_two_cards_by_schema() -> None:
    raw = b'{"type":"edit_card","card":"c3","connects":["c1","c2","c5"]}'
    with pytest.raises(msgspec.ValidationError):
        msgspec.json.decode(raw, type=o.ClientOp)


def test_a_connected_card_archived_later_stays_connected(sos: Board) -> None:
    board = play(sos, o.EditCard(card="c3", connects=("c1", "c2")), o.ArchiveCard(card="c1"))
    # editing other fields, or sending the same connects again, keeps it
    board = play(board, o.EditCard(card="c3", title="Needs the API soon"))
    board = play(board, o.EditCard(card="c3", connects=("c1", "c2")))
    assert board.cards["c3"].connects == ("c1", "c2")
    assert deps.connected(board, board.cards["c3"])[0] == deps.Connected(
        "c1", "Checkout work", archived=True
    )


def test_changing_the_kind_away_from_dependency_drops_connects(sos: Board) -> None:
    board = play(sos, o.EditCard(card="c3", connects=("c1",)))
    board = play(board, o.EditCard(card="c3", kind="risk"))
    assert board.cards["c3"].connects == ()


def test_clearing_connects(sos: Board) -> None:
    board = play(sos, o.EditCard(card="c3", connects=("c1",)), o.EditCard(card="c3", connects=()))
    assert board.cards["c3"].connects == ()


# -- markers --------------------------------------------------------------------------


def test_markers_on_each_connected_card_of_live_dependencies(sos: Board) -> None:
    board = play(sos, o.EditCard(card="c3", connects=("c1", "c2")))
    mark = deps.Marker("c3", "checkout", "payments", "Needs the API")
    assert deps.markers(board) == {"c1": (mark,), "c2": (mark,)}
    archived = play(board, o.ArchiveCard(card="c3"))
    assert deps.markers(archived) == {}


# -- the list: open, and longer than a sprint -----------------------------------------


def test_days_open_and_longer_than_a_sprint_with_constructed_times() -> None:
    assert deps.days_open(T0, T0 + 3 * DAY + 5) == 3
    assert deps.days_open(T0, T0 - 10) == 0
    assert not deps.longer_than_sprint(T0, T0 + 14 * DAY, 14)  # exactly a sprint
    assert deps.longer_than_sprint(T0, T0 + 14 * DAY + 1, 14)
    assert deps.longer_than_sprint(T0, T0 + 8 * DAY, 7)


def test_open_dependencies_skip_removed_and_archived(sos: Board) -> None:
    later = play(
        sos,
        o.AddCard(column="new", title="Second", kind="dependency", team="search"),
        at=T0 + 10 * DAY,
    )
    removed = play(later, o.AddCard(column="removed", title="Done one", kind="dependency"), at=T0)
    lines = deps.open_dependencies(removed, T0 + 15 * DAY, sprint_days=14)
    assert [line.card.title for line in lines] == ["Needs the API", "Second"]  # oldest first
    first, second = lines
    assert (first.days_open, first.longer_than_sprint) == (15, True)
    assert (second.days_open, second.longer_than_sprint) == (5, False)
    assert deps.open_dependencies(play(removed, o.ArchiveCard(card="c3")), T0)[0].card.id != "c3"


def item(op: o.Op, *events: Event) -> Item:
    return Item(seq=1, op_id=None, actor="Ann", at=T0, op=op, events=events)


def test_touched_says_when_the_list_and_which_dependency_cards_change(sos: Board) -> None:
    board = play(sos, o.EditCard(card="c3", connects=("c1",)))
    c1, c2, c3 = (board.cards[c] for c in ("c1", "c2", "c3"))
    # a connected card renamed: the list, and the dependency card that names it
    assert deps.touched(board, [item(o.EditCard(card="c1"), CardEdited(card=c1))]) == (
        True,
        {"c3"},
    )
    # an unconnected card edited, added or moved: nothing
    assert deps.touched(board, [item(o.EditCard(card="c2"), CardEdited(card=c2))]) == (
        False,
        set(),
    )
    added = item(o.AddCard(column="new", title="x"), CardAdded(card=c2))
    assert deps.touched(board, [added]) == (False, set())
    moved = CardMoved(card_id="c1", from_column="new", column="removing", rank="V")
    assert deps.touched(
        board, [item(o.MoveCard(card="c1", column="removing", index=0), moved)]
    ) == (
        False,
        set(),
    )
    # a dependency moved (it may be removed now), or a kind set (it may no longer be one)
    moved = CardMoved(card_id="c3", from_column="new", column="removed", rank="V")
    assert deps.touched(board, [item(o.MoveCard(card="c3", column="removed", index=0), moved)])[0]
    assert deps.touched(board, [item(o.EditCard(card="c2", kind="risk"), CardEdited(card=c2))])[0]
    assert deps.touched(board, [item(o.EditCard(card="c3"), CardEdited(card=c3))])[0]
    eat = new_board("e", "eat", "EAT")  # holds no dependencies
    assert deps.touched(eat, [item(o.EditCard(card="c3"), CardEdited(card=c3))]) == (False, set())

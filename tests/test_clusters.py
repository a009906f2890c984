"""What can be voted on (SPEC R48) and a cluster gathered into one run of cards, drawn as
one box (SPEC R49), in ``board``: the column template's ``votable``, refusals of a dot
on a "Went well" card, and ``gather`` on grouping and taking out."""

from __future__ import annotations

import msgspec
import pytest
from msgspec.structs import replace

from board import ops as o
from board import voting
from board.apply import Context, Rejected, apply
from board.events import CardMoved
from board.kinds import FORUM_KINDS, votable_column
from board.model import Board, Retro, RetroPhase, check, new_board


def run(board: Board, op: o.Op, actor: str = "Ana") -> tuple[Board, list[object]]:
    new, events = apply(board, op, Context(seq=board.seq + 1, at=1000.0 + board.seq, actor=actor))
    assert check(new) == []
    return new, list(events)


def phase(board: Board, name: RetroPhase) -> Board:
    return replace(board, retro=replace(board.retro or Retro(), phase=name))


@pytest.fixture
def board() -> Board:
    """c2 in went-well; c3 c4 in to-improve; c5 in ideas."""
    b = new_board("f1", "retro", "Retro")
    b, _ = run(b, o.StartSession())
    for column, title in [
        ("went-well", "Pairing"),
        ("to-improve", "Flaky tests"),
        ("to-improve", "Long meetings"),
        ("ideas", "Mob on the flaky ones"),
    ]:
        b, _ = run(b, o.AddCard(column=column, title=title))
    return phase(b, "group")


def column_ids(board: Board, column: str) -> list[str]:
    col = board.column(column)
    assert col is not None
    return list(col.card_ids)


# -- R48 ------------------------------------------------------------------------------


def test_went_well_is_not_votable_and_the_rest_is() -> None:  # SPEC R48
    retro = {c.id: c.votable for c in FORUM_KINDS["retro"].columns}
    assert retro == {"went-well": False, "to-improve": True, "ideas": True, "experiments": True}
    assert votable_column("retro", "went-well") is False
    assert votable_column("retro", "col99") is True  # a column added later
    assert votable_column("sos", "new") is True


def test_a_dot_on_a_card_that_is_not_votable_is_refused(board: Board) -> None:  # SPEC R48
    b = phase(board, "vote")
    with pytest.raises(Rejected) as e:
        run(b, o.CastVote(target="c2"))
    assert e.value.code == "invalid" and e.value.reason == "Cards in “Went well” are not voted on."
    # Renamed, the column is still the template's "Went well": still not votable.
    renamed, _ = run(b, o.RenameColumn(column="went-well", title="Keep doing"))
    with pytest.raises(Rejected, match="Keep doing"):
        run(renamed, o.CastVote(target="c2"))
    # The rest takes dots.
    voted, _ = run(b, o.CastVote(target="c3"))
    assert voted.retro is not None and voting.used(voted.retro, "Ana") == 1


def test_a_cluster_is_votable_while_one_of_its_cards_is(board: Board) -> None:  # SPEC R48
    b, _ = run(board, o.GroupCard(card="c2", with_card="c3"))  # not gathered: c2 stays
    gid = b.cards["c2"].group
    assert b.cards["c2"].column == "went-well"
    v = phase(b, "vote")
    after, _ = run(v, o.CastVote(target="c2"))  # its dot goes to the cluster
    assert after.retro is not None and after.retro.votes["Ana"] == {gid: 1}
    # With its only votable card moved to "Went well", the cluster takes no dots.
    b4, _ = run(b, o.MoveCard(card="c3", column="went-well", index=0))
    with pytest.raises(Rejected) as e:
        run(phase(b4, "vote"), o.CastVote(target=gid))
    assert e.value.code == "invalid" and "not voted on" in e.value.reason


def test_the_vote_list_and_the_order_leave_out_what_is_not_votable(board: Board) -> None:
    # SPEC R48, R28: topics say whether they take dots; the discussion order has only those.
    b = phase(board, "vote")
    by_id = {t.id: t.votable for t in voting.topics(b)}
    assert by_id == {"c2": False, "c3": True, "c4": True, "c5": True}
    assert "c2" not in [t.id for t in voting.discussion_order(b)]


# -- R49 ------------------------------------------------------------------------------


def test_gathered_grouping_moves_the_card_after_the_clusters_last(board: Board) -> None:
    # SPEC R49: grouping with gather puts the card right after the cluster's cards.
    b, events = run(board, o.GroupCard(card="c5", with_card="c3", gather=True))
    gid = b.cards["c3"].group
    assert column_ids(b, "to-improve") == ["c3", "c5", "c4"]
    assert column_ids(b, "ideas") == []
    assert (
        CardMoved(card_id="c5", from_column="ideas", column="to-improve", rank=b.cards["c5"].rank)
        in events
    )
    # A third card lands after the second: the cluster is one run.
    b, _ = run(b, o.GroupCard(card="c2", with_card="c3", gather=True))
    assert column_ids(b, "to-improve") == ["c3", "c5", "c2", "c4"]
    assert {b.cards[c].group for c in ("c3", "c5", "c2")} == {gid}
    # Already in place: no move.
    b2, events = run(b, o.GroupCard(card="c4", with_card="c2", gather=True))
    assert column_ids(b2, "to-improve") == ["c3", "c5", "c2", "c4"]
    assert not any(isinstance(e, CardMoved) for e in events)


def test_gathered_taking_out_leaves_the_box(board: Board) -> None:  # SPEC R49
    b, _ = run(board, o.GroupCard(card="c4", with_card="c3", gather=True))
    b, _ = run(b, o.GroupCard(card="c5", with_card="c3", gather=True))
    assert column_ids(b, "to-improve") == ["c3", "c4", "c5"]
    out, events = run(b, o.UngroupCard(card="c3", gather=True))
    assert column_ids(out, "to-improve") == ["c4", "c5", "c3"]
    assert out.cards["c3"].group == "" and any(isinstance(e, CardMoved) for e in events)
    # Without gather (an op logged before it existed) the card stays where it is.
    stay, events = run(b, o.UngroupCard(card="c3"))
    assert column_ids(stay, "to-improve") == ["c3", "c4", "c5"]
    assert not any(isinstance(e, CardMoved) for e in events)


def test_an_old_group_card_without_gather_still_decodes_and_does_not_move(board: Board) -> None:
    # SPEC R49: ``gather`` defaults to false, so a log from before it replays unchanged.
    op = msgspec.json.decode(b'{"type":"group_card","card":"c5","with_card":"c3"}', type=o.Op)
    assert isinstance(op, o.GroupCard) and op.gather is False
    b, _ = run(board, op)
    assert column_ids(b, "ideas") == ["c5"]

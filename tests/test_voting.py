"""Grouping and dot voting in ``board`` (issue 5, SPEC R25-R28): the grouping rules, the
dot limit, secret votes through ``board.visibility``, the tally on close and re-open,
the discussion order, and determinism."""

from __future__ import annotations

import msgspec
import pytest
from msgspec.structs import replace

from board import ops as o
from board import visibility, voting
from board.access import can
from board.apply import Context, Rejected, apply
from board.events import (
    CardEdited,
    GroupChanged,
    GroupRemoved,
    VoteCast,
    VoteClosed,
    VoteReopened,
    VotesCounted,
)
from board.log import Item, LoggedOp
from board.model import Board, Retro, RetroPhase, new_board
from board.protocol import BadMessage, decode_client
from board.sync import ForumSync, replay
from tests.support import ROOT


def run(board: Board, op: o.Op, actor: str = "Ana") -> tuple[Board, list[object]]:
    before = msgspec.json.encode(board)
    new, events = apply(board, op, Context(seq=board.seq + 1, at=1000.0 + board.seq, actor=actor))
    assert msgspec.json.encode(board) == before  # apply never mutates its input
    return new, list(events)


def refused(board: Board, op: o.Op, actor: str = "Ana") -> Rejected:
    with pytest.raises(Rejected) as e:
        run(board, op, actor)
    return e.value


def in_phase(board: Board, phase: RetroPhase, **kw: object) -> Board:
    retro = board.retro or Retro()
    return replace(board, retro=replace(retro, phase=phase, **kw))


@pytest.fixture
def board() -> Board:
    """A retro board with four cards: c2 c3 in to-improve, c4 c5 in ideas (both votable)."""
    b = new_board("f1", "retro", "Retro")
    b, _ = run(b, o.StartSession())
    for column, title in [
        ("to-improve", "Fast CI"),
        ("to-improve", "Pairing"),
        ("ideas", "Flaky tests"),
        ("ideas", "Long meetings"),
    ]:
        b, _ = run(b, o.AddCard(column=column, title=title))
    ids = [c.id for c in voting.ordered_cards(b)]
    assert ids == ["c2", "c3", "c4", "c5"]
    return in_phase(b, "group")


# -- R25 grouping ---------------------------------------------------------------------


def test_grouping_makes_a_cluster_named_by_the_seq(board: Board) -> None:  # SPEC R25
    b, events = run(board, o.GroupCard(card="c2", with_card="c4"))
    gid = f"g{b.seq}"
    assert b.retro is not None and list(b.retro.groups) == [gid]
    assert b.cards["c2"].group == gid and b.cards["c4"].group == gid
    assert [type(e) for e in events] == [GroupChanged, CardEdited, CardEdited]
    # A third card joins the existing cluster; no new cluster.
    b2, events = run(b, o.GroupCard(card="c5", with_card="c2"))
    assert b2.cards["c5"].group == gid and len(b2.retro.groups) == 1  # type: ignore[union-attr]
    assert [type(e) for e in events] == [CardEdited]
    # Grouping a card into the cluster it is in changes nothing.
    assert run(b2, o.GroupCard(card="c5", with_card="c4"))[1] == []


def test_an_emptied_cluster_disappears(board: Board) -> None:  # SPEC R25
    b, _ = run(board, o.GroupCard(card="c2", with_card="c3"))
    first = b.cards["c2"].group
    b, _ = run(b, o.GroupCard(card="c4", with_card="c5"))
    second = b.cards["c4"].group
    # Moving both cards of the first cluster into the second: the first goes.
    b, _ = run(b, o.GroupCard(card="c2", with_card="c4"))
    assert first in b.retro.groups  # type: ignore[union-attr]  (c3 is still in it)
    b, events = run(b, o.GroupCard(card="c3", with_card="c5"))
    assert first not in b.retro.groups and GroupRemoved(group_id=first) in events  # type: ignore[union-attr]
    assert {c.group for c in b.cards.values()} == {second}
    # Ungrouping down to nothing removes the cluster too.
    for cid in ("c2", "c3", "c4"):
        b, _ = run(b, o.UngroupCard(card=cid))
    assert second in b.retro.groups  # type: ignore[union-attr]
    b, events = run(b, o.UngroupCard(card="c5"))
    assert b.retro.groups == {} and events[-1] == GroupRemoved(group_id=second)  # type: ignore[union-attr]
    assert run(b, o.UngroupCard(card="c5"))[1] == []  # not in a cluster: nothing to do


def test_naming_a_cluster(board: Board) -> None:  # SPEC R25
    b, _ = run(board, o.GroupCard(card="c2", with_card="c3"))
    gid = b.cards["c2"].group
    b, events = run(b, o.NameGroup(group=gid, title="  Our\n build  "))
    assert b.retro.groups[gid].title == "Our build"  # type: ignore[union-attr]
    assert events == [GroupChanged(group=b.retro.groups[gid])]  # type: ignore[union-attr]
    assert run(b, o.NameGroup(group=gid, title="Our build"))[1] == []
    assert refused(b, o.NameGroup(group="g999", title="x")).code == "not_found"
    # The wire schema refuses a name over 60 characters before apply sees it.
    op = {"type": "name_group", "group": gid, "title": "x" * 61}
    with pytest.raises(BadMessage):
        decode_client(msgspec.json.encode({"type": "op", "id": "x1", "op": op}))


def test_grouping_rules(board: Board) -> None:  # SPEC R25
    assert refused(board, o.GroupCard(card="c2", with_card="c2")).code == "invalid"
    assert refused(board, o.GroupCard(card="c2", with_card="c99")).code == "not_found"
    for phase in ("write", "reveal", "vote", "discuss", "decide"):
        e = refused(in_phase(board, phase), o.GroupCard(card="c2", with_card="c3"))  # type: ignore[arg-type]
        assert e.code == "conflict" and "group phase" in e.reason
    assert refused(replace(board, retro=None), o.UngroupCard(card="c2")).code == "conflict"
    archived, _ = run(board, o.ArchiveCard(card="c3"))
    assert refused(archived, o.GroupCard(card="c2", with_card="c3")).code == "conflict"


def test_participants_group_and_vote_viewers_do_not() -> None:
    for op in ("group_card", "ungroup_card", "name_group", "cast_vote", "retract_vote"):
        assert can("participant", op) and can("facilitator", op) and not can("viewer", op)


# -- R26 the dot limit --------------------------------------------------------------------


def test_each_person_has_n_dots(board: Board) -> None:  # SPEC R26
    b = in_phase(board, "vote", dots=3)
    b, events = run(b, o.CastVote(target="c2"))
    assert events == [VoteCast(voter="Ana", target="c2", used=1, voters=1)]
    b, _ = run(b, o.CastVote(target="c2"))  # several on one target are allowed
    b, _ = run(b, o.CastVote(target="c4"))
    e = refused(b, o.CastVote(target="c5"))
    assert e.code == "limit" and e.reason == "You have used all 3 dots."
    # Someone else still has their own three.
    b, events = run(b, o.CastVote(target="c5"), actor="Bo")
    assert events[0] == VoteCast(voter="Bo", target="c5", used=1, voters=2)  # then joined
    assert b.retro is not None and b.retro.votes == {"Ana": {"c2": 2, "c4": 1}, "Bo": {"c5": 1}}
    # Taking a dot back frees it.
    b, _ = run(b, o.RetractVote(target="c2"))
    b, _ = run(b, o.CastVote(target="c5"))
    assert b.retro.votes["Ana"] == {"c2": 1, "c4": 1, "c5": 1}  # type: ignore[union-attr]
    assert refused(b, o.RetractVote(target="c3")).code == "conflict"


def test_votes_only_in_the_vote_phase(board: Board) -> None:  # SPEC R26
    e = refused(board, o.CastVote(target="c2"))
    assert e.code == "conflict" and "vote phase" in e.reason
    b = in_phase(board, "vote")
    assert refused(b, o.CastVote(target="nope")).code == "not_found"
    archived, _ = run(b, o.ArchiveCard(card="c3"))
    assert refused(archived, o.CastVote(target="c3")).code == "conflict"


def test_a_grouped_cards_vote_goes_to_its_cluster(board: Board) -> None:  # SPEC R26
    b, _ = run(board, o.GroupCard(card="c2", with_card="c3"))
    gid = b.cards["c2"].group
    b = in_phase(b, "vote")
    b, _ = run(b, o.CastVote(target="c3"))
    b, _ = run(b, o.CastVote(target=gid))
    assert b.retro.votes == {"Ana": {gid: 2}}  # type: ignore[union-attr]
    b, _ = run(b, o.RetractVote(target="c2"))  # back from the cluster, through a card of it
    assert b.retro.votes == {"Ana": {gid: 1}}  # type: ignore[union-attr]


def test_fewer_dots_keep_votes_but_allow_no_more(board: Board) -> None:  # SPEC R26
    b = in_phase(board, "vote", dots=3)
    for target in ("c2", "c3", "c4"):
        b, _ = run(b, o.CastVote(target=target))
    b = replace(b, retro=replace(b.retro, dots=2))  # type: ignore[arg-type]
    assert voting.used(b.retro, "Ana") == 3 and voting.left(b.retro, "Ana") == 0  # type: ignore[arg-type]
    e = refused(b, o.CastVote(target="c5"))
    assert e.code == "limit" and "used 3 dots" in e.reason and "cannot add more" in e.reason
    b, _ = run(b, o.RetractVote(target="c2"))
    assert refused(b, o.CastVote(target="c5")).code == "limit"  # 2 used of 2
    b, _ = run(b, o.RetractVote(target="c3"))
    b, _ = run(b, o.CastVote(target="c5"))
    assert voting.used(b.retro, "Ana") == 2  # type: ignore[arg-type]


# -- R26 secrecy -------------------------------------------------------------------------


def item_of(board: Board, op: o.Op, actor: str) -> tuple[Board, Item]:
    new, events = run(board, op, actor)
    return new, Item(seq=new.seq, op_id="x", actor=actor, at=1.0, op=op, events=tuple(events))


def test_only_the_voter_sees_their_vote(board: Board) -> None:  # SPEC R26
    b = in_phase(board, "vote")
    b, item = item_of(b, o.CastVote(target="c4"), "Ana")
    assert visibility.needs_private(item)
    assert visibility.item_for(item, "Ana", b) is item
    for viewer in ("Bo", None, ""):
        seen = visibility.item_for(item, viewer, b)
        assert list(seen.events) == [VotesCounted(voters=1)]
        assert b"c4" not in msgspec.json.encode(seen.events)
    # Boards (pages, the API, full catch-ups): the others' votes are gone, not their names.
    b, _ = run(b, o.CastVote(target="c5"), "Bo")
    ana = visibility.board_for(b, "Ana")
    assert ana.retro is not None and ana.retro.votes == {"Ana": {"c4": 1}, "Bo": {}}
    nobody = visibility.board_for(b, None)
    assert nobody.retro is not None and nobody.retro.votes == {"Ana": {}, "Bo": {}}
    assert voting.voters(nobody.retro) == 2
    assert b"c4" not in msgspec.json.encode(nobody) or b"c4" in msgspec.json.encode(nobody.cards)
    assert nobody.retro.tally is None


def test_after_the_close_votes_are_public(board: Board) -> None:  # SPEC R27
    b = in_phase(board, "vote")
    b, _ = run(b, o.CastVote(target="c4"), "Ana")
    b, events = voting.on_phase_change(in_phase(b, "discuss"), "vote", "discuss")
    assert events == [VoteClosed(tally={"c4": 1})]
    assert visibility.board_for(b, "Bo").retro is b.retro  # (the session's keys go: R43)


# -- R27 close and re-open ---------------------------------------------------------------


def test_close_fills_the_tally_and_stepping_back_reopens(board: Board) -> None:  # SPEC R27
    b, _ = run(board, o.GroupCard(card="c2", with_card="c3"))
    gid = b.cards["c2"].group
    b = in_phase(b, "vote")
    b, _ = run(b, o.CastVote(target="c2"), "Ana")
    b, _ = run(b, o.CastVote(target="c5"), "Ana")
    b, _ = run(b, o.CastVote(target="c5"), "Bo")
    closed, events = voting.on_phase_change(in_phase(b, "discuss"), "vote", "discuss")
    assert events == [VoteClosed(tally={gid: 1, "c5": 2})]
    assert closed.retro is not None and closed.retro.tally == {gid: 1, "c5": 2}
    # Further forward: the tally stays, nothing new is said.
    assert voting.on_phase_change(in_phase(closed, "decide"), "discuss", "decide")[1] == []
    # Back into the vote: re-opened, votes kept.
    reopened, events = voting.on_phase_change(in_phase(closed, "vote"), "discuss", "vote")
    assert events == [VoteReopened()]
    assert reopened.retro is not None and reopened.retro.tally is None
    assert reopened.retro.votes == b.retro.votes  # type: ignore[union-attr]
    # Back into group, then regroup: at the next close the card's dot goes to its new place.
    grouping, _ = voting.on_phase_change(in_phase(reopened, "group"), "vote", "group")
    grouping, _ = run(grouping, o.UngroupCard(card="c2"))
    grouping, _ = run(grouping, o.UngroupCard(card="c3"))
    assert voting.tally(grouping) == {"c5": 2}  # the cluster voted for is gone
    assert voting.on_phase_change(grouping, None, "write") == (grouping, [])


def test_set_phase_closes_the_vote_through_retro(board: Board) -> None:  # SPEC R27
    b = replace(board, retro=None)
    for phase in ("write", "reveal", "group", "vote"):
        b, _ = run(b, o.SetPhase(phase=phase), "Fay")  # type: ignore[arg-type]
    b, _ = run(b, o.CastVote(target="c3"), "Ana")
    b, events = run(b, o.SetPhase(phase="discuss"), "Fay")
    assert VoteClosed(tally={"c3": 1}) in events
    b, events = run(b, o.SetPhase(phase="vote"), "Fay")
    assert VoteReopened() in events and b.retro is not None and b.retro.votes == {"Ana": {"c3": 1}}


# -- R28 discussion order ------------------------------------------------------------------


def test_discussion_order_by_votes_then_board_order(board: Board) -> None:  # SPEC R28
    b, _ = run(board, o.GroupCard(card="c4", with_card="c5"))
    gid = b.cards["c4"].group
    b, _ = run(b, o.NameGroup(group=gid, title="Meetings and tests"))
    b = in_phase(b, "vote")
    for actor, target in [("Ana", "c3"), ("Bo", gid), ("Cy", "c3"), ("Cy", gid), ("Di", "c2")]:
        b, _ = run(b, o.CastVote(target=target), actor)
    b, _ = voting.on_phase_change(in_phase(b, "discuss"), "vote", "discuss")
    order = voting.discussion_order(b)
    assert [(t.id, t.votes) for t in order] == [("c3", 2), (gid, 2), ("c2", 1)]
    assert order[1].title == "Meetings and tests" and [c.id for c in order[1].cards] == ["c4", "c5"]
    # Before any tally: board order, no counts.
    assert [t.votes for t in voting.topics(in_phase(board, "vote"))] == [0, 0, 0, 0]


# -- determinism ------------------------------------------------------------------------------


def test_replaying_the_log_gives_the_same_board(board: Board) -> None:
    ops: list[tuple[str, o.Op]] = [
        ("Ana", o.GroupCard(card="c2", with_card="c3")),
        ("Bo", o.GroupCard(card="c4", with_card="c2")),
        ("Ana", o.UngroupCard(card="c3")),
    ]
    start = board
    sync = ForumSync(start, "e1")
    logged: list[LoggedOp] = []
    for actor, op in ops:
        out = sync.submit(op, op_id=None, actor=actor, at=5.0)
        assert not hasattr(out, "code"), out
        logged.append(LoggedOp(sync.seq, actor, 5.0, op))
    again = replay(start, logged)
    assert msgspec.json.encode(again) == msgspec.json.encode(sync.board)
    assert set(again.retro.groups) == {f"g{start.seq + 1}"}  # type: ignore[union-attr]


def test_votes_stay_secret_for_a_caller_that_imports_only_visibility() -> None:
    # SPEC R26: the vote rule lives in board/voting.py; a script that imports only
    # board.visibility (nothing that imports voting) must still not see others' votes.
    import subprocess
    import sys

    code = (
        "from board.model import Retro, new_board\n"
        "from msgspec.structs import replace\n"
        "import board.visibility as v\n"
        "b = replace(new_board('f', 'retro', 'R'), retro=Retro(phase='vote',"
        " votes={'Ana': {'c1': 2}, 'Bo': {'c2': 1}}))\n"
        "print(sorted(v.board_for(b, 'Bo').retro.votes.items()))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    # Ana's name stays (people may count the voters), her dots do not.
    assert out.stdout.strip() == "[('Ana', {}), ('Bo', {'c2': 1})]", out.stdout + out.stderr

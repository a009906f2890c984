"""The network's counts and picture (``board/network.py``). SPEC R32, R33."""

from __future__ import annotations

import itertools
import random

from board import ops as o
from board.apply import Context, apply
from board.model import Board, Team, new_board
from board.network import (
    FORUM_H,
    TEAM_H,
    ForumFact,
    NetworkFacts,
    cut,
    facts,
    layout,
    open_impediments,
    wrap,
)

TEAMS = (
    Team("checkout", "Checkout", "#1f77b4"),
    Team("payments", "Payments", "#d62728"),
    Team("search", "Search", "#2ca02c"),
    Team("mobile", "Mobile", "#9467bd"),
)


def play(board: Board, *ops: o.Op) -> Board:
    for op in ops:
        board, _ = apply(board, op, Context(seq=board.seq + 1, at=1.0, actor="Ann"))
    return board


def test_open_impediments_counts_only_open_impediment_cards() -> None:  # SPEC R32
    board = play(
        new_board("s", "sos", "SoS"),
        o.AddCard(column="new", title="Open one"),
        o.AddCard(column="needs-eat", title="Open two"),
        o.AddCard(column="removed", title="Removed"),
        o.AddCard(column="new", title="Archived"),
        o.ArchiveCard(card="c4"),
        o.AddCard(column="new", title="A risk", kind="risk"),
        o.AddCard(column="new", title="A dependency", kind="dependency"),
        o.AddColumn(title="Resolved"),
    )
    assert open_impediments(board) == 2
    resolved = next(c.id for c in board.columns if c.title == "Resolved")
    moved = play(board, o.MoveCard(card="c1", column=resolved, index=0))
    assert open_impediments(moved) == 1  # a column titled Resolved removes, as in metrics


def test_forum_facts_count_only_kinds_that_hold_impediments() -> None:
    sos = play(new_board("s", "sos", "SoS"), o.AddCard(column="new", title="I"))
    meta = new_board("m", "metascrum", "MetaScrum")
    got = facts([sos, meta], TEAMS, {"s": ("checkout",)}, {"s": "eat"})
    assert got.forums == (
        ForumFact("s", "SoS", "sos", 1, ("checkout",), "eat"),
        ForumFact("m", "MetaScrum", "metascrum", None, (), None),
    )


def network() -> NetworkFacts:
    return NetworkFacts(
        forums=(
            ForumFact("sos-a", "SoS A", "sos", 2, ("checkout", "payments"), "eat"),
            ForumFact("sos-b", "SoS B", "sos", 0, ("search",), "eat"),
            ForumFact("eat", "Executive Action Team", "eat", 1),
            ForumFact("meta", "MetaScrum", "metascrum", None, (), "ems"),
            ForumFact("ems", "Executive MetaScrum", "ems", 0),
            ForumFact("retro", "Scaled Retrospective", "retro", None),
            ForumFact("backlog", "Scaled Backlog", "backlog", None),
        ),
        teams=TEAMS,
    )


def test_layout_is_deterministic_whatever_the_order() -> None:  # SPEC R33
    facts_ = network()
    picture = layout(facts_)
    assert layout(facts_) == picture
    rng = random.Random(7)
    for _ in range(20):
        forums = list(facts_.forums)
        teams = list(facts_.teams)
        rng.shuffle(forums)
        rng.shuffle(teams)
        assert layout(NetworkFacts(tuple(forums), tuple(teams))) == picture


def test_layout_rows_and_lines() -> None:
    picture = layout(network())
    nodes = {(n.kind, n.id): n for n in picture.nodes}
    top, middle = (
        {n.y for n in picture.nodes if n.kind == "forum" and n.forum_kind in kinds}
        for kinds in (("eat", "ems"), ("sos", "metascrum", "retro", "backlog"))
    )
    assert len(top) == 1 and len(middle) == 1 and min(middle) > max(top) + FORUM_H
    team_rows = {n.y for n in picture.nodes if n.kind == "team"}
    assert len(team_rows) == 1 and min(team_rows) > max(middle) + FORUM_H
    # teams under the first SoS serving them come first; Mobile (no SoS) last
    teams = sorted((n for n in picture.nodes if n.kind == "team"), key=lambda n: n.x)
    assert [t.id for t in teams] == ["checkout", "payments", "search", "mobile"]
    # no two boxes of a row overlap, and all fit in the picture
    for row in (top, middle, team_rows):
        boxes = sorted((n for n in picture.nodes if n.y in row), key=lambda n: n.x)
        assert all(a.x + a.w < b.x for a, b in itertools.pairwise(boxes))
        assert boxes[0].x >= 0 and boxes[-1].x + boxes[-1].w <= picture.width
    assert picture.height >= max(
        n.y + (TEAM_H if n.kind == "team" else FORUM_H) for n in picture.nodes
    )
    edges = {(e.kind, e.source, e.target) for e in picture.edges}
    assert edges == {
        ("serves", "checkout", "sos-a"),
        ("serves", "payments", "sos-a"),
        ("serves", "search", "sos-b"),
        ("escalates_to", "sos-a", "eat"),
        ("escalates_to", "sos-b", "eat"),
        ("escalates_to", "meta", "ems"),
    }
    sos_a = nodes[("forum", "sos-a")]
    up = next(e for e in picture.edges if e.source == "sos-a" and e.kind == "escalates_to")
    assert (up.x1, up.y1) == (sos_a.x + sos_a.w / 2, sos_a.y)  # from the top of the SoS
    assert nodes[("forum", "sos-a")].count == 2 and nodes[("forum", "meta")].count is None


def test_labels_are_cut_and_relations_to_unseen_forums_are_not_drawn() -> None:
    assert cut("Scrum of Scrums — Commerce and more", 20) == "Scrum of Scrums — C…"
    assert cut("Short", 20) == "Short"
    only = NetworkFacts(forums=(ForumFact("s", "S", "sos", 0, ("ghost",), "gone"),), teams=())
    picture = layout(only)
    assert picture.edges == () and len(picture.nodes) == 1


def test_empty_network() -> None:
    picture = layout(NetworkFacts(forums=(), teams=()))
    assert picture.nodes == () and picture.width > 0 and picture.height > 0


def test_forum_names_wrap_on_two_lines() -> None:
    assert wrap("Scrum of Scrums — Commerce", 22) == ("Scrum of Scrums —", "Commerce")
    assert wrap("Executive Action Team", 22) == ("Executive Action Team",)
    assert wrap("A very long forum name that goes on and on", 12) == ("A very long", "forum name…")
    assert wrap("Supercalifragilisticexpialidocious", 10) == ("Supercali…",)
    assert wrap("", 10) == ()


def test_an_escalated_impediment_counts_once_where_it_is_worked() -> None:  # SPEC R32a
    sos = play(
        new_board("s", "sos", "SoS"),
        o.AddCard(column="needs-eat", title="Blocked"),
        o.AddCard(column="new", title="Stays here"),
        o.EscalateCard(card="c1", to_forum="e", to_name="EAT", to_kind="eat"),
    )
    assert open_impediments(sos) == 2  # not arrived yet: still this forum's
    eat = play(
        new_board("e", "eat", "EAT"),
        o.ReceiveEscalation(
            from_forum="s",
            from_name="SoS",
            from_kind="sos",
            from_card="c1",
            column="escalated",
            kind="impediment",
            title="Blocked",
        ),
    )
    linked = play(
        sos, o.EscalationStatus(card="c1", status="escalated", label="Escalated", target_card="c1")
    )
    assert open_impediments(linked) + open_impediments(eat) == 2  # once, at the EAT
    assert open_impediments(eat) == 1
    # The EAT returns it: it counts back at the SoS, not in the EAT's Returned column.
    back = play(eat, o.ReturnEscalation(card="c1", note="Teams own it"))
    returned = play(
        linked, o.EscalationStatus(card="c1", status="returned", label="Returned", note="x")
    )
    assert open_impediments(back) == 0 and open_impediments(returned) == 2
    # Refused by the target: it never left.
    failed = play(linked, o.EscalationStatus(card="c1", status="failed", label="Not escalated"))
    assert open_impediments(failed) == 2
    # Removed at the EAT: resolved, counted nowhere.
    done = play(eat, o.MoveCard(card="c1", column="removed", index=0))
    gone = play(linked, o.EscalationStatus(card="c1", status="removed", label="Removed"))
    assert open_impediments(done) == 0 and open_impediments(gone) == 1

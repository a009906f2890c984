"""Scrums of Scrums of Scrums, pure (SPEC R72): which parent an SoS may have, a card
going SoS → parent SoS → EAT with every mail applied in order (as the server does), the
outcome flowing back down every link, each impediment counted once (R32a), catching up
after a lost status (reconcile), and the picture's rows."""

from __future__ import annotations

from board import ops as o
from board.chains import parent_problem
from board.escalation import reconcile
from board.model import Board, new_board
from board.network import ForumFact, NetworkFacts, layout, open_impediments
from server.demo import Script

KINDS = {"a": "sos", "b": "sos", "top": "sos", "eat": "eat"}


def test_a_parent_must_be_another_sos_and_never_close_a_circle() -> None:  # SPEC R72
    assert parent_problem("a", "top", KINDS, {}) is None
    assert parent_problem("a", None, KINDS, {"a": "top"}) is None  # clearing it
    assert "circle" in (parent_problem("top", "a", KINDS, {"a": "top"}) or "")
    assert "circle" in (parent_problem("top", "a", KINDS, {"a": "b", "b": "top"}) or "")
    assert "own parent" in (parent_problem("a", "a", KINDS, {}) or "")
    assert "must be a Scrum of Scrums" in (parent_problem("a", "eat", KINDS, {}) or "")
    assert "no forum" in (parent_problem("a", "nope", KINDS, {}) or "")
    assert "Only a Scrum of Scrums" in (parent_problem("eat", "a", KINDS, {}) or "")


def chain() -> dict[str, Script]:
    """SoS ``a`` → parent ``top`` → ``eat``: one impediment escalated the whole way."""
    scripts = {
        "a": Script(new_board("a", "sos", "SoS A"), 0.0),
        "top": Script(new_board("top", "sos", "SoS of SoS"), 0.0),
        "eat": Script(new_board("eat", "eat", "EAT"), 0.0),
    }
    scripts["a"].card("Ann", "new", "No test env", kind="impediment")
    up = o.EscalateCard(card="c1", to_forum="top", to_name="SoS of SoS", to_kind="sos",
                        note="We cannot", wait_in="needs-eat")  # fmt: skip
    scripts["a"].send("Ann", up, scripts, minutes=1)
    on = o.EscalateCard(card="c1", to_forum="eat", to_name="EAT", to_kind="eat",
                        note="Neither can we", wait_in="needs-eat")  # fmt: skip
    scripts["top"].send("Bo", on, scripts, minutes=1)
    return scripts


def boards(scripts: dict[str, Script]) -> dict[str, Board]:
    return {k: s.board for k, s in scripts.items()}


def counts(scripts: dict[str, Script]) -> dict[str, int]:
    return {k: open_impediments(b) for k, b in boards(scripts).items()}


def test_a_card_goes_up_the_chain_and_lands_in_new_on_the_parent() -> None:  # SPEC R72
    s = chain()
    a, top, eat = (s[k].board for k in ("a", "top", "eat"))
    mid = top.cards["c1"]
    assert mid.column == "needs-eat" and mid.origin is not None and mid.origin.forum == "a"
    assert mid.origin.asked == "We cannot"
    assert eat.cards["c1"].origin is not None and eat.cards["c1"].origin.forum == "top"
    link = a.cards["c1"].sent_to
    assert link is not None and (link.forum, link.card) == ("top", "c1")
    # What the EAT did shows at the bottom too, named for where it happened.
    assert (link.status, link.label) == ("escalated", "Escalated · EAT")
    assert counts(s) == {"a": 0, "top": 0, "eat": 1}  # counted once (R32a)


def test_accepted_and_removed_at_the_eat_flow_down_every_link() -> None:  # SPEC R72
    s = chain()
    s["eat"].send("Cy", o.MoveCard(card="c1", column="accepted", index=0), s, minutes=1)
    link = s["a"].board.cards["c1"].sent_to
    assert link is not None and (link.status, link.label) == ("accepted", "Accepted · EAT")
    s["eat"].send("Cy", o.MoveCard(card="c1", column="removed", index=0), s, minutes=1)
    assert s["top"].board.cards["c1"].column == "removed"
    assert s["a"].board.cards["c1"].column == "removed"  # R50: it follows, two links down
    link = s["a"].board.cards["c1"].sent_to
    assert link is not None and (link.status, link.label) == ("removed", "Removed · EAT")
    assert reconcile(s["a"].board, {"top": s["top"].board}) == []  # in step
    assert counts(s) == {"a": 0, "top": 0, "eat": 0}


def test_returned_by_the_eat_comes_back_to_the_parent_with_its_note() -> None:  # SPEC R72
    s = chain()
    s["eat"].send("Cy", o.ReturnEscalation(card="c1", note="Ask the platform team"), s, minutes=1)
    mid = s["top"].board.cards["c1"]
    assert mid.column == "new"  # back where it was on the parent (R50)
    link = s["a"].board.cards["c1"].sent_to
    assert link is not None and link.status == "new"
    assert link.note == "EAT returned it: Ask the platform team"
    assert s["a"].board.cards["c1"].column == "needs-eat"  # still with the parent
    assert counts(s) == {"a": 0, "top": 1, "eat": 0}  # the parent works it now
    # The parent works it and removes it itself: the bottom follows.
    s["top"].send("Bo", o.MoveCard(card="c1", column="removed", index=0), s, minutes=1)
    assert s["a"].board.cards["c1"].column == "removed"


def test_the_parent_returns_it_to_the_sos_below() -> None:  # SPEC R72, R50, R51
    s = {
        "a": Script(new_board("a", "sos", "SoS A"), 0.0),
        "top": Script(new_board("top", "sos", "SoS of SoS"), 0.0),
    }
    s["a"].card("Ann", "removing", "No test env", kind="impediment")
    up = o.EscalateCard(card="c1", to_forum="top", to_name="SoS of SoS", to_kind="sos",
                        wait_in="needs-eat")  # fmt: skip
    s["a"].send("Ann", up, s, minutes=1)
    s["top"].send("Bo", o.ReturnEscalation(card="c1", note="Yours to fix"), s, minutes=1)
    card = s["a"].board.cards["c1"]
    assert card.column == "removing" and card.sent_to is not None
    assert (card.sent_to.status, card.sent_to.note) == ("returned", "Yours to fix")
    assert counts(s) == {"a": 1, "top": 0}  # a parent without a Returned column (R32a)
    s["a"].send("Ann", up, s, minutes=1)  # again: the parent's same card reopens (R51)
    assert [c.id for c in s["top"].board.cards.values()] == ["c1"]
    assert counts(s) == {"a": 0, "top": 1}


def test_an_sos_cannot_escalate_to_itself_nor_to_a_metascrum() -> None:  # SPEC R72
    s = Script(new_board("a", "sos", "SoS A"), 0.0)
    s.card("Ann", "new", "No test env", kind="impediment")
    for op in (
        o.EscalateCard(card="c1", to_forum="a", to_name="SoS A", to_kind="sos"),
        o.EscalateCard(card="c1", to_forum="m", to_name="M", to_kind="metascrum"),
    ):
        try:
            s.do("Ann", op)
        except Exception as e:  # board.rules.Rejected
            assert getattr(e, "code", "") == "invalid"
        else:
            raise AssertionError(op)


def test_a_lost_status_down_the_chain_is_caught_up() -> None:  # SPEC R72, R18
    s = chain()
    before = s["a"].board
    s["eat"].send("Cy", o.MoveCard(card="c1", column="accepted", index=0), s, minutes=1)
    # The bottom lost the status the parent passed down: reconcile finds it again.
    ops = reconcile(before, {"top": s["top"].board})
    assert [(x.status, x.label) for x in ops] == [("accepted", "Accepted · EAT")]
    assert reconcile(s["a"].board, {"top": s["top"].board}) == []  # in step: nothing


def test_the_picture_puts_a_parent_sos_above_the_sos_it_serves() -> None:  # SPEC R72, R33
    facts = NetworkFacts(
        forums=(
            ForumFact("a", "SoS A", "sos", 0, escalates_to="top"),
            ForumFact("b", "SoS B", "sos", 0, escalates_to="top"),
            ForumFact("top", "SoS of SoS", "sos", 0, escalates_to="eat"),
            ForumFact("eat", "EAT", "eat", 1),
        ),
        teams=(),
    )
    nodes = {n.id: n for n in layout(facts).nodes}
    assert nodes["eat"].y < nodes["top"].y < nodes["a"].y == nodes["b"].y
    assert nodes["top"].x == (nodes["a"].x + nodes["b"].x) / 2  # over the SoS it serves
    edges = {(e.source, e.target) for e in layout(facts).edges}
    assert {("a", "top"), ("b", "top"), ("top", "eat")} <= edges

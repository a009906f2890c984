"""``board.escalation.reconcile``: catching a source forum up with the boards its cards
went to, after a crash lost status updates that travel between rooms in memory (SPEC R18)."""

from __future__ import annotations

from board import ops as o
from board.escalation import reconcile
from board.model import Board, new_board
from tests.test_apply import play
from tests.test_escalation import ESC, received, sos_with


def linked_pair() -> tuple[Board, Board]:
    """An SoS card escalated to the EAT, and the EAT's copy (c1 there), in step."""
    eat = play(new_board("eat", "eat", "Exec Action Team"), received())
    sos = play(
        sos_with(),
        ESC,
        o.EscalationStatus(card="c1", status="escalated", label="Escalated", target_card="c1"),
    )
    return sos, eat


def apply_all(sos: Board, ops: list[o.EscalationStatus]) -> Board:
    return play(sos, *ops) if ops else sos


def test_in_step_forums_need_nothing() -> None:
    sos, eat = linked_pair()
    assert reconcile(sos, {"eat": eat}) == []
    assert reconcile(sos, {}) == []  # a target it cannot read is left alone


def test_a_lost_move_is_caught_up() -> None:
    sos, eat = linked_pair()
    eat = play(eat, o.MoveCard(card="c1", column="accepted", index=0))
    ops = reconcile(sos, {"eat": eat})
    assert ops == [o.EscalationStatus(card="c1", status="accepted", label="Accepted")]
    sos = apply_all(sos, ops)
    assert reconcile(sos, {"eat": eat}) == []  # once caught up, nothing more


def test_a_lost_archive_and_a_lost_return_are_caught_up() -> None:
    sos, eat = linked_pair()
    archived = play(eat, o.ArchiveCard(card="c1"))
    assert reconcile(sos, {"eat": archived}) == [
        o.EscalationStatus(card="c1", status="archived", label="Archived")
    ]
    returned = play(eat, o.ReturnEscalation(card="c1", note="Ask the platform team first"))
    ops = reconcile(sos, {"eat": returned})
    assert ops == [
        o.EscalationStatus(
            card="c1", status="returned", label="Returned", note="Ask the platform team first"
        )
    ]
    assert apply_all(sos, ops).cards["c1"].sent_to.note == "Ask the platform team first"  # type: ignore[union-attr]


def test_a_lost_link_to_the_copy_is_restored() -> None:
    sos = play(sos_with(), ESC)  # the copy was made, the link back was lost
    eat = play(new_board("eat", "eat", "Exec Action Team"), received())
    eat = play(eat, o.MoveCard(card="c1", column="accepted", index=0))
    ops = reconcile(sos, {"eat": eat})
    sos = apply_all(sos, ops)
    link = sos.cards["c1"].sent_to
    assert link is not None and (link.card, link.status) == ("c1", "accepted")


def test_an_escalation_that_never_arrived_is_marked_failed() -> None:
    sos = play(sos_with(), ESC)
    eat = new_board("eat", "eat", "Exec Action Team")
    ops = reconcile(sos, {"eat": eat})
    assert [(x.status, x.label) for x in ops] == [("failed", "Not escalated")]
    assert "Escalate it again" in ops[0].note
    sos = apply_all(sos, ops)
    play(sos, ESC)  # and it can be escalated again
    assert reconcile(sos, {"eat": eat}) == []


def test_an_ambiguous_return_on_a_board_without_a_returned_column_is_left_alone() -> None:
    ems = play(
        new_board("ems", "ems", "EMS"),
        o.ReceiveEscalation(
            from_forum="ms", from_name="MetaScrum", from_kind="metascrum", from_card="c1",
            column="raised", kind="backlog_item", title="Budget", route="escalate",
        ),
        o.ReturnEscalation(card="c1", note="Not ours"),
        o.MoveCard(card="c1", column="decided", index=0),
    )  # fmt: skip
    ms = play(
        new_board("ms", "metascrum", "MetaScrum"),
        o.AddCard(column="proposed", title="Budget", kind="backlog_item"),
        o.EscalateCard(card="c1", to_forum="ems", to_name="EMS", to_kind="ems"),
        o.EscalationStatus(card="c1", status="raised", label="Raised", target_card="c1"),
    )
    assert reconcile(ms, {"ems": ems}) == []

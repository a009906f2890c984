"""Escalation between forums in ``board``: ``escalate_card``, ``receive_escalation``,
``escalation_status``, ``return_escalation``; the status the source is told; history."""

from __future__ import annotations

from board import events as ev
from board import ops as o
from board.describe import describe
from board.escalation import status_updates
from board.log import Item, LoggedOp
from board.model import Board, new_board
from board.sync import ForumSync, replay
from tests.test_apply import play, refused, run, unchanged

ESC = o.EscalateCard(card="c1", to_forum="eat", to_name="Exec Action Team", to_kind="eat")


def sos_with(kind: str = "impediment") -> Board:
    return play(
        new_board("sos", "sos", "SoS A"),
        o.AddCard(column="needs-eat", title="No test env", kind=kind, body="b", team="red"),
    )


def received(title: str = "No test env") -> o.ReceiveEscalation:
    return o.ReceiveEscalation(
        from_forum="sos", from_name="SoS A", from_kind="sos", from_card="c1",
        column="escalated", kind="impediment", title=title, body="b", team="red",
    )  # fmt: skip


def test_escalate_marks_the_card_with_the_target() -> None:
    board, events = run(sos_with(), ESC)
    card = board.cards["c1"]
    assert card.sent_to is not None
    assert (card.sent_to.forum, card.sent_to.forum_name, card.sent_to.kind) == (
        "eat",
        "Exec Action Team",
        "eat",
    )
    assert (card.sent_to.status, card.sent_to.label, card.sent_to.card) == (
        "escalated",
        "Escalated",
        "",
    )
    assert events == [ev.CardEdited(card=card)]
    assert card.column == "needs-eat"  # it stays where it is


def test_escalate_refusals() -> None:
    assert "impediment" in refused(sos_with("dependency"), ESC, "invalid")
    refused(
        sos_with(),
        o.EscalateCard(card="c9", to_forum="eat", to_name="E", to_kind="eat"),
        "not_found",
    )
    refused(
        sos_with(), o.EscalateCard(card="c1", to_forum="ems", to_name="E", to_kind="ems"), "invalid"
    )
    board = play(sos_with(), ESC)
    assert "already" in refused(board, ESC, "conflict")
    retro = play(new_board("r", "retro", "Retro"), o.AddCard(column="ideas", title="x"))
    refused(retro, o.EscalateCard(card="c1", to_forum="eat", to_name="E", to_kind="eat"), "invalid")
    archived = play(sos_with(), o.ArchiveCard(card="c1"))
    refused(archived, ESC, "conflict")


def test_metascrum_escalates_backlog_items_and_risks_to_an_ems() -> None:
    meta = play(
        new_board("m", "metascrum", "MetaScrum"),
        o.AddCard(column="proposed", title="Item"),
        o.AddCard(column="proposed", title="Risk", kind="risk"),
        o.AddCard(column="proposed", title="Note", kind="note"),
    )
    for card in ("c1", "c2"):
        meta = play(meta, o.EscalateCard(card=card, to_forum="ems", to_name="EMS", to_kind="ems"))
        assert meta.cards[card].sent_to is not None
        assert meta.cards[card].sent_to.label == "Raised"  # type: ignore[union-attr]
    refused(
        meta, o.EscalateCard(card="c3", to_forum="ems", to_name="EMS", to_kind="ems"), "invalid"
    )


def test_receive_makes_a_linked_card_in_the_landing_column() -> None:
    eat, events = run(new_board("eat", "eat", "EAT"), received())
    card = eat.cards["c1"]
    assert card.column == "escalated" and card.title == "No test env" and card.team == "red"
    assert card.origin is not None
    assert (card.origin.forum, card.origin.card, card.origin.forum_name, card.origin.kind) == (
        "sos",
        "c1",
        "SoS A",
        "sos",
    )
    assert events == [ev.CardAdded(card=card)]
    assert "escalated here already" in refused(eat, received(), "conflict")
    missing = play(
        eat, o.MoveCard(card="c1", column="accepted", index=0), o.RemoveColumn(column="escalated")
    )
    refused(missing, received(), "not_found")


def test_receive_falls_back_to_the_targets_default_kind() -> None:
    ems = play(new_board("ems", "ems", "EMS"), o.ReceiveEscalation(
        from_forum="m", from_name="M", from_kind="metascrum", from_card="c1",
        column="raised", kind="dependency", title="T",
    ))  # fmt: skip
    assert ems.cards["c2" if "c2" in ems.cards else "c1"].kind == "backlog_item"


def test_status_links_the_card_and_follows_the_target() -> None:
    sos = play(sos_with(), ESC)
    sos = play(
        sos, o.EscalationStatus(card="c1", status="escalated", label="Escalated", target_card="c7")
    )
    assert sos.cards["c1"].sent_to.card == "c7"  # type: ignore[union-attr]
    sos, events = run(sos, o.EscalationStatus(card="c1", status="accepted", label="Accepted"))
    assert sos.cards["c1"].sent_to.status == "accepted"  # type: ignore[union-attr]
    assert sos.cards["c1"].sent_to.card == "c7"  # type: ignore[union-attr]
    assert events == [ev.CardEdited(card=sos.cards["c1"])]
    unchanged(sos, o.EscalationStatus(card="c1", status="accepted", label="Accepted"))
    refused(sos_with(), o.EscalationStatus(card="c1", status="accepted", label="A"), "conflict")


def test_a_failed_escalation_can_be_escalated_again() -> None:
    sos = play(
        sos_with(),
        ESC,
        o.EscalationStatus(card="c1", status="failed", label="Not escalated", note="full"),
    )
    sos = play(sos, ESC)
    assert sos.cards["c1"].sent_to.status == "escalated"  # type: ignore[union-attr]


def test_status_does_not_make_the_other_forums_people_take_part() -> None:
    sos = play(sos_with(), o.StartSession(), ESC)
    sos, _events = run(
        sos, o.EscalationStatus(card="c1", status="accepted", label="Accepted"), actor="Exec"
    )
    assert sos.session is not None and "Exec" not in sos.session.participants
    eat = play(new_board("eat", "eat", "EAT"), o.StartSession())
    eat, _ = run(eat, received(), actor="Sam from SoS")
    assert eat.session is not None and "Sam from SoS" not in eat.session.participants


def test_return_moves_the_card_to_returned_with_a_note() -> None:
    eat = play(new_board("eat", "eat", "EAT"), received())
    eat, events = run(eat, o.ReturnEscalation(card="c1", note="  Teams can fix this  "))
    card = eat.cards["c1"]
    assert (
        card.column == "returned"
        and card.origin is not None
        and card.origin.note == "Teams can fix this"
    )
    assert [type(e) for e in events] == [ev.CardMoved, ev.CardEdited]
    refused(eat, o.ReturnEscalation(card="c1", note="   "), "invalid")
    plain = play(new_board("eat", "eat", "EAT"), o.AddCard(column="escalated", title="x"))
    refused(plain, o.ReturnEscalation(card="c1", note="n"), "invalid")


def _item(board: Board, op: o.Op, events: list[ev.Event], actor: str = "Exec") -> Item:
    return Item(seq=board.seq, op_id=None, actor=actor, at=1.0, op=op, events=tuple(events))


def test_status_updates_tell_the_source_what_the_target_did() -> None:
    eat = play(
        new_board("eat", "eat", "EAT"), received(), o.AddCard(column="escalated", title="own")
    )
    moved, events = run(eat, o.MoveCard(card="c1", column="accepted", index=0))
    assert status_updates(
        _item(moved, o.MoveCard(card="c1", column="accepted", index=0), events), moved
    ) == [("sos", o.EscalationStatus(card="c1", status="accepted", label="Accepted"))]
    same, events = run(moved, o.MoveCard(card="c2", column="accepted", index=0))  # not linked
    assert (
        status_updates(_item(same, o.MoveCard(card="c2", column="accepted", index=0), events), same)
        == []
    )
    back = o.ReturnEscalation(card="c1", note="why")
    returned, events = run(moved, back)
    assert status_updates(_item(returned, back, events), returned) == [
        (
            "sos",
            o.EscalationStatus(
                card="c1", status="returned", label="Returned", note="why", follow=True
            ),
        )
    ]  # the outcome: the SoS card follows it (R50)
    archived, events = run(moved, o.ArchiveCard(card="c1"))
    assert (
        status_updates(_item(archived, o.ArchiveCard(card="c1"), events), archived)[0][1].status
        == "archived"
    )


def test_history_describes_each_escalation_step() -> None:
    sos = sos_with()
    after, events = run(sos, ESC, actor="Sam")
    assert describe(sos, events, "Sam") == "Sam escalated “No test env” to Exec Action Team"
    status = o.EscalationStatus(card="c1", status="removed", label="Removed")
    _done, events = run(after, status)
    assert (
        describe(after, events, "Lee") == "Lee moved “No test env” to Removed in Exec Action Team"
    )
    eat = new_board("eat", "eat", "EAT")
    got, events = run(eat, received())
    assert describe(eat, events, "Sam") == "Sam escalated “No test env” here from SoS A"
    _back, events = run(got, o.ReturnEscalation(card="c1", note="why"))
    assert "returned “No test env” to SoS A with the note “why”" in describe(got, events, "Lee")
    _failed, events = run(
        after, o.EscalationStatus(card="c1", status="failed", label="Not escalated", note="gone")
    )
    assert (
        describe(after, events, "Sam")
        == "Sam could not escalate “No test env” to Exec Action Team: gone"
    )


def test_escalation_ops_replay_from_the_log() -> None:
    sync = ForumSync(sos_with(), "e1")
    logged: list[LoggedOp] = []
    for op in (
        ESC,
        o.EscalationStatus(card="c1", status="accepted", label="Accepted", target_card="c3"),
    ):
        out = sync.submit(op, op_id=None, actor="x", at=2.0)
        logged.append(LoggedOp(out.item.seq, "x", 2.0, op, None))  # type: ignore[union-attr]
    rebuilt = replay(sos_with(), logged)
    assert rebuilt == sync.board


def test_the_cycles_meet_product_work_and_improvements() -> None:
    product = o.EscalateCard(
        card="c1", to_forum="meta", to_name="MetaScrum", to_kind="metascrum", route="product"
    )
    sos, _ = run(sos_with(), product, actor="Sam")
    sent = sos.cards["c1"].sent_to
    assert sent is not None and (sent.route, sent.status, sent.label) == (
        "product",
        "proposed",
        "Proposed",
    )
    assert describe(sos_with(), run(sos_with(), product)[1], "Sam") == (
        "Sam sent “No test env” to MetaScrum for product work"
    )
    refused(sos, ESC, "conflict")  # one card goes one way at a time
    refused(sos_with("dependency"), product, "invalid")
    wrong = o.EscalateCard(card="c1", to_forum="e", to_name="E", to_kind="eat", route="product")
    refused(sos_with(), wrong, "invalid")
    refused(
        sos_with(),
        o.EscalateCard(card="c1", to_forum="e", to_name="E", to_kind="eat", route="x"),
        "invalid",
    )

    meta = new_board("meta", "metascrum", "MetaScrum")
    got, events = run(meta, o.ReceiveEscalation(
        from_forum="sos", from_name="SoS A", from_kind="sos", from_card="c1",
        column="proposed", kind="backlog_item", title="No test env", route="product",
    ))  # fmt: skip
    assert got.cards["c1"].origin is not None and got.cards["c1"].origin.route == "product"
    assert (
        describe(meta, events, "Sam") == "Sam sent “No test env” here from SoS A for product work"
    )

    retro = play(
        new_board("r", "retro", "Retro"),
        o.AddCard(column="experiments", title="Pairing", kind="experiment"),
        o.AddCard(column="ideas", title="Idea"),
    )
    improve = o.EscalateCard(
        card="c1", to_forum="eat", to_name="EAT", to_kind="eat", route="improvement"
    )
    retro, events = run(retro, improve)
    assert retro.cards["c1"].sent_to is not None
    refused(retro, replace_card(improve, "c2"), "invalid")
    backlog = play(new_board("b", "backlog", "Backlog"), o.AddCard(column="ordered", title="x"))
    assert "does not send" in refused(backlog, ESC, "invalid")


def replace_card(op: o.EscalateCard, card: str) -> o.EscalateCard:
    return o.EscalateCard(
        card=card, to_forum=op.to_forum, to_name=op.to_name, to_kind=op.to_kind, route=op.route
    )


def test_the_link_arriving_after_a_status_keeps_the_status() -> None:
    sos = play(sos_with(), ESC, o.EscalationStatus(card="c1", status="accepted", label="Accepted"))
    sos = play(
        sos, o.EscalationStatus(card="c1", status="escalated", label="Escalated", target_card="c9")
    )
    sent = sos.cards["c1"].sent_to
    assert sent is not None and (sent.card, sent.status, sent.label) == (
        "c9",
        "accepted",
        "Accepted",
    )


def test_a_removed_card_is_not_escalated_but_an_old_log_still_replays() -> None:
    board = play(sos_with(), o.MoveCard(card="c1", column="removed", index=0))
    # Live (the room passes the known teams): refused, with where the card is.
    reason = refused(board, ESC, "conflict", teams=frozenset())
    assert "Removed" in reason and "done with" in reason
    # Replaying a log written before the rule (no teams): applied as it was decided.
    escalated, _ = run(board, ESC)
    assert escalated.cards["c1"].sent_to is not None

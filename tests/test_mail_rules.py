"""What mail an accepted item sends to another forum (``board.mail``, SPEC R18a)."""

from __future__ import annotations

import msgspec
import pytest

from board import events as ev
from board import ops as o
from board.log import Item
from board.mail import Mail, delivered_mail, mail_for, mail_op_id, refused_reply
from board.model import MAX_TEXT, Board, new_board
from board.protocol import ClientMessage
from board.sync import Accepted, ForumSync
from tests.test_apply import play
from tests.test_escalation import ESC, received, sos_with


def accept(board: Board, op: o.Op, op_id: str | None = None) -> Accepted:
    sync = ForumSync(board, "e")
    outcome = sync.submit(op, op_id=op_id, actor="Ann", at=5.0)
    assert isinstance(outcome, Accepted), outcome
    return outcome


def test_an_escalation_mails_the_card_to_the_target() -> None:  # SPEC R18a
    sos = sos_with()
    a = accept(sos, ESC)
    assert mail_for(a.item, a.board) == [
        Mail(
            to_forum="eat",
            op=o.ReceiveEscalation(
                from_forum="sos", from_name="SoS A", from_kind="sos", from_card="c1",
                column="escalated", kind="impediment", title="No test env", body="b",
                team="red", to_team="", route="escalate",
            ),
        )
    ]  # fmt: skip


def test_a_route_with_its_own_card_kind_mails_that_kind() -> None:  # SPEC R18a
    sos = sos_with()
    product = o.EscalateCard(
        card="c1", to_forum="ms", to_name="MetaScrum", to_kind="metascrum", route="product"
    )
    a = accept(sos, product)
    [mail] = mail_for(a.item, a.board)
    assert mail.to_forum == "ms" and isinstance(mail.op, o.ReceiveEscalation)
    assert (mail.op.kind, mail.op.column, mail.op.route) == ("backlog_item", "proposed", "product")


def test_a_received_card_mails_its_link_back() -> None:  # SPEC R18a
    eat = play(new_board("eat", "eat", "EAT"), o.AddCard(column="escalated", title="own"))
    a = accept(eat, received())
    added = next(e.card for e in a.item.events if isinstance(e, ev.CardAdded))
    assert mail_for(a.item, a.board) == [
        Mail(
            to_forum="sos",
            op=o.EscalationStatus(
                card="c1", status="escalated", label="Escalated", target_card=added.id
            ),
        )
    ]


def test_changes_of_a_linked_card_mail_its_status_back() -> None:  # SPEC R18 R18a R50
    eat = play(new_board("eat", "eat", "EAT"), received())
    moved = accept(eat, o.MoveCard(card="c1", column="accepted", index=0))
    assert mail_for(moved.item, moved.board) == [
        Mail("sos", o.EscalationStatus(card="c1", status="accepted", label="Accepted"))
    ]
    back = accept(moved.board, o.ReturnEscalation(card="c1", note="why"))
    assert mail_for(back.item, back.board) == [
        Mail(
            "sos",
            o.EscalationStatus(
                card="c1", status="returned", label="Returned", note="why", follow=True
            ),
        )
    ]  # an outcome: the source card follows it back


def test_other_items_send_no_mail() -> None:  # SPEC R18a
    eat = play(new_board("eat", "eat", "EAT"), received())
    own = accept(eat, o.AddCard(column="escalated", title="own"))
    assert mail_for(own.item, own.board) == []
    status = accept(
        accept(sos_with(), ESC).board,
        o.EscalationStatus(card="c1", status="accepted", label="Accepted"),
    )
    assert mail_for(status.item, status.board) == []  # a status is never answered


def test_a_refused_receive_answers_failed_with_the_reason() -> None:  # SPEC R18a R50
    reply = refused_reply(received(), "x" * (MAX_TEXT + 50))
    assert reply.to_forum == "sos"
    assert reply.op == o.EscalationStatus(
        card="c1", status="failed", label="Not escalated", note="x" * MAX_TEXT, follow=True
    )  # refused: the card leaves the column it waited in


def test_the_mail_an_item_delivers_is_named_by_its_op_id() -> None:  # SPEC R18a
    eat = new_board("eat", "eat", "EAT")
    a = accept(eat, received(), op_id=mail_op_id(41))
    assert a.item.op_id == "mail:41" and delivered_mail(a.item) == 41
    assert delivered_mail(accept(eat, received(), op_id="c-1").item) is None
    # Only ops that travel as mail deliver mail: a client op under such an id does not.
    add = accept(eat, o.AddCard(column="escalated", title="t"), op_id="mail:7")
    assert delivered_mail(add.item) is None
    odd = Item(seq=1, op_id="mail:x1", actor="", at=0.0, op=received(), events=())
    assert delivered_mail(odd) is None


@pytest.mark.parametrize("op_id", ["mail:1", "mail:", "mail:abc"])
def test_a_client_cannot_send_an_op_under_a_mail_id(op_id: str) -> None:  # SPEC R18a
    frame = {"type": "op", "id": op_id, "op": {"type": "add_card", "column": "new", "title": "x"}}
    with pytest.raises(msgspec.ValidationError):
        msgspec.json.decode(msgspec.json.encode(frame), type=ClientMessage)
    frame["id"] = "email:1"
    msgspec.json.decode(msgspec.json.encode(frame), type=ClientMessage)  # other ids are fine

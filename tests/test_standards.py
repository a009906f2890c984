"""Standards and feedback loops in the pure domain (SPEC R66, R67, R68): adopting an
improvement as a standard (a decision of the session), retiring it, the mail that
announces it, the webhook event, and feedback's outcome flowing back."""

from __future__ import annotations

import datetime as dt

import msgspec
import pytest

from board import events as ev
from board import ops as o
from board import ops_standards as so
from board.access import can
from board.escalation import reconcile, status_updates
from board.log import Item
from board.mail import mail_for
from board.model import Board, new_board
from board.outgoing import STANDARD_ADOPTED, outgoing_for
from board.protocol import BadMessage, decode_client
from tests.test_apply import play, refused, run, unchanged

ADOPT = so.AdoptStandard(
    card="c1",
    text="Every team keeps a shared test environment",
    applies="kinds",
    kinds=("sos",),
    forums=("sos-a", "sos-b"),
    effective=dt.date(2027, 1, 4),
)


def eat_with_improvement(session: bool = True) -> Board:
    eat = play(
        new_board("eat", "eat", "EAT"),
        o.AddCard(column="escalated", title="Shared test env", kind="experiment"),
    )
    return play(eat, o.StartSession()) if session else eat


def _item(board: Board, op: o.Op, events: list[ev.Event]) -> Item:
    return Item(seq=board.seq, op_id=None, actor="Ann", at=1.0, op=op, events=tuple(events))


def test_adopting_makes_a_standard_and_a_decision() -> None:
    # SPEC R66
    eat = eat_with_improvement()
    after, events = run(eat, ADOPT)
    assert [type(e) for e in events] == [ev.StandardAdopted, ev.DecisionRecorded]
    (std,) = after.standards
    assert (std.text, std.card, std.card_title, std.eat) == (
        ADOPT.text,
        "c1",
        "Shared test env",
        "eat",
    )
    assert std.session_id == eat.session.id and std.session_number == 1  # type: ignore[union-attr]
    assert std.forums == ("sos-a", "sos-b") and std.kinds == ("sos",)
    assert std.effective == dt.date(2027, 1, 4)
    decision = after.session.decisions[-1]  # type: ignore[union-attr]
    assert decision.text == "Adopted as a standard: " + ADOPT.text
    assert decision.card_ids == ("c1",)


def test_adopting_refuses_bad_input_and_changes_nothing() -> None:
    # SPEC R66, R7
    eat = eat_with_improvement()
    assert "text" in refused(eat, msgspec.structs.replace(ADOPT, text="  "), "invalid")
    assert refused(eat, msgspec.structs.replace(ADOPT, kinds=()), "invalid")
    assert refused(eat, msgspec.structs.replace(ADOPT, kinds=("nope",)), "invalid")
    assert refused(eat, msgspec.structs.replace(ADOPT, applies="forums", forums=()), "invalid")
    assert refused(eat, msgspec.structs.replace(ADOPT, card="c99"), "not_found")
    assert refused(eat_with_improvement(session=False), ADOPT, "no_session")
    note = play(eat, o.AddCard(column="escalated", title="Just a note", kind="note"))
    assert "improvement" in refused(note, msgspec.structs.replace(ADOPT, card="c3"), "invalid")
    sos = play(new_board("s", "sos", "SoS"), o.AddCard(column="new", title="x"), o.StartSession())
    assert "Executive Action Team" in refused(sos, ADOPT, "invalid")
    adopted = play(eat, ADOPT)
    assert "already" in refused(adopted, ADOPT, "conflict")


def test_adopting_and_retiring_are_not_client_ops() -> None:
    # SPEC R66: the server writes them for a facilitator's request; no client sends them
    for op in (ADOPT, so.RetireStandard(standard="st3", reason="x")):
        assert not can("facilitator", op.__struct_config__.tag)  # type: ignore[arg-type]
    with pytest.raises(BadMessage):
        decode_client(
            b'{"type":"op","id":"a","op":{"type":"adopt_standard","card":"c1","text":"t"}}'
        )


def test_retiring_keeps_the_standard_with_its_reason() -> None:
    # SPEC R66
    eat = play(eat_with_improvement(), ADOPT)
    std = eat.standards[0]
    assert refused(eat, so.RetireStandard(standard=std.id, reason=" "), "invalid")
    assert refused(eat, so.RetireStandard(standard="nope", reason="x"), "not_found")
    retired = play(eat, so.RetireStandard(standard=std.id, reason="Superseded"))
    (kept,) = retired.standards
    assert kept.retired_reason == "Superseded" and kept.retired_at > 0 and kept.text == std.text
    assert refused(retired, so.RetireStandard(standard=std.id, reason="x"), "conflict")
    again = play(retired, ADOPT)  # a retired standard's card can be adopted anew
    assert len(again.standards) == 2


def test_adoption_mails_a_notice_to_each_forum_it_applies_to() -> None:
    # SPEC R67
    eat = eat_with_improvement()
    after, events = run(eat, ADOPT)
    mails = mail_for(_item(after, ADOPT, events), after)
    assert [m.to_forum for m in mails] == ["sos-a", "sos-b"]
    notice = mails[0].op
    assert isinstance(notice, so.StandardNotice)
    sos = new_board("sos-a", "sos", "SoS A")
    shown, events = run(sos, notice)
    assert [type(e) for e in events] == [ev.StandardAnnounced]
    assert shown.standards == (notice.standard,) and shown.session is None
    unchanged(shown, notice)  # the same notice twice changes nothing
    retire = so.RetireStandard(standard=notice.standard.id, reason="Replaced")
    gone, events = run(after, retire)
    (word,) = [m.op for m in mail_for(_item(gone, retire, events), gone) if m.to_forum == "sos-a"]
    assert isinstance(word, so.StandardNotice)
    updated = play(shown, word)
    assert len(updated.standards) == 1 and updated.standards[0].retired_reason == "Replaced"


def test_adoption_makes_the_standard_adopted_event() -> None:
    # SPEC R60, R66: standard.adopted, concerning the EAT and every forum it applies to
    eat = eat_with_improvement()
    after, events = run(eat, ADOPT)
    out = outgoing_for(_item(after, ADOPT, events), after)
    kinds = [e.kind for e in out]
    assert kinds == [STANDARD_ADOPTED, "decision.recorded"]
    std = out[0]
    assert std.forums == ("eat", "sos-a", "sos-b")
    assert std.standard is not None and std.standard.text == ADOPT.text
    assert std.card is not None and std.card.title == "Shared test env"


FEEDBACK = o.EscalateCard(
    card="c1", to_forum="eat", to_name="EAT", to_kind="eat", route="feedback-process"
)


def _feedback_pair() -> tuple[Board, Board]:
    sos = play(new_board("sos", "sos", "SoS A"), o.AddCard(column="new", title="Standups drag"))
    sos = play(sos, FEEDBACK)
    (mail,) = mail_for(_item(sos, FEEDBACK, [ev.CardEdited(card=sos.cards["c1"])]), sos)
    receive = mail.op
    assert isinstance(receive, o.ReceiveEscalation) and receive.kind == "feedback"
    eat = play(new_board("eat", "eat", "EAT"), receive)
    link = o.EscalationStatus(card="c1", status="escalated", label="Escalated", target_card="c1")
    return play(sos, link), eat


def test_feedback_goes_as_a_linked_feedback_card_and_its_outcome_comes_back() -> None:
    # SPEC R68
    sos, eat = _feedback_pair()
    assert sos.cards["c1"].column == "new"  # feedback does not wait in Needs EAT
    assert eat.cards["c1"].kind == "feedback"
    answer = so.AnswerFeedback(card="c1", outcome="declined", note="Already covered")
    after, events = run(eat, answer)
    ups = status_updates(_item(after, answer, events), after)
    assert ups == [
        (
            "sos",
            o.EscalationStatus(
                card="c1", status="declined", label="Declined", note="Already covered"
            ),
        )
    ]
    moved = play(after, o.MoveCard(card="c1", column="removed", index=0))
    item = _item(moved, o.MoveCard(card="c1", column="removed", index=0), [])
    assert status_updates(item, moved) == []  # no events: nothing
    # after a restart, reconcile brings the source to the outcome it missed
    fixes = reconcile(sos, {"eat": moved})
    assert fixes == [
        o.EscalationStatus(card="c1", status="declined", label="Declined", note="Already covered")
    ]
    assert reconcile(play(sos, *fixes), {"eat": moved}) == []
    # feedback is not an escalation: no escalation.* webhook events
    assert outgoing_for(_item(after, answer, events), after) == []


def test_answering_feedback_refuses_bad_input() -> None:
    # SPEC R68
    _, eat = _feedback_pair()
    assert "why" in refused(eat, so.AnswerFeedback(card="c1", outcome="declined"), "invalid")
    own = play(eat, o.AddCard(column="escalated", title="ours"))
    assert refused(own, so.AnswerFeedback(card="c2", outcome="done"), "invalid")
    assert can("participant", "answer_feedback") and not can("viewer", "answer_feedback")
    done = play(eat, so.AnswerFeedback(card="c1", outcome="done"))
    unchanged(done, so.AnswerFeedback(card="c1", outcome="done"))
    with pytest.raises(msgspec.ValidationError):
        msgspec.json.decode(
            b'{"type":"answer_feedback","card":"c1","outcome":"maybe"}', type=o.ClientOp
        )


def test_unanswered_feedback_filed_in_removed_leaves_the_source_card_where_it_is() -> None:
    """SPEC R68 (unlike R50): the target moving unanswered feedback into a removal column
    sends the source its status without ``follow``: the source's card is not removed."""
    _, eat = _feedback_pair()
    move = o.MoveCard(card="c1", column="removed", index=0)
    moved, events = run(eat, move)
    ups = status_updates(_item(moved, move, events), moved)
    assert [(forum, up.status, up.follow) for forum, up in ups] == [("sos", "removed", False)]

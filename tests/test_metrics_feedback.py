"""Feedback is no escalation in the numbers (SPEC R68a): the network's open-impediment
count, the escalation metrics and the feedback metrics, from replayed logs.

Times are in days from ``T0`` (``tests.test_metrics_escalation``)."""

from __future__ import annotations

from board import ops as o
from board import ops_standards as so
from board.metrics import DAY, forum_metrics, network_metrics
from board.metrics_history import forum_history
from board.model import new_board
from board.network import open_impediments
from tests.test_metrics_escalation import Log, period


def send(sos: Log, eat: Log, at: float, card: str, route: str, title: str) -> str:
    """``card`` of ``sos`` sent to ``eat`` by ``route`` (the three ops R18 writes)."""
    sos.do(at, o.EscalateCard(card=card, to_forum="eat", to_name="EAT", to_kind="eat",
                              route=route))  # fmt: skip
    kind = "feedback" if route.startswith("feedback") else "impediment"
    seq = eat.do(
        at,
        o.ReceiveEscalation(
            from_forum="sos", from_name="SoS", from_kind="sos", from_card=card,
            column="escalated", kind=kind, title=title, route=route,
        ),
    )  # fmt: skip
    target = f"c{seq}"
    sos.do(at, o.EscalationStatus(card=card, status="escalated", label="Escalated",
                                  target_card=target))  # fmt: skip
    return target


def test_feedback_is_counted_as_feedback_not_as_an_escalation() -> None:
    # SPEC R68a, R32, R32a
    sos = Log(new_board("sos", "sos", "SoS"))
    eat = Log(new_board("eat", "eat", "EAT"))
    a = f"c{sos.do(0, o.AddCard(column='new', title='Standups drag'))}"
    b = f"c{sos.do(0, o.AddCard(column='new', title='Retro too long'))}"
    c = f"c{sos.do(0, o.AddCard(column='new', title='No test env'))}"
    x = send(sos, eat, 1, a, "feedback-process", "Standups drag")
    y = send(sos, eat, 2, b, "feedback-process", "Retro too long")
    z = send(sos, eat, 2, c, "escalate", "No test env")
    # Feedback leaves the impediment open where it is; the escalated one counts at the EAT.
    assert open_impediments(sos.board) == 2 and open_impediments(eat.board) == 1

    # The EAT answers a (declined, with a reason) on day 4; b stays unanswered.
    eat.do(4, so.AnswerFeedback(card=x, outcome="declined", note="Covered by the SDS"))
    sos.do(4, o.EscalationStatus(card=a, status="declined", label="Declined",
                                 note="Covered by the SDS"))  # fmt: skip
    eat.do(5, o.MoveCard(card=x, column="removed", index=0))  # answered: sends nothing
    assert open_impediments(sos.board) == 2 and open_impediments(eat.board) == 1

    p = period(0, 14)
    ms = forum_metrics(forum_history(sos.start, sos.entries), p)
    me = forum_metrics(forum_history(eat.start, eat.entries), p)
    # Escalations: only c.
    assert (ms.escalations.sent, ms.escalations.received) == (1, 0)
    assert [i.card_id for i in ms.escalations.items] == [c]
    assert (me.escalations.sent, me.escalations.received) == (0, 1)
    assert me.escalations.outcomes.returned == 0  # a declined feedback is not "returned"
    # The SoS's impediments are all still open (feedback closes nothing).
    assert {i.card_id for i in ms.open_impediments} == {a, b, c}
    assert [i.card_id for i in me.open_impediments] == [z]  # a feedback card is none

    fs, fe = ms.feedback, me.feedback
    assert (fs.sent, fs.received, fs.answered) == (2, 0, 1)
    assert (fs.outcomes.declined, fs.outcomes.open) == (1, 1)
    assert (fs.time_to_answer.count, fs.time_to_answer.median) == (1, 3 * DAY)
    assert (fe.sent, fe.received, fe.answered) == (0, 2, 1)
    assert {(i.card_id, i.outcome) for i in fe.items} == {(x, "declined"), (y, "open")}
    net = network_metrics([ms, me], p)
    assert (net.escalations.sent, net.escalations.received, len(net.escalations.items)) == (
        1, 1, 1,
    )  # fmt: skip
    assert (net.feedback.sent, net.feedback.received, net.feedback.answered) == (2, 2, 1)
    assert [(i.forum_id, i.card_id) for i in net.feedback.items] == [("eat", y), ("eat", x)]

    # As of day 3, a was not answered yet.
    early = forum_metrics(forum_history(sos.start, sos.entries), period(0, 3)).feedback
    assert (early.answered, early.outcomes.open, early.time_to_answer.count) == (0, 2, 0)


def test_feedback_after_a_returned_escalation_is_a_new_record() -> None:
    # SPEC R68a, R51: the escalation keeps its own outcome; the feedback is counted apart.
    sos = Log(new_board("sos", "sos", "SoS"))
    eat = Log(new_board("eat", "eat", "EAT"))
    a = f"c{sos.do(0, o.AddCard(column='new', title='Flaky pipeline'))}"
    x = send(sos, eat, 1, a, "escalate", "Flaky pipeline")
    eat.do(2, o.ReturnEscalation(card=x, note="Teams own pipelines"))
    sos.do(2, o.EscalationStatus(card=a, status="returned", label="Returned",
                                 note="Teams own pipelines", follow=True))  # fmt: skip
    sos.do(3, o.EscalateCard(card=a, to_forum="eat", to_name="EAT", to_kind="eat",
                             route="feedback-process"))  # fmt: skip
    sos.do(5, o.EscalationStatus(card=a, status="done", label="Done"))
    history = forum_history(sos.start, sos.entries)
    assert [(f.route, [ch.status for ch in f.changes]) for f in history.escalations] == [
        ("escalate", ["escalated", "returned"]),
        ("feedback-process", ["escalated", "done"]),
    ]
    m = forum_metrics(history, period(0, 14))
    assert m.escalations.outcomes.returned == 1 and m.escalations.outcomes.removed == 0
    assert (m.feedback.sent, m.feedback.outcomes.done) == (1, 1)
    assert open_impediments(sos.board) == 1  # sent as feedback: still this board's

"""The Scaled Backlog's rules (board/backlog.py, SPEC R35–R37): owning teams, trade-off
notes recorded as decisions, strict order kept, experiments and the improvement route,
and what the guardrail reads of it all."""

from __future__ import annotations

import msgspec
import pytest

from board import events as ev
from board import ops as o
from board.apply import Context, Rejected, apply
from board.backlog import decision_text, owned_by, route_refusal, team_counts
from board.guardrails import check_forum
from board.kinds import route
from board.log import LoggedOp
from board.metrics_history import forum_history
from board.model import MAX_TEAMS, Board, check, new_board

TEAMS = frozenset({"checkout", "payments", "search", "mobile", "platform", "a", "b", "c", "d"})


class Log:
    """Operations applied one by one, as a room does (with the team check), and logged."""

    def __init__(self, board: Board) -> None:
        self.start = board
        self.board = board
        self.entries: list[LoggedOp] = []

    def do(self, op: o.Op, actor: str = "Ana") -> list[ev.Event]:
        before = msgspec.json.encode(self.board)
        seq = self.board.seq + 1
        ctx = Context(seq=seq, at=1000.0 + seq, actor=actor, teams=TEAMS)
        board, events = apply(self.board, op, ctx)
        assert msgspec.json.encode(self.board) == before, "apply mutated its input"
        assert check(board) == []
        if events:
            self.entries.append(LoggedOp(seq=seq, actor=actor, at=ctx.at, op=op))
            self.board = board
        return events

    def card(self, column: str, title: str, **fields: object) -> str:
        events = self.do(o.AddCard(column=column, title=title, **fields))  # type: ignore[arg-type]
        added = [e for e in events if isinstance(e, ev.CardAdded)]
        return added[0].card.id

    def refused(self, op: o.Op, code: str) -> str:
        before = msgspec.json.encode(self.board)
        ctx = Context(seq=self.board.seq + 1, at=5.0, actor="Ana", teams=TEAMS)
        with pytest.raises(Rejected) as info:
            apply(self.board, op, ctx)
        assert info.value.code == code and info.value.reason
        assert msgspec.json.encode(self.board) == before
        return info.value.reason

    def order(self, column: str = "ordered") -> list[str]:
        col = self.board.column(column)
        assert col is not None
        return [self.board.cards[c].title for c in col.card_ids]


def metascrum() -> tuple[Log, list[str]]:
    log = Log(new_board("ms", "metascrum", "MetaScrum"))
    ids = [log.card("ordered", t) for t in ("PSD2", "Guest checkout", "Apple Pay")]
    return log, ids


# -- owning teams (R35) ---------------------------------------------------------------


def test_owning_teams_are_checked_like_a_team_and_deduplicated() -> None:
    log = Log(new_board("bl", "backlog", "Backlog"))
    cid = log.card("ordered", "Apple Pay", team="payments", teams=("payments", "checkout", ""))
    card = log.board.cards[cid]
    assert card.teams == ("payments", "checkout")  # blanks dropped, order kept
    assert owned_by(card, "checkout") and owned_by(card, "payments")
    assert not owned_by(card, "search") and not owned_by(card, "")

    reason = log.refused(o.AddCard(column="ordered", title="X", teams=("nope",)), "invalid")
    assert "no team 'nope'" in reason
    reason = log.refused(o.EditCard(card=cid, teams=("search", "ghost")), "invalid")
    assert "ghost" in reason

    [edited] = log.do(o.EditCard(card=cid, teams=("search",)))
    assert isinstance(edited, ev.CardEdited) and edited.card.teams == ("search",)
    assert edited.card.team == "payments"  # ``team`` works as before
    assert log.do(o.EditCard(card=cid, teams=("search", "search"))) == []  # no change


def test_at_most_eight_owning_teams() -> None:
    log = Log(new_board("bl", "backlog", "Backlog"))
    nine = ("checkout", "payments", "search", "mobile", "platform", "a", "b", "c", "d")
    assert len(nine) == MAX_TEAMS + 1
    reason = log.refused(o.AddCard(column="ordered", title="X", teams=nine), "invalid")
    assert "at most 8" in reason
    # The wire schema refuses a ninth before apply sees it.
    with pytest.raises(msgspec.ValidationError):
        msgspec.json.decode(
            msgspec.json.encode(
                {"type": "add_card", "column": "ordered", "title": "X", "teams": nine}
            ),
            type=o.ClientOp,
        )
    cid = log.card("ordered", "Eight", teams=nine[:8])
    assert len(log.board.cards[cid].teams) == 8


def test_team_counts_count_team_and_teams() -> None:
    log = Log(new_board("bl", "backlog", "Backlog"))
    log.card("ordered", "A", team="checkout")
    log.card("ordered", "B", teams=("checkout", "search"))
    log.card("ordered", "C", team="search")
    gone = log.card("ordered", "D", team="checkout")
    log.do(o.ArchiveCard(card=gone))
    assert team_counts(log.board, "checkout") == (2, 3)  # archived cards are not items
    assert team_counts(log.board, "mobile") == (0, 3)


# -- trade-off notes (R36) -------------------------------------------------------------


def test_a_note_on_a_reorder_records_a_decision_in_the_same_op() -> None:
    log, (a, b, c) = metascrum()
    log.do(o.StartSession())
    events = log.do(o.MoveCard(card=c, column="ordered", index=0, note="  Apple Pay\nfirst "))
    assert [type(e) for e in events] == [ev.CardMoved, ev.DecisionRecorded]
    decision = events[1]
    assert isinstance(decision, ev.DecisionRecorded)
    assert decision.decision.text == "Re-ordered Apple Pay: Apple Pay first"
    assert decision.decision.text == decision_text("Apple Pay", "Apple Pay first")
    assert decision.decision.card_ids == (c,)
    assert log.board.session is not None and log.board.session.decisions == (decision.decision,)
    # Strict order kept: one rank per item, the move placed exactly where asked.
    assert log.order() == ["Apple Pay", "PSD2", "Guest checkout"]
    ranks = [log.board.cards[x].rank for x in (c, a, b)]
    assert ranks == sorted(set(ranks))


def test_a_reorder_without_a_note_is_a_plain_move() -> None:
    log, (a, _, _) = metascrum()
    log.do(o.StartSession())
    events = log.do(o.MoveCard(card=a, column="ordered", index=2))
    assert [type(e) for e in events] == [ev.CardMoved]
    assert log.board.session is not None and log.board.session.decisions == ()
    assert log.do(o.MoveCard(card=a, column="ordered", index=2, note="same place")) == []


def test_a_note_into_the_ordered_column_of_a_scaled_backlog_too() -> None:
    log = Log(new_board("bl", "backlog", "Backlog"))
    a, b = log.card("ordered", "A"), log.card("ordered", "B")
    log.do(o.StartSession())
    events = log.do(o.MoveCard(card=b, column="ordered", index=0, note="B unblocks three teams"))
    assert [type(e) for e in events] == [ev.CardMoved, ev.DecisionRecorded]
    assert log.order() == ["B", "A"] and a in log.board.cards


def test_a_note_is_refused_where_it_does_not_belong() -> None:
    log, (a, _, _) = metascrum()
    reason = log.refused(o.MoveCard(card=a, column="ordered", index=2, note="why"), "no_session")
    assert "session" in reason
    log.do(o.StartSession())
    reason = log.refused(o.MoveCard(card=a, column="parked", index=0, note="why"), "invalid")
    assert "ordered column" in reason
    sos = Log(new_board("sos", "sos", "SoS"))
    x, _ = sos.card("new", "X"), sos.card("new", "Y")
    sos.do(o.StartSession())
    sos.refused(o.MoveCard(card=x, column="new", index=1, note="why"), "invalid")
    # Too long for the wire: 200 characters at most.
    with pytest.raises(msgspec.ValidationError):
        msgspec.json.decode(
            msgspec.json.encode(
                {"type": "move_card", "card": a, "column": "ordered", "index": 0, "note": "n" * 201}
            ),
            type=o.ClientOp,
        )


def test_the_guardrail_reads_the_notes() -> None:
    """R36: a MetaScrum session is flagged for each re-order without its own note."""
    log, (a, b, c) = metascrum()
    log.do(o.StartSession())
    log.do(o.MoveCard(card=c, column="ordered", index=0, note="Apple Pay first"))
    log.do(o.EndSession())
    log.do(o.StartSession())
    log.do(o.MoveCard(card=a, column="ordered", index=2, note="PSD2 can wait"))
    log.do(o.MoveCard(card=b, column="ordered", index=0))  # no note
    log.do(o.RecordDecision(text="We keep the rest as it is"))  # names no card
    log.do(o.EndSession())
    log.do(o.StartSession())
    log.do(o.MoveCard(card=a, column="ordered", index=0))
    log.do(o.RecordDecision(text="PSD2 is due by law", cards=(a,)))  # names the card
    log.do(o.EndSession())
    history = forum_history(log.start, log.entries)
    one, two, three = history.sessions
    assert (one.reorders, one.reorders_noted, one.unnoted_cards) == (1, 1, ())
    assert (two.reorders, two.reorders_noted, two.unnoted_cards) == (2, 1, (b,))
    assert (three.reorders, three.reorders_noted, three.unnoted_cards) == (1, 0, (a,))
    flags = check_forum(history).flags
    assert [(f.session_number, f.rule) for f in flags] == [(2, "reorder_without_tradeoff")]
    assert "1 of them came with no trade-off note" in flags[0].reason


# -- experiments (R37) -------------------------------------------------------------------


def test_experiment_fields_are_kept_and_checked() -> None:
    log = Log(new_board("rt", "retro", "Retro"))
    cid = log.card(
        "experiments",
        "Time-box the Scaled Daily Scrum",
        kind="experiment",
        hypothesis="Impediments get owners faster\r\n",
        outcome="",
    )
    card = log.board.cards[cid]
    assert (card.hypothesis, card.result, card.outcome) == ("Impediments get owners faster", "", "")
    [edited] = log.do(o.EditCard(card=cid, result="Owners in 1 day, not 3", outcome="proven"))
    assert isinstance(edited, ev.CardEdited)
    assert (edited.card.result, edited.card.outcome) == ("Owners in 1 day, not 3", "proven")
    bad = o.EditCard(card=cid, outcome="maybe")  # type: ignore[arg-type]
    assert "outcome" in log.refused(bad, "invalid")
    with pytest.raises(msgspec.ValidationError):
        msgspec.json.decode(b'{"type":"edit_card","card":"c1","outcome":"maybe"}', type=o.ClientOp)
    with pytest.raises(msgspec.ValidationError):
        msgspec.json.decode(
            msgspec.json.encode({"type": "edit_card", "card": "c1", "hypothesis": "h" * 1001}),
            type=o.ClientOp,
        )


@pytest.mark.parametrize("outcome", ["", "disproven", "inconclusive"])
def test_only_a_proven_experiment_goes_to_the_eat(outcome: str) -> None:
    log = Log(new_board("rt", "retro", "Retro"))
    cid = log.card("experiments", "Trunk-based development", kind="experiment", outcome=outcome)
    send = o.EscalateCard(
        card=cid, to_forum="eat", to_name="EAT", to_kind="eat", route="improvement"
    )
    reason = log.refused(send, "invalid")
    assert "Only a proven experiment" in reason and "proven first" in reason
    way = route("retro", "improvement")
    assert way is not None and route_refusal(log.board.cards[cid], way) == reason
    log.do(o.EditCard(card=cid, outcome="proven"))
    [marked] = log.do(send)
    assert isinstance(marked, ev.CardEdited) and marked.card.sent_to is not None
    assert marked.card.sent_to.route == "improvement"


def test_a_replayed_log_is_not_judged_again() -> None:
    """An improvement sent before the rule existed still replays (no ``teams``: replay)."""
    board = new_board("rt", "retro", "Retro")
    board, _ = apply(
        board,
        o.AddCard(column="experiments", title="Old", kind="experiment"),
        Context(seq=1, at=1.0, actor="Ana"),
    )
    send = o.EscalateCard(
        card="c1", to_forum="e", to_name="EAT", to_kind="eat", route="improvement"
    )
    board, events = apply(board, send, Context(seq=2, at=2.0, actor="Ana"))
    assert events and board.cards["c1"].sent_to is not None

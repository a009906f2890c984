"""Guardrails, rule by rule, on hand-built sessions: each flags what it should, says
why, and leaves ordinary sessions alone."""

from __future__ import annotations

from typing import Any

import pytest

from board.guardrails import RULES, check_forum, check_session, decision_topics, team_check
from board.metrics import Period
from board.metrics_facts import DecisionFact, ForumHistory, SessionFact
from board.model import Team

T0 = 1_700_000_000.0
MIN = 60.0
TEAMS = [
    Team("checkout", "Checkout", "#1f77b4"),
    Team("payments", "Payments", "#d62728"),
    Team("search", "Search", "#2ca02c"),
]


def sess(minutes: float = 10, **fields: Any) -> SessionFact:
    """An ended session with one decision and one next step unless told otherwise."""
    base: dict[str, Any] = {
        "id": "f-1",
        "number": 1,
        "started_at": T0,
        "ended_at": T0 + minutes * MIN,
        "decisions": 1,
        "next_steps": 1,
    }
    return SessionFact(**{**base, **fields})


def decision(text: str, did: str = "d1") -> DecisionFact:
    return DecisionFact(id=did, session_id="f-1", at=T0 + 60, text=text)


def named(text: str, *cards: str) -> DecisionFact:
    return DecisionFact(id="d2", session_id="f-1", at=T0 + 60, text=text, card_ids=cards)


def rules(kind: str, session: SessionFact, *decisions: DecisionFact, **kw: Any) -> list[str]:
    return [f.rule for f in check_session(kind, "f", session, decisions, **kw).flags]


@pytest.mark.parametrize("kind", ["sos", "eat", "metascrum", "ems", "retro", "backlog"])
def test_an_ordinary_session_is_not_flagged(kind: str) -> None:
    assert rules(kind, sess(), decision("Ana pairs with Search on the flaky test")) == []


@pytest.mark.parametrize("kind", ["sos", "eat", "metascrum", "ems", "retro"])
def test_no_decisions_and_no_next_steps_is_likely_a_status_meeting(kind: str) -> None:
    report = check_session(kind, "f", sess(decisions=0, next_steps=0), [])
    assert [f.rule for f in report.flags] == ["status_meeting"]
    flag = report.flags[0]
    assert "no decisions and no next steps" in flag.reason and "status meeting" in flag.reason
    assert (flag.forum_id, flag.session_id, flag.session_number) == ("f", "f-1", 1)
    assert flag.label == RULES["status_meeting"]
    # One of either is enough.
    assert rules(kind, sess(decisions=0, next_steps=1)) == []
    assert rules(kind, sess(decisions=1, next_steps=0), decision("ok")) == []


def test_a_running_session_is_never_flagged() -> None:
    running = sess(ended_at=None, decisions=0, next_steps=0, kinds_at_end={"note": 9})
    assert check_session("sos", "f", running, [decision("new budget")]).flags == []


def test_a_metascrum_reorder_needs_a_tradeoff_decision() -> None:
    report = check_session("metascrum", "f", sess(reorders=3, decisions=0, next_steps=1), [])
    assert [f.rule for f in report.flags] == ["reorder_without_tradeoff"]
    assert "3 moves" in report.flags[0].reason and "trade-off" in report.flags[0].reason
    one = check_session("metascrum", "f", sess(reorders=1, decisions=0, next_steps=1), [])
    assert "(1 move)" in one.flags[0].reason
    # R36: each re-order needs its own note: carried by the move, or a decision naming
    # the card; a decision about nothing in particular does not cover them.
    with_notes = sess(reorders=3, reorders_noted=2, unnoted_cards=("c1",), decisions=3)
    assert rules("metascrum", with_notes, named("Apple Pay before guest checkout", "c1")) == []
    vague = sess(reorders=3, reorders_noted=2, unnoted_cards=("c1",), decisions=3)
    report = check_session("metascrum", "f", vague, [decision("Apple Pay first")])
    assert [f.rule for f in report.flags] == ["reorder_without_tradeoff"]
    assert "1 of them came with no trade-off note" in report.flags[0].reason
    assert rules("metascrum", sess(reorders=0, decisions=0, next_steps=1)) == []
    # Other forums re-order freely.
    assert rules("backlog", sess(reorders=3, decisions=0, next_steps=1)) == []


def test_a_scaled_daily_scrum_over_15_minutes() -> None:
    report = check_session("sos", "f", sess(minutes=23.5), [decision("ok")])
    assert [f.rule for f in report.flags] == ["daily_scrum_overrun"]
    assert "23 min" in report.flags[0].reason and "15 minutes" in report.flags[0].reason
    assert rules("sos", sess(minutes=15), decision("ok")) == []  # 15 is fine
    assert rules("metascrum", sess(minutes=90), decision("ok")) == []  # only the SoS


def test_more_status_cards_than_impediments_and_dependencies() -> None:
    many_notes = sess(kinds_at_end={"note": 4, "impediment": 2, "dependency": 1, "risk": 5})
    report = check_session("sos", "f", many_notes, [decision("ok")])
    assert [f.rule for f in report.flags] == ["status_cards"]
    assert "4 note" in report.flags[0].reason and "3 impediments" in report.flags[0].reason
    even = sess(kinds_at_end={"note": 3, "impediment": 2, "dependency": 1})
    assert rules("sos", even, decision("ok")) == []
    assert rules("eat", many_notes, decision("ok")) == []  # only the SoS


def test_a_team_with_cards_but_nobody_in_the_session() -> None:
    s = sess(
        participants=("Maya (Checkout)", "Sam"),
        teams_at_end=("checkout", "payments", "search"),
    )
    report = check_session("sos", "f", s, [decision("ok")], teams=TEAMS)
    assert [f.rule for f in report.flags] == ["team_unrepresented"]
    assert report.flags[0].reason == (
        "Payments and Search have cards on the board but nobody from them took part."
    )
    assert report.unchecked == []
    # Every team there (by name or id, any case, as a word): nothing to flag.
    all_there = sess(
        participants=("Maya (Checkout)", "payments-lee", "Ana / SEARCH"),
        teams_at_end=("checkout", "payments", "search"),
    )
    assert rules("sos", all_there, decision("ok"), teams=TEAMS) == []
    one_missing = sess(participants=("Maya (Checkout)",), teams_at_end=("checkout", "search"))
    assert team_check(one_missing, TEAMS)[0] == (
        "Search has cards on the board but nobody from it took part."
    )


def test_a_served_team_with_nobody_in_the_session() -> None:
    # The Scrum of Scrums serves Payments (set by the admin); it has no cards on the
    # board, but nobody from it came: still unrepresented.
    s = sess(participants=("Maya (Checkout)",), teams_at_end=("checkout",))
    assert rules("sos", s, decision("ok"), teams=TEAMS) == []
    report = check_session("sos", "f", s, [decision("ok")], teams=TEAMS, served=("payments",))
    assert [f.rule for f in report.flags] == ["team_unrepresented"]
    assert report.flags[0].reason == (
        "Payments is served by this forum but nobody from it took part."
    )
    both = check_session(
        "sos", "f", sess(participants=("Maya (Checkout)",), teams_at_end=("search",)),
        [decision("ok")], teams=TEAMS, served=("checkout", "payments"),
    )  # fmt: skip
    assert both.flags[0].reason == (
        "Payments and Search are served by this forum or have cards on the board but "
        "nobody from them took part."
    )
    there = sess(participants=("Maya (Checkout)", "payments-lee"), teams_at_end=())
    assert rules("sos", there, decision("ok"), teams=TEAMS, served=("checkout", "payments")) == []


def test_team_representation_is_unchecked_when_names_do_not_say_teams() -> None:
    s = sess(participants=("Maya Chen", "Researcher Bo"), teams_at_end=("checkout", "search"))
    report = check_session("sos", "f", s, [decision("ok")], teams=TEAMS)
    assert report.flags == []  # "Researcher" is not the word "Search"
    assert [u.rule for u in report.unchecked] == ["team_unrepresented"]
    assert "cannot be told" in report.unchecked[0].reason
    # No team has cards: nothing to check at all.
    assert check_session("sos", "f", sess(participants=("Maya",)), [], teams=TEAMS).unchecked == []


@pytest.mark.parametrize(
    ("text", "topics"),
    [
        ("Re-prioritise Apple Pay above PSD2", ["priority"]),
        ("We deprioritized search typo tolerance", ["priority"]),
        ("Prioritise the checkout funnel this sprint", ["priority"]),
        ("Change the priorities of Q3", ["priority"]),
        ("Give offline basket a higher priority", ["priority"]),
        ("Move 20k of budget to platform", ["budget"]),
        ("Funding for the new test lab approved", ["budget"]),
        ("Cost centre 42 pays for the licences", ["budget"]),
        ("Raise headcount for Mobile", ["team"]),
        ("Realign the payments and checkout teams", ["team"]),
        ("Move Priya to team Search", ["team"]),
        ("Reorganise platform into two squads", ["team"]),
        ("Hire two testers and re-prioritise the backlog budget", ["priority", "budget", "team"]),
    ],
)
def test_words_of_executive_decisions(text: str, topics: list[str]) -> None:
    assert [t for t, _ in decision_topics(text)] == topics


@pytest.mark.parametrize(
    "text",
    [
        "Team Checkout removes the flaky test",
        "Top priority impediment: the staging environment",
        "A fundamental fix to the pipeline",
        "Apple Pay before guest checkout: PSD2 deadline",
        "Investigate the timeouts",
        "The team moves the card to Removed",
    ],
)
def test_ordinary_words_are_not_executive_decisions(text: str) -> None:
    assert decision_topics(text) == []


def test_an_executive_decision_outside_the_executive_metascrum() -> None:
    d1 = decision("Move budget from Search to Payments", "d7")
    d2 = decision("Ana fixes the build", "d8")
    report = check_session("sos", "f", sess(decisions=2), [d1, d2])
    assert [(f.rule, f.decision_id) for f in report.flags] == [("decision_out_of_place", "d7")]
    reason = report.flags[0].reason
    assert "“Move budget from Search to Payments”" in reason and "budget (“budget”)" in reason
    assert "Executive MetaScrum" in reason
    for kind in ("metascrum", "eat", "retro", "backlog"):
        assert rules(kind, sess(), d1) == ["decision_out_of_place"]
    assert rules("ems", sess(), d1) == []  # the place for it
    long = decision("Re-prioritise " + "x" * 200)
    assert "…" in check_session("sos", "f", sess(), [long]).flags[0].reason


def test_check_forum_takes_the_sessions_that_started_in_the_period() -> None:
    sessions = (
        SessionFact(id="f-1", number=1, started_at=T0, ended_at=T0 + 60),
        SessionFact(id="f-2", number=2, started_at=T0 + 86_400, ended_at=T0 + 86_460, decisions=1),
        SessionFact(id="f-3", number=3, started_at=T0 + 2 * 86_400),  # running
    )
    decisions = (DecisionFact(id="d1", session_id="f-2", at=T0 + 86_430, text="New budget"),)
    h = ForumHistory(forum_id="f", kind="sos", name="SoS", sessions=sessions, decisions=decisions)
    everything = check_forum(h)
    assert [(f.session_id, f.rule) for f in everything.flags] == [
        ("f-2", "decision_out_of_place"),  # most recent first
        ("f-1", "status_meeting"),
    ]
    first_day = check_forum(h, Period(T0, T0 + 86_400))
    assert [(f.session_id, f.rule) for f in first_day.flags] == [("f-1", "status_meeting")]
    assert check_forum(h, Period(T0 + 3 * 86_400, T0 + 4 * 86_400)).flags == []

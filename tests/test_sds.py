"""The Scaled Daily Scrum's round (board/sds.py, SPEC R54-R56): ``apply`` of every
round operation, accepted, refused (bad team, wrong state, wrong forum, wrong role) and
unchanged; the record it leaves and the guardrails that read it."""

from __future__ import annotations

import msgspec
import pytest

from board import events as ev
from board import ops as o
from board.access import can
from board.apply import Context, Rejected, apply
from board.guardrails import check_session
from board.log import LoggedOp
from board.metrics_history import forum_history
from board.model import Board, Team, check, new_board
from board.replay import replay
from board.sds import representation
from board.sds_ops import AnswerSds, ClaimSdsTeam, EndSds, NextSdsTeam, SetSdsSpeaker, StartSds

TEAMS = frozenset({"checkout", "payments", "search"})
SERVED = ("checkout", "payments", "search")


def run(
    board: Board, op: o.Op, actor: str = "Fay", at: float | None = None
) -> tuple[Board, list[ev.Event]]:
    before = msgspec.json.encode(board)
    ctx = Context(
        seq=board.seq + 1, at=at if at is not None else 1000.0 + board.seq, actor=actor, teams=TEAMS
    )
    new, events = apply(board, op, ctx)
    assert msgspec.json.encode(board) == before, "apply mutated its input board"
    assert check(new) == []
    return new, events


def refused(board: Board, op: o.Op, code: str, actor: str = "Fay") -> str:
    """SPEC R7: a refusal has its code and a reason, and changes nothing."""
    before = msgspec.json.encode(board)
    with pytest.raises(Rejected) as info:
        apply(board, op, Context(seq=board.seq + 1, at=5.0, actor=actor, teams=TEAMS))
    assert info.value.code == code, info.value.reason
    assert msgspec.json.encode(board) == before
    return info.value.reason


@pytest.fixture
def session() -> Board:
    board, _ = run(new_board("sos1", "sos", "Train SoS"), o.StartSession())
    return board


@pytest.fixture
def started(session: Board) -> Board:
    board, _ = run(session, StartSds(teams=SERVED), at=2000.0)
    return board


def test_starting_the_round_starts_its_timebox(session: Board) -> None:
    """SPEC R54: the round lists its teams in order, the first current, and the shared
    timer is set to 15 minutes and started in the same seq."""
    board, events = run(
        session, StartSds(teams=("checkout", " payments ", "checkout", "")), at=2000.0
    )
    sds = board.sds
    assert sds is not None and sds.running and sds.started_at == 2000.0
    assert [t.team for t in sds.turns] == ["checkout", "payments"]  # blanks, repeats dropped
    assert [t.status for t in sds.turns] == ["current", "waiting"]
    assert sds.session_id == session.session.id if session.session else False
    assert [type(e) for e in events] == [ev.SdsChanged, ev.TimerChanged]
    assert board.timer is not None and board.timer.duration == 900
    assert board.timer.started_at == 2000.0 and board.timer.left(2060.0) == 840.0


def test_start_is_refused_clearly(session: Board, started: Board) -> None:
    """SPEC R54: no session, another forum kind, no team, an unknown team, a second
    round in one session: each refused with its code, nothing changed."""
    bare = new_board("sos1", "sos", "Train SoS")
    assert "start one" in refused(bare, StartSds(teams=SERVED), "no_session")
    eat, _ = run(new_board("eat1", "eat", "EAT"), o.StartSession())
    assert "Scrum of Scrums" in refused(eat, StartSds(teams=SERVED), "invalid")
    assert "at least one team" in refused(session, StartSds(teams=()), "invalid")
    assert "at least one team" in refused(session, StartSds(teams=(" ",)), "invalid")
    assert "no team 'nope'" in refused(session, StartSds(teams=("checkout", "nope")), "invalid")
    assert "already running" in refused(started, StartSds(teams=SERVED), "conflict")
    ended, _ = run(started, EndSds())
    assert "already" in refused(ended, StartSds(teams=SERVED), "conflict")


def test_each_team_in_turn(started: Board) -> None:
    """SPEC R55: speakers (named by the facilitator, or claimed), answers, next and skip;
    the round ends after the last team and stops the timer it started."""
    board, events = run(started, SetSdsSpeaker(team="checkout", speaker="  Maya "))
    assert board.sds and board.sds.turns[0].speaker == "Maya"
    assert isinstance(events[0], ev.SdsChanged) and events[0].action == "speaker"
    board, _ = run(
        board,
        AnswerSds(team="checkout", impediments="Flaky CI\n", dependencies="Needs the payments API"),
    )
    turn = board.sds.turns[0] if board.sds else None
    assert turn and turn.impediments == "Flaky CI" and turn.dependencies == "Needs the payments API"
    assert turn.blocking == ""
    board, _ = run(board, NextSdsTeam(team="checkout"), at=2100.0)
    assert board.sds and [t.status for t in board.sds.turns] == ["done", "current", "waiting"]
    assert board.sds.turns[0].ended_at == 2100.0 and board.sds.turns[1].started_at == 2100.0
    board, _ = run(board, ClaimSdsTeam(team="payments"), actor="Pia")
    assert board.sds and board.sds.turns[1].speaker == "Pia"
    board, _ = run(board, NextSdsTeam(team="payments"))
    board, events = run(board, NextSdsTeam(team="search", skip=True), at=2400.0)
    sds = board.sds
    assert sds is not None and not sds.running and sds.ended_at == 2400.0
    assert [t.status for t in sds.turns] == ["done", "done", "skipped"]
    assert [e.action for e in events if isinstance(e, ev.SdsChanged)] == ["skipped"]
    timer_events = [e for e in events if isinstance(e, ev.TimerChanged)]
    assert timer_events and timer_events[0].action == "paused"
    assert board.timer is not None and board.timer.remaining == 900 - 400
    assert representation(sds, SERVED) == (["checkout", "payments"], ["search"])


def test_bad_input_and_wrong_state_are_refused(started: Board, session: Board) -> None:
    """SPEC R55: a team not in the round is invalid; Next for a team whose turn it is
    not is a conflict (two clicks at once move on once); claiming a team someone else
    speaks for is a conflict; nothing without a running round."""
    assert "not in this" in refused(started, SetSdsSpeaker(team="nope", speaker="X"), "invalid")
    assert "not in this" in refused(started, AnswerSds(team="nope", blocking="x"), "invalid")
    assert "not in this" in refused(started, ClaimSdsTeam(team="nope"), "invalid")
    assert "not in this" in refused(started, NextSdsTeam(team="nope"), "invalid")
    assert "not payments's turn" in refused(started, NextSdsTeam(team="payments"), "conflict")
    moved, _ = run(started, NextSdsTeam(team="checkout"))
    assert "checkout" in refused(moved, NextSdsTeam(team="checkout"), "conflict")
    named, _ = run(started, SetSdsSpeaker(team="checkout", speaker="Maya"))
    assert "Maya already speaks" in refused(
        named, ClaimSdsTeam(team="checkout"), "conflict", actor="Pia"
    )
    for op in (EndSds(), NextSdsTeam(team="checkout"), AnswerSds(team="checkout", blocking="x")):
        assert "No Scaled Daily Scrum is running" in refused(session, op, "conflict")
    ended, _ = run(started, EndSds())
    assert "No Scaled Daily Scrum" in refused(ended, ClaimSdsTeam(team="checkout"), "conflict")


def test_the_same_again_changes_nothing(started: Board) -> None:
    """SPEC R4, R55: the same speaker, claim or answers again is no change (no seq)."""
    named, _ = run(started, SetSdsSpeaker(team="checkout", speaker="Maya"))
    for op, actor in (
        (SetSdsSpeaker(team="checkout", speaker="Maya"), "Fay"),
        (ClaimSdsTeam(team="checkout"), "Maya"),
        (AnswerSds(team="checkout"), "Fay"),
        (AnswerSds(team="checkout", blocking="  "), "Fay"),
    ):
        new, events = run(named, op, actor)
        assert events == [] and new is named


def test_who_may_run_the_round() -> None:
    """SPEC R54-R55 with R2a: the facilitator runs the round; a participant may only say
    they speak for a team and record answers; a viewer nothing."""
    facilitator_only = (
        StartSds(teams=SERVED),
        SetSdsSpeaker(team="a", speaker="b"),
        NextSdsTeam(team="a"),
        EndSds(),
    )
    for op in facilitator_only:
        assert can("facilitator", op) and not can("participant", op) and not can("viewer", op)
    for op in (ClaimSdsTeam(team="a"), AnswerSds(team="a")):
        assert can("participant", op) and not can("viewer", op)


def test_ending_the_session_ends_the_round_and_keeps_it(started: Board) -> None:
    """SPEC R55-R56: ending the session ends a running round first; the board the
    session ended with keeps the round (its record), and a new session starts afresh."""
    board, events = run(started, o.EndSession(), at=2500.0)
    kinds = [type(e) for e in events]
    assert kinds.index(ev.SdsChanged) < kinds.index(ev.SessionEnded)
    assert board.sds is not None and board.sds.ended_at == 2500.0
    assert board.sds.turns[0].status == "done" and board.sds.turns[1].status == "waiting"
    again, _ = run(board, o.StartSession())
    fresh, _ = run(again, StartSds(teams=("search",)))
    assert fresh.sds is not None and [t.team for t in fresh.sds.turns] == ["search"]


def _logged(start: Board, steps: list[tuple[o.Op, str, float]]) -> tuple[Board, list[LoggedOp]]:
    board, logged = start, []
    for op, actor, at in steps:
        board, events = apply(
            board, op, Context(seq=board.seq + 1, at=at, actor=actor, teams=TEAMS)
        )
        assert events
        logged.append(LoggedOp(seq=board.seq, op_id=f"o{board.seq}", actor=actor, at=at, op=op))
    return board, logged


def test_the_round_replays_and_the_guardrails_judge_it() -> None:
    """SPEC R56: the log replays to the same round; a session with a round is judged by
    it: a served team with no speaker is unrepresented (whatever the names), and the
    round's own length decides the overrun."""
    start = new_board("sos1", "sos", "Train SoS")
    end, logged = _logged(
        start,
        [
            (o.StartSession(), "Fay", 1000.0),
            (StartSds(teams=SERVED), "Fay", 1060.0),
            (SetSdsSpeaker(team="checkout", speaker="Maya"), "Fay", 1070.0),
            (NextSdsTeam(team="checkout"), "Fay", 1200.0),
            (ClaimSdsTeam(team="payments"), "Pia", 1210.0),
            (NextSdsTeam(team="payments"), "Fay", 1500.0),
            (NextSdsTeam(team="search", skip=True), "Fay", 2100.0),  # 17 min after the start
            (o.RecordDecision(text="Pair on the flaky CI"), "Fay", 2200.0),
            (o.EndSession(), "Fay", 2300.0),
        ],
    )
    replayed = [step.board for step in replay(start, logged)][-1]
    assert replayed.sds == end.sds
    history = forum_history(start, logged)
    fact = history.sessions[0]
    assert fact.sds is not None and fact.sds.spoke == ("checkout", "payments")
    teams = [Team(t, t.title(), "#123456") for t in SERVED]
    report = check_session("sos", "sos1", fact, [], teams, SERVED)
    rules = {f.rule: f.reason for f in report.flags}
    assert "Search" in rules["team_unrepresented"] and "speaker" in rules["team_unrepresented"]
    assert "Checkout" not in rules["team_unrepresented"]
    assert not report.unchecked  # names need not name teams when a round was held
    assert "17 min" in rules["daily_scrum_overrun"]


def test_each_speaker_starts_as_a_member_of_the_team(session: Board) -> None:
    """SPEC R54, R52: a team's speaker starts as the first person in the session who
    picked that team; a team nobody picked starts with nobody."""
    from msgspec.structs import replace

    assert session.session is not None
    picked = replace(
        session,
        session=replace(
            session.session,
            teams={"Maya": ("payments",), "Ana": ("checkout", "payments"), "Bo": ("checkout",)},
        ),
    )
    board, _ = run(picked, StartSds(teams=SERVED), at=2000.0)
    assert board.sds is not None
    assert [(t.team, t.speaker) for t in board.sds.turns] == [
        ("checkout", "Ana"),
        ("payments", "Maya"),
        ("search", ""),
    ]

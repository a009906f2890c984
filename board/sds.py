"""The Scaled Daily Scrum, run as a round on a Scrum of Scrums' board (SPEC R54-R56).

The facilitator starts the round during a session (``start_sds``) with the teams the
Scrum of Scrums serves; its 15-minute timebox starts with it (and the forum's shared
timer is set to it and started, so every screen counts down). Each team in turn is
``current``: someone speaks for it (the facilitator names them, ``set_sds_speaker``, or
they say "I speak for <team>", ``claim_sds_team``), their short answers to the three
questions are recorded (``answer_sds``), and "Next team" or "Skip (not here)"
(``next_sds_team``) moves on; the round ends after the last team, when the facilitator
ends it (``end_sds``) or when the session ends. Every change is one ``sds_changed``
event with the whole round (it is small). Pure: no I/O.
"""

from __future__ import annotations

from typing import Any

from msgspec import UNSET
from msgspec.structs import replace

from .events import Event, SdsChanged, TimerChanged
from .model import Board, Timer
from .people import by_team
from .rules import Context, Rejected, Result, check_team, clean_text
from .rules import session as _session
from .sds_model import ScaledDaily, SdsTurn
from .sds_ops import AnswerSds, ClaimSdsTeam, EndSds, NextSdsTeam, SetSdsSpeaker, StartSds


def _sos(board: Board) -> None:
    if board.kind != "sos":
        raise Rejected("invalid", "The Scaled Daily Scrum is a Scrum of Scrums' event.")


def _running(board: Board) -> ScaledDaily:
    """The round running in this board's session, or the right refusal."""
    _sos(board)
    session = _session(board)
    sds = board.sds
    if sds is None or sds.session_id != session.id or not sds.running:
        raise Rejected("conflict", "No Scaled Daily Scrum is running; start one first.")
    return sds


def _index(sds: ScaledDaily, team: str) -> int:
    for i, turn in enumerate(sds.turns):
        if turn.team == team:
            return i
    raise Rejected("invalid", f"Team {team!r} is not in this Scaled Daily Scrum.")


def _with(sds: ScaledDaily, i: int, turn: SdsTurn) -> ScaledDaily:
    turns = list(sds.turns)
    turns[i] = turn
    return replace(sds, turns=tuple(turns))


def _changed(board: Board, sds: ScaledDaily, action: str, team: str = "") -> Result:
    return replace(board, sds=sds), [SdsChanged(action=action, sds=sds, team=team)]


def start_sds(board: Board, op: StartSds, ctx: Context) -> Result:
    _sos(board)
    session = _session(board)
    if board.sds is not None and board.sds.session_id == session.id:
        if board.sds.running:
            raise Rejected("conflict", "The Scaled Daily Scrum is already running.")
        raise Rejected("conflict", "This session held its Scaled Daily Scrum already.")
    teams = [check_team(t, ctx) for t in op.teams]
    teams = list(dict.fromkeys(t for t in teams if t))
    if not teams:
        raise Rejected(
            "invalid", "A Scaled Daily Scrum needs at least one team: the teams this forum serves."
        )
    # Each team's speaker, to start with: the first person here who said they are in it
    # (R52, R55); the facilitator or a participant may change it.
    members = by_team(session.teams)
    turns = [SdsTurn(team=t, speaker=(members.get(t) or [""])[0]) for t in teams]
    turns[0] = replace(turns[0], status="current", started_at=ctx.at)
    sds = ScaledDaily(
        session_id=session.id, started_at=ctx.at, started_by=ctx.actor, turns=tuple(turns)
    )
    # The shared timer counts the timebox down on every screen (R19, R54).
    timer = Timer(duration=sds.timebox, remaining=float(sds.timebox), started_at=ctx.at)
    new, events = _changed(board, sds, "started")
    return replace(new, timer=timer), [*events, TimerChanged(action="started", timer=timer)]


def set_sds_speaker(board: Board, op: SetSdsSpeaker, ctx: Context) -> Result:
    sds = _running(board)
    i = _index(sds, op.team)
    speaker = clean_text(op.speaker, single_line=True)
    if speaker == sds.turns[i].speaker:
        return board, []
    return _changed(
        board, _with(sds, i, replace(sds.turns[i], speaker=speaker)), "speaker", op.team
    )


def claim_sds_team(board: Board, op: ClaimSdsTeam, ctx: Context) -> Result:
    sds = _running(board)
    i = _index(sds, op.team)
    turn = sds.turns[i]
    if turn.speaker == ctx.actor:
        return board, []
    if turn.speaker:
        raise Rejected(
            "conflict",
            f"{turn.speaker} already speaks for this team; the facilitator can change it.",
        )
    return _changed(board, _with(sds, i, replace(turn, speaker=ctx.actor)), "speaker", op.team)


def answer_sds(board: Board, op: AnswerSds, ctx: Context) -> Result:
    sds = _running(board)
    i = _index(sds, op.team)
    turn = sds.turns[i]
    changes: dict[str, Any] = {}
    for field in ("impediments", "blocking", "dependencies"):
        value = getattr(op, field)
        if value is not UNSET:
            text = clean_text(value, single_line=False)
            if text != getattr(turn, field):
                changes[field] = text
    if not changes:
        return board, []
    return _changed(board, _with(sds, i, replace(turn, **changes)), "answered", op.team)


def next_sds_team(board: Board, op: NextSdsTeam, ctx: Context) -> Result:
    sds = _running(board)
    i = _index(sds, op.team)
    current = sds.current()
    if current != i:
        now = sds.turns[current].team if current is not None else "nobody"
        raise Rejected("conflict", f"It is not {op.team}'s turn now ({now}'s is).")
    status = "skipped" if op.skip else "done"
    sds = _with(sds, i, replace(sds.turns[i], status=status, ended_at=ctx.at))
    following = next((j for j, t in enumerate(sds.turns) if t.status == "waiting"), None)
    if following is None:
        return _ended(board, sds, ctx, "skipped" if op.skip else "next", op.team)
    sds = _with(sds, following, replace(sds.turns[following], status="current", started_at=ctx.at))
    return _changed(board, sds, "skipped" if op.skip else "next", op.team)


def end_sds(board: Board, op: EndSds, ctx: Context) -> Result:
    sds = _running(board)
    current = sds.current()
    if current is not None:  # the team speaking now was heard
        sds = _with(sds, current, replace(sds.turns[current], status="done", ended_at=ctx.at))
    return _ended(board, sds, ctx, "ended")


def _ended(board: Board, sds: ScaledDaily, ctx: Context, action: str, team: str = "") -> Result:
    """The round over at ``ctx.at``; the shared timer it started stops where it is."""
    sds = replace(sds, ended_at=ctx.at, ended_by=ctx.actor)
    new, events = _changed(board, sds, action, team)
    timer = board.timer
    if timer is not None and timer.started_at is not None and timer.duration == sds.timebox:
        paused = replace(timer, remaining=timer.left(ctx.at), started_at=None)
        new = replace(new, timer=paused)
        events.append(TimerChanged(action="paused", timer=paused))
    return new, events


def end_with_session(board: Board, ctx: Context) -> tuple[Board, list[Event]]:
    """Ending the session ends a round still running (``board/sessions.py`` calls it)."""
    sds = board.sds
    if sds is None or not sds.running or board.session is None:
        return board, []
    if sds.session_id != board.session.id:
        return board, []
    return end_sds(board, EndSds(), ctx)


def representation(
    sds: ScaledDaily, served: tuple[str, ...] | list[str]
) -> tuple[list[str], list[str]]:
    """(teams with a speaker recorded, teams without) among the teams the forum serves
    (``served``; the round's own teams when it serves none), in that order (R56)."""
    expected = list(dict.fromkeys(served)) or [t.team for t in sds.turns]
    spoke = {t.team for t in sds.turns if t.speaker}
    return [t for t in expected if t in spoke], [t for t in expected if t not in spoke]


def describe(e: SdsChanged) -> str:
    """One line of history for a change of the round."""
    team = e.team
    turn = e.sds.turn(team) if team else None
    if e.action == "started":
        return f"started the Scaled Daily Scrum ({len(e.sds.turns)} teams)"
    if e.action == "speaker" and turn is not None:
        who = turn.speaker or "nobody"
        return f"recorded {who} as speaking for {team} in the Scaled Daily Scrum"
    if e.action == "answered":
        return f"recorded {team}'s answers in the Scaled Daily Scrum"
    ended = "" if e.sds.running else "; the Scaled Daily Scrum ended"
    if e.action == "next":
        return f"finished {team}'s turn in the Scaled Daily Scrum{ended}"
    if e.action == "skipped":
        return f"skipped {team} (not here) in the Scaled Daily Scrum{ended}"
    return "ended the Scaled Daily Scrum"

"""Which teams a person is in, per forum (SPEC R52, R53).

A person (their key, SPEC R40) picks the teams of the network they speak for in a
forum with ``set_my_teams`` — when they join (the name prompt) and whenever they like
from the board. ``Board.members`` keeps each person's pick (key -> team ids; an empty
pick is a pick too: "no team"). It is board state, in the op log, so a replay or a
restart gives the same memberships and the guardrails, computed from the log, see the
memberships a session had.

Attendance carries them (R53): a session keeps, for each person it counts who has
picked teams, the teams under the name they are counted as (``Session.teams``), set
when they are counted and kept current while the session runs. The Scrum of Scrums'
``team_unrepresented`` guardrail reads that: a team is represented when a participant
who is in it took part.

A pick carries (R74): the person's last pick, kept network-wide by the server (a signed
cookie), becomes their pick in a forum where they have none when they join it, as an
ordinary ``set_my_teams`` (``carried_pick`` says which). Only people count for a team
(R75): a key that is a token's (``~``, R42) is never counted and never carries teams.

Keys never leave the server: the event says the person's display name, and a board
that leaves it carries only its viewer's own pick (``members_for``). Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from msgspec.structs import replace

from . import ops as o
from .events import MyTeamsSet
from .model import MAX_TEAMS, Board
from .rules import MACHINE, Context, Rejected, Result, check_team


def check_teams(teams: tuple[str, ...], ctx: Context) -> tuple[str, ...]:
    """The team ids picked, checked (unknown: ``invalid``), blanks and repeats dropped."""
    picked = tuple(dict.fromkeys(t for t in (check_team(t, ctx) for t in teams) if t))
    if len(picked) > MAX_TEAMS:
        raise Rejected("invalid", f"Pick at most {MAX_TEAMS} teams.")
    return picked


def set_my_teams(board: Board, op: o.SetMyTeams, ctx: Context) -> Result:
    """The sender's teams in this forum (R52); the same pick again changes nothing."""
    if ctx.by.startswith(MACHINE):
        raise Rejected(
            "invalid", "An API token is not a person and is in no team; pick teams on the board."
        )
    who = ctx.who
    teams = check_teams(op.teams, ctx)
    if board.members.get(who) == teams:
        return board, []
    members = dict(board.members)
    members[who] = teams
    new = replace(board, members=members)
    session = board.session
    if session is not None and who in session.people:  # R53: attendance stays current
        shown = session.people[who]
        kept = {n: t for n, t in session.teams.items() if n != shown}
        if teams:
            kept[shown] = teams
        new = replace(new, session=replace(session, teams=kept))
    return new, [MyTeamsSet(name=ctx.actor, teams=teams)]


def carried_pick(
    board: Board, who: str, default: Iterable[str], known: frozenset[str]
) -> o.SetMyTeams | None:
    """The ``set_my_teams`` that makes a person's network-wide pick (``default``, team
    ids) theirs in this forum as they join it (R74); ``None`` when they picked here
    already ("no team" too), are no person (no key, or a token's), or when nothing of
    ``default`` is still one of the network's teams (``known``)."""
    if not who or who.startswith(MACHINE) or who in board.members:
        return None
    teams = tuple(dict.fromkeys(t for t in default if t in known))[:MAX_TEAMS]
    return o.SetMyTeams(teams=teams) if teams else None


def session_teams(
    current: Mapping[str, tuple[str, ...]],
    members: Mapping[str, tuple[str, ...]],
    counted: Mapping[str, str],
) -> dict[str, tuple[str, ...]]:
    """``current`` (name -> teams) with the teams of each counted person (key -> name)
    who picked some and is not in it yet (R53)."""
    out = dict(current)
    for key, name in counted.items():
        teams = members.get(key)
        if teams and name not in out:
            out[name] = teams
    return out


def members_for(board: Board, viewer: str | None) -> Board:
    """``board`` as ``viewer`` may see it: their own pick only (SPEC R40)."""
    if not board.members:
        return board
    own = board.members.get(viewer) if viewer else None
    return replace(board, members={viewer: own} if viewer and own is not None else {})


def represented(teams: Mapping[str, tuple[str, ...]]) -> frozenset[str]:
    """The team ids some participant of a session was in (``Session.teams``)."""
    return frozenset(t for picked in teams.values() for t in picked)


def by_team(teams: Mapping[str, tuple[str, ...]]) -> dict[str, list[str]]:
    """Team id -> the names of the participants in it, in attendance order (from
    ``Session.teams``): whom a Scaled Daily Scrum may ask to speak for each team."""
    out: dict[str, list[str]] = {}
    for name, picked in teams.items():
        for team in picked:
            out.setdefault(team, []).append(name)
    return out

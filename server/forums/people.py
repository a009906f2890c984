"""A person's teams in a forum, and the people a forum knows (SPEC R52, R53).

The name prompt (``/name``) offers the network's teams when it leads to a forum's
board the person may change (a participant or facilitator: a viewer picks none), and
saves the pick as a ``set_my_teams`` op through the forum's room — the same op the
board's "My teams" dialog sends over the websocket, so it is logged, replayed and seen
by everyone at once. ``known_people`` is what a next step's owner field suggests.

A pick carries (SPEC R74): with "Use these in my other forums" ticked, the name prompt
and ``POST /my/teams`` (the board's dialog, after its op is acked) keep it in the
signed ``sb_teams`` cookie, which the room applies where the person has no pick yet
(``server/live/turn.py``) and the name prompt ticks for such a forum.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, post

from board import ops as o
from board.access import can
from board.model import Board
from board.people import check_teams
from board.rules import Context, Rejected
from board.sync import Refused
from server.access.guards import check_form, who
from server.access.identity import carried_teams, current_key, teams_cookie
from server.access.passes import over_tls
from server.live.registry import Rooms
from server.metrics.histories import Histories, Unavailable
from server.storage import Storage
from server.web.deps import RendererDep, SecretDep
from server.web.errors import api_error
from server.web.forms import MultiForm, many, single

Req = Request[Any, Any, Any]
RECENT_SESSIONS = 10  # how many past sessions' attendance the owner field suggests


def forum_of(target: str) -> str | None:
    """The forum id of a path to a forum's board (``/forums/<id>``), else ``None``."""
    parts = target.split("?", 1)[0].split("#", 1)[0].split("/")
    if len(parts) == 3 and parts[1] == "forums" and parts[2]:
        return parts[2]
    return None


def my_teams(board: Board, key: str | None) -> tuple[str, ...] | None:
    """The teams the person ``key`` picked in this forum (``None``: not picked yet)."""
    return board.members.get(key) if key else None


async def picker(request: Req, rooms: Rooms, secret: str, target: str) -> dict[str, Any]:
    """What the name prompt needs to offer the teams of the forum ``target`` leads to:
    ``team_forum`` (its id) and ``picked`` (the person's pick there); empty when the
    target is no forum's board or the person may not pick teams there (a viewer)."""
    forum_id = forum_of(target)
    if forum_id is None:
        return {}
    role = (await who(request)).role(forum_id)
    if not can(role, "set_my_teams"):
        return {}
    board = await rooms.board(forum_id)
    if board is None:
        return {}
    picked = my_teams(board, current_key(request, secret))
    if picked is None:  # R74: what the room would apply, ticked to be seen and changed
        picked = carried_teams(request, secret) or None
    return {"team_forum": forum_id, "picked": picked}


async def save_teams(
    request: Req, rooms: Rooms, secret: str, forum_id: str, name: str, ids: list[str]
) -> tuple[str | None, bool]:
    """Submit the person's pick to the forum's room as ``name``: (why it was refused
    (an unknown team, too many, no access) or ``None``, whether a pick was sent)."""
    role = (await who(request)).role(forum_id)
    if not can(role, "set_my_teams"):
        return "You cannot pick teams in this forum: it is open to you read-only.", False
    if any(len(i) > 64 for i in ids):
        return "There is no such team.", False
    key = current_key(request, secret) or ""
    board = await rooms.board(forum_id)
    if not ids and (board is None or my_teams(board, key) is None):
        return None, False  # nothing ticked and nothing picked before: the board asks later
    op = o.SetMyTeams(teams=tuple(ids))
    outcome = await rooms.submit(forum_id, op, actor=name, by=key)
    if outcome is None:
        return "There is no forum at this address.", False
    if isinstance(outcome, Refused):
        return outcome.reason, False
    return None, True


def network_pick(ids: list[str], known: frozenset[str]) -> tuple[str, ...]:
    """``ids`` checked as a pick of the network's teams (R52's rules); ``Rejected``
    with the reason when one is no team or there are too many."""
    if any(len(i) > 64 for i in ids):
        raise Rejected("invalid", "There is no such team.")
    return check_teams(tuple(ids), Context(seq=0, at=0.0, actor="", teams=known))


@post("/my/teams", include_in_schema=False)
async def carry_teams(
    request: Req, renderer: RendererDep, secret: SecretDep, data: MultiForm
) -> Response[Any]:
    """Keep the person's pick for the forums where they have none yet (SPEC R74): the
    board's "My teams" dialog posts it once its ``set_my_teams`` is acked. A bad pick
    is ``400`` with the reason and leaves the kept one as it was."""
    await check_form(request, single(data))
    try:
        picked = network_pick(many(data, "teams"), frozenset(renderer.teams))
    except Rejected as e:
        return api_error(400, e.code, e.reason)
    cookie = teams_cookie(secret, picked, secure=over_tls(request.scope))
    return Response(None, status_code=204, cookies=[cookie])


async def known_people(storage: Storage, board: Board, present: list[str]) -> list[str]:
    """The names a next step's owner field suggests: who is here (``present``), who
    takes part in the running session, and who took part in the forum's last
    ``RECENT_SESSIONS`` sessions; each once (case-insensitive), in that order."""
    names: dict[str, str] = {}

    def add(name: str) -> None:
        if name and name.casefold() not in names:
            names[name.casefold()] = name

    for n in present:
        add(n)
    if board.session is not None:
        for n in board.session.participants:
            add(n)
    for s in (await storage.sessions.of_forum(board.forum_id, board.seq))[:RECENT_SESSIONS]:
        for n in s.participants:
            add(n)
    return list(names.values())


async def session_teams(
    histories: Histories, forum_id: str, session_id: str
) -> dict[str, tuple[str, ...]]:
    """Who took part in a session -> the teams they said they were in (SPEC R53), as its
    forum's log records it (none when the log does not replay)."""
    try:
        history = await histories.get(forum_id)
    except Unavailable:
        return {}
    for session in history.sessions:
        if session.id == session_id:
            return dict(session.member_teams)
    return {}

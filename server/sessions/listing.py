"""The history lists as people see them: what storage pages (``HistoryQueries``) with
what only the live rooms know added — the operations of a running session counted to
the forum's seq now, card titles of a running session from its live board (hidden
cards stay hidden), and whether a closed next step is still on its forum's board."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

import msgspec

from server.live.registry import Rooms
from server.storage.history import (
    CardRef,
    HistoryQueries,
    ListedSession,
    LoggedDecision,
    LoggedStep,
    StepFilter,
    Visible,
)


async def list_sessions(
    history: HistoryQueries,
    rooms: Rooms,
    *,
    forum_id: str | None = None,
    kind: str | None = None,
    limit: int,
    offset: int = 0,
    visible: Visible = None,
) -> tuple[int, list[ListedSession]]:
    """Sessions of every forum (or one, or one kind), newest first."""
    live = {forum: room.sync.seq for forum, room in rooms.live().items()}
    return await history.sessions(
        forum_id=forum_id,
        kind=kind,
        limit=limit,
        offset=offset,
        visible=visible,
        live_seqs=live,
    )


async def _card_titles(
    history: HistoryQueries, rooms: Rooms, wanted: dict[str, str]
) -> dict[str, dict[str, str]]:
    """Card titles per session id (``wanted``: session id -> forum id): from the board
    the session recorded at its end, else (still running) the forum's live board."""
    if not wanted:
        return {}
    titles = await history.recorded_titles(list(wanted))
    for session_id, forum_id in wanted.items():
        if session_id not in titles:
            board = await rooms.board(forum_id)  # never takes the forum over
            cards = board.cards if board else {}
            # A running retrospective's face-down cards are nobody's to read here (R22).
            titles[session_id] = {
                k: "a hidden card" if c.hidden else c.title for k, c in cards.items()
            }
    return titles


async def list_decisions(
    history: HistoryQueries,
    rooms: Rooms,
    *,
    forum_id: str | None = None,
    q: str = "",
    limit: int,
    offset: int = 0,
    visible: Visible = None,
) -> tuple[int, list[LoggedDecision]]:
    """Decisions newest first; ``q`` is a case-insensitive substring of their text."""
    total, found = await history.decisions(
        forum_id=forum_id, q=q, limit=limit, offset=offset, visible=visible
    )
    wanted = {d.session_id: d.forum_id for d in found if d.cards}
    titles = await _card_titles(history, rooms, wanted)
    out = []
    for d in found:
        known = titles.get(d.session_id, {})
        cards = [CardRef(id=c.id, title=known.get(c.id, c.id)) for c in d.cards]
        out.append(msgspec.structs.replace(d, cards=cards))
    return total, out


async def list_steps(
    history: HistoryQueries,
    rooms: Rooms,
    f: StepFilter,
    *,
    today: dt.date,
    limit: int,
    offset: int = 0,
    visible: Visible = None,
) -> tuple[int, list[LoggedStep]]:
    """Next steps: open ones first, soonest due first, then the newest."""
    total, found = await history.steps(f, today=today, limit=limit, offset=offset, visible=visible)
    # An open step is always on its forum's board (a session's end keeps open steps);
    # a closed one is only until the next session ends, so ask the board for those.
    boards: dict[str, Collection[str]] = {}
    for s in found:
        if s.status != "open" and s.forum_id not in boards:
            board = await rooms.board(s.forum_id)  # never takes the forum over
            boards[s.forum_id] = frozenset(board.next_steps) if board else frozenset()
    return total, [
        s
        if s.status == "open"
        else msgspec.structs.replace(s, changeable=s.id in boards.get(s.forum_id, ()))
        for s in found
    ]

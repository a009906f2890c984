"""The SQLite side of ``server.storage.sessions.SessionRecords``: the ``sessions``,
``decisions`` and ``next_steps`` review tables the projections keep, and the rows of an
imported session. The session columns and counts here serve ``history.py`` too."""

from __future__ import annotations

from collections.abc import Collection
from typing import Final

from board.model import Board
from server.storage.decoding import (
    DECISION_COLUMNS,
    LAST_SEQ,
    MOVE_PREFIX,
    SESSION_FIELDS,
    STEP_COLUMNS,
    decision,
    session_info,
    session_record,
    step,
)
from server.storage.sessions import (
    ExportedStep,
    SessionDetail,
    SessionInfo,
    SessionRecord,
)
from server.storage.sqlite.engine import Engine
from server.storage.writes import decode_board

# The counts of a session still running are not stored yet (``SessionEnded`` writes
# them): count its rows instead (both tables are indexed by session).
_LIVE_COUNT: Final = {
    "decisions": "CASE WHEN sessions.end_seq IS NULL THEN (SELECT count(*) FROM decisions "
    "WHERE decisions.session_id = sessions.id) ELSE sessions.decisions END",
    "next_steps": "CASE WHEN sessions.end_seq IS NULL THEN (SELECT count(*) FROM next_steps "
    "WHERE next_steps.session_id = sessions.id) ELSE sessions.next_steps END",
}
STORED_COLUMNS: Final = ", ".join(f"sessions.{f}" for f in SESSION_FIELDS)
"""The columns ``session_record`` reads, with the counts as stored."""
SESSION_COLUMNS: Final = ", ".join(_LIVE_COUNT.get(f, f"sessions.{f}") for f in SESSION_FIELDS)
"""The columns ``session_record`` reads, qualified (for joins), with live counts."""

# Comparing a blob prefix (decoding.MOVE_PREFIX) uses the (forum_id, seq) key for the
# range and parses no JSON (SQLite's LIKE does not match BLOBs; json_extract would
# parse each op).
CARDS_MOVED: Final = (
    "(SELECT count(*) FROM ops WHERE ops.forum_id = sessions.forum_id "
    f"AND ops.seq BETWEEN sessions.start_seq AND coalesce(sessions.end_seq, {LAST_SEQ}) "
    f"AND substr(ops.op, 1, {len(MOVE_PREFIX)}) = X'{MOVE_PREFIX.hex()}')"
)
"""SQL for the number of cards moved in a session (a row of ``sessions``)."""


def in_forums(visible: Collection[str] | None, column: str) -> tuple[str | None, list[str]]:
    """A clause limiting ``column`` to the forums in ``visible`` (``None``: all), and its
    parameters."""
    if visible is None:
        return None, []
    ids = sorted(visible)
    return (f"{column} IN ({','.join('?' * len(ids))})" if ids else "0"), ids


class SqliteSessions:
    """``SessionRecords`` on one SQLite file."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    async def forum_of(self, session_id: str) -> str | None:
        rows = await self.engine.fetch("SELECT forum_id FROM sessions WHERE id=?", (session_id,))
        return str(rows[0][0]) if rows else None

    async def of_forum(self, forum_id: str, live_seq: int | None = None) -> list[SessionRecord]:
        rows = await self.engine.fetch(
            f"SELECT {SESSION_COLUMNS}, {CARDS_MOVED} FROM sessions WHERE sessions.forum_id=? "
            "ORDER BY sessions.number DESC",
            (forum_id,),
        )
        return [session_record(r[:-1], live_seq, r[-1]) for r in rows]

    async def detail(self, session_id: str) -> SessionDetail | None:
        fetch = self.engine.fetch
        rows = await fetch(
            f"SELECT {STORED_COLUMNS}, {CARDS_MOVED}, board FROM sessions WHERE id=?",
            (session_id,),
        )
        if not rows:
            return None
        row = rows[0]
        board = decode_board(row[-1]) if row[-1] is not None else None
        record = session_record(row[:-2], cards_moved=row[-2])
        decisions = await fetch(
            f"SELECT {DECISION_COLUMNS} FROM decisions WHERE session_id=? ORDER BY at, id",
            (session_id,),
        )
        steps = await fetch(
            f"SELECT {STEP_COLUMNS} FROM next_steps WHERE session_id=? ORDER BY created_at, id",
            (session_id,),
        )
        return SessionDetail(
            session=record,
            board=board,
            decision_list=[decision(r) for r in decisions],
            step_list=[step(r) for r in steps],
        )

    async def info(self, session_id: str) -> SessionInfo | None:
        rows = await self.engine.fetch(
            f"SELECT {SESSION_COLUMNS} FROM sessions WHERE sessions.id=?", (session_id,)
        )
        return session_info(rows[0]) if rows else None

    async def end_board(self, session_id: str) -> Board | None:
        rows = await self.engine.fetch("SELECT board FROM sessions WHERE id=?", (session_id,))
        return decode_board(rows[0][0]) if rows and rows[0][0] is not None else None

    async def previous(self, forum_id: str, number: int) -> SessionInfo | None:
        rows = await self.engine.fetch(
            f"SELECT {SESSION_COLUMNS} FROM sessions "
            "WHERE sessions.forum_id=? AND sessions.number<? ORDER BY number DESC LIMIT 1",
            (forum_id, number),
        )
        return session_info(rows[0]) if rows else None

    async def step_status(self, forum_id: str, step_id: str) -> str | None:
        rows = await self.engine.fetch(
            "SELECT status FROM next_steps WHERE forum_id = ? AND id = ?", (forum_id, step_id)
        )
        return str(rows[0][0]) if rows else None

    async def exported_steps(
        self, forum_id: str | None, visible: Collection[str] | None = None
    ) -> list[ExportedStep]:
        clauses: list[str] = []
        params: list[str] = []
        if forum_id:
            clauses.append("s.forum_id=?")
            params.append(forum_id)
        only, ids = in_forums(visible, "s.forum_id")
        if only is not None:
            clauses.append(only)
            params.extend(ids)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = await self.engine.fetch(
            "SELECT f.name, s.forum_id, s.session_id, s.id, s.text, s.owner, s.due, s.status, "
            "s.created_at, s.created_by, s.updated_at, s.updated_by "
            "FROM next_steps s LEFT JOIN forums f ON f.id = s.forum_id "
            f"{where} ORDER BY f.name, s.forum_id, s.created_at, s.id",
            params,
        )
        return [ExportedStep(*r) for r in rows]

"""The PostgreSQL side of ``server.storage.history.HistoryQueries``: sessions, decisions
and next steps of the network, paged in SQL from the review tables joined with
``forums`` (no board is replayed to list anything). SQLite's ``LIKE`` and ``NOCASE``
ignore ASCII case: here ``ILIKE`` and ``lower()``; its rowid is ``pos``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from typing import Any

import msgspec

from server.storage.decoding import (
    card_titles,
    like_pattern,
    listed_decision,
    listed_step,
    session_record,
)
from server.storage.history import (
    ListedSession,
    LoggedDecision,
    LoggedStep,
    StepFilter,
    Visible,
)
from server.storage.postgres.engine import Engine, Params
from server.storage.postgres.sessions import CARDS_MOVED, SESSION_COLUMNS, in_forums


def _where(clauses: list[str]) -> str:
    return f"WHERE {' AND '.join(clauses)}" if clauses else ""


def _only(visible: Visible, column: str, clauses: list[str], params: Params) -> None:
    only = in_forums(visible, column, params)
    if only is not None:
        clauses.append(only)


class PostgresHistory:
    """``HistoryQueries`` on one PostgreSQL database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    async def _count_and_rows(
        self, select: str, body: str, params: Params, order: str, limit: int, offset: int
    ) -> tuple[int, list[tuple[Any, ...]]]:
        """How many rows ``body`` (``FROM … WHERE …``) matches, and one page of them."""
        total = (await self.engine.fetch(f"SELECT count(*) {body}", params.values))[0][0]
        page = f"LIMIT {params.add(limit)} OFFSET {params.add(offset)}"
        rows = await self.engine.fetch(
            f"SELECT {select} {body} ORDER BY {order} {page}", params.values
        )
        return int(total), rows

    async def sessions(
        self,
        *,
        forum_id: str | None = None,
        kind: str | None = None,
        limit: int,
        offset: int = 0,
        visible: Visible = None,
        live_seqs: Mapping[str, int] | None = None,
    ) -> tuple[int, list[ListedSession]]:
        params = Params()
        clauses: list[str] = []
        _only(visible, "sessions.forum_id", clauses, params)
        if forum_id is not None:
            clauses.append(f"sessions.forum_id = {params.add(forum_id)}")
        if kind is not None:
            clauses.append(f"forums.kind = {params.add(kind)}")
        joined = "FROM sessions JOIN forums ON forums.id = sessions.forum_id"
        body = f"{joined} {_where(clauses)}"
        order = 'sessions.started_at DESC, sessions.number DESC, sessions.id COLLATE "C" DESC'
        total = int((await self.engine.fetch(f"SELECT count(*) {body}", params.values))[0][0])
        # The page first, then the counts: the per-session subqueries run for its rows only.
        page = (
            f"SELECT sessions.id {body} ORDER BY {order} "
            f"LIMIT {params.add(limit)} OFFSET {params.add(offset)}"
        )
        rows = await self.engine.fetch(
            f"SELECT {SESSION_COLUMNS}, {CARDS_MOVED}, forums.name, forums.kind, forums.seq "
            f"{joined} WHERE sessions.id IN ({page}) ORDER BY {order}",
            params.values,
        )
        live = live_seqs or {}
        out = []
        for *cols, moved, name, forum_kind, seq in rows:
            record = session_record(cols, live.get(cols[1], seq), moved)
            data = msgspec.structs.asdict(record)
            out.append(ListedSession(**data, forum_name=name, forum_kind=forum_kind))
        return total, out

    async def decisions(
        self,
        *,
        forum_id: str | None = None,
        q: str = "",
        limit: int,
        offset: int = 0,
        visible: Visible = None,
    ) -> tuple[int, list[LoggedDecision]]:
        params = Params()
        clauses: list[str] = []
        _only(visible, "decisions.forum_id", clauses, params)
        if forum_id is not None:
            clauses.append(f"decisions.forum_id = {params.add(forum_id)}")
        if q:
            clauses.append(f"decisions.text ILIKE {params.add(like_pattern(q))} ESCAPE '\\'")
        body = (
            "FROM decisions JOIN forums ON forums.id = decisions.forum_id "
            f"JOIN sessions ON sessions.id = decisions.session_id {_where(clauses)}"
        )
        select = (
            "decisions.id, decisions.forum_id, forums.name, forums.kind, decisions.session_id, "
            "sessions.number, sessions.end_seq IS NULL, decisions.text, decisions.at, "
            "decisions.by, decisions.card_ids"
        )
        order = "decisions.at DESC, decisions.pos DESC"
        total, rows = await self._count_and_rows(select, body, params, order, limit, offset)
        return total, [listed_decision(r) for r in rows]

    async def recorded_titles(self, session_ids: Collection[str]) -> dict[str, dict[str, str]]:
        ids = list(session_ids)
        if not ids:
            return {}
        rows = await self.engine.fetch(
            "SELECT id, board FROM sessions WHERE id = ANY($1::text[])", (ids,)
        )
        return {session_id: card_titles(board) for session_id, board in rows if board is not None}

    async def steps(
        self, f: StepFilter, *, today: dt.date, limit: int, offset: int = 0, visible: Visible = None
    ) -> tuple[int, list[LoggedStep]]:
        params = Params()
        clauses: list[str] = []
        _only(visible, "next_steps.forum_id", clauses, params)
        if f.forum_id is not None:
            clauses.append(f"next_steps.forum_id = {params.add(f.forum_id)}")
        if f.status is not None:
            clauses.append(f"next_steps.status = {params.add(f.status)}")
        if f.owner:
            clauses.append(f"lower(next_steps.owner) = lower({params.add(f.owner)})")
        if f.overdue:
            # ISO dates compare as text (code points); NULL never matches.
            due = params.add(today.isoformat())
            clauses.append(f"next_steps.status = 'open' AND next_steps.due < {due} COLLATE \"C\"")
        body = (
            "FROM next_steps JOIN forums ON forums.id = next_steps.forum_id "
            f"JOIN sessions ON sessions.id = next_steps.session_id {_where(clauses)}"
        )
        select = (
            "next_steps.id, next_steps.forum_id, forums.name, forums.kind, "
            "next_steps.session_id, sessions.number, next_steps.text, next_steps.owner, "
            "next_steps.due, next_steps.status, next_steps.created_at, next_steps.created_by, "
            "next_steps.updated_at, next_steps.updated_by, next_steps.card_ids"
        )
        order = (
            "next_steps.status = 'open' DESC, next_steps.due IS NULL, "
            'next_steps.due COLLATE "C", next_steps.created_at DESC, next_steps.pos DESC'
        )
        total, rows = await self._count_and_rows(select, body, params, order, limit, offset)
        return total, [listed_step(r, today) for r in rows]

    async def step_owners(self, forum_id: str | None, visible: Visible = None) -> list[str]:
        params = Params()
        clauses = ["owner != ''"]
        if forum_id:
            clauses.append(f"forum_id = {params.add(forum_id)}")
        _only(visible, "forum_id", clauses, params)
        rows = await self.engine.fetch(
            f"SELECT owner FROM (SELECT DISTINCT owner FROM next_steps {_where(clauses)}) o "
            'ORDER BY lower(owner), owner COLLATE "C" LIMIT 200',
            params.values,
        )
        return [r[0] for r in rows]

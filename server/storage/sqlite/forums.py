"""The SQLite side of ``server.storage.forums.ForumDirectory``: the ``forums``, ``teams``,
``forum_links``, ``forum_teams`` and ``meta`` tables (and a new forum's first snapshot
and tokens)."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence

from board.model import Board, NextStep, Team
from board.sync import Accepted
from server.storage.records import ForumRow
from server.storage.sqlite.engine import Engine
from server.storage.sqlite.projections import rows_for, step_update_row
from server.storage.sqlite.rows import (
    Row,
    forum_link_row,
    forum_summary_row,
    item_row,
    meta_row,
    new_forum_rows,
    serves_rows,
    snapshot_row,
    team_row,
)

_FORUM_COLUMNS = "id, kind, name, created_at, updated_at, seq, live_cards, session_id"


class SqliteForums:
    """``ForumDirectory`` on one SQLite file."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    async def forums(self) -> list[ForumRow]:
        rows = await self.engine.fetch(
            f"SELECT {_FORUM_COLUMNS} FROM forums ORDER BY created_at, name"
        )
        return [ForumRow(*r) for r in rows]

    async def forum(self, forum_id: str) -> ForumRow | None:
        rows = await self.engine.fetch(
            f"SELECT {_FORUM_COLUMNS} FROM forums WHERE id=?", (forum_id,)
        )
        return ForumRow(*rows[0]) if rows else None

    async def create(
        self,
        first: Board,
        at: float,
        *,
        history: Sequence[Accepted] = (),
        steps: Sequence[NextStep] = (),
    ) -> None:
        await self.engine.write(new_forum_rows(first, at) + history_rows(history, steps, at))

    async def teams(self) -> list[Team]:
        rows = await self.engine.fetch("SELECT id, name, colour FROM teams ORDER BY position, name")
        return [Team(id=r[0], name=r[1], colour=r[2]) for r in rows]

    async def save_teams(self, teams: Sequence[Team]) -> None:
        await self.engine.write([team_row(t, i) for i, t in enumerate(teams)])

    async def link(self, forum_id: str, relation: str) -> str | None:
        rows = await self.engine.fetch(
            "SELECT target_id FROM forum_links WHERE forum_id=? AND relation=?",
            (forum_id, relation),
        )
        return rows[0][0] if rows else None

    async def set_link(self, forum_id: str, relation: str, target_id: str | None) -> None:
        await self.engine.write([forum_link_row(forum_id, relation, target_id)])

    async def served(self) -> dict[str, tuple[str, ...]]:
        rows = await self.engine.fetch(
            "SELECT ft.forum_id, ft.team_id FROM forum_teams ft "
            "JOIN teams t ON t.id = ft.team_id ORDER BY t.position, t.name"
        )
        out: dict[str, list[str]] = {}
        for forum_id, team_id in rows:
            out.setdefault(forum_id, []).append(team_id)
        return {k: tuple(v) for k, v in out.items()}

    async def set_served(self, forum_id: str, team_ids: Iterable[str]) -> None:
        await self.engine.write(serves_rows(forum_id, team_ids))

    async def secret(self) -> str:
        value = await self.engine.meta("secret")
        if value is None:
            await self.engine.write([meta_row("secret", secrets.token_urlsafe(32), replace=False)])
            value = await self.engine.meta("secret")  # another writer may have been first
            assert value is not None
        return value

    async def is_new(self) -> bool:
        rows = await self.engine.fetch("SELECT count(*) FROM forums")
        return bool(rows[0][0] == 0 and await self.engine.meta("seeded") is None)

    async def mark_seeded(self, how: str) -> None:
        await self.engine.write([meta_row("seeded", how)])


def history_rows(history: Sequence[Accepted], steps: Sequence[NextStep], at: float) -> list[Row]:
    """The rows of ops already made on a new forum: what a live room would have written
    for them, the later state of next steps, a snapshot and the summary of the last board."""
    if not history:
        return []
    forum_id = history[-1].board.forum_id
    rows = [item_row(forum_id, a.item) for a in history]
    for a in history:
        rows.extend(rows_for(a.item, a.board))
    rows.extend(step_update_row(forum_id, s) for s in steps)
    end = history[-1].board
    rows.append(snapshot_row(end))
    rows.append(forum_summary_row(end, at))
    return rows

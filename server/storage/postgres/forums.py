"""The PostgreSQL side of ``server.storage.forums.ForumDirectory``: the ``forums``,
``teams``, ``forum_links``, ``forum_teams`` and ``meta`` tables (and a new forum's first
snapshot and tokens). Names sort by code point (``COLLATE "C"``), as in SQLite."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from typing import Final

from board.model import Board, NextStep, Team
from board.sync import Accepted
from server.storage.postgres.engine import Engine
from server.storage.records import ForumRow
from server.storage.writes import (
    create_writes,
    forum_link_write,
    meta_write,
    serves_writes,
    team_writes,
)

_FORUM_COLUMNS: Final = (
    "id, kind, name, created_at, updated_at, seq, live_cards, session_id, "
    "CASE WHEN lease_until > extract(epoch FROM clock_timestamp()) THEN present ELSE 0 END"
)


class PostgresForums:
    """``ForumDirectory`` on one PostgreSQL database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    async def forums(self) -> list[ForumRow]:
        rows = await self.engine.fetch(
            f'SELECT {_FORUM_COLUMNS} FROM forums ORDER BY created_at, name COLLATE "C"'
        )
        return [ForumRow(*r) for r in rows]

    async def forum(self, forum_id: str) -> ForumRow | None:
        rows = await self.engine.fetch(
            f"SELECT {_FORUM_COLUMNS} FROM forums WHERE id=$1", (forum_id,)
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
        await self.engine.write(create_writes(first, at, history, steps))

    async def teams(self) -> list[Team]:
        rows = await self.engine.fetch(
            'SELECT id, name, colour FROM teams ORDER BY position, name COLLATE "C"'
        )
        return [Team(id=r[0], name=r[1], colour=r[2]) for r in rows]

    async def save_teams(self, teams: Sequence[Team]) -> None:
        await self.engine.write(team_writes(teams))

    async def link(self, forum_id: str, relation: str) -> str | None:
        rows = await self.engine.fetch(
            "SELECT target_id FROM forum_links WHERE forum_id=$1 AND relation=$2",
            (forum_id, relation),
        )
        return rows[0][0] if rows else None

    async def set_link(self, forum_id: str, relation: str, target_id: str | None) -> None:
        await self.engine.write([forum_link_write(forum_id, relation, target_id)])

    async def served(self) -> dict[str, tuple[str, ...]]:
        rows = await self.engine.fetch(
            "SELECT ft.forum_id, ft.team_id FROM forum_teams ft "
            'JOIN teams t ON t.id = ft.team_id ORDER BY t.position, t.name COLLATE "C"'
        )
        out: dict[str, list[str]] = {}
        for forum_id, team_id in rows:
            out.setdefault(forum_id, []).append(team_id)
        return {k: tuple(v) for k, v in out.items()}

    async def set_served(self, forum_id: str, team_ids: Iterable[str]) -> None:
        await self.engine.write(serves_writes(forum_id, team_ids))

    async def secret(self) -> str:
        value = await self.engine.meta("secret")
        if value is None:
            made = secrets.token_urlsafe(32)
            await self.engine.write([meta_write("secret", made, replace=False)])
            value = await self.engine.meta("secret")  # another process may have been first
            assert value is not None
        return value

    async def is_new(self) -> bool:
        rows = await self.engine.fetch("SELECT count(*) FROM forums")
        return bool(rows[0][0] == 0 and await self.engine.meta("seeded") is None)

    async def mark_seeded(self, how: str) -> None:
        await self.engine.write([meta_write("seeded", how)])

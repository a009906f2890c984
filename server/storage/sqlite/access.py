"""The SQLite side of ``server.storage.access.AccessRecords``: ``forum_tokens`` and the
admin token's hash in ``meta``."""

from __future__ import annotations

from collections.abc import Sequence

from server.storage.access import ForumToken
from server.storage.decoding import missing
from server.storage.sqlite.engine import Engine
from server.storage.stmt import Stmt
from server.storage.writes import ADMIN_META, meta_write


class SqliteAccess:
    """``AccessRecords`` on one SQLite file."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    async def all_tokens(self) -> list[ForumToken]:
        rows = await self.engine.fetch("SELECT forum_id, role, token, created_at FROM forum_tokens")
        return [ForumToken(*r) for r in rows]

    async def tokens_of(self, forum_id: str) -> list[ForumToken]:
        rows = await self.engine.fetch(
            "SELECT forum_id, role, token, created_at FROM forum_tokens WHERE forum_id=?",
            (forum_id,),
        )
        return [ForumToken(*r) for r in rows]

    async def forum_of_token(self, token: str) -> str | None:
        rows = await self.engine.fetch("SELECT forum_id FROM forum_tokens WHERE token=?", (token,))
        return str(rows[0][0]) if rows else None

    async def missing_roles(self, roles: Sequence[str]) -> list[tuple[str, str]]:
        rows = await self.engine.fetch(
            "SELECT forums.id, forum_tokens.role FROM forums "
            "LEFT JOIN forum_tokens ON forum_tokens.forum_id = forums.id"
        )
        return missing(rows, roles)

    async def add_tokens(self, tokens: Sequence[ForumToken]) -> None:
        if not tokens:
            return
        await self.engine.write(
            [(Stmt.TOKEN_KEEP, (t.forum_id, t.role, t.token, t.created_at)) for t in tokens]
        )

    async def replace_token(self, forum_id: str, role: str, token: str, at: float) -> None:
        await self.engine.write([(Stmt.TOKEN_REPLACE, (token, at, forum_id, role))])

    async def admin_hash(self) -> str | None:
        rows = await self.engine.fetch("SELECT value FROM meta WHERE key=?", (ADMIN_META,))
        return str(rows[0][0]) if rows else None

    async def set_admin_hash(self, digest: str) -> None:
        await self.engine.write([meta_write(ADMIN_META, digest)])

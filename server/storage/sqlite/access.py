"""The SQLite side of ``server.storage.access.AccessRecords``: ``forum_tokens`` and the
admin token's hash in ``meta``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from server.storage.access import ForumToken
from server.storage.sqlite.engine import Engine
from server.storage.sqlite.rows import Row

ADMIN_META: Final = "admin_token_sha256"


def admin_hash_row(digest: str) -> Row:
    return "INSERT OR REPLACE INTO meta(key, value) VALUES (?,?)", (ADMIN_META, digest)


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
        have: dict[str, set[str]] = {}
        for forum_id, role in rows:
            have.setdefault(forum_id, set()).update([role] if role else [])
        return [(f, role) for f, held in have.items() for role in roles if role not in held]

    async def add_tokens(self, tokens: Sequence[ForumToken]) -> None:
        if not tokens:
            return
        sql = (
            "INSERT OR IGNORE INTO forum_tokens(forum_id, role, token, created_at) VALUES (?,?,?,?)"
        )
        await self.engine.write(
            [(sql, (t.forum_id, t.role, t.token, t.created_at)) for t in tokens]
        )

    async def replace_token(self, forum_id: str, role: str, token: str, at: float) -> None:
        await self.engine.write(
            [
                (
                    "UPDATE forum_tokens SET token=?, created_at=? WHERE forum_id=? AND role=?",
                    (token, at, forum_id, role),
                )
            ]
        )

    async def admin_hash(self) -> str | None:
        rows = await self.engine.fetch("SELECT value FROM meta WHERE key=?", (ADMIN_META,))
        return str(rows[0][0]) if rows else None

    async def set_admin_hash(self, digest: str) -> None:
        await self.engine.write([admin_hash_row(digest)])

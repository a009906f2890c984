"""The PostgreSQL side of ``server.storage.feeds.FeedRecords``: the ``feeds`` table."""

from __future__ import annotations

from typing import Any, Final

from server.storage.decoding import feed_row
from server.storage.feeds import FeedRecord
from server.storage.postgres.engine import Engine
from server.storage.writes import feed_write

_COLUMNS: Final = "scope, subject, generation, token_hash, created_at, owner, grants, admin_mark"


class PostgresFeeds:
    """``FeedRecords`` on one PostgreSQL database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    async def _one(self, where: str, params: tuple[Any, ...]) -> FeedRecord | None:
        rows = await self.engine.fetch(f"SELECT {_COLUMNS} FROM feeds WHERE {where}", params)
        return feed_row(rows[0]) if rows else None

    async def feed(self, scope: str, subject: str) -> FeedRecord | None:
        return await self._one("scope=$1 AND subject=$2", (scope, subject))

    async def feed_by_hash(self, token_hash: str) -> FeedRecord | None:
        return await self._one("token_hash=$1", (token_hash,))

    async def put_feed(self, feed: FeedRecord) -> None:
        await self.engine.write([feed_write(feed)])

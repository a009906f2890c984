"""The SQLite engine of the storage interface (the embedded default): one file, WAL,
``synchronous=FULL``, one group-committing writer and a reader connection
(``engine.py``; ``store.py`` names it ``Store``), and one class per domain of
``server.storage.Storage``."""

from __future__ import annotations

from pathlib import Path

from server.storage.sqlite.access import SqliteAccess
from server.storage.sqlite.forums import SqliteForums
from server.storage.sqlite.history import SqliteHistory
from server.storage.sqlite.log import SqliteLog
from server.storage.sqlite.metrics import SqliteMetrics
from server.storage.sqlite.network import SqliteNetwork
from server.storage.sqlite.sessions import SqliteSessions
from server.storage.sqlite.store import Store


class SqliteStorage:
    """``server.storage.Storage`` on one SQLite file."""

    def __init__(self, store: Store) -> None:
        self.store = store  # the engine: only this package's classes use it
        self.log = SqliteLog(store)
        self.forums = SqliteForums(store)
        self.sessions = SqliteSessions(store)
        self.history = SqliteHistory(store)
        self.metrics = SqliteMetrics(store)
        self.network = SqliteNetwork(store)
        self.access = SqliteAccess(store)

    @classmethod
    async def open(cls, path: Path) -> SqliteStorage:
        return cls(await Store.open(path))

    async def close(self) -> None:
        await self.store.close()

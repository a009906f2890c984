"""The SQLite engine of the storage interface (the embedded default): one file, WAL,
``synchronous=FULL``, one group-committing writer and a reader connection
(``engine.py``; ``store.py`` names it ``Store``), and one class per domain of
``server.storage.Storage``."""

from __future__ import annotations

from pathlib import Path

from server.storage.signals import LocalSignals
from server.storage.sqlite.access import SqliteAccess
from server.storage.sqlite.cadence import SqliteCadence
from server.storage.sqlite.engine import Engine
from server.storage.sqlite.feeds import SqliteFeeds
from server.storage.sqlite.forums import SqliteForums
from server.storage.sqlite.history import SqliteHistory
from server.storage.sqlite.hooks import SqliteHooks
from server.storage.sqlite.log import SqliteLog
from server.storage.sqlite.mail import SqliteMail
from server.storage.sqlite.metrics import SqliteMetrics
from server.storage.sqlite.sessions import SqliteSessions
from server.storage.sqlite.transfer import SqliteTransfer


class SqliteStorage:
    """``server.storage.Storage`` on one SQLite file."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine  # the engine: only this package's classes use it
        self.log = SqliteLog(engine)
        self.forums = SqliteForums(engine)
        self.sessions = SqliteSessions(engine)
        self.history = SqliteHistory(engine)
        self.metrics = SqliteMetrics(engine)
        self.access = SqliteAccess(engine)
        self.feeds = SqliteFeeds(engine)
        self.cadence = SqliteCadence(engine)
        self.mail = SqliteMail(engine)
        self.hooks = SqliteHooks(engine)
        self.signals = LocalSignals()
        self.transfer = SqliteTransfer(engine)

    @classmethod
    async def open(cls, path: Path) -> SqliteStorage:
        return cls(await Engine.open(path))

    async def ping(self) -> None:
        await self.engine.fetch("SELECT 1")

    async def close(self) -> None:
        await self.signals.close()
        await self.engine.close()

"""The PostgreSQL engine of the storage interface (``scaleboard serve --db
postgresql://…``, asyncpg): a writer connection that group-commits with
``synchronous_commit=on`` and a pool of readers (``engine.py``), the schema and its
migrations with a ``schema_version`` table (``schema.py``), each statement's SQL
(``statements.py``) and one class per domain of ``server.storage.Storage``. What to
write and how to read a row back are shared with SQLite (``server/storage/writes.py``,
``projections.py``, ``decoding.py``); only the SQL differs."""

from __future__ import annotations

from server.storage.postgres.access import PostgresAccess
from server.storage.postgres.cadence import PostgresCadence
from server.storage.postgres.engine import Engine
from server.storage.postgres.feeds import PostgresFeeds
from server.storage.postgres.forums import PostgresForums
from server.storage.postgres.history import PostgresHistory
from server.storage.postgres.hooks import PostgresHooks
from server.storage.postgres.log import PostgresLog
from server.storage.postgres.mail import PostgresMail
from server.storage.postgres.metrics import PostgresMetrics
from server.storage.postgres.sessions import PostgresSessions
from server.storage.postgres.signals import PostgresSignals
from server.storage.postgres.transfer import PostgresTransfer


class PostgresStorage:
    """``server.storage.Storage`` on one PostgreSQL database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine  # the engine: only this package's classes use it
        self.log = PostgresLog(engine)
        self.forums = PostgresForums(engine)
        self.sessions = PostgresSessions(engine)
        self.history = PostgresHistory(engine)
        self.metrics = PostgresMetrics(engine)
        self.access = PostgresAccess(engine)
        self.feeds = PostgresFeeds(engine)
        self.cadence = PostgresCadence(engine)
        self.mail = PostgresMail(engine)
        self.hooks = PostgresHooks(engine)
        self.signals = PostgresSignals(engine)
        self.transfer = PostgresTransfer(engine)

    @classmethod
    async def open(cls, url: str) -> PostgresStorage:
        return cls(await Engine.open(url))

    async def ping(self) -> None:
        await self.engine.fetch("SELECT 1")

    async def close(self) -> None:
        await self.signals.close()
        await self.engine.close()

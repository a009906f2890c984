"""The SQLite side of ``server.storage.sessions.SessionRecords``."""

from __future__ import annotations

from server.storage.sqlite.store import Store


class SqliteSessions:
    """``SessionRecords`` on one SQLite file."""

    def __init__(self, store: Store) -> None:
        self.store = store

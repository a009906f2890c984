"""The SQLite side of ``server.storage.access.AccessRecords``."""

from __future__ import annotations

from server.storage.sqlite.store import Store


class SqliteAccess:
    """``AccessRecords`` on one SQLite file."""

    def __init__(self, store: Store) -> None:
        self.store = store

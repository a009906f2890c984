"""The SQLite side of ``server.storage.log.ForumLog``."""

from __future__ import annotations

from server.storage.sqlite.store import Store


class SqliteLog:
    """``ForumLog`` on one SQLite file."""

    def __init__(self, store: Store) -> None:
        self.store = store

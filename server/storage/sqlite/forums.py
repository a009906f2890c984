"""The SQLite side of ``server.storage.forums.ForumDirectory``."""

from __future__ import annotations

from server.storage.sqlite.store import Store


class SqliteForums:
    """``ForumDirectory`` on one SQLite file."""

    def __init__(self, store: Store) -> None:
        self.store = store

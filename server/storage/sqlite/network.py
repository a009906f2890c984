"""The SQLite side of ``server.storage.network.NetworkQueries``."""

from __future__ import annotations

from server.storage.sqlite.store import Store


class SqliteNetwork:
    """``NetworkQueries`` on one SQLite file."""

    def __init__(self, store: Store) -> None:
        self.store = store

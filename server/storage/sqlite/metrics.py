"""The SQLite side of ``server.storage.metrics.MetricsQueries``."""

from __future__ import annotations

from server.storage.sqlite.store import Store


class SqliteMetrics:
    """``MetricsQueries`` on one SQLite file."""

    def __init__(self, store: Store) -> None:
        self.store = store

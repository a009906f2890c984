"""All storage behind one typed interface; nothing outside this package writes SQL.

``Storage`` is what the app asks of a store, grouped by domain: each attribute is a
Protocol of one area (``log.py``: the live log; ``forums.py``: the forum directory;
``sessions.py``, ``history.py``, ``metrics.py``, ``access.py``; ``transfer.py``: every
row in bulk, for ``scaleboard migrate``; ``mail.py``: ops for another forum;
``hooks.py``: outgoing webhooks; ``signals.py``: hints between processes; ``feeds.py``:
calendar feeds; ``cadence.py``: the sprint calendar and team metrics). An
engine (``sqlite/``, the embedded default, or ``postgres/``) implements every one of
them, sharing what is not SQL (``writes.py``, ``projections.py``, ``decoding.py``,
the group commit in ``group.py``); handlers
receive the ``Storage`` by dependency injection and never see rows, statements or how
an op is encoded. The contract tests drive this interface with plain calls, so a
second engine runs them unchanged.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from server.storage.access import AccessRecords
from server.storage.cadence import CadenceRecords
from server.storage.feeds import FeedRecords
from server.storage.forums import ForumDirectory
from server.storage.history import HistoryQueries
from server.storage.hooks import HookStore
from server.storage.log import ForumLog
from server.storage.mail import MailBox
from server.storage.metrics import MetricsQueries
from server.storage.records import ForumRow, Loaded, NotOwner, Renewal, StoreError
from server.storage.sessions import SessionRecords
from server.storage.signals import Signals
from server.storage.transfer import Transfer
from server.storage.where import is_database_url, shown, store_at

__all__ = [
    "ForumRow",
    "Loaded",
    "NotOwner",
    "Renewal",
    "Storage",
    "StoreError",
    "is_database_url",
    "open_storage",
    "shown",
    "store_at",
]


class Storage(Protocol):
    """One store, by domain (read-only attributes, so an engine's own classes fit)."""

    @property
    def log(self) -> ForumLog: ...

    @property
    def forums(self) -> ForumDirectory: ...

    @property
    def sessions(self) -> SessionRecords: ...

    @property
    def history(self) -> HistoryQueries: ...

    @property
    def metrics(self) -> MetricsQueries: ...

    @property
    def access(self) -> AccessRecords: ...

    @property
    def transfer(self) -> Transfer: ...

    @property
    def feeds(self) -> FeedRecords: ...

    @property
    def cadence(self) -> CadenceRecords: ...

    @property
    def mail(self) -> MailBox: ...

    @property
    def hooks(self) -> HookStore: ...

    @property
    def signals(self) -> Signals: ...

    async def ping(self) -> None:
        """Raise if the database does not answer (for ``/healthz``)."""

    async def close(self) -> None: ...


async def open_storage(where: str | Path) -> Storage:
    """Open the store ``where`` names: a ``postgresql://`` (or ``postgres://``) URL is
    PostgreSQL, anything else a SQLite file (the embedded default). ``StoreError`` if a
    database cannot be reached."""
    if is_database_url(where):
        from server.storage.postgres import PostgresStorage  # chosen at run time

        return await PostgresStorage.open(str(where))
    from server.storage.sqlite import SqliteStorage  # the engine, chosen at run time

    return await SqliteStorage.open(Path(where))

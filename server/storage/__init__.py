"""All storage behind one typed interface; nothing outside this package writes SQL.

``Storage`` is what the app asks of a store, grouped by domain: each attribute is a
Protocol of one area (the live log, the forum directory, sessions, history, metrics,
network, access). An engine (``storage/sqlite/``; PostgreSQL next) implements every one
of them; handlers receive the ``Storage`` by dependency injection and never see rows,
statements or how an op is encoded. ``tests/storage/`` drives the interface with plain
calls, so a second engine runs the same contract tests unchanged.
"""

from __future__ import annotations

from typing import Protocol

from server.storage.records import ForumRow, Loaded, StoreError

__all__ = ["ForumRow", "Loaded", "Storage", "StoreError"]


class Storage(Protocol):
    """One store: the domains' interfaces, and closing it.

    The attributes are filled in by the storage work of the layout issue; each is a
    Protocol defined in ``server/storage/<domain>.py``.
    """

    async def close(self) -> None: ...


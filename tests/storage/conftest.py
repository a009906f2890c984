"""The storage contract's fixtures: a ``storage`` per engine, on real files.

Every test in this package drives ``server.storage.Storage`` with plain calls, never
rows or SQL, so a second engine runs them unchanged: add it to ``ENGINES`` with how
to open an empty one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from server.storage import Storage
from server.storage.sqlite import SqliteStorage

Open = Callable[[Path], Awaitable[Storage]]


async def _sqlite(where: Path) -> Storage:
    return await SqliteStorage.open(where / "store.db")


ENGINES: dict[str, Open] = {"sqlite": _sqlite}


@pytest.fixture(params=sorted(ENGINES))
def engine(request: pytest.FixtureRequest) -> Open:
    """How to open (or reopen) a store of one engine in a directory."""
    opener: Open = ENGINES[request.param]
    return opener


@pytest.fixture
async def storage(engine: Open, tmp_path: Path) -> AsyncIterator[Storage]:
    """An empty store of each engine, closed after the test."""
    store = await engine(tmp_path)
    try:
        yield store
    finally:
        await store.close()

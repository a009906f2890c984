"""The storage contract's fixtures: a ``storage`` per engine, on real databases.

Every test in this package drives ``server.storage.Storage`` with plain calls, never
rows or SQL, so every engine runs them unchanged: ``ENGINES`` says how to open (or
reopen) an empty store of each in a test's directory. SQLite: a file there.
PostgreSQL: a schema of its own on the test server (``tests/pg.py``), made on first
use and dropped when the test ends.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from server.storage import Storage
from server.storage.postgres import PostgresStorage
from server.storage.sqlite import SqliteStorage
from tests.pg import Schemas

Open = Callable[[Path], Awaitable[Storage]]
Make = Callable[[Schemas], Open]


def _sqlite(_: Schemas) -> Open:
    async def open_(where: Path) -> Storage:
        return await SqliteStorage.open(where / "store.db")

    return open_


def _postgres(schemas: Schemas) -> Open:
    async def open_(where: Path) -> Storage:
        return await PostgresStorage.open(await schemas.url(where))

    return open_


ENGINES: dict[str, Make] = {"sqlite": _sqlite, "postgres": _postgres}


@pytest.fixture(params=sorted(ENGINES))
async def engine(request: pytest.FixtureRequest) -> AsyncIterator[Open]:
    """How to open (or reopen) a store of one engine in a directory."""
    schemas = Schemas()
    try:
        yield ENGINES[request.param](schemas)
    finally:
        await schemas.drop()


@pytest.fixture
async def storage(engine: Open, tmp_path: Path) -> AsyncIterator[Storage]:
    """An empty store of each engine, closed after the test."""
    store = await engine(tmp_path)
    try:
        yield store
    finally:
        await store.close()

"""Shared fixtures: one real server process for the session, a fresh forum per test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.pg import Schemas
from tests.support import ServerProcess


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A server on a loopback port with its own SQLite file, shared by a test session."""
    proc = ServerProcess(Path(tmp_path_factory.mktemp("server")) / "board.db").start()
    yield proc
    proc.stop()


@pytest.fixture
def forum(server: ServerProcess) -> dict[str, Any]:
    """A new Scrum of Scrums forum, so tests never see each other's cards."""
    return server.new_forum("sos", "Test SoS")


@pytest.fixture
async def db_url(tmp_path: Path) -> AsyncIterator[str]:
    """A PostgreSQL database URL of the test's own (an empty schema, dropped after)."""
    schemas = Schemas()
    try:
        yield await schemas.url(tmp_path)
    finally:
        await schemas.drop()

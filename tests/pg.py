"""The PostgreSQL the tests use: one server named by ``SCALEBOARD_TEST_PG`` (default the
local one, ``scripts/_postgres.sh`` sets it up), and an empty schema per store that
the test drops when it is done. A test that needs it and cannot reach it FAILS, with
what to do (it is never skipped).
"""

from __future__ import annotations

import hashlib
import os
import secrets
import urllib.parse
from pathlib import Path

import asyncpg
import pytest

URL = os.environ.get("SCALEBOARD_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
_RUN = secrets.token_hex(3)  # schemas of this run, whatever else uses the server


def schema_of(where: Path | str) -> str:
    """The schema that stands for the directory ``where`` in this test run."""
    return f"sb_{_RUN}_{hashlib.sha1(str(where).encode()).hexdigest()[:16]}"


def url_in(schema: str) -> str:
    """``URL`` with ``search_path`` set to ``schema`` (asyncpg passes it to the server)."""
    parts = urllib.parse.urlsplit(URL)
    query = [*urllib.parse.parse_qsl(parts.query), ("search_path", schema)]
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))


async def admin() -> asyncpg.Connection:
    try:
        return await asyncpg.connect(URL, timeout=10)
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as e:
        pytest.fail(
            f"PostgreSQL is not reachable at {URL} ({e!r}). Run ./scripts/test (it installs "
            "and starts it), or set SCALEBOARD_TEST_PG to a database the tests may use.",
            pytrace=False,
        )


class Schemas:
    """Empty schemas made for a test, dropped with everything in them at its end."""

    def __init__(self) -> None:
        self.made: set[str] = set()

    async def url(self, where: Path | str) -> str:
        """The URL of the store for ``where``: a new schema the first time, the same after."""
        schema = schema_of(where)
        if schema not in self.made:
            conn = await admin()
            try:
                await conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
            finally:
                await conn.close()
            self.made.add(schema)
        return url_in(schema)

    async def drop(self) -> None:
        if not self.made:
            return
        conn = await admin()
        try:
            for schema in self.made:
                await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        finally:
            await conn.close()
        self.made.clear()

"""Transfer: every row of a store, table by table, out of one engine and into another
(``scaleboard migrate``, ``server/migrate.py``).

The unit is a ``Chunk``: some rows of one table with their column names. ``read_all``
reads every table the store holds (whatever its schema has: a table or a column added
later is carried too, nothing is left behind by omission) in one consistent read,
each table's rows in their order; ``write_all`` writes chunks into a store in one
transaction. Only an engine's own bookkeeping stays behind: PostgreSQL's
``schema_version`` and the ``pos`` column standing for SQLite's rowid (the order of
the rows is kept instead: they are read in it and written in it).
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterable, Sequence
from typing import Any, Final, Protocol

import msgspec

from board.model import Board

# Tables in the order they are copied (the directory first, the logs last); any other
# table a store holds follows, by name.
TABLE_ORDER: Final = (
    "meta",
    "teams",
    "forums",
    "forum_tokens",
    "forum_links",
    "forum_teams",
    "sessions",
    "decisions",
    "next_steps",
    "mail",
    "feeds",
    "sprint_settings",
    "team_metrics",
    "hook_subscriptions",
    "events",
    "hook_deliveries",
    "snapshots",
    "ops",
)
BATCH: Final = 5000  # rows a chunk holds at most
MAX_BYTES: Final = 16 * 2**20  # and text and bytes of about this much (big snapshots)
PAGE: Final = 500  # rows fetched at a time at most


class Chunk(msgspec.Struct, frozen=True):
    """Rows of ``table``, each a tuple of the values of ``columns``."""

    table: str
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]


class Transfer(Protocol):
    """A store's rows in bulk, for moving them to another store."""

    async def counts(self) -> dict[str, int]:
        """Rows per table, for every table ``read_all`` reads."""
        ...

    def read_all(self, batch: int = BATCH) -> AsyncIterator[Chunk]:
        """Every row of every table (``TABLE_ORDER`` first), ``batch`` rows a chunk at
        most, all from one snapshot of the store; ``ops`` forum by forum, in seq order."""
        ...

    async def write_all(self, chunks: AsyncIterable[Chunk], *, replace: bool = False) -> int:
        """Write ``chunks`` in one transaction (``replace``: after deleting every row the
        store held), returning the rows written. ``StoreError`` if the store lacks a
        table or a column of theirs; then nothing is written."""
        ...

    async def first_snapshot(self, forum_id: str) -> Board | None:
        """The forum's earliest stored board (where a full replay starts)."""
        ...


def in_order(tables: Sequence[str]) -> list[str]:
    """``tables`` in the order they are copied."""
    known = {name: i for i, name in enumerate(TABLE_ORDER)}
    return sorted(tables, key=lambda t: (known.get(t, len(known)), t))


async def chunks(
    table: str,
    columns: tuple[str, ...],
    fetch: Callable[[int], Awaitable[Iterable[Sequence[Any]]]],
    batch: int = BATCH,
) -> AsyncIterator[Chunk]:
    """The rows ``fetch(n)`` hands out (``n`` at most a call, none at the end) in chunks
    of ``batch`` rows or about ``MAX_BYTES``, whichever comes first (a table of big
    boards is fetched a few rows at a time)."""
    rows: list[tuple[Any, ...]] = []
    held = 0
    n = 16  # rows to fetch next: as many as about a quarter of MAX_BYTES holds
    while page := list(await fetch(min(n, batch))):
        fetched = 0
        for row in page:
            size = sum(len(v) for v in row if isinstance(v, bytes | str))
            rows.append(tuple(row))
            held += size
            fetched += size
            if len(rows) >= batch or held >= MAX_BYTES:
                yield Chunk(table, columns, rows)
                rows, held = [], 0
        n = max(1, min(PAGE, MAX_BYTES // 4 * len(page) // max(fetched, 1)))
    if rows:
        yield Chunk(table, columns, rows)

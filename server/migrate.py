"""``scaleboard migrate --from SOURCE --to TARGET [--force]``: move everything a store
holds to another (a SQLite file to PostgreSQL, the way to the cluster, or back).

Every row of every table goes through the storage interface (``Storage.transfer``:
read in one snapshot of the source, written in one transaction on the target), so the
role links, the admin token, the cookies (the instance secret) and every forum's log
come along unchanged. Then every forum is replayed on the target twice (its latest
snapshot and the later ops, as a room loads it; and its first snapshot through every
op) and compared with the source's board, and each table's rows are counted on both
sides. Progress goes to stderr, the summary line to stdout. Exit status: 0 done and
verified, 1 the copy or its verification failed, 2 bad input (no source, a target
that is not empty without ``--force``, a database that cannot be opened).
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Final, TextIO

from board.model import Board
from board.replay import board_after
from server.storage import Storage, is_database_url, open_storage, shown, store_at
from server.storage.transfer import BATCH, Chunk
from server.storage.writes import encode

EVERY: Final = 0.5  # seconds between progress lines
MAX_PROBLEMS: Final = 20  # verification problems listed at most


class Refused(Exception):
    """Bad input: the message says what, the command exits with ``status``."""

    def __init__(self, message: str, status: int = 2) -> None:
        super().__init__(message)
        self.status = status


class Progress:
    """Progress lines on stderr: rewritten in place on a terminal, else a line at most
    every ``EVERY`` seconds (and always the last)."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.tty = out.isatty()
        self.last = 0.0

    def show(self, text: str, *, final: bool = False) -> None:
        now = time.monotonic()
        if not final and now - self.last < EVERY:
            return
        self.last = now
        if self.tty:
            self.out.write("\r\x1b[K" + text + ("\n" if final else ""))
        else:
            self.out.write(text + "\n")
        self.out.flush()


def _place(arg: str) -> str | Path:
    """A command line's store: a PostgreSQL URL or a SQLite file's path."""
    if "://" in arg and not is_database_url(arg):
        raise Refused(
            f"{arg.split('://')[0]}:// is not a database Scaleboard knows: "
            "give a SQLite file or a postgresql:// URL"
        )
    return store_at(arg)


def _same(a: str | Path, b: str | Path) -> bool:
    if isinstance(a, Path) and isinstance(b, Path):
        return a.resolve() == b.resolve()
    return a == b


async def _open(where: str | Path, what: str) -> Storage:
    try:
        return await open_storage(where)
    except Exception as e:  # any failure to open is one line for the operator
        raise Refused(f"Could not open the {what} {shown(where)}: {e}") from None


def _many(n: int, things: str) -> str:
    return f"{n:,} {things[:-1] if n == 1 and things.endswith('s') else things}"


def _amounts(counts: dict[str, int]) -> str:
    return ", ".join(_many(n, table) for table, n in counts.items() if n)


async def _copying(
    chunks: AsyncIterator[Chunk], counts: dict[str, int], progress: Progress
) -> AsyncIterator[Chunk]:
    """``chunks`` passed on, counting forums and ops for the progress lines."""
    forums, ops = counts.get("forums", 0), counts.get("ops", 0)
    seen: set[str] = set()
    copied = 0
    async for chunk in chunks:
        if chunk.table == "ops":
            index = chunk.columns.index("forum_id")
            seen.update(row[index] for row in chunk.rows)
            copied += len(chunk.rows)
            done = min(forums, max(len(seen) - 1, 0))
            progress.show(f"copying: forums {done:,}/{forums:,}, ops {copied:,}/{ops:,}")
        else:
            progress.show(f"copying: {chunk.table}")
        yield chunk
    progress.show(f"copied: forums {forums:,}/{forums:,}, ops {copied:,}/{ops:,}", final=True)


async def _full_replay(storage: Storage, forum_id: str) -> Board | None:
    """The forum's board from its first snapshot through every op logged after it."""
    board = await storage.transfer.first_snapshot(forum_id)
    if board is None:
        return None
    while ops := await storage.log.ops(forum_id, board.seq + 1, board.seq + BATCH):
        board = board_after(board, ops)
    return board


async def _verify_forum(source: Storage, target: Storage, forum_id: str) -> str | None:
    """What is wrong with the forum on the target (``None``: nothing)."""
    try:
        loaded = await source.log.load(forum_id)
    except ValueError as e:  # ReplayError, or a row that does not decode
        return f"forum {forum_id} does not replay on the source: {e}"
    if loaded is None:
        return f"forum {forum_id} has no stored board on the source"
    want = encode(loaded.board)
    try:
        latest = await target.log.load(forum_id)
    except ValueError as e:  # ReplayError, or a row that does not decode
        return f"forum {forum_id} does not load on the target: {e}"
    if latest is None or encode(latest.board) != want:
        seq = latest.board.seq if latest else None
        return (
            f"forum {forum_id}: the target's board (latest snapshot + later ops, seq "
            f"{seq}) differs from the source's (seq {loaded.board.seq})"
        )
    try:
        full = await _full_replay(target, forum_id)
    except ValueError as e:  # ReplayError, or a row that does not decode
        return f"forum {forum_id} does not replay on the target from its first snapshot: {e}"
    if full is None or encode(full) != want:
        seq = full.seq if full else None
        return (
            f"forum {forum_id}: replayed from its first snapshot the target's board (seq "
            f"{seq}) differs from the source's (seq {loaded.board.seq})"
        )
    return None


async def verify(source: Storage, target: Storage, progress: Progress | None = None) -> list[str]:
    """Every difference between ``target`` and ``source``: rows per table, and every
    forum's board replayed both ways on the target against the source's."""
    problems: list[str] = []
    want, got = await source.transfer.counts(), await target.transfer.counts()
    for table, n in want.items():
        if got.get(table) != n:
            problems.append(
                f"table {table}: {n:,} rows on the source, {got.get(table)} on the target"
            )
    forums = await source.forums.forums()
    for i, forum in enumerate(forums, 1):
        problem = await _verify_forum(source, target, forum.id)
        if problem is not None:
            problems.append(problem)
        if progress is not None:
            progress.show(f"verifying: forums {i:,}/{len(forums):,}", final=i == len(forums))
    return problems


async def migrate(
    source_arg: str, target_arg: str, *, force: bool = False, err: TextIO = sys.stderr
) -> str:
    """Copy and verify; returns the summary line. ``Refused`` says why not."""
    started = time.monotonic()
    source_at, target_at = _place(source_arg), _place(target_arg)
    if isinstance(source_at, Path) and not source_at.is_file():
        raise Refused(f"There is no database at {source_at}.")
    if _same(source_at, target_at):
        raise Refused("The source and the target are the same database.")
    source = await _open(source_at, "source")
    try:
        counts = await source.transfer.counts()
        if not any(counts.values()):
            raise Refused(f"The source {shown(source_at)} holds nothing to copy.")
        target = await _open(target_at, "target")
        try:
            found = {t: n for t, n in (await target.transfer.counts()).items() if n}
            if found and not force:
                raise Refused(
                    f"The target {shown(target_at)} is not empty ({_amounts(found)}): "
                    "give --force to replace what it holds."
                )
            progress = Progress(err)
            err.write(f"Copying {shown(source_at)} to {shown(target_at)}: {_amounts(counts)}\n")
            chunks = _copying(source.transfer.read_all(), counts, progress)
            try:
                rows = await target.transfer.write_all(chunks, replace=bool(found))
            except Exception as e:  # the source's read or the target's write: one line
                raise Refused(f"The copy failed, nothing was written: {e}", 1) from None
            problems = await verify(source, target, progress)
        finally:
            await target.close()
    finally:
        await source.close()
    if problems:
        listed = "\n".join(f"  {p}" for p in problems[:MAX_PROBLEMS])
        more = len(problems) - MAX_PROBLEMS
        listed += f"\n  … and {more} more" if more > 0 else ""
        raise Refused(
            "Verification failed: the target does not hold what the source does (the copy "
            f"stays there; run again with --force once the cause is fixed):\n{listed}",
            1,
        )
    took = time.monotonic() - started
    amounts = ", ".join(_many(counts.get(t, 0), t) for t in ("forums", "ops", "sessions"))
    return (
        f"Migrated {amounts} ({_many(rows, 'rows')}) to {shown(target_at)} in {took:.1f} s; "
        "every forum replays on the target to the source's board."
    )


def main(source: str, target: str, *, force: bool = False) -> int:
    """The command: the summary on stdout and 0, or one clear message and 1 or 2."""
    try:
        print(asyncio.run(migrate(source, target, force=force)))
    except Refused as e:
        print(str(e), file=sys.stderr)
        return e.status
    except KeyboardInterrupt:
        print("Interrupted: what was not committed is not on the target.", file=sys.stderr)
        return 1
    return 0

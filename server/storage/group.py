"""The group commit every engine shares: one writer task, the per-forum seq guard.

Writes are queued with ``write`` and a writer task takes everything queued while the
previous commit ran and hands it to the engine's ``_transaction`` as one transaction,
so an acknowledged operation is durable and a burst costs one commit, not one per
move. A commit that fails fails every job in it (nothing of it is written).

The writer also guards each forum's seq: a job that logs ops ``first..last`` of a forum
is refused (``StoreError``, nothing of it written, the rest of the commit goes on)
unless ``first`` follows the last seq committed (or loaded) for it, so a room that
failed once cannot commit later operations over a gap.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence
from typing import Any

from server.storage.records import StoreError
from server.storage.stmt import Stmt, Write

log = logging.getLogger("scaleboard.store")


class Job:
    __slots__ = ("first_seq", "forum_id", "future", "last_seq", "writes")

    def __init__(
        self,
        writes: list[Write],
        future: asyncio.Future[None],
        forum_id: str | None,
        first_seq: int,
        last_seq: int,
    ) -> None:
        self.writes = writes
        self.future = future
        self.forum_id = forum_id
        self.first_seq = first_seq
        self.last_seq = last_seq


class GroupCommit:
    """A queue of writes and the task that commits them; an engine implements
    ``_transaction`` (commit these writes, in order, in one durable transaction, or
    raise having written none of them)."""

    def __init__(self) -> None:
        self._queue: asyncio.Queue[Job | None] = asyncio.Queue()
        self._committed: dict[str, int] = {}
        self._task: asyncio.Task[None] | None = None
        self.commits = 0  # transactions committed (for tests and the benchmark)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._writer(), name="store-writer")

    async def stop(self) -> None:
        """Commit what is queued, then end the writer task."""
        if self._task is not None:
            self._queue.put_nowait(None)
            await self._task
            self._task = None

    def write(
        self, writes: list[Write], *, forum_id: str | None = None, seqs: tuple[int, int] = (0, 0)
    ) -> asyncio.Future[None]:
        """Queue writes for the next transaction; the future resolves once they are
        durable. ``seqs`` is the range of op seqs these writes log for ``forum_id``."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(Job(writes, future, forum_id, seqs[0], seqs[1]))
        return future

    def forget(self, forum_id: str) -> None:
        """Drop the seq guard of a forum whose room will be reloaded from disk."""
        self._committed.pop(forum_id, None)

    def guard(self, forum_id: str, seq: int) -> None:
        """The forum's log ends at ``seq`` in the store (it was just loaded): the next
        write of its ops must start at ``seq + 1``."""
        self._committed[forum_id] = seq

    async def _transaction(self, writes: list[Write]) -> None:
        raise NotImplementedError

    async def _writer(self) -> None:
        queue = self._queue
        stopping = False
        while not stopping:
            job = await queue.get()
            jobs: list[Job] = []
            while True:
                if job is None:
                    stopping = True
                else:
                    jobs.append(job)
                if queue.empty():
                    break
                job = queue.get_nowait()
            if jobs:
                await self._commit(jobs)

    async def _commit(self, jobs: list[Job]) -> None:
        committed = dict(self._committed)
        accepted: list[Job] = []
        for job in jobs:
            if job.forum_id is not None and job.first_seq:
                last = committed.get(job.forum_id)
                if last is not None and job.first_seq != last + 1:
                    _fail(
                        job, StoreError(f"seq gap in {job.forum_id}: {last} then {job.first_seq}")
                    )
                    continue
                committed[job.forum_id] = job.last_seq
            accepted.append(job)
        if not accepted:
            return
        try:
            await self._transaction([w for job in accepted for w in job.writes])
        except Exception as e:
            log.exception("commit failed")
            for job in accepted:
                _fail(job, StoreError(f"could not write to the database: {e}"))
            return
        self._committed = committed
        self.commits += 1
        for job in accepted:
            if not job.future.done():
                job.future.set_result(None)


def _fail(job: Job, error: Exception) -> None:
    if not job.future.done():
        job.future.set_exception(error)


def ops_first(writes: list[Write]) -> tuple[list[Sequence[Any]], list[Write]]:
    """The parameters of the op rows (one ``executemany``), and the other writes in
    their order (nothing updates an op row, so logging them first changes nothing)."""
    ops = [params for stmt, params in writes if stmt is Stmt.OP]
    return ops, [w for w in writes if w[0] is not Stmt.OP]


def runs(writes: Iterable[Write]) -> Iterable[tuple[Stmt, list[Sequence[Any]]]]:
    """Consecutive writes of the same statement, grouped for ``executemany``."""
    current: Stmt | None = None
    group: list[Sequence[Any]] = []
    for stmt, params in writes:
        if stmt is not current and group:
            assert current is not None
            yield current, group
            group = []
        current = stmt
        group.append(params)
    if group and current is not None:
        yield current, group

"""The group commit every engine shares: one writer task, the per-forum seq guard.

Writes are queued with ``write`` and a writer task takes everything queued while the
previous commit ran and hands it to the engine's ``_transaction`` as one transaction,
so an acknowledged operation is durable and a burst costs one commit, not one per
move. A commit that fails fails every job in it (nothing of it is written).

The writer also guards each forum's seq: a job that logs ops ``first..last`` of a forum
is refused (``StoreError``, nothing of it written, the rest of the commit goes on)
unless ``first`` follows the last seq committed (or loaded) for it, so a room that
failed once cannot commit later operations over a gap.

And it fences: a job made with an owner ``epoch`` is written only if that is still
the forum's epoch in the database, checked by the engine inside the transaction
(``split``), so a process that lost a forum writes nothing of it, whatever the clocks
say; its job fails with ``NotOwner`` and the rest of the commit goes on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence
from typing import Any

from server.storage.records import NotOwner, StoreError
from server.storage.stmt import Stmt, Write

log = logging.getLogger("scaleboard.store")


class Job:
    __slots__ = ("epoch", "first_seq", "forum_id", "future", "last_seq", "writes")

    def __init__(
        self,
        writes: list[Write],
        future: asyncio.Future[None],
        forum_id: str | None,
        first_seq: int,
        last_seq: int,
        epoch: int | None = None,
    ) -> None:
        self.writes = writes
        self.future = future
        self.forum_id = forum_id
        self.first_seq = first_seq
        self.last_seq = last_seq
        self.epoch = epoch  # the owner epoch it is written under (None: not fenced)


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
        self,
        writes: list[Write],
        *,
        forum_id: str | None = None,
        seqs: tuple[int, int] = (0, 0),
        epoch: int | None = None,
    ) -> asyncio.Future[None]:
        """Queue writes for the next transaction; the future resolves once they are
        durable. ``seqs`` is the range of op seqs these writes log for ``forum_id``;
        ``epoch`` the owner epoch they need the forum to still be at."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(Job(writes, future, forum_id, seqs[0], seqs[1], epoch))
        return future

    def forget(self, forum_id: str) -> None:
        """Drop the seq guard of a forum whose room will be reloaded from disk."""
        self._committed.pop(forum_id, None)

    def guard(self, forum_id: str, seq: int) -> None:
        """The forum's log ends at ``seq`` in the store (it was just loaded): the next
        write of its ops must start at ``seq + 1``."""
        self._committed[forum_id] = seq

    async def _transaction(self, jobs: list[Job]) -> list[Job]:
        """Commit the writes of ``jobs`` in one durable transaction, except those of the
        jobs whose owner epoch is stale (``split``, inside the transaction): returns
        those, of which nothing was written. Raise having written nothing."""
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
            stale = await self._transaction(accepted)
        except Exception as e:
            log.exception("commit failed")
            for job in accepted:
                _fail(job, StoreError(f"could not write to the database: {e}"))
            return
        for job in stale:
            assert job.forum_id is not None
            committed.pop(job.forum_id, None)  # not ours: whoever owns it guards it
            _fail(job, NotOwner(job.forum_id))
        self._committed = committed
        self.commits += 1
        for job in accepted:
            if not job.future.done():
                job.future.set_result(None)


def _fail(job: Job, error: Exception) -> None:
    if not job.future.done():
        job.future.set_exception(error)


def fences(jobs: list[Job]) -> list[str]:
    """The forums whose owner epoch the transaction must read (and lock) first."""
    return sorted({j.forum_id for j in jobs if j.epoch is not None and j.forum_id is not None})


def split(jobs: list[Job], epochs: dict[str, int]) -> tuple[list[Job], list[Write]]:
    """Given each fenced forum's owner epoch as the transaction reads it: the jobs whose
    epoch is stale (not written), and the writes of the others, in order."""
    stale = [
        j
        for j in jobs
        if j.epoch is not None and j.forum_id is not None and epochs.get(j.forum_id) != j.epoch
    ]
    if not stale:
        return [], [w for j in jobs for w in j.writes]
    return stale, [w for j in jobs if j not in stale for w in j.writes]


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

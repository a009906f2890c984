"""ForumLog: the live log of every forum — append a room's accepted ops (with what they
project into the review tables, and a snapshot) in one durable transaction; load a
forum; ops in a range; the board at a seq."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Protocol

from board import ops as o
from board.model import Board
from board.sync import Accepted, LoggedOp
from server.storage.records import Loaded, Renewal


class ForumLog(Protocol):
    """The op log of every forum, its snapshots and its review-table projections."""

    def append(
        self,
        forum_id: str,
        accepted: Sequence[Accepted],
        at: float,
        *,
        snapshot: bool = False,
        epoch: int | None = None,
    ) -> asyncio.Future[None]:
        """Log ``accepted`` (a room's turn, at least one item, in seq order, each with the
        board right after it), the forum's summary as of the last board (``at``: when) and, if
        ``snapshot``, a snapshot of that board: one durable transaction. Never awaits:
        the future resolves once it is on disk, or fails with ``StoreError`` (disk
        error, another writer's row at one of these seqs, or a first seq that does
        not follow the last one this store logged or loaded for the forum: a room
        loads before it appends; then nothing of it is written). With ``epoch`` (the
        owner epoch ``claim`` gave), the transaction first checks that it is still the
        forum's: if not, the future fails with ``NotOwner`` and nothing of it is
        written (the fence: a process that lost the forum cannot write to it)."""
        ...

    def snapshot(self, board: Board, *, epoch: int | None = None) -> asyncio.Future[None]:
        """Store ``board`` as a snapshot at its seq (its ops are already logged);
        fenced by ``epoch`` as ``append`` is."""
        ...

    # -- ownership: one writer per forum (docs/scale-out.md#one-writer-per-forum) ----

    async def claim(self, forum_id: str, owner: str, lease: float) -> int | None:
        """Take the forum for ``owner`` for ``lease`` seconds, atomically, if it is free
        (never owned, released, handed over), its lease has run out, or it is already
        ``owner``'s: returns the new owner epoch (one more than the last). ``None``
        while another owner's lease runs; ``LookupError`` for an unknown forum."""
        ...

    async def renew(
        self,
        owner: str,
        claims: dict[str, int],
        lease: float,
        present: Mapping[str, int] | None = None,
    ) -> Renewal:
        """Extend the lease of every forum in ``claims`` (forum id -> epoch) that
        ``owner`` still holds at that epoch, in one statement, recording how many people
        are ``present`` in each (forum id -> count; missing: 0): which were lost, and
        which another process asked for (``request_handover``)."""
        ...

    async def release(self, forum_id: str, owner: str, epoch: int) -> None:
        """Give the forum up (if still held at ``epoch``): anyone may claim it now."""
        ...

    async def request_handover(self, forum_id: str) -> None:
        """Ask the forum's owner to release it (it sees it at its next renewal)."""
        ...

    async def load(self, forum_id: str) -> Loaded | None:
        """The forum's board (latest snapshot + later ops) and its recent op ids, or
        ``None`` for an unknown forum. The next append must follow its seq."""
        ...

    async def board_at(self, forum_id: str, seq: int) -> Board:
        """The board right after op ``seq``; ``LookupError`` says why it cannot be had."""
        ...

    async def ops(self, forum_id: str, first: int, last: int) -> list[LoggedOp]:
        """The logged ops ``first..last`` (both included) that are stored, in order."""
        ...

    async def op_count(self, forum_id: str) -> int: ...

    async def phase_changes(
        self, forum_id: str, first: int, last: int | None
    ) -> list[tuple[float, o.SetPhase]]:
        """The ``set_phase`` ops from seq ``first`` to ``last`` (``None``: the end), each
        with when it was made, in order (the record of a retrospective's phases)."""
        ...

    def forget(self, forum_id: str) -> None:
        """Drop what the store remembers of the forum's seq (its room will reload)."""
        ...

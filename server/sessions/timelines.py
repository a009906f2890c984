"""The boards of a past session: its timeline step by step, and the two boards that
show what changed since the session before.

A session's timeline is rebuilt from the log: the forum's board just before the
session started (latest snapshot at or before that seq, plus the ops after it) and
the session's own ops. ``board.history.Timeline`` keeps a checkpoint every 100 steps,
and ``Timelines`` keeps whole timelines keyed by (session id, last seq) in a small LRU,
so a slider dragged over a session of 10,000 ops costs at most 99 applies per step and
never a replay from the start. A running session ends at the forum's current seq.
Nothing here writes to the store.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Final

import msgspec

from board import visibility
from board.history import Timeline
from board.model import Board
from board.replay import ReplayError
from server.live.registry import Rooms
from server.storage import Storage
from server.storage.sessions import SessionInfo

CACHE_SIZE: Final = 8  # whole timelines kept (each holds a board per 100 steps)
THREAD_OVER: Final = 500  # build longer timelines off the event loop

Key = tuple[str, int]


class Unavailable(Exception):
    """The log does not hold what a replay needs (e.g. ops that were never stored here)."""


class Compared(msgspec.Struct, frozen=True):
    """Two boards of a forum to diff: the end of the previous session (or the board
    just before a first session) and the end of this one (now, when it is running)."""

    previous: SessionInfo | None
    before: Board
    after: Board


class Timelines:
    """Session timelines, built from the log and kept in an LRU; requests for one being
    built wait for that build. ``store`` reads the forum directory and log."""

    def __init__(self, storage: Storage, rooms: Rooms, size: int = CACHE_SIZE) -> None:
        self.storage = storage
        self.rooms = rooms
        self.size = size
        self._done: OrderedDict[Key, Timeline] = OrderedDict()
        self._building: dict[Key, asyncio.Future[tuple[Timeline, bool]]] = {}
        self.builds = 0  # how many timelines were built (for tests and curiosity)

    async def cached(
        self, key: Key, build: Callable[[], Awaitable[tuple[Timeline, bool]]]
    ) -> Timeline:
        found = self._done.get(key)
        if found is not None:
            self._done.move_to_end(key)
            return found
        pending = self._building.get(key)
        if pending is None:
            self.builds += 1
            pending = asyncio.ensure_future(build())
            self._building[key] = pending
            pending.add_done_callback(lambda f: self._settle(key, f))
        timeline, _ = await asyncio.shield(pending)
        return timeline

    def _settle(self, key: Key, future: asyncio.Future[tuple[Timeline, bool]]) -> None:
        self._building.pop(key, None)
        if future.cancelled() or future.exception() is not None:
            return
        timeline, complete = future.result()
        if complete:  # a running session whose last ops are not committed yet: rebuild
            self._done[key] = timeline
            while len(self._done) > self.size:
                self._done.popitem(last=False)

    async def board_at_seq(self, forum_id: str, seq: int) -> Board:
        """The forum's board right after op ``seq`` (``Unavailable`` when it cannot be had)."""
        try:
            return await self.storage.log.board_at(forum_id, seq)
        except LookupError as e:
            raise Unavailable(str(e)) from None

    async def current_seq(self, forum_id: str) -> int:
        """The forum's seq now: the live room's when it is loaded, else the stored one."""
        room = self.rooms.live().get(forum_id)
        if room is not None:
            return int(room.sync.seq)
        forum = await self.storage.forums.forum(forum_id)
        return forum.seq if forum else 0

    async def of(self, info: SessionInfo, last: int | None = None) -> Timeline:
        """The session's timeline. A running one ends at the forum's current seq, or at
        ``last`` when that is given and not past it (so a page keeps the steps it shows)."""
        if info.end_seq is not None:
            end = info.end_seq
        else:
            end = await self.current_seq(info.forum_id)
            if last is not None and info.start_seq - 1 <= last <= end:
                end = last

        async def build() -> tuple[Timeline, bool]:
            start = await self.board_at_seq(info.forum_id, info.start_seq - 1)
            ops = await self.storage.log.ops(info.forum_id, info.start_seq, end)
            complete = len(ops) == end - info.start_seq + 1
            reach = None if info.running else end  # an ended session's log must reach its end
            try:
                if len(ops) > THREAD_OVER:  # pure and immutable: safe beside the event loop
                    return await asyncio.to_thread(Timeline, start, ops, end=reach), complete
                return Timeline(start, ops, end=reach), complete
            except ReplayError as e:  # a gap in the seqs, or an op that does not apply
                if e.problem == "gap":
                    missing = "Some operations of this session are missing from the log."
                    raise Unavailable(missing) from None
                raise Unavailable(f"The log of this session does not replay: {e}") from None

        return await self.cached((info.id, end), build)

    async def compare(self, info: SessionInfo) -> Compared:
        """The board at the end of the session before (or just before a first one) and
        at the end of this one (now, while it runs), hidden cards face down."""
        prev = await self.storage.sessions.previous(info.forum_id, info.number)
        if prev is None:
            before = await self.board_at_seq(info.forum_id, info.start_seq - 1)
        else:
            recorded = await self.storage.sessions.end_board(prev.id)
            before = recorded if recorded is not None else (await self.of(prev)).end
        ended = await self.storage.sessions.end_board(info.id)
        if ended is not None:
            after = ended
        else:
            live = await self.rooms.board(info.forum_id)  # never takes the forum over
            after = live if live is not None else (await self.of(info)).end
        # A running session may hold hidden cards: everyone sees them face down here.
        after = visibility.board_for(after, None)
        return Compared(previous=prev, before=before, after=after)

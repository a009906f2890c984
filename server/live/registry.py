"""The registry of live rooms: the room of every forum in use, loaded on first use
(latest snapshot + later ops, a new epoch each time) and forgotten when evicted; and
the escalation status that one room's durable changes send to another forum's room
(``board.escalation.status_updates``), in the order the target made them."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from board import ops as o
from board.escalation import status_updates
from board.sync import Accepted, ForumSync, Outcome, Refused
from server.config import Settings
from server.live.rooms import Room, RoomClosed, new_epoch
from server.storage.log import ForumLog

if TYPE_CHECKING:
    from server.web.render import Renderer

log = logging.getLogger("scaleboard.rooms")


class Rooms:
    """The registry: the room of every live forum, loaded on first use."""

    def __init__(self, log: ForumLog, settings: Settings, renderer: Renderer) -> None:
        self.log = log
        self.settings = settings
        self.renderer = renderer
        self.team_ids: frozenset[str] = frozenset()
        self._rooms: dict[str, Room] = {}
        self._loading: dict[str, asyncio.Future[Room | None]] = {}
        self._closing: dict[str, asyncio.Task[None]] = {}
        # Escalation status for source forums, in the order the target forums made it.
        self._links: asyncio.Queue[tuple[str, o.Op, str]] = asyncio.Queue()
        self._links_task: asyncio.Task[None] | None = None

    def live(self) -> dict[str, Room]:
        return dict(self._rooms)

    async def get(self, forum_id: str) -> Room | None:
        """The forum's room, loading it if needed; ``None`` for an unknown forum."""
        room = self._rooms.get(forum_id)
        if room is not None and not room.closed:
            return room
        pending = self._loading.get(forum_id)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[Room | None] = asyncio.get_running_loop().create_future()
        self._loading[forum_id] = future
        try:
            closing = self._closing.get(forum_id)
            if closing is not None:
                await asyncio.shield(closing)
            loaded = await self.log.load(forum_id)
            if loaded is None:
                future.set_result(None)
                return None
            room = Room(
                ForumSync(loaded.board, new_epoch(), known_op_ids=loaded.known_op_ids),
                log=self.log,
                settings=self.settings,
                renderer=self.renderer,
                teams=self._teams,
                on_evict=self._evicted,
                follow=self._follow_links,
            )
            self._rooms[forum_id] = room
            future.set_result(room)
            return room
        except BaseException as e:
            if not future.done():
                future.set_exception(e)
                future.exception()  # retrieved: waiters get it through shield
            raise
        finally:
            del self._loading[forum_id]

    async def submit(self, forum_id: str, op: o.Op, *, actor: str) -> Outcome | None:
        """Apply an operation from HTTP; ``None`` for an unknown forum."""
        for _ in range(3):
            room = await self.get(forum_id)
            if room is None:
                return None
            try:
                return await room.submit(op, actor=actor)
            except RoomClosed:
                continue
        raise RuntimeError(f"room {forum_id} kept closing")

    def _follow_links(self, accepted: list[Accepted]) -> None:
        """Queue what a durable change to an escalated card tells its source forum."""
        for a in accepted:
            for forum_id, op in status_updates(a.item, a.board):
                self._links.put_nowait((forum_id, op, a.item.actor))
        if not self._links.empty() and (self._links_task is None or self._links_task.done()):
            self._links_task = asyncio.get_running_loop().create_task(
                self._send_links(), name="escalation-links"
            )

    async def _send_links(self) -> None:
        while not self._links.empty():
            forum_id, op, actor = self._links.get_nowait()
            try:
                outcome = await self.submit(forum_id, op, actor=actor)
            except Exception:
                log.exception("could not tell forum %s about its escalated card", forum_id)
                continue
            if isinstance(outcome, Refused):
                log.warning("forum %s refused %s: %s", forum_id, op, outcome.reason)

    async def drain_links(self) -> None:
        """Wait until every queued escalation status is applied (tests, shutdown)."""
        while self._links_task is not None and not self._links_task.done():
            await asyncio.shield(self._links_task)

    def _teams(self) -> frozenset[str]:
        return self.team_ids

    def _evicted(self, room: Room) -> None:
        if self._rooms.get(room.forum_id) is room:
            del self._rooms[room.forum_id]
        self._closing[room.forum_id] = room.task
        room.task.add_done_callback(lambda _: self._closing.pop(room.forum_id, None))

    async def stop(self, code: int, reason: str) -> None:
        """The server is stopping, its sockets still open: every room finishes what is
        queued, sends every ack that is due, then closes its clients (``Room.stop``)."""
        rooms = list(self._rooms.values())
        await asyncio.gather(*(r.stop(code, reason) for r in rooms), return_exceptions=True)

    async def close(self) -> None:
        if self._links_task is not None:
            await asyncio.gather(self._links_task, return_exceptions=True)
        rooms = list(self._rooms.values())
        self._rooms.clear()
        await asyncio.gather(*(r.close() for r in rooms), return_exceptions=True)
        await asyncio.gather(*self._closing.values(), return_exceptions=True)

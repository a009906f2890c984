"""The registry of live rooms: the room of every forum in use, loaded on first use
(latest snapshot + later ops, a new epoch each time) and forgotten when evicted. What a
room's durable changes send to other forums is mail (``mail.py``, told through
``on_durable``; a room that loads is told to ``on_loaded``).

A forum is claimed for this process before its room loads (``ownership.py``), so the
load reads everything its previous owner committed, and the room's writes carry the
owner epoch. A claim lost, a write fenced off, or a forum handed over to another
process stops the room (due acks, then close 1012 "owner moved", SPEC R9b)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from board import ops as o
from board.model import Board
from board.sync import Accepted, ForumSync, Outcome, Refused
from server.config import Settings
from server.live.ownership import Claims, ForumElsewhere
from server.live.rooms import Room, RoomClosed, new_epoch
from server.storage.log import ForumLog

if TYPE_CHECKING:
    from server.web.render import Renderer

log = logging.getLogger("scaleboard.rooms")

CLOSE_MOVED = 1012  # the clients reconnect (and resend what was not acked)
OWNER_MOVED = "owner moved"
ELSEWHERE = Refused(code="storage", reason="Another server runs this forum now; try again.")


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
        # Set by the mail (``mail.py``): a room's items are durable; a room was loaded.
        self.on_durable: Callable[[list[Accepted]], None] = lambda _: None
        self.on_loaded: Callable[[str], None] = lambda _: None
        self.claims = Claims(log, settings)
        self.claims.on_lost = self._claim_lost
        self.claims.on_wanted = self._wanted
        self.claims.unused = self._unused
        self.claims.present = self.present

    def live(self) -> dict[str, Room]:
        return dict(self._rooms)

    def present(self) -> dict[str, int]:
        """How many people are in each live room here (``Room.people_here``)."""
        return {f: r.people_here() for f, r in self._rooms.items()}

    async def get(self, forum_id: str, *, take_over: bool = True, wait: bool = True) -> Room | None:
        """The forum's room, loading it if needed; ``None`` for an unknown forum.
        If another process owns it, it is waited for, a little (a dead owner's lease
        runs out; not at all unless ``wait``), and asked to hand it over if
        ``take_over``; ``ForumElsewhere`` if it is not this process's then."""
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
            try:
                epoch = await self.claims.take(forum_id, ask=take_over, wait=wait)
            except LookupError:
                future.set_result(None)
                return None
            loaded = await self.log.load(forum_id)  # after the claim: all that was committed
            if loaded is None:
                await self.claims.release(forum_id)
                future.set_result(None)
                return None
            room = Room(
                ForumSync(loaded.board, new_epoch(), known_op_ids=loaded.known_op_ids),
                log=self.log,
                settings=self.settings,
                renderer=self.renderer,
                teams=self._teams,
                on_evict=self._evicted,
                follow=self._durable,
                epoch=epoch,
                on_lost=self._room_lost,
            )
            self._rooms[forum_id] = room
            future.set_result(room)
            self.on_loaded(forum_id)
            return room
        except BaseException as e:
            if not future.done():
                future.set_exception(e)
                future.exception()  # retrieved: waiters get it through shield
            raise
        finally:
            del self._loading[forum_id]

    async def board(self, forum_id: str) -> Board | None:
        """The forum's board to read: its live room's here, else as stored. Never loads a
        room, so reading a forum another process owns does not take it over."""
        room = self._rooms.get(forum_id)
        pending = self._loading.get(forum_id)
        if room is None and pending is not None:  # loading here: its board, once loaded
            with contextlib.suppress(ForumElsewhere):
                room = await asyncio.shield(pending)
        if room is not None and not room.closed:
            return room.sync.board
        loaded = await self.log.load(forum_id)
        return loaded.board if loaded is not None else None

    async def submit(self, forum_id: str, op: o.Op, *, actor: str, by: str = "") -> Outcome | None:
        """Apply an operation from HTTP or another room; ``None`` for an unknown forum.
        A forum another live process owns is not taken over for it: refused after a
        short wait (two leases at most). ``by``: the person key (SPEC R40)."""
        for _ in range(3):
            try:
                room = await self.get(forum_id, take_over=False)
            except ForumElsewhere:
                return ELSEWHERE
            if room is None:
                return None
            try:
                return await room.submit(op, actor=actor, by=by)
            except RoomClosed:
                continue
        raise RuntimeError(f"room {forum_id} kept closing")

    def _durable(self, accepted: list[Accepted]) -> None:
        self.on_durable(accepted)

    def _teams(self) -> frozenset[str]:
        return self.team_ids

    # -- ownership ------------------------------------------------------------------

    def _room_lost(self, room: Room) -> None:
        """A write of the room was fenced off: another process owns the forum now."""
        log.warning("forum %s: a write was fenced off, another process owns it", room.forum_id)
        self.claims.drop(room.forum_id, room.owner_epoch)
        self._give_up(room, release=False)

    def _claim_lost(self, forum_id: str) -> None:
        room = self._rooms.get(forum_id)
        if room is not None:
            self._give_up(room, release=False)

    def _wanted(self, forum_id: str) -> None:
        """Another process asks for the forum: stop its room here, then release it."""
        if forum_id in self._loading or forum_id in self._closing:
            return
        room = self._rooms.get(forum_id)
        if room is None:
            self._closing[forum_id] = task = asyncio.get_running_loop().create_task(
                self.claims.release(forum_id, handover=True)
            )
            task.add_done_callback(lambda _: self._closing.pop(forum_id, None))
            return
        self._give_up(room, release=True)

    def _give_up(self, room: Room, *, release: bool) -> None:
        """Stop the room (every due ack, then close 1012 "owner moved"); the next use of
        the forum here claims it again. With ``release``, give the forum up after."""
        forum_id = room.forum_id
        if self._rooms.get(forum_id) is not room:
            return
        del self._rooms[forum_id]

        async def give_up() -> None:
            await room.stop(CLOSE_MOVED, OWNER_MOVED)
            room.closed = True
            await room.flush(snapshot=False)
            if release and self.claims.held.get(forum_id) == room.owner_epoch:
                await self.claims.release(forum_id, handover=True)

        task = asyncio.get_running_loop().create_task(give_up(), name=f"give-up-{forum_id}")
        self._closing[forum_id] = task
        task.add_done_callback(lambda _: self._closing.pop(forum_id, None))

    def _unused(self, forum_id: str) -> bool:
        """No room of the forum here, and none coming: its claim can go."""
        return (
            forum_id not in self._rooms
            and forum_id not in self._loading
            and forum_id not in self._closing
        )

    def _evicted(self, room: Room) -> None:
        if self._rooms.get(room.forum_id) is room:
            del self._rooms[room.forum_id]
        self._closing[room.forum_id] = room.task
        room.task.add_done_callback(lambda _: self._closing.pop(room.forum_id, None))

    async def stop(self, code: int, reason: str) -> None:
        """The server is stopping, its sockets still open: every room finishes what is
        queued, sends every ack that is due, then closes its clients (``Room.stop``),
        a slow reader's included: the caller bounds the whole (``shutdown.py``)."""
        rooms = list(self._rooms.values())
        await asyncio.gather(
            *(r.stop(code, reason, wait=None) for r in rooms), return_exceptions=True
        )

    async def close(self) -> None:
        rooms = list(self._rooms.values())
        self._rooms.clear()
        await asyncio.gather(*(r.close() for r in rooms), return_exceptions=True)
        await asyncio.gather(*self._closing.values(), return_exceptions=True)
        await self.claims.stop()  # released: another process may take them at once

"""Rooms: one task per live forum, the only writer of that forum's board.

A room drains its inbox in turns. Everything that arrived since the last turn is
decided by the pure step (``turn.RoomState``, around the sans-I/O ``board.sync``):
the room task only carries its ``Plan`` out, sending each frame (encoded once per
audience) and handing the accepted items to the log as one append. Acks go out when
that append is durable (SPEC R8, R9); a failed append makes the room reload from
storage with a new epoch and tell every client to resync (R11). A turn never awaits
anything, so a room is never stuck behind a slow disk or a slow client; the store's
group commit and the peers' backlogs absorb both.

Rooms are loaded on first use and evicted when nobody has been connected for a while
(``registry.py`` keeps them). When the server stops, ``stop`` runs before any socket
closes: the room takes nothing more, decides what is queued, waits for its write, sends
every ack that is due, and only then closes its clients with 1012 (``shutdown.py``).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from board import ops as o
from board.protocol import Limits
from board.sync import Accepted, ForumSync, Outcome, Refused
from server.config import Settings
from server.live.messages import IDLE, RELOAD, STOP, Client, Join, Leave, OpIn, RoomMessage
from server.live.peer import Message
from server.live.turn import Plan, RoomState, answers_after_commit
from server.storage.log import ForumLog
from server.storage.records import NotOwner

if TYPE_CHECKING:
    from server.web.render import Renderer

__all__ = ["Join", "Leave", "OpIn", "Room", "RoomClosed", "RoomMessage", "new_epoch"]

log = logging.getLogger("scaleboard.rooms")

STOPPING = Refused(code="storage", reason="The server is restarting; try again in a moment.")


class RoomClosed(Exception):
    """The room was evicted; ask the registry for the forum again."""


def new_epoch() -> str:
    return secrets.token_hex(6)


class Room:
    """The task of one live forum: its inbox, its timers and its writes."""

    def __init__(
        self,
        sync: ForumSync,
        *,
        log: ForumLog,
        settings: Settings,
        renderer: Renderer,
        teams: Callable[[], frozenset[str]],
        on_evict: Callable[[Room], None],
        follow: Callable[[list[Accepted]], None] | None = None,
        epoch: int | None = None,
        on_lost: Callable[[Room], None] | None = None,
    ) -> None:
        self.forum_id = sync.board.forum_id
        # The owner epoch this process claimed the forum at: every write is fenced by it
        # (a write after another process took the forum over is refused, ``NotOwner``),
        # and ``on_lost`` is told, once, to stop the room (``registry.py``).
        self.owner_epoch = epoch
        self.on_lost = on_lost
        self.state = RoomState(
            sync,
            renderer,
            limits=Limits(
                max_message_bytes=settings.max_message_bytes,
                ops_per_second=settings.ops_per_second,
            ),
            snapshot_every=settings.snapshot_every,
        )
        self.peers = self.state.peers  # who is connected (the same dict)
        self.follow = follow  # told of accepted items once they are durable
        self.log = log
        self.settings = settings
        self.teams = teams
        self.on_evict = on_evict
        self.closed = False
        self.stopping = False  # the server is stopping: nothing more is taken (``stop``)
        self.inbox: asyncio.Queue[RoomMessage] = asyncio.Queue()
        self._last_write: asyncio.Future[None] | None = None
        self._idle: asyncio.TimerHandle | None = None
        self.task: asyncio.Task[None] = asyncio.get_running_loop().create_task(
            self._run(), name=f"room-{self.forum_id}"
        )
        self._arm_idle()

    @property
    def sync(self) -> ForumSync:
        return self.state.sync

    # -- talking to the room ------------------------------------------------------

    def people_here(self) -> int:
        """How many people are connected (by person, SPEC R40: two tabs of one person
        are one, two people of one name are two)."""
        return len({p.person for p in self.peers.values()})

    def post(self, message: RoomMessage) -> None:
        if self.closed:
            raise RoomClosed(self.forum_id)
        if self.stopping:
            # Not applied and, from a socket, not answered: its sender still holds it and
            # resends it after reconnecting (R13). An HTTP caller is told to try again.
            if type(message) is OpIn and message.reply is not None:
                _reply(message, STOPPING)
            return
        self.inbox.put_nowait(message)

    async def submit(
        self, op: o.Op, *, actor: str, op_id: str | None = None, by: str = ""
    ) -> Outcome:
        """Apply one operation from HTTP; resolves once it is durable (or refused).
        ``by``: the person key (SPEC R40)."""
        reply: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        self.post(OpIn(op, op_id, actor, reply=reply, by=by))
        return await reply

    def broadcast(self, message: Message) -> None:
        """Send one prepared frame to every peer: no per-peer encoding, no waiting."""
        for peer in tuple(self.peers.values()):
            peer.deliver(message)

    # -- the loop -------------------------------------------------------------------

    async def _run(self) -> None:
        inbox = self.inbox
        limit = self.settings.max_batch
        window = self.settings.coalesce_seconds
        clock = asyncio.get_running_loop().time
        last = clock()
        gap = 1.0  # moving average of the time between turns
        while True:
            batch = [await inbox.get()]
            now = clock()
            gap = 0.8 * gap + 0.2 * (now - last)
            if gap < window:
                # Busy: turns come faster than the window. Gather for one window so
                # that many moves share one frame per client and one commit.
                await asyncio.sleep(last + window - now)
            while len(batch) < limit and not inbox.empty():
                batch.append(inbox.get_nowait())
            try:
                action = self._turn(batch)
            except Exception:
                log.exception("room %s failed a turn; reloading", self.forum_id)
                action = "reload"
            last = clock()
            if action == "stop":
                return
            if action == "evict":
                await self._evict()
                return
            if action == "reload":
                await self._reload()

    def _turn(self, batch: list[RoomMessage]) -> str | None:
        """Decide one batch (``RoomState.turn``) and carry the plan out. Never awaits."""
        now = time.time()
        plan = self.state.turn(batch, now, self.teams())
        self._carry_out(plan, now)
        action = plan.action
        if action == "evict" and (self.peers or not self.inbox.empty()):
            action = None
        return action

    def _carry_out(self, plan: Plan, now: float) -> None:
        for msg, outcome in plan.replies:
            _reply(msg, outcome)
        everyone: tuple[Client, ...] | None = None
        for targets, message in plan.frames:
            if targets is None:
                if everyone is None:
                    everyone = tuple(self.peers.values())
                for peer in everyone:
                    peer.deliver(message)
            else:
                for peer in targets:
                    peer.deliver(message)
        if plan.joined and self._idle is not None:
            self._idle.cancel()
            self._idle = None
        if plan.emptied:
            self._arm_idle()
        accepted = plan.accepted
        if accepted:
            future = self.log.append(
                self.forum_id, accepted, now, snapshot=plan.snapshot, epoch=self.owner_epoch
            )
            self._last_write = future
            future.add_done_callback(partial(self._settled, plan.answers))
            if self.follow is not None:
                future.add_done_callback(partial(_follow, self.follow, accepted))
        elif plan.answers:
            last = self._last_write
            if last is None or last.done():  # nothing they depend on is still in flight
                self._settled(plan.answers, None)
            else:
                last.add_done_callback(partial(self._settled, plan.answers))

    def _settled(
        self, answers: list[tuple[OpIn, Outcome]], future: asyncio.Future[None] | None
    ) -> None:
        """The write ``answers`` waited for is durable (``None``: none was in flight), or
        it failed: then they are refused and the room reloads (R11) — unless it failed
        because another process owns the forum now: then nobody is answered (each sender
        still holds its ops and resends them to the new owner, R13) and the room stops
        (R9b)."""
        error = None if future is None or future.cancelled() else future.exception()
        if isinstance(error, NotOwner):
            for msg, _ in answers:
                if msg.reply is not None:
                    _reply(msg, STOPPING)
            if self.on_lost is not None:
                lost, self.on_lost = self.on_lost, None
                lost(self)
            return
        durable = future is None or not (future.cancelled() or error is not None)
        replies, frames = answers_after_commit(answers, durable)
        for msg, outcome in replies:
            _reply(msg, outcome)
        # One write per client for all its answers of this commit, not one per op.
        for peer, messages in frames.items():
            peer.deliver_all(messages)
        if not durable and not self.closed:
            self.inbox.put_nowait(RELOAD)

    # -- lifecycle ------------------------------------------------------------------

    def _arm_idle(self) -> None:
        if self._idle is not None:
            self._idle.cancel()
        self._idle = asyncio.get_running_loop().call_later(
            self.settings.idle_seconds, self._post_idle
        )

    def _post_idle(self) -> None:
        self._idle = None
        if not self.closed and not self.peers:
            self.inbox.put_nowait(IDLE)

    async def _evict(self) -> None:
        """Leave the registry at once, then make sure everything is on disk."""
        self.closed = True
        self.on_evict(self)
        await self.flush(snapshot=True)
        log.info("room %s evicted at seq %d", self.forum_id, self.sync.seq)

    async def flush(self, *, snapshot: bool) -> None:
        state = self.state
        if snapshot and state.since_snapshot:
            self._last_write = self.log.snapshot(state.sync.board, epoch=self.owner_epoch)
            state.since_snapshot = 0
        if self._last_write is not None:
            await asyncio.gather(self._last_write, return_exceptions=True)

    async def _reload(self) -> None:
        """The store refused a write: the board in memory is ahead of the disk. Reload."""
        await asyncio.gather(*(f for f in [self._last_write] if f), return_exceptions=True)
        loaded = await self.log.load(self.forum_id)
        if loaded is None:
            log.error("forum %s vanished from the store", self.forum_id)
            return
        sync = ForumSync(loaded.board, new_epoch(), known_op_ids=loaded.known_op_ids)
        resync = self.state.reload(sync)
        self._last_write = None
        log.warning("room %s reloaded from disk at seq %d", self.forum_id, sync.seq)
        self.broadcast(resync)

    async def stop(self, code: int, reason: str, wait: float | None = 5) -> None:
        """The server is stopping (SPEC R9a): take nothing more, decide what is
        already queued, wait until its write is durable and every ack that is due has
        been sent, then close every client with ``code`` after all it was sent. The
        sockets are still open until then; ``close`` snapshots afterwards."""
        if self.stopping or self.closed:
            return
        self.stopping = True
        if self._idle is not None:
            self._idle.cancel()
            self._idle = None
        self.inbox.put_nowait(STOP)
        await asyncio.gather(self.task, return_exceptions=True)
        await self.flush(snapshot=False)  # its callbacks deliver the acks
        clients = tuple(self.peers.values())
        await asyncio.gather(*(c.end(code, reason, wait) for c in clients), return_exceptions=True)

    async def close(self) -> None:
        """Stop at shutdown: answer nothing more, flush, snapshot."""
        self.closed = True
        if self._idle is not None:
            self._idle.cancel()
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)
        await self.flush(snapshot=True)


def _reply(msg: OpIn, outcome: Outcome) -> None:
    reply = msg.reply
    if reply is not None and not reply.done():
        reply.set_result(outcome)


def _follow(
    follow: Callable[[list[Accepted]], None],
    accepted: list[Accepted],
    future: asyncio.Future[None],
) -> None:
    if not future.cancelled() and future.exception() is None:
        follow(accepted)

"""Rooms: one task per live forum, the only writer of that forum's board.

A room drains its inbox in turns. Everything that arrived since the last turn is
decided by the sans-I/O core (``board.sync.ForumSync``), then sent to every client as
one frame, encoded once, and handed to the store as one write. Acks go out when that
write is durable (SPEC R8, R9). A turn never awaits anything, so a room is never
stuck behind a slow disk or a slow client; the store's group commit and the peers'
backlogs absorb both.

Rooms are loaded on first use and evicted when nobody has been connected for a while
(``server/registry.py`` keeps them).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from board import ops as o
from board import visibility
from board.log import Item
from board.protocol import Ack, Batch, Hello, Limits, PeerInfo, Reject, Resync, Welcome, WireItem
from board.protocol import encode as encode_msg
from board.sync import Accepted, Duplicate, ForumSync, Outcome, Refused, Unchanged
from server.config import Settings
from server.live.holds import Held, HoldIn, Holds
from server.live.peer import Message, Peer, text_message
from server.storage.sqlite.projections import rows_for
from server.storage.sqlite.store import Row, Store, forum_summary_row, op_row, snapshot_row

if TYPE_CHECKING:
    from server.web.render import Renderer

log = logging.getLogger("scaleboard.rooms")


class Join:
    __slots__ = ("hello", "peer")

    def __init__(self, peer: Peer, hello: Hello) -> None:
        self.peer = peer
        self.hello = hello


class Leave:
    __slots__ = ("peer",)

    def __init__(self, peer: Peer) -> None:
        self.peer = peer


class OpIn:
    """An operation for the room: from a websocket peer, or from HTTP with a reply future."""

    __slots__ = ("actor", "op", "op_id", "peer", "reply")

    def __init__(
        self,
        op: o.Op,
        op_id: str | None,
        actor: str,
        peer: Peer | None = None,
        reply: asyncio.Future[Outcome] | None = None,
    ) -> None:
        self.op = op
        self.op_id = op_id
        self.actor = actor
        self.peer = peer
        self.reply = reply


class _Idle:
    __slots__ = ()


class _Reload:
    __slots__ = ()


_IDLE = _Idle()
_RELOAD = _Reload()

RoomMessage = Join | Leave | OpIn | HoldIn | _Idle | _Reload


class RoomClosed(Exception):
    """The room was evicted; ask the registry for the forum again."""


def new_epoch() -> str:
    return secrets.token_hex(6)


def wire(item: Item) -> WireItem:
    return WireItem.of(item)


class Room:
    """The live state of one forum and everyone connected to it."""

    def __init__(
        self,
        sync: ForumSync,
        *,
        store: Store,
        settings: Settings,
        renderer: Renderer,
        teams: Callable[[], frozenset[str]],
        on_evict: Callable[[Room], None],
        follow: Callable[[list[Accepted]], None] | None = None,
    ) -> None:
        self.sync = sync
        self.follow = follow  # told of accepted items once they are durable
        self.forum_id = sync.board.forum_id
        self.store = store
        self.settings = settings
        self.renderer = renderer
        self.teams = teams
        self.on_evict = on_evict
        self.peers: dict[str, Peer] = {}
        self.holds = Holds()  # who is dragging or editing which card (R29)
        self.closed = False
        self.inbox: asyncio.Queue[RoomMessage] = asyncio.Queue()
        self._last_write: asyncio.Future[None] | None = None
        self._since_snapshot = 0
        self._idle: asyncio.TimerHandle | None = None
        self._limits = Limits(
            max_message_bytes=settings.max_message_bytes, ops_per_second=settings.ops_per_second
        )
        self.task: asyncio.Task[None] = asyncio.get_running_loop().create_task(
            self._run(), name=f"room-{self.forum_id}"
        )
        self._arm_idle()

    # -- talking to the room ------------------------------------------------------

    def post(self, message: RoomMessage) -> None:
        if self.closed:
            raise RoomClosed(self.forum_id)
        self.inbox.put_nowait(message)

    async def submit(self, op: o.Op, *, actor: str, op_id: str | None = None) -> Outcome:
        """Apply one operation from HTTP; resolves once it is durable (or refused)."""
        reply: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        self.post(OpIn(op, op_id, actor, reply=reply))
        return await reply

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
            if action == "evict":
                await self._evict()
                return
            if action == "reload":
                await self._reload()

    def _turn(self, batch: list[RoomMessage]) -> str | None:
        """Decide one batch of messages; send and write what it produced. Never awaits."""
        now = time.time()
        accepted: list[Accepted] = []
        answers: list[tuple[OpIn, Outcome]] = []
        joined: list[PeerInfo] = []
        left: list[str] = []
        action: str | None = None
        for msg in batch:
            kind = type(msg)
            if kind is OpIn:
                assert isinstance(msg, OpIn)
                outcome = self.sync.submit(
                    msg.op, op_id=msg.op_id, actor=msg.actor, at=now, teams=self.teams()
                )
                if type(outcome) is Refused:
                    self._answer(msg, outcome)
                    continue
                answers.append((msg, outcome))
                if type(outcome) is Accepted:
                    accepted.append(outcome)  # type: ignore[arg-type]
                    if type(msg.op) is o.StartSession:
                        people = [p.name for p in self.peers.values() if p.takes_part]
                        self._note_presence(people, now, accepted)
            elif kind is Join:
                assert isinstance(msg, Join)
                info = self._join(msg)
                if info is not None:
                    joined.append(info)
                    if msg.peer.takes_part:
                        self._note_presence([msg.peer.name], now, accepted)
            elif kind is Leave:
                assert isinstance(msg, Leave)
                if self.peers.pop(msg.peer.id, None) is not None:
                    left.append(msg.peer.id)
                    self.holds.release(msg.peer.id)
                    if not self.peers:
                        self._arm_idle()
            elif kind is HoldIn:
                assert isinstance(msg, HoldIn)
                self.holds.take(msg, self.sync.board)
            elif kind is _Idle:
                action = "evict"
            elif kind is _Reload:
                action = "reload"
        held = self.holds.drain()
        if accepted or joined or left or held:
            self._send_batch([a.item for a in accepted], joined, left, held)
        if accepted:
            self._write(accepted, answers, now)
        elif answers:
            self._after_last_write(answers)
        if action == "evict" and (self.peers or not self.inbox.empty()):
            action = None
        return action

    def _send_batch(
        self, items: list[Item], joined: list[PeerInfo], left: list[str], held: list[Held]
    ) -> None:
        """One batch frame for everyone, encoded once. Markup differs by role (a viewer
        gets no buttons: ``render.View``), so a batch that carries markup is encoded
        once per role present; moves carry none and stay one frame for all.

        What a viewer may see (``board.visibility``): authors of anonymous cards are blank
        for everyone, which keeps one frame; only an item carrying a hidden card (or a
        vote) is encoded per viewer, by ``_send_private``."""
        board = self.sync.board
        if any(visibility.needs_private(i) for i in items):
            self._send_private(items, joined, left, held)
            return
        if board.retro is not None:  # hidden cards: regions show them face down to all
            items = [visibility.item_for(i, None, board) for i in items]
            board = visibility.board_for(board, None)
        elif any(visibility.touches_private_card(i.events, i.op, board.cards) for i in items):
            items = [visibility.item_for(i, None, board) for i in items]  # anonymous
        wired = [wire(i) for i in items]
        html = self.renderer.items_html(items, board)  # as a facilitator sees it
        if not html:
            frame = Batch(items=wired, html=html, joined=joined, left=left, holds=held)
            self.broadcast(text_message(encode_msg(frame)))
            return
        frames: dict[str, Message] = {}
        for peer in tuple(self.peers.values()):
            role: Any = peer.role
            message = frames.get(role)
            if message is None:
                markup = (
                    html
                    if role == "facilitator"
                    else self.renderer.items_html(items, board, role=role)
                )
                batch = Batch(items=wired, html=markup, joined=joined, left=left, holds=held)
                message = frames[role] = text_message(encode_msg(batch))
            peer.deliver(message)

    def _send_private(
        self, items: list[Item], joined: list[PeerInfo], left: list[str], held: list[Held]
    ) -> None:
        """A batch that reads differently per viewer: one frame per (role, name)."""
        board = self.sync.board
        frames: dict[tuple[str, str], Message] = {}
        for peer in tuple(self.peers.values()):
            role: Any = peer.role
            key = (role, peer.name)
            message = frames.get(key)
            if message is None:
                seen = [visibility.item_for(i, peer.name, board) for i in items]
                shown = visibility.board_for(board, peer.name)
                markup = self.renderer.items_html(seen, shown, role=role, viewer=peer.name)
                batch = Batch(
                    items=[wire(i) for i in seen], html=markup, joined=joined, left=left, holds=held
                )
                message = frames[key] = text_message(encode_msg(batch))
            peer.deliver(message)

    def broadcast(self, message: Message) -> None:
        """Send one prepared frame to every peer: no per-peer encoding, no waiting."""
        for peer in tuple(self.peers.values()):
            peer.deliver(message)

    def _join(self, msg: Join) -> PeerInfo | None:
        peer = msg.peer
        if peer.closed:
            return None
        is_new = peer.id not in self.peers
        self.peers[peer.id] = peer
        if self._idle is not None:
            self._idle.cancel()
            self._idle = None
        sync = self.sync
        missed = sync.catch_up(msg.hello.epoch, msg.hello.last_seq)
        board = sync.board
        role: Any = peer.role
        if missed is not None:  # what this viewer may see of them (board.visibility)
            missed = [visibility.item_for(i, peer.name, board) for i in missed]
        real, board = board, visibility.board_for(board, peer.name)
        if missed is None:
            html = self.renderer.board_regions(board, role=role, viewer=peer.name)
        else:
            html = self.renderer.items_html(missed, board, role=role, viewer=peer.name)
            if board.timer is not None:  # fresh server time for the countdown
                html.update(self.renderer.timer_region(self.renderer.view(board, role=role)))
        welcome = Welcome(
            epoch=sync.epoch,
            seq=board.seq,
            you=PeerInfo(peer.id, peer.name, peer.hue),
            peers=[PeerInfo(p.id, p.name, p.hue) for p in self.peers.values()],
            full=missed is None,
            items=[wire(i) for i in missed or ()],
            html=html,
            limits=self._limits,
            holds=self.holds.current(real),
        )
        peer.deliver(text_message(encode_msg(welcome)))
        return PeerInfo(peer.id, peer.name, peer.hue) if is_new else None

    def _note_presence(self, names: list[str], now: float, accepted: list[Accepted]) -> None:
        session = self.sync.board.session
        if session is None:
            return
        missing = tuple(n for n in dict.fromkeys(names) if n not in session.participants)
        if not missing:
            return
        outcome = self.sync.submit(o.NotePresence(names=missing), op_id=None, actor="", at=now)
        if isinstance(outcome, Accepted):
            accepted.append(outcome)

    # -- durability and answers -----------------------------------------------------

    def _write(
        self, accepted: list[Accepted], answers: list[tuple[OpIn, Outcome]], now: float
    ) -> None:
        forum_id = self.forum_id
        rows: list[Row] = []
        for a in accepted:
            rows.append(op_row(forum_id, a.item))  # an Item is a LoggedOp
        for a in accepted:
            rows.extend(rows_for(a.item, a.board))
        board = self.sync.board
        rows.append(forum_summary_row(board, now))
        self._since_snapshot += len(accepted)
        if self._since_snapshot >= self.settings.snapshot_every:
            rows.append(snapshot_row(board))
            self._since_snapshot = 0
        seqs = (accepted[0].item.seq, accepted[-1].item.seq)
        future = self.store.write(rows, forum_id=forum_id, seqs=seqs)
        self._last_write = future
        future.add_done_callback(partial(self._committed, answers))
        if self.follow is not None:
            future.add_done_callback(partial(self._follow, self.follow, accepted))

    @staticmethod
    def _follow(
        follow: Callable[[list[Accepted]], None],
        accepted: list[Accepted],
        future: asyncio.Future[None],
    ) -> None:
        if not future.cancelled() and future.exception() is None:
            follow(accepted)

    def _after_last_write(self, answers: list[tuple[OpIn, Outcome]]) -> None:
        """Answer ops that wrote nothing, but not before what they depend on is durable."""
        last = self._last_write
        if last is None or last.done():
            for msg, outcome in answers:
                self._answer(msg, outcome)
        else:
            last.add_done_callback(partial(self._committed, answers))

    def _committed(self, answers: list[tuple[OpIn, Outcome]], future: asyncio.Future[None]) -> None:
        failed = future.cancelled() or future.exception() is not None
        if failed:
            storage = Refused(code="storage", reason="The server could not save this; try again.")
            for msg, _ in answers:
                self._answer(msg, storage)
            if not self.closed:
                self.inbox.put_nowait(_RELOAD)
            return
        # One write per client for all its answers of this commit, not one per op.
        frames: dict[Peer, list[Message]] = {}
        for msg, outcome in answers:
            frame = self._answer_frame(msg, outcome)
            if frame is not None:
                assert msg.peer is not None
                frames.setdefault(msg.peer, []).append(frame)
        for peer, messages in frames.items():
            peer.deliver_all(messages)

    def _answer(self, msg: OpIn, outcome: Outcome) -> None:
        frame = self._answer_frame(msg, outcome)
        if frame is not None:
            assert msg.peer is not None
            msg.peer.deliver(frame)

    def _answer_frame(self, msg: OpIn, outcome: Outcome) -> Message | None:
        """The ack or reject frame for a client's op (``None``: answered otherwise)."""
        if msg.reply is not None:
            if not msg.reply.done():
                msg.reply.set_result(outcome)
            return None
        if msg.peer is None or msg.op_id is None:
            return None
        answer: Ack | Reject
        if isinstance(outcome, Refused):
            answer = Reject(id=msg.op_id, code=outcome.code, reason=outcome.reason)
        elif isinstance(outcome, Accepted):
            answer = Ack(id=msg.op_id, seq=outcome.item.seq)
        else:
            assert isinstance(outcome, Unchanged | Duplicate)
            answer = Ack(id=msg.op_id, seq=outcome.seq, duplicate=isinstance(outcome, Duplicate))
        return text_message(encode_msg(answer))

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
            self.inbox.put_nowait(_IDLE)

    async def _evict(self) -> None:
        """Leave the registry at once, then make sure everything is on disk."""
        self.closed = True
        self.on_evict(self)
        await self.flush(snapshot=True)
        log.info("room %s evicted at seq %d", self.forum_id, self.sync.seq)

    async def flush(self, *, snapshot: bool) -> None:
        if snapshot and self._since_snapshot:
            self._last_write = self.store.write([snapshot_row(self.sync.board)])
            self._since_snapshot = 0
        if self._last_write is not None:
            await asyncio.gather(self._last_write, return_exceptions=True)

    async def _reload(self) -> None:
        """The store refused a write: the board in memory is ahead of the disk. Reload."""
        await asyncio.gather(*(f for f in [self._last_write] if f), return_exceptions=True)
        loaded = await self.store.load(self.forum_id)
        if loaded is None:
            log.error("forum %s vanished from the store", self.forum_id)
            return
        self.sync = ForumSync(loaded.board, new_epoch(), known_op_ids=loaded.known_op_ids)
        self._last_write = None
        self._since_snapshot = 0
        log.warning("room %s reloaded from disk at seq %d", self.forum_id, self.sync.seq)
        self.broadcast(text_message(encode_msg(Resync(reason="The board was reloaded."))))

    async def close(self) -> None:
        """Stop at shutdown: answer nothing more, flush, snapshot."""
        self.closed = True
        if self._idle is not None:
            self._idle.cancel()
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)
        await self.flush(snapshot=True)

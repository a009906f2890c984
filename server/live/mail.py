"""Delivering mail: the ops one forum's room sends another (SPEC R18a).

A room's append writes the mail its items send in the same transaction
(``storage.projections.mail_writes``). Once that is durable the registry tells this
module (``Rooms.on_durable``), and each recipient forum gets its mail:

- its room is live here: delivered at once;
- nobody holds it: claimed and loaded here (as ``Rooms.submit`` would), then delivered;
- another live process holds it: left to that process, told through ``notify``;
  ``hear(signals)`` makes that a ``scaleboard_mail`` signal (PostgreSQL ``NOTIFY``) which
  the process whose room it is hears and delivers at once.

A mail is applied on its forum with the op id ``mail:{id}``: a resend is a duplicate,
and the append that applies it marks it delivered. One its forum refused or that
changed nothing is settled (``MailBox.settle``); a refused ``receive_escalation``
answers the source with ``failed`` and the reason, in the same transaction. A room
that loads (startup, failover, handover) gets its pending mail at once, and every
``mail_sweep_seconds`` one indexed query finds the mail still waiting for forums live
here or held by nobody: a missed notification or a crash costs a delay, never a mail.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable

from board import ops as o
from board.mail import mail_for, mail_op_id, refused_reply
from board.model import Board
from board.sync import Accepted, Duplicate, Outcome, Refused, Unchanged
from server.config import Settings
from server.live.ownership import ForumElsewhere
from server.live.registry import Rooms
from server.live.rooms import Room
from server.storage.mail import MailBox, MailRow
from server.storage.signals import MAIL, Signals

log = logging.getLogger("scaleboard.mail")

GONE = "That forum no longer exists."
BATCH = 200  # mail taken for one forum at a time


class Postman:
    """Delivers the mail of this process's rooms, and sweeps for mail left waiting."""

    def __init__(self, box: MailBox, rooms: Rooms, settings: Settings) -> None:
        self.box = box
        self.rooms = rooms
        self.sweep_seconds = settings.mail_sweep_seconds
        # Mail for a forum another live process holds: tell it (``hear``: a signal).
        self.notify: Callable[[str], None] = lambda _: None
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._again: set[str] = set()
        self._changed: dict[str, asyncio.Event] = {}  # forum -> set at its next commit
        self._sweep: asyncio.Task[None] | None = None
        rooms.on_durable = self._durable
        rooms.on_loaded = self.send_to

    def hear(self, signals: Signals) -> None:
        """Tell other processes of mail for their forums, and hear theirs: a signal is
        acted on only where the forum's room is live (elsewhere it would only be sent on
        again); after a gap in signals, sweep at once."""
        sending: set[asyncio.Task[None]] = set()

        def notify(forum_id: str) -> None:
            task = asyncio.get_running_loop().create_task(signals.publish(MAIL, forum_id))
            sending.add(task)
            task.add_done_callback(sending.discard)

        def heard(forum_id: str) -> None:
            if forum_id in self.rooms.live():
                self.deliver_soon(forum_id)

        def gap() -> None:
            task = asyncio.get_running_loop().create_task(self.sweep())
            sending.add(task)
            task.add_done_callback(sending.discard)

        self.notify = notify
        signals.listen(MAIL, heard)
        signals.on_gap(gap)

    def start(self) -> None:
        """Sweep now (what a crash left waiting) and every ``sweep_seconds``."""
        self._sweep = asyncio.get_running_loop().create_task(self._sweeping(), name="mail-sweep")

    async def stop(self) -> None:
        tasks = [t for t in [self._sweep, *self._tasks.values()] if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # -- delivering -----------------------------------------------------------------

    async def deliver_pending(self, forum_id: str) -> None:
        """Deliver the forum's waiting mail if its room is here or nobody holds it (what
        a notification from another process calls); back once it is done."""
        await asyncio.shield(self.deliver_soon(forum_id))  # a running one looks again

    def deliver_soon(self, forum_id: str) -> asyncio.Task[None]:
        """Start delivering the forum's mail (once at a time per forum: a call while it
        runs makes it look again when done)."""
        task = self._tasks.get(forum_id)
        if task is not None and not task.done():
            self._again.add(forum_id)
            return task
        task = asyncio.get_running_loop().create_task(
            self._deliver_all(forum_id), name=f"mail-{forum_id}"
        )
        self._tasks[forum_id] = task
        task.add_done_callback(lambda t: self._forget(forum_id, t))
        return task

    def _forget(self, forum_id: str, task: asyncio.Task[None]) -> None:
        if self._tasks.get(forum_id) is task:
            del self._tasks[forum_id]

    async def _deliver_all(self, forum_id: str) -> None:
        while True:
            self._again.discard(forum_id)
            try:
                await self._deliver(forum_id)
            except Exception:
                log.exception("could not deliver the mail of forum %s", forum_id)
                return
            if forum_id not in self._again:
                return

    async def _deliver(self, forum_id: str) -> None:
        rows = await self.box.pending(forum_id, BATCH)
        if not rows:
            return
        try:
            room = await self.rooms.get(forum_id, take_over=False, wait=False)
        except ForumElsewhere:
            self.notify(forum_id)  # its owner delivers it
            return
        if room is None:
            for row in rows:
                await self._settle(row, None, f"refused: {GONE}", GONE)
            return
        outcomes = await asyncio.gather(
            *(room.submit(r.op, actor=r.actor, op_id=mail_op_id(r.id)) for r in rows),
            return_exceptions=True,
        )
        for row, outcome in zip(rows, outcomes, strict=True):
            if isinstance(outcome, BaseException):  # the room closed: look again
                self._again.add(forum_id)
            else:
                await self._settled(row, room, outcome)
        if len(rows) == BATCH:
            self._again.add(forum_id)

    async def _settled(self, row: MailRow, room: Room, outcome: Outcome) -> None:
        """What a mail's outcome leaves to do: nothing when it was applied (its append
        marked it delivered) or the room could not take it now (it stays waiting)."""
        if isinstance(outcome, Accepted | Duplicate):
            return
        if isinstance(outcome, Unchanged):
            await self._settle(row, room, "unchanged", None)
        elif isinstance(outcome, Refused) and outcome.code != "storage":
            await self._settle(row, room, f"refused: {outcome.reason}", outcome.reason)

    async def _settle(self, row: MailRow, room: Room | None, outcome: str, why: str | None) -> None:
        reply = None
        if why is not None and isinstance(row.op, o.ReceiveEscalation):
            reply = refused_reply(row.op, why)
        epoch = room.owner_epoch if room is not None else None
        try:
            await self.box.settle(row, outcome, time.time(), reply=reply, epoch=epoch)
        except Exception as e:  # fenced off or not written: it stays waiting
            log.warning("could not settle mail %d for forum %s: %s", row.id, row.to_forum, e)
            return
        if reply is not None:
            self.send_to(reply.to_forum)

    def send_to(self, forum_id: str) -> None:
        """Mail was just written for ``forum_id``: deliver it here if its room is live
        here or nobody holds it; else its owner is notified (``_deliver``)."""
        self.deliver_soon(forum_id)

    def _durable(self, accepted: list[Accepted]) -> None:
        """A room's items are durable: deliver the mail they wrote, and wake whoever
        waits for a change of that forum (``changed``)."""
        if not accepted:
            return
        recipients = {m.to_forum for a in accepted for m in mail_for(a.item, a.board)}
        for forum_id in sorted(recipients):
            self.send_to(forum_id)
        event = self._changed.pop(accepted[-1].board.forum_id, None)
        if event is not None:
            event.set()

    # -- waiting for a change -------------------------------------------------------

    async def wait_for(
        self, forum_id: str, done: Callable[[Board], bool], timeout: float
    ) -> Board | None:
        """The forum's board once ``done`` holds for it (checked after each of its
        commits here, and every quarter second for a forum live elsewhere), or ``None``
        after ``timeout`` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            event = self._changed.setdefault(forum_id, asyncio.Event())
            board = await self.rooms.board(forum_id)
            if board is not None and done(board):
                return board
            left = deadline - loop.time()
            if board is None or left <= 0:
                return None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), min(left, 0.25))

    # -- the sweep ------------------------------------------------------------------

    async def _sweeping(self) -> None:
        while True:
            try:
                await self.sweep()
            except Exception as e:  # the database is away: the next sweep tries again
                log.warning("could not look for mail to deliver: %s", e)
            await asyncio.sleep(self.sweep_seconds)

    async def sweep(self) -> None:
        """Deliver the mail waiting for forums live here, held here, or held by nobody
        (a held forum's owner sweeps its own)."""
        mine = self.rooms.claims.owner
        live = self.rooms.live()
        for waiting in await self.box.waiting():
            forum_id = waiting.forum_id
            if waiting.owner is None or waiting.owner == mine or forum_id in live:
                self.deliver_soon(forum_id)

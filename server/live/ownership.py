"""Which live forums this process owns (docs/scale-out.md#one-writer-per-forum).

A room is loaded only after its forum was claimed in the database (``ForumLog.claim``:
an owner epoch, one more at every change of owner) and every write of the room is
fenced by that epoch inside the write transaction, so a process that lost a forum
cannot write to it, whatever the clocks say. ``Claims`` holds this process's claims
and renews them all every third of the lease in one statement; what a renewal finds
lost, or asked for by another process (a socket for the forum landed there), it hands
to the registry (``registry.py``), which stops the room (its due acks, then close
1012: the clients reconnect and resend, SPEC R9b) and, for a handover, releases the
forum. A process that gave a forum up (handed over or lost) does not ask for it back
for ``handover_hold_seconds``: a socket for it arriving there meanwhile is told to try
later, so clients pinned to two processes cannot bounce a forum between them faster
than that (behind the proxy, which routes by forum, they all reach the owner).
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
from collections.abc import Callable

from server.config import Settings
from server.storage.log import ForumLog

log = logging.getLogger("scaleboard.owners")


class ForumElsewhere(Exception):
    """Another live process owns the forum and did not hand it over in time."""


def new_owner() -> str:
    """This process's name as an owner: host, pid and a random part (a restarted
    process with the same pid is another owner)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


class Claims:
    """This process's claims on forums, renewed in the background."""

    def __init__(self, log: ForumLog, settings: Settings, owner: str | None = None) -> None:
        self.log = log
        self.lease = settings.lease_seconds
        self.hold = settings.handover_hold_seconds
        self.owner = owner or new_owner()
        self.held: dict[str, int] = {}  # forum id -> owner epoch
        self._gave_up: dict[str, float] = {}  # forum id -> when this process gave it up
        self._task: asyncio.Task[None] | None = None
        # Set by the registry: a claim was lost; a forum is asked for (True: it will be
        # handed over); a forum has no room here (its claim can go).
        self.on_lost: Callable[[str], None] = lambda _: None
        self.on_wanted: Callable[[str], None] = lambda _: None
        self.unused: Callable[[str], bool] = lambda _: False
        # How many people each live room here has (recorded at each renewal, so every
        # process can show it).
        self.present: Callable[[], dict[str, int]] = dict

    async def take(self, forum_id: str, *, ask: bool, wait: bool = True) -> int:
        """Claim the forum; its owner epoch. If another process holds it, wait up to two
        leases for it (a dead owner's lease runs out; not at all unless ``wait``), asking
        the owner to hand it over if ``ask``. Raises ``ForumElsewhere`` if it stays
        another's (at once for a forum this process just gave up), ``LookupError`` for an
        unknown forum."""
        clock = asyncio.get_running_loop().time
        deadline = clock() + 2 * self.lease if wait else 0.0
        if clock() - self._gave_up.get(forum_id, -self.hold) < self.hold:
            deadline = 0.0  # just given up: not asked back yet
        asked = not ask
        while True:
            epoch = await self.log.claim(forum_id, self.owner, self.lease)
            if epoch is not None:
                self.held[forum_id] = epoch
                self._gave_up.pop(forum_id, None)
                self._start()
                return epoch
            if clock() >= deadline:
                raise ForumElsewhere(forum_id)
            if not asked:
                await self.log.request_handover(forum_id)
                asked = True
            await asyncio.sleep(self.lease / 6)

    def drop(self, forum_id: str, epoch: int | None) -> None:
        """Forget a claim (lost: someone else holds it now)."""
        if epoch is None or self.held.get(forum_id) == epoch:
            self.held.pop(forum_id, None)
            self.gave_up(forum_id)

    def gave_up(self, forum_id: str) -> None:
        """The forum went to another process: do not ask for it back for a while."""
        self._gave_up[forum_id] = asyncio.get_running_loop().time()

    async def release(self, forum_id: str, *, handover: bool = False) -> None:
        """Give the forum up in the database (anyone may claim it now)."""
        epoch = self.held.pop(forum_id, None)
        if handover:
            self.gave_up(forum_id)
        if epoch is not None:
            await self.log.release(forum_id, self.owner, epoch)

    def _start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._renew(), name="leases")

    async def _renew(self) -> None:
        while True:
            await asyncio.sleep(self.lease / 3)
            claims = dict(self.held)
            if not claims:
                continue
            try:
                renewal = await self.log.renew(self.owner, claims, self.lease, self.present())
            except Exception:  # the writes are fenced whatever happens to the leases
                log.warning("could not renew the leases of %d forum(s)", len(claims), exc_info=True)
                continue
            for forum_id in renewal.lost:
                if self.held.get(forum_id) == claims[forum_id]:
                    del self.held[forum_id]
                    self.gave_up(forum_id)
                    log.warning("forum %s is owned by another process now", forum_id)
                    self.on_lost(forum_id)
            for forum_id in renewal.wanted - renewal.lost:
                log.info("handing forum %s over to another process", forum_id)
                self.on_wanted(forum_id)
            for forum_id in [f for f in self.held if self.unused(f)]:
                try:
                    await self.release(forum_id)
                except Exception:
                    log.warning("could not release forum %s", forum_id, exc_info=True)

    async def stop(self) -> None:
        """Stop renewing and give every claim up (the rooms are closed and flushed)."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        for forum_id in list(self.held):
            try:
                await self.release(forum_id)
            except Exception:
                log.warning("could not release forum %s", forum_id, exc_info=True)

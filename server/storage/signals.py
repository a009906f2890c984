"""Signals between the processes that share one store (docs/scale-out.md#signals).

A signal is a hint — "the links of forum X changed", "there is mail for forum Y" — never
the data: a receiver reads the durable record it points at. So a signal that is lost
loses nothing, provided the receiver re-reads what it caches when signals may have
been missed (``on_gap``: the listening connection was lost and is back).

On PostgreSQL the signals are ``NOTIFY``s on one listening connection per process
(``postgres/signals.py``); on SQLite, whose server is one process, they go to this
process's own handlers (``LocalSignals``). Every process hears its own signals too,
so a handler is the one place that reacts to a change, wherever it was made.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Final, Protocol

log = logging.getLogger("scaleboard.signals")

# The channels (PostgreSQL identifiers: lower case, no quoting needed).
ACCESS: Final = "scaleboard_access"  # payload: a forum id whose links were rotated
ADMIN: Final = "scaleboard_admin"  # payload: "" (the admin token was replaced)
MAIL: Final = "scaleboard_mail"  # payload: a forum id that has mail waiting
CADENCE: Final = "scaleboard_cadence"  # payload: "" (the sprint calendar was set)
CHANNELS: Final = (ACCESS, ADMIN, MAIL, CADENCE)
MAX_PAYLOAD: Final = 4000  # bytes; PostgreSQL's limit is 8,000

Handler = Callable[[str], None]


class Signals(Protocol):
    """Tell every process of the store something changed; hear what others tell."""

    @property
    def shared(self) -> bool:
        """Whether signals reach other processes (PostgreSQL) or only this one."""
        ...

    async def start(self) -> None:
        """Start hearing signals (the app does, once its handlers are set; a command
        that only sends need not)."""
        ...

    async def publish(self, channel: str, payload: str = "") -> None:
        """Send ``payload`` on ``channel`` to every listening process, this one included.
        Best effort: a signal that cannot be sent is logged, never raised (the change it
        announces is already durable; receivers catch up after a gap)."""
        ...

    def listen(self, channel: str, handler: Handler) -> None:
        """Call ``handler(payload)`` for every signal on ``channel`` from now on."""
        ...

    def on_gap(self, handler: Callable[[], None]) -> None:
        """Call ``handler()`` whenever signals may have been missed (the listening
        connection broke and is open again): re-read what is cached."""
        ...

    async def close(self) -> None: ...


def check(channel: str, payload: str) -> None:
    """Refuse an unknown channel or an oversized payload (a programming error)."""
    if channel not in CHANNELS:
        raise ValueError(f"unknown signal channel {channel!r}")
    if len(payload.encode()) > MAX_PAYLOAD:
        raise ValueError(f"signal payload over {MAX_PAYLOAD} bytes")


class Listeners:
    """The handlers of each channel and of gaps, and calling them safely."""

    def __init__(self) -> None:
        self.handlers: dict[str, list[Handler]] = {c: [] for c in CHANNELS}
        self.gap_handlers: list[Callable[[], None]] = []

    def listen(self, channel: str, handler: Handler) -> None:
        check(channel, "")
        self.handlers[channel].append(handler)

    def on_gap(self, handler: Callable[[], None]) -> None:
        self.gap_handlers.append(handler)

    def dispatch(self, channel: str, payload: str) -> None:
        for handler in list(self.handlers.get(channel, ())):
            try:
                handler(payload)
            except Exception:  # one handler's bug must not silence the others
                log.exception("signal handler for %s failed", channel)

    def gap(self) -> None:
        for handler in list(self.gap_handlers):
            try:
                handler()
            except Exception:
                log.exception("signal gap handler failed")


class LocalSignals(Listeners):
    """Signals within this process (the SQLite engine: one server process)."""

    shared = False

    async def start(self) -> None:
        return None

    async def publish(self, channel: str, payload: str = "") -> None:
        check(channel, payload)
        # Soon, not now: a handler runs after the publisher's own step, as a
        # notification from the database would.
        asyncio.get_running_loop().call_soon(self.dispatch, channel, payload)

    async def close(self) -> None:
        for handlers in self.handlers.values():
            handlers.clear()
        self.gap_handlers.clear()

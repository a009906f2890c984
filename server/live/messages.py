"""What a room's inbox holds, and what a room needs to know of a client.

The endpoint posts ``Join``, ``Leave``, ``OpIn`` (and ``HoldIn``, ``server/live/holds.py``);
HTTP posts ``OpIn`` with a reply future; the room's own timers post ``IDLE`` and
``RELOAD``, and a stopping server ``STOP``. A ``Client`` is what the turn step reads of
a peer: who it is and whether it is still connected (``server/live/peer.py`` is the
real one; tests use plain objects).
"""

from __future__ import annotations

from typing import Any, Protocol

from board import ops as o
from board.protocol import Hello
from board.sync import Outcome
from server.live.holds import HoldIn


class Client(Protocol):
    """One connected client of a room, as the turn step sees it."""

    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def person(self) -> str: ...
    @property
    def hue(self) -> int: ...
    @property
    def role(self) -> str: ...
    @property
    def takes_part(self) -> bool: ...
    @property
    def closed(self) -> bool: ...

    def deliver(self, message: dict[str, Any]) -> None: ...

    def deliver_all(self, messages: list[dict[str, Any]]) -> None: ...

    async def end(self, code: int, reason: str, wait: float | None = 5) -> None: ...


class Reply(Protocol):
    """Where an HTTP caller waits for its op's outcome (an ``asyncio.Future``)."""

    def done(self) -> bool: ...

    def set_result(self, result: Outcome, /) -> None: ...


class Join:
    """A client's ``hello``; ``teams`` its person's pick carried from other forums
    (SPEC R74: team ids, empty when none or when it may not pick here)."""

    __slots__ = ("hello", "peer", "teams")

    def __init__(self, peer: Client, hello: Hello, teams: tuple[str, ...] = ()) -> None:
        self.peer = peer
        self.hello = hello
        self.teams = teams


class Leave:
    __slots__ = ("peer",)

    def __init__(self, peer: Client) -> None:
        self.peer = peer


class OpIn:
    """An operation for the room: from a websocket peer, or from HTTP with a reply future."""

    __slots__ = ("actor", "by", "op", "op_id", "peer", "reply")

    def __init__(
        self,
        op: o.Op,
        op_id: str | None,
        actor: str,
        peer: Client | None = None,
        reply: Reply | None = None,
        by: str = "",
    ) -> None:
        self.op = op
        self.op_id = op_id
        self.actor = actor
        self.peer = peer
        self.reply = reply
        self.by = by  # the person key (SPEC R40); "" makes the name the key


class Idle:
    """Nobody has been connected for a while: the room may go."""

    __slots__ = ()


class Reload:
    """A write failed: the room must reload its board from storage (R11)."""

    __slots__ = ()


class Stop:
    """The server is stopping: the room finishes this turn and takes nothing more."""

    __slots__ = ()


IDLE = Idle()
RELOAD = Reload()
STOP = Stop()

RoomMessage = Join | Leave | OpIn | HoldIn | Idle | Reload | Stop

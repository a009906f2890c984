"""The log record: an accepted operation as the log keeps it, and with the events it made.

Every path that writes, reads, replays or sends the operation log uses these shapes, so
they live in a leaf module (it imports only the board's data types) that everything
else may import without a circle:

- ``LoggedOp``: what the ``ops`` table stores and an export carries, enough to apply
  the operation again (``seq``, ``actor``, ``at``, ``op``, the client's ``op_id``, and
  ``by``: the person key, SPEC R40, ``""`` in logs older than it).
- ``Item``: a ``LoggedOp`` with the ``events`` it made; what a live room decides and
  broadcasts, and what a replay yields. Its wire form (``board.protocol.WireItem``)
  drops the ``op``.
- ``Accepted``: an ``Item`` and the board right after it.
"""

from __future__ import annotations

import msgspec

from .events import Event
from .model import Board
from .ops import Op


class LoggedOp(msgspec.Struct, frozen=True):
    """An accepted operation as the log keeps it: enough to apply it again."""

    seq: int
    actor: str
    at: float
    op: Op
    op_id: str | None = None
    by: str = ""  # the person key (SPEC R40); "" before it: the actor's name is the key

    @property
    def who(self) -> str:
        """The key of the person who made it (R40): ``by``, else the display name."""
        return self.by or self.actor

    @property
    def op_type(self) -> str:
        """The operation's ``type`` tag (``move_card``), for messages about it."""
        return str(type(self.op).__struct_config__.tag)


class Item(LoggedOp, frozen=True, kw_only=True):
    """An accepted operation with the events it made: as decided, replayed and broadcast
    (the broadcast leaves out ``op``)."""

    events: tuple[Event, ...]


class Accepted(msgspec.Struct, frozen=True):
    """An accepted operation's item and the board right after it."""

    item: Item
    board: Board

"""What storage hands back: plain typed records, the same whichever engine made them."""

from __future__ import annotations

import msgspec

from board.model import Board


class StoreError(Exception):
    """A write that was not committed (disk error, a gap in a forum's seq, a lost
    ownership): the caller's memory is ahead of the store and must reload."""


class NotOwner(StoreError):
    """A write fenced off: its owner epoch is no longer the forum's (another process
    took the forum over). Nothing of it was written; the room must stop, not reload."""

    def __init__(self, forum_id: str) -> None:
        super().__init__("this process no longer owns the forum")
        self.forum_id = forum_id


class ForumRow(msgspec.Struct, frozen=True):
    """A forum as the directory lists it (kept in step with its board on every write)."""

    id: str
    kind: str
    name: str
    created_at: float
    updated_at: float
    seq: int
    live_cards: int
    session_id: str | None
    # People in the forum's live room at its owner's last lease renewal, whichever
    # process that is; 0 when no live process holds the forum.
    present: int = 0


class Loaded(msgspec.Struct, frozen=True):
    """A forum's board as stored (latest snapshot + later ops) and its recent op ids."""

    board: Board
    known_op_ids: dict[str, int]


class Renewal(msgspec.Struct, frozen=True):
    """What a renewal of an owner's leases found: forums it no longer holds, and forums
    it holds that another process asked for."""

    lost: frozenset[str]
    wanted: frozenset[str]

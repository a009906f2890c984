"""What storage hands back: plain typed records, the same whichever engine made them."""

from __future__ import annotations

import msgspec

from board.model import Board


class StoreError(Exception):
    """A write that was not committed (disk error, a gap in a forum's seq, a lost
    ownership): the caller's memory is ahead of the store and must reload."""


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


class Loaded(msgspec.Struct, frozen=True):
    """A forum's board as stored (latest snapshot + later ops) and its recent op ids."""

    board: Board
    known_op_ids: dict[str, int]

"""Joining from the room: whether the projector's room link admits people (SPEC R45-R47).

``Board.room_join`` is off on a new board. Only a facilitator turns it on or off
(``set_room_join``, ``board/access.py``, R45). While it is on, the forum's room link
(a link kind of its own, ``board.access.ROOM``) admits whoever opens it as a
participant and the projector shows it as its QR code; while it is off the link
admits nobody new and the projector shows the forum's bare address and whom to ask
(R46, R47). It is board state: in the op log, kept across restarts and replays, and
every client hears of a change (``room_join_changed``).
"""

from __future__ import annotations

from msgspec.structs import replace

from . import ops as o
from .events import RoomJoinChanged
from .model import Board
from .rules import Context, Result


def set_room_join(board: Board, op: o.SetRoomJoin, ctx: Context) -> Result:
    """Turn room joining on or off (nothing changes when it already is)."""
    if op.on == board.room_join:
        return board, []
    return replace(board, room_join=op.on), [RoomJoinChanged(on=op.on)]

"""The record of a retrospective's phases for the session page (``board/retro.py``).

The phases are not stored apart: a session's ``set_phase`` ops in the log are the
record. One indexed range read per session page, filtered on the op's tag prefix
(msgspec writes the tag first) so no other op is decoded.
"""

from __future__ import annotations

from typing import Final

import msgspec

from board import ops as o
from board.retro import PhaseVisit, phase_log
from server.storage.sqlite.store import Store

_PREFIX: Final = b'{"type":"set_phase"'
_decoder = msgspec.json.Decoder(o.SetPhase)


async def session_phases(
    store: Store, forum_id: str, start_seq: int, end_seq: int | None
) -> list[PhaseVisit]:
    """The phases the session from ``start_seq`` to ``end_seq`` (None: still running)
    went through, with the time each began."""
    rows = await store.fetch(
        "SELECT at, op FROM ops WHERE forum_id=? AND seq BETWEEN ? AND ? "
        f"AND substr(op, 1, {len(_PREFIX)}) = X'{_PREFIX.hex()}' ORDER BY seq",
        (forum_id, start_seq, end_seq if end_seq is not None else 1 << 62),
    )
    return phase_log((at, _decoder.decode(op)) for at, op in rows)

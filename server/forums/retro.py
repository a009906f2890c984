"""The record of a retrospective's phases for the session page (``board/retro.py``).

The phases are not stored apart: a session's ``set_phase`` ops in the log are the
record, which the log hands back decoded (``ForumLog.phase_changes``: one indexed
range read per session page, no other op decoded).
"""

from __future__ import annotations

from board.retro import PhaseVisit, phase_log
from server.storage.log import ForumLog


async def session_phases(
    log: ForumLog, forum_id: str, start_seq: int, end_seq: int | None
) -> list[PhaseVisit]:
    """The phases the session from ``start_seq`` to ``end_seq`` (None: still running)
    went through, with the time each began."""
    return phase_log(await log.phase_changes(forum_id, start_seq, end_seq))

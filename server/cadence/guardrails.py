"""The cadence guardrails (SPEC R70) of the forums a person may see, from the sessions
each forum recorded (their start times), for the metrics and network pages."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Collection

from board.cadence import CadenceFlag, metascrum_skipped, sos_missed_days
from board.sprints import SprintCalendar
from server.cadence.calendar import calendar_now
from server.storage import Storage
from server.web.render import Renderer


async def cadence_flags(
    storage: Storage,
    calendar: SprintCalendar,
    visible: Collection[str] | None,
    *,
    forum_id: str | None = None,
    since: dt.date | None = None,
    now: float | None = None,
) -> list[CadenceFlag]:
    """Flags of every MetaScrum and Scrum of Scrums in ``visible`` (``None``: all), or
    of one forum; SoS days from ``since`` (the metrics period's first day) on."""
    at = time.time() if now is None else now
    out: list[CadenceFlag] = []
    for row in await storage.forums.forums():
        if row.kind not in ("metascrum", "sos"):
            continue
        if (visible is not None and row.id not in visible) or forum_id not in (None, row.id):
            continue
        started = [s.started_at for s in await storage.sessions.of_forum(row.id)]
        if row.kind == "metascrum":
            out += metascrum_skipped(calendar, row.id, row.name, row.created_at, started, at)
        else:
            out += sos_missed_days(
                calendar, row.id, row.name, row.created_at, started, at, since=since
            )
    return sorted(out, key=lambda f: (-f.sprint, f.forum_name, f.rule))


async def recent_flags(
    storage: Storage, renderer: Renderer, visible: Collection[str] | None
) -> list[CadenceFlag]:
    """The flags of the current and the previous sprint (the network page's list)."""
    calendar = await calendar_now(storage, renderer)
    current = calendar.number_at(time.time())
    flags = await cadence_flags(storage, calendar, visible)
    return [f for f in flags if f.sprint >= current - 1]

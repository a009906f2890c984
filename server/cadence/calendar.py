"""The network's sprint calendar as it applies now: the admin's setting, or the
defaults (``--sprint-days``, sprint 1 from the first forum's creation date, UTC).

Every page that shows a sprint reads it through ``calendar_now``, which also hands it
to the renderer (``Renderer.set_calendar``), so templates label times with
``sprint_label`` and exports with the same calendar.
"""

from __future__ import annotations

import datetime as dt
import time

from board.sprints import MAX_DAYS, MIN_DAYS, SprintCalendar, utc_day
from server.storage import Storage
from server.web.render import Renderer


async def default_start(storage: Storage) -> dt.date:
    """The UTC date the first forum was made (today when there is none)."""
    made = [row.created_at for row in await storage.forums.forums()]
    return utc_day(min(made) if made else time.time())


async def network_calendar(storage: Storage, sprint_days: int) -> SprintCalendar:
    """The admin's calendar, or the defaults."""
    chosen = await storage.cadence.sprint_settings()
    if chosen is not None:
        return SprintCalendar(days=chosen.days, start=chosen.start)
    days = min(MAX_DAYS, max(MIN_DAYS, sprint_days))
    return SprintCalendar(days=days, start=await default_start(storage))


async def calendar_now(storage: Storage, renderer: Renderer) -> SprintCalendar:
    """``network_calendar`` (defaults: the renderer's ``--sprint-days``), also given to
    the renderer for the page being drawn."""
    calendar = await network_calendar(storage, renderer.sprint_days)
    renderer.set_calendar(calendar)
    return calendar

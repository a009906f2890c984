"""The network's sprint calendar as it applies now: the admin's setting, or the
defaults (``--sprint-days``, sprint 1 from the first forum's creation date, UTC).

Every page that shows a sprint reads it through ``calendar_now``, which also hands it
to the renderer (``Renderer.set_calendar``), so templates label times with
``sprint_label`` and exports with the same calendar. What a room renders between pages
(a session started on the live board) uses the renderer's copy: ``follow_calendar``
keeps it current on every process, from the ``scaleboard_cadence`` signal that setting
the calendar sends (``set_calendar``) and after a gap in signals.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time

from board.sprints import MAX_DAYS, MIN_DAYS, SprintCalendar, utc_day
from server.storage import Storage
from server.storage.cadence import SprintSettings
from server.storage.signals import CADENCE
from server.web.render import Renderer

log = logging.getLogger("scaleboard.cadence")


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


async def set_calendar(storage: Storage, renderer: Renderer, calendar: SprintCalendar) -> None:
    """Keep ``calendar`` as the network's (the admin's choice), use it for this process's
    pages at once, and tell every other process to re-read it (``follow_calendar``)."""
    await storage.cadence.put_sprint_settings(
        SprintSettings(calendar.days, calendar.start, time.time(), "admin")
    )
    renderer.set_calendar(calendar)
    await storage.signals.publish(CADENCE)


def follow_calendar(storage: Storage, renderer: Renderer) -> None:
    """Re-read the calendar into ``renderer`` whenever a process set it, and after a gap
    in signals (one set elsewhere meanwhile may not have been heard)."""
    pending: set[asyncio.Task[None]] = set()

    async def reread() -> None:
        try:
            renderer.set_calendar(await network_calendar(storage, renderer.sprint_days))
        except Exception:  # the store is away: the next signal or gap reads it again
            log.exception("could not re-read the sprint calendar")

    def soon() -> None:
        task = asyncio.get_running_loop().create_task(reread())
        pending.add(task)
        task.add_done_callback(pending.discard)

    storage.signals.listen(CADENCE, lambda _: soon())
    storage.signals.on_gap(soon)

"""The metrics pages' cadence part: the cadence guardrails' flags (SPEC R70) of the
sprints the period touches, and the guide's metrics per team of the sprints up to the
period's end (SPEC R71), added to a ``MetricsReport``."""

from __future__ import annotations

from collections.abc import Collection

import msgspec

from board.team_metrics import TeamSprintMetrics
from server.cadence.calendar import calendar_now
from server.cadence.guardrails import cadence_flags
from server.cadence.report import team_report
from server.metrics.histories import Chosen
from server.metrics.report import MetricsReport
from server.storage import Storage
from server.storage.records import ForumRow
from server.web.render import Renderer


def seen(
    entries: list[TeamSprintMetrics], visible: Collection[str] | None
) -> list[TeamSprintMetrics]:
    """The entries recorded in a forum the person may see (``None``: every forum)."""
    return [e for e in entries if visible is None or e.forum_id in visible]


async def with_cadence(
    report: MetricsReport,
    storage: Storage,
    renderer: Renderer,
    chosen: Chosen,
    visible: Collection[str] | None,
    row: ForumRow | None = None,
) -> MetricsReport:
    """``report`` with its cadence flags and team metrics. A forum's: its own flags,
    and team metrics in a Scrum of Scrums (the teams it serves, else all) or a Scaled
    Retrospective (all teams); the network's: everything the person may see."""
    calendar = await calendar_now(storage, renderer)
    flags = await cadence_flags(
        storage,
        calendar,
        visible,
        forum_id=None if row is None else row.id,
        since=chosen.first_day,
    )
    flags = [f for f in flags if calendar.sprint(f.sprint).end > chosen.period.start]
    teams = list(await storage.forums.teams())
    if row is not None and row.kind not in ("sos", "retro"):
        return msgspec.structs.replace(report, cadence=flags)
    if row is not None and row.kind == "sos":
        served = set((await storage.forums.served()).get(row.id, ()))
        teams = [t for t in teams if t.id in served] or teams
    entries = seen(await storage.cadence.team_metrics(), visible)
    last = max(1, calendar.number_at(chosen.period.end - 1))
    return msgspec.structs.replace(
        report, cadence=flags, team_metrics=team_report(calendar, last, teams, entries)
    )

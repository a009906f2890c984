"""The demo network's sprint calendar and five past sprints of the guide's metrics for
each demo team (SPEC R69, R71), so the metrics page charts a trend on the first run.

Sprint 1 starts on a Monday five sprints back, so the demo runs in sprint 6; each team's
representative recorded sprints 1 to 5 in the Scrum of Scrums (the Scaled
Retrospective for the last one of two teams).
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Final

from board.sprints import utc_day
from board.team_metrics import TeamSprintMetrics
from server.storage.cadence import CadenceRecords, SprintSettings

PAST_SPRINTS: Final = 5
# Per team: who records, productivity (story points), value (features released),
# quality (escaped defects, fewer is better) and happiness (1-5), sprint by sprint.
TEAM_TRENDS: Final = {
    "checkout": (
        "Maya (Checkout)",
        (21, 24, 26, 25, 29),
        (2, 3, 3, 4, 4),
        (5, 4, 4, 2, 1),
        (3, 3, 4, 4, 5),
    ),
    "payments": (
        "Ravi (Payments)",
        (18, 17, 20, 22, 23),
        (1, 2, 2, 3, 3),
        (3, 3, 2, 2, 2),
        (2, 3, 3, 3, 4),
    ),
    "search": (
        "Lena (Search)",
        (30, 28, 27, 31, 33),
        (3, 3, 2, 4, 5),
        (2, 3, 3, 1, 1),
        (4, 4, 3, 4, 4),
    ),
    "mobile": (
        "Tom (Mobile)",
        (15, 19, 22, 21, 24),
        (1, 1, 2, 2, 3),
        (6, 5, 3, 3, 2),
        (2, 2, 3, 4, 4),
    ),
    "platform": (
        "Ana (Platform)",
        (26, 25, 23, 22, 24),
        (2, 2, 2, 1, 2),
        (1, 2, 2, 3, 2),
        (4, 3, 3, 2, 3),
    ),
}


def demo_start(now: float, days: int) -> dt.date:
    """The Monday on or before the day ``PAST_SPRINTS`` sprints ago (UTC)."""
    back = utc_day(now) - dt.timedelta(days=PAST_SPRINTS * days)
    return back - dt.timedelta(days=back.weekday())


async def seed_demo_metrics(cadence: CadenceRecords, days: int, now: float | None = None) -> None:
    """Set the demo's calendar and record every demo team's past sprints."""
    now = time.time() if now is None else now
    start = demo_start(now, days)
    await cadence.put_sprint_settings(SprintSettings(days, start, now, "demo"))
    for team, (by, points, features, defects, happy) in TEAM_TRENDS.items():
        for i in range(PAST_SPRINTS):
            sprint = i + 1
            last_day = start + dt.timedelta(days=sprint * days - 1)
            at = dt.datetime.combine(last_day, dt.time(15), dt.UTC).timestamp()
            forum = (
                "retro-q4"
                if sprint == PAST_SPRINTS and team in ("search", "mobile")
                else ("sos-commerce")
            )
            await cadence.put_team_metrics(
                TeamSprintMetrics(
                    team_id=team,
                    sprint=sprint,
                    happiness=happy[i],
                    productivity=float(points[i]),
                    productivity_unit="story points",
                    value=float(features[i]),
                    value_unit="features released",
                    quality=float(defects[i]),
                    quality_unit="escaped defects",
                    forum_id=forum,
                    recorded_by=by,
                    recorded_at=min(at, now),
                )
            )

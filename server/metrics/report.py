"""A metrics report of one forum or of the network: ``board.metrics`` and
``board.guardrails`` over each forum's replayed history (``Histories``), as the pages
draw it and the API returns it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence

import msgspec

from board.cadence import CadenceFlag
from board.guardrails import GuardrailReport, check_forum, merge
from board.metrics import Metrics, forum_metrics, network_metrics
from board.model import Team
from server.cadence.report import TeamMetricsReport
from server.metrics.histories import Chosen, Histories, Unavailable
from server.storage import Storage
from server.storage.records import ForumRow


class ForumRef(msgspec.Struct, frozen=True):
    id: str
    name: str
    kind: str


class ForumLine(msgspec.Struct, frozen=True):
    """One forum's headline numbers in the network report (durations in seconds)."""

    forum: ForumRef
    available: bool = True
    note: str = ""  # why its numbers are missing, when they are
    open_impediments: int = 0
    median_age: float | None = None
    removals: int = 0
    median_time_to_removal: float | None = None
    decisions: int = 0
    median_decision_latency: float | None = None
    follow_through: float | None = None
    flags: int = 0


class MetricsReport(msgspec.Struct, frozen=True):
    """Metrics and guardrail flags of a forum (``scope``: its id) or of the network
    (``network``: every forum the caller may see) over ``[metrics.start, metrics.end)``,
    the days ``first_day`` to ``last_day`` (local time). Durations are in seconds."""

    scope: str
    forum: ForumRef | None
    first_day: dt.date
    last_day: dt.date
    days: int | None
    metrics: Metrics
    guardrails: GuardrailReport
    forums: list[ForumLine]
    # The cadence guardrails (SPEC R70) and the guide's metrics per team per sprint
    # (SPEC R71), added by ``server/cadence/metrics_part.py``.
    cadence: list[CadenceFlag] = msgspec.field(default_factory=list)
    team_metrics: TeamMetricsReport | None = None


def _ref(row: ForumRow) -> ForumRef:
    return ForumRef(id=row.id, name=row.name, kind=row.kind)


async def _forum_part(
    histories: Histories, storage: Storage, row: ForumRow, chosen: Chosen, teams: Sequence[Team]
) -> tuple[Metrics, GuardrailReport]:
    history = await histories.get(row.id)
    metrics = forum_metrics(history, chosen.period, chosen.bounds)
    serving = (await storage.forums.served()).get(row.id, ())
    return metrics, check_forum(history, chosen.period, teams, serving)


async def forum_report(
    histories: Histories, storage: Storage, row: ForumRow, chosen: Chosen
) -> MetricsReport:
    """``Unavailable`` when the forum's log does not replay. ``store``: the directory."""
    teams = await storage.forums.teams()
    metrics, guardrails = await _forum_part(histories, storage, row, chosen, teams)
    return MetricsReport(
        scope=row.id,
        forum=_ref(row),
        first_day=chosen.first_day,
        last_day=chosen.last_day,
        days=chosen.days,
        metrics=metrics,
        guardrails=guardrails,
        forums=[],
    )


async def network_report(
    histories: Histories, storage: Storage, visible: Collection[str] | None, chosen: Chosen
) -> MetricsReport:
    """Every forum in ``visible`` (``None``: all) together, with a line per forum."""
    teams = await storage.forums.teams()
    parts: list[Metrics] = []
    reports: list[GuardrailReport] = []
    lines: list[ForumLine] = []
    for row in await storage.forums.forums():
        if visible is not None and row.id not in visible:
            continue
        try:
            m, g = await _forum_part(histories, storage, row, chosen, teams)
        except Unavailable as e:
            lines.append(ForumLine(forum=_ref(row), available=False, note=str(e)))
            continue
        parts.append(m)
        reports.append(g)
        lines.append(
            ForumLine(
                forum=_ref(row),
                open_impediments=len(m.open_impediments),
                median_age=m.impediment_age.median,
                removals=len(m.removals),
                median_time_to_removal=m.time_to_removal.median,
                decisions=m.decisions,
                median_decision_latency=m.decision_latency.median,
                follow_through=m.follow_through.rate,
                flags=len(g.flags),
            )
        )
    return MetricsReport(
        scope="network",
        forum=None,
        first_day=chosen.first_day,
        last_day=chosen.last_day,
        days=chosen.days,
        metrics=network_metrics(parts, chosen.period),
        guardrails=merge(reports),
        forums=lines,
    )

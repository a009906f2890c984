"""Metrics and guardrails pages of a forum and of the network (server-rendered SVG).

``GET /forums/{id}/metrics`` and ``GET /metrics`` show, over a chosen period
(``?days=7|30|90|365`` or ``?from=YYYY-MM-DD&to=YYYY-MM-DD``), impediment age and
time to removal, decision latency, next-step follow-through, counts per week,
escalations (sent, received, outcomes, time to accept and to remove or return), and
the sessions the guardrails flag. Every chart is SVG drawn by ``templates/_charts.html``
from the geometry computed here, with a table of the same numbers beside it. The
JSON API (``/api/forums/{id}/metrics``, ``/api/metrics``) returns the same report.

The numbers come from ``board.metrics`` and ``board.guardrails`` over each forum's
replayed history (``server/metrics_queries.py`` keeps it cached and up to date).
The network is the forums the person may see. Nothing here writes.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Callable, Sequence
from typing import Annotated, Any, Final

import msgspec
from litestar import Controller, Request, Response, get
from litestar.params import QueryParameter

from board.guardrails import RULES, Flag, GuardrailReport, check_forum, merge
from board.metrics import Metrics, forum_metrics, network_metrics
from board.model import Team
from server.access.service import forum_guard, who
from server.forums.api import API_EXCEPTION_HANDLERS, ERRORS, ApiProblem
from server.forums.pages import html, not_found
from server.metrics.histories import DAYS, BadPeriod, Chosen, Unavailable, choose_period, histories
from server.network.queries import served
from server.storage.sqlite.store import ForumRow, Store
from server.web.render import Renderer

Req = Request[Any, Any, Any]
TITLE_CHARS: Final = 46  # a card title in a chart is cut here (the table has it whole)
# The age buckets' labels under the chart's columns (the table has the long ones).
AGE_LABELS: Final = ("< 1 day", "1–3 days", "3–7 days", "1–2 weeks", "2–4 weeks", "4+ weeks")
# Escalation outcomes: the field of ``board.metrics.EscalationOutcomes`` and its label.
OUTCOMES: Final = (
    ("open", "Still open"),
    ("accepted", "Accepted"),
    ("in_progress", "In progress"),
    ("removed", "Removed"),
    ("returned", "Returned"),
    ("failed", "Failed"),
)


# -- the report ---------------------------------------------------------------------------


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


def _ref(row: ForumRow) -> ForumRef:
    return ForumRef(id=row.id, name=row.name, kind=row.kind)


async def _forum_part(
    request: Req, row: ForumRow, chosen: Chosen, teams: Sequence[Team]
) -> tuple[Metrics, GuardrailReport]:
    history = await histories(request.app.state).get(request.app.state.store, row.id)
    metrics = forum_metrics(history, chosen.period, chosen.bounds)
    serving = (await served(request.app.state.store)).get(row.id, ())
    return metrics, check_forum(history, chosen.period, teams, serving)


async def forum_report(request: Req, row: ForumRow, chosen: Chosen) -> MetricsReport:
    """``Unavailable`` when the forum's log does not replay."""
    teams = await request.app.state.store.teams()
    metrics, guardrails = await _forum_part(request, row, chosen, teams)
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


async def network_report(request: Req, chosen: Chosen) -> MetricsReport:
    store: Store = request.app.state.store
    visible = (await who(request)).visible()
    teams = await store.teams()
    parts: list[Metrics] = []
    reports: list[GuardrailReport] = []
    lines: list[ForumLine] = []
    for row in await store.forums():
        if visible is not None and row.id not in visible:
            continue
        try:
            m, g = await _forum_part(request, row, chosen, teams)
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


# -- charts (geometry only: the markup is templates/_charts.html) --------------------------


class Bar(msgspec.Struct, frozen=True):
    x: float
    y: float
    w: float
    h: float
    series: str
    label: str  # what the bar is, for its tooltip
    text: str  # its value, as shown
    shown: bool = True  # whether its value is written on the chart


class Tick(msgspec.Struct, frozen=True):
    y: float
    label: str


class XLabel(msgspec.Struct, frozen=True):
    x: float
    label: str


class Chart(msgspec.Struct, frozen=True):
    width: int
    height: int
    left: float
    right: float
    top: float
    base: float  # the y of the zero line
    bars: list[Bar]
    ticks: list[Tick]
    xlabels: list[XLabel]
    legend: list[tuple[str, str]]  # (series, label)


def nice_scale(top: float, steps: int = 4) -> tuple[float, float]:
    """A round maximum and tick step for counts up to ``top`` (steps of 1, 2 or 5 × 10^k)."""
    if top <= 0:
        return 1.0, 1.0
    raw = top / steps
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(f * magnitude for f in (1, 2, 5, 10) if f * magnitude >= raw)
    step = max(step, 1.0)
    return math.ceil(top / step) * step, step


def column_chart(
    categories: Sequence[str],
    series: Sequence[tuple[str, str, Sequence[int]]],
    *,
    width: int = 960,
    height: int = 420,
) -> Chart:
    """Grouped columns: one group per category, one bar per series (id, label, values)."""
    left, right, top, base = 70.0, width - 16.0, 64.0, height - 64.0
    n = max(1, len(categories))
    high, step = nice_scale(max((v for _, _, vs in series for v in vs), default=0))
    group = (right - left) / n
    bar_w = group * 0.8 / max(1, len(series))
    bars: list[Bar] = []
    for i, category in enumerate(categories):
        for j, (sid, label, values) in enumerate(series):
            h = (base - top) * values[i] / high
            x = left + i * group + group * 0.1 + j * bar_w
            bars.append(
                Bar(
                    x,
                    base - h,
                    bar_w,
                    h,
                    sid,
                    f"{label}, {category}",
                    str(values[i]),
                    shown=bar_w >= 26 and (values[i] > 0 or n <= 8),  # no row of noughts
                )
            )
    ticks = [
        Tick(base - (base - top) * k * step / high, f"{k * step:g}")
        for k in range(int(high / step) + 1)
    ]
    every = max(1, math.ceil(n * 90 / (right - left)))  # keep ~90 units per label
    xlabels = [
        XLabel(left + i * group + group / 2, c) for i, c in enumerate(categories) if i % every == 0
    ]
    return Chart(
        width=width,
        height=height,
        left=left,
        right=right,
        top=top,
        base=base,
        bars=bars,
        ticks=ticks,
        xlabels=xlabels,
        legend=[(sid, label) for sid, label, _ in series],
    )


def bar_list(
    items: Sequence[tuple[str, float, str]], series: str, *, width: int = 960, row: int = 64
) -> Chart:
    """One horizontal bar per item (label, value, value as text), the label above it."""
    left, right = 16.0, width - 150.0
    high = max((v for _, v, _ in items), default=0.0) or 1.0
    bars = []
    for i, (label, value, text) in enumerate(items):
        w = max(2.0, (right - left) * value / high)
        shown = label if len(label) <= TITLE_CHARS else label[: TITLE_CHARS - 1] + "…"
        bars.append(Bar(left, 16.0 + i * row + 30, w, 22.0, series, shown, text))
    height = int(16 + len(items) * row + 8)
    return Chart(width, height, left, right, 16.0, height - 8.0, bars, [], [], [])


def span(seconds: float | None) -> str:
    """A duration for people: ``45 min``, ``5 h 10 min``, ``3 d 4 h``."""
    if seconds is None:
        return "–"
    minutes = int(seconds // 60)
    if minutes < 1:
        return "under 1 min"
    if minutes < 60:
        return f"{minutes} min"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} h {minutes % 60} min"
    return f"{hours // 24} d {hours % 24} h"


def percent(rate: float | None) -> str:
    return "–" if rate is None else f"{round(rate * 100)} %"


def day(ts: float) -> str:
    """A local date for people: ``Mon 12 Feb 2024``."""
    return dt.datetime.fromtimestamp(ts).strftime("%a %d %b %Y")


def flagged_sessions(report: GuardrailReport) -> list[list[Flag]]:
    """The flags grouped by session, in the report's order (most recent first)."""
    groups: dict[str, list[Flag]] = {}
    for f in report.flags:
        groups.setdefault(f.session_id, []).append(f)
    return list(groups.values())


def charts(report: MetricsReport) -> dict[str, Chart]:
    m = report.metrics
    weeks = [dt.datetime.fromtimestamp(w.start).strftime("%d %b") for w in m.weeks]
    return {
        "weekly": column_chart(
            weeks,
            [
                ("raised", "Raised", [w.raised for w in m.weeks]),
                ("removed", "Removed", [w.removed for w in m.weeks]),
            ],
        ),
        "decisions": column_chart(
            weeks, [("decisions", "Decisions", [w.decisions for w in m.weeks])], height=360
        ),
        "ages": column_chart(
            list(AGE_LABELS),
            [("ages", "Open impediments", [b.count for b in m.age_buckets])],
            height=380,
        ),
        "oldest": bar_list(
            [(i.title, i.age, span(i.age)) for i in m.open_impediments[:10]], "ages"
        ),
        "escalations": column_chart(
            [label for _, label in OUTCOMES],
            [
                (
                    "escalations",
                    "Escalations",
                    [getattr(m.escalations.outcomes, k) for k, _ in OUTCOMES],
                )
            ],
            height=380,
        ),
    }


# -- pages and API ------------------------------------------------------------------------

FromParam = Annotated[
    str | None, QueryParameter(name="from", description="First day, YYYY-MM-DD (with to)")
]
ToParam = Annotated[str | None, QueryParameter(description="Last day, YYYY-MM-DD (included)")]
DaysParam = Annotated[
    str | None,
    QueryParameter(description="The last 7, 30, 90 or 365 days up to today (default 30)"),
]


def _bad_period(renderer: Renderer, reason: str, back: str) -> Response[str]:
    body = renderer.page(
        "error.html",
        title="This period does not work",
        message=reason,
        back_href=back,
        back_label="Show the last 30 days",
    )
    return html(body, status=400)


def _page(request: Req, report: MetricsReport, chosen: Chosen, base: str) -> Response[str]:
    renderer: Renderer = request.app.state.renderer
    names: dict[str, ForumRef] = {}
    if report.forum is not None:
        names[report.forum.id] = report.forum
    for line in report.forums:
        names[line.forum.id] = line.forum
    body = renderer.page(
        "metrics.html",
        report=report,
        forum=report.forum,
        names=names,
        chosen=chosen,
        base=base,
        day_choices=DAYS,
        charts=charts(report),
        flagged=flagged_sessions(report.guardrails),
        rules=RULES,
        span=span,
        day=day,
        percent=percent,
        outcomes=OUTCOMES,
        outcome_labels=dict(OUTCOMES),
    )
    return html(body, headers={"Cache-Control": "no-store"})


async def _period_or_page(
    request: Req, days: str | None, from_: str | None, to: str | None, base: str
) -> Chosen | Response[str]:
    try:
        return choose_period(days, from_, to, time.time())
    except BadPeriod as e:
        return _bad_period(request.app.state.renderer, e.reason, base)


@get("/forums/{forum_id:str}/metrics", include_in_schema=False, guards=[forum_guard("viewer")])
async def forum_metrics_page(
    request: Req, forum_id: str, days: DaysParam = None, from_: FromParam = None, to: ToParam = None
) -> Response[str]:
    renderer: Renderer = request.app.state.renderer
    row = await request.app.state.store.forum(forum_id)
    if row is None:
        return not_found(renderer, "There is no forum at this address.")
    base = f"/forums/{forum_id}/metrics"
    chosen = await _period_or_page(request, days, from_, to, base)
    if isinstance(chosen, Response):
        return chosen
    try:
        report = await forum_report(request, row, chosen)
    except Unavailable as e:
        return not_found(renderer, f"The metrics of this forum cannot be computed: {e}")
    return _page(request, report, chosen, base)


@get("/metrics", include_in_schema=False)
async def network_metrics_page(
    request: Req, days: DaysParam = None, from_: FromParam = None, to: ToParam = None
) -> Response[str]:
    chosen = await _period_or_page(request, days, from_, to, "/metrics")
    if isinstance(chosen, Response):
        return chosen
    return _page(request, await network_report(request, chosen), chosen, "/metrics")


def _api_period(days: str | None, from_: str | None, to: str | None) -> Chosen:
    try:
        return choose_period(days, from_, to, time.time())
    except BadPeriod as e:
        raise ApiProblem(400, "invalid", e.reason) from None


class MetricsApi(Controller):
    path = "/api"
    tags = ["metrics"]
    exception_handlers = API_EXCEPTION_HANDLERS

    @get(
        "/forums/{forum_id:str}/metrics",
        responses={400: ERRORS[400], 404: ERRORS[404]},
        guards=[forum_guard("viewer")],
    )
    async def forum_metrics(
        self,
        request: Req,
        forum_id: str,
        days: DaysParam = None,
        from_: FromParam = None,
        to: ToParam = None,
    ) -> MetricsReport:
        """A forum's metrics (impediment age, time to removal, decision latency, next-step
        follow-through, counts per week) and guardrail flags over a period."""
        row = await request.app.state.store.forum(forum_id)
        if row is None:
            raise ApiProblem(404, "not_found", f"There is no forum {forum_id!r}.")
        chosen = _api_period(days, from_, to)
        try:
            return await forum_report(request, row, chosen)
        except Unavailable as e:
            raise ApiProblem(404, "not_found", str(e)) from None

    @get("/metrics", responses={400: ERRORS[400]})
    async def network_metrics(
        self, request: Req, days: DaysParam = None, from_: FromParam = None, to: ToParam = None
    ) -> MetricsReport:
        """The metrics of every forum the caller may see, together, with a line per
        forum, and their guardrail flags, over a period."""
        return await network_report(request, _api_period(days, from_, to))


METRICS_ROUTES: list[Callable[..., Any] | type[Controller] | Any] = [
    forum_metrics_page,
    network_metrics_page,
    MetricsApi,
]

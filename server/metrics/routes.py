"""Metrics and guardrails pages of a forum and of the network (server-rendered SVG).

``GET /forums/{id}/metrics`` and ``GET /metrics`` show, over a chosen period
(``?days=7|30|90|365`` or ``?from=YYYY-MM-DD&to=YYYY-MM-DD``), impediment age and
time to removal, decision latency, next-step follow-through, counts per week,
escalations (sent, received, outcomes, time to accept and to remove or return), and
the sessions the guardrails flag. Every chart is SVG drawn by ``templates/_charts.html``
from the geometry computed here, with a table of the same numbers beside it. The
JSON API (``/api/forums/{id}/metrics``, ``/api/metrics``) returns the same report.

The numbers come from ``board.metrics`` and ``board.guardrails`` over each forum's
replayed history (``Histories`` keeps it cached and up to date; ``report.py`` adds it
up, ``charts.py`` draws it). The network is the forums the person may see. Nothing here
writes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Annotated, Any

from litestar import Controller, Request, Response, get
from litestar.params import QueryParameter

from board.cadence import RULES as CADENCE_RULES
from board.guardrails import RULES
from server.access.guards import forum_guard, who
from server.cadence.charts import ALL_MEASURES, team_charts, team_rows, unit_of
from server.cadence.metrics_part import with_cadence
from server.metrics.charts import OUTCOMES, charts, day, flagged_sessions, percent, span
from server.metrics.histories import DAYS, BadPeriod, Chosen, Unavailable, choose_period
from server.metrics.report import ForumRef, MetricsReport, forum_report, network_report
from server.web.deps import HistoriesDep, RendererDep, StorageDep
from server.web.errors import (
    API_EXCEPTION_HANDLERS,
    ERRORS,
    ApiProblem,
    error_page,
    html,
    not_found,
)
from server.web.render import Renderer

Req = Request[Any, Any, Any]


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
    title, label = "This period does not work", "Show the last 30 days"
    return error_page(renderer, 400, title, reason, back, label)


def _page(renderer: Renderer, report: MetricsReport, chosen: Chosen, base: str) -> Response[str]:
    names: dict[str, ForumRef] = {}
    if report.forum is not None:
        names[report.forum.id] = report.forum
    for line in report.forums:
        names[line.forum.id] = line.forum
    names_of_teams = {t.id: t.name for t in renderer.teams.values()}
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
        team_charts=team_charts(report.team_metrics, names_of_teams) if report.team_metrics else {},
        team_measures=ALL_MEASURES,
        unit_of=unit_of,
        team_rows=team_rows,
        cadence_rules=CADENCE_RULES,
    )
    return html(body, headers={"Cache-Control": "no-store"})


def _period_or_page(
    renderer: Renderer, days: str | None, from_: str | None, to: str | None, base: str
) -> Chosen | Response[str]:
    try:
        return choose_period(days, from_, to, time.time())
    except BadPeriod as e:
        return _bad_period(renderer, e.reason, base)


@get("/forums/{forum_id:str}/metrics", include_in_schema=False, guards=[forum_guard("viewer")])
async def forum_metrics_page(
    request: Req,
    storage: StorageDep,
    renderer: RendererDep,
    histories: HistoriesDep,
    forum_id: str,
    days: DaysParam = None,
    from_: FromParam = None,
    to: ToParam = None,
) -> Response[str]:
    row = await storage.forums.forum(forum_id)
    if row is None:
        return not_found(renderer, "There is no forum at this address.")
    base = f"/forums/{forum_id}/metrics"
    chosen = _period_or_page(renderer, days, from_, to, base)
    if isinstance(chosen, Response):
        return chosen
    try:
        report = await forum_report(histories, storage, row, chosen)
    except Unavailable as e:
        return not_found(renderer, f"The metrics of this forum cannot be computed: {e}")
    visible = (await who(request)).visible()
    report = await with_cadence(report, storage, renderer, chosen, visible, row)
    return _page(renderer, report, chosen, base)


@get("/metrics", include_in_schema=False)
async def network_metrics_page(
    request: Req,
    storage: StorageDep,
    renderer: RendererDep,
    histories: HistoriesDep,
    days: DaysParam = None,
    from_: FromParam = None,
    to: ToParam = None,
) -> Response[str]:
    chosen = _period_or_page(renderer, days, from_, to, "/metrics")
    if isinstance(chosen, Response):
        return chosen
    visible = (await who(request)).visible()
    report = await network_report(histories, storage, visible, chosen)
    report = await with_cadence(report, storage, renderer, chosen, visible)
    return _page(renderer, report, chosen, "/metrics")


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
        storage: StorageDep,
        renderer: RendererDep,
        histories: HistoriesDep,
        forum_id: str,
        days: DaysParam = None,
        from_: FromParam = None,
        to: ToParam = None,
    ) -> MetricsReport:
        """A forum's metrics (impediment age, time to removal, decision latency, next-step
        follow-through, counts per week) and guardrail flags over a period."""
        row = await storage.forums.forum(forum_id)
        if row is None:
            raise ApiProblem(404, "not_found", f"There is no forum {forum_id!r}.")
        chosen = _api_period(days, from_, to)
        try:
            report = await forum_report(histories, storage, row, chosen)
        except Unavailable as e:
            raise ApiProblem(404, "not_found", str(e)) from None
        visible = (await who(request)).visible()
        return await with_cadence(report, storage, renderer, chosen, visible, row)

    @get("/metrics", responses={400: ERRORS[400]})
    async def network_metrics(
        self,
        request: Req,
        storage: StorageDep,
        renderer: RendererDep,
        histories: HistoriesDep,
        days: DaysParam = None,
        from_: FromParam = None,
        to: ToParam = None,
    ) -> MetricsReport:
        """The metrics of every forum the caller may see, together, with a line per
        forum, and their guardrail flags, over a period."""
        chosen = _api_period(days, from_, to)
        visible = (await who(request)).visible()
        report = await network_report(histories, storage, visible, chosen)
        return await with_cadence(report, storage, renderer, chosen, visible)


METRICS_ROUTES: list[Callable[..., Any] | type[Controller] | Any] = [
    forum_metrics_page,
    network_metrics_page,
    MetricsApi,
]

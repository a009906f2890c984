"""Recording the guide's metrics per team per sprint (SPEC R71): the form page of a
Scrum of Scrums or Scaled Retrospective (a participant records; anyone with the forum
sees), its JSON API, and the CSV export of every entry the caller may see.

One entry per team per sprint: recording again replaces it (the page's Edit link fills
the form with what was recorded). Bad input is answered 422 with the reason, the form
kept as typed, and nothing stored.
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable
from typing import Any, Final

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.response import Redirect

from board.sprints import SprintCalendar
from board.team_metrics import MEASURES, BadMetrics, TeamSprintMetrics, check_entry
from server.access.guards import check_form, forum_guard, who
from server.cadence.calendar import calendar_now
from server.forums.submit import author
from server.metrics.charts import number
from server.sessions.export_formats import csv_cell
from server.storage import Storage
from server.storage.records import ForumRow
from server.web.deps import RendererDep, SecretDep, StorageDep
from server.web.errors import API_EXCEPTION_HANDLERS, ERRORS, ApiProblem, html, not_found
from server.web.forms import FormData, current_name
from server.web.render import Renderer

Req = Request[Any, Any, Any]
RECORDED_IN: Final = ("sos", "retro")  # the forums a team's representative records in
UNITS: Final = tuple(f for m, _ in MEASURES for f in (m, f"{m}_unit"))
FIELDS: Final = ("team_id", "sprint", "happiness", *UNITS)


class TeamMetricsIn(msgspec.Struct, frozen=True, kw_only=True):
    """A team's metrics of a sprint, as the API takes them (units: the team's own words,
    required with a number; happiness 1-5)."""

    team_id: str
    sprint: int
    happiness: int
    productivity: float | None = None
    productivity_unit: str = ""
    value: float | None = None
    value_unit: str = ""
    quality: float | None = None
    quality_unit: str = ""


async def _forum(storage: Storage, forum_id: str) -> ForumRow | str | None:
    """The forum, ``None`` (no such forum) or why metrics are not recorded there."""
    row = await storage.forums.forum(forum_id)
    if row is None or row.kind in RECORDED_IN:
        return row
    return "Team metrics are recorded in a Scrum of Scrums or a Scaled Retrospective."


async def _record(
    storage: Storage, calendar: SprintCalendar, forum_id: str, raw: dict[str, object], by: str
) -> TeamSprintMetrics:
    """Check and store one entry (``BadMetrics``: nothing stored)."""
    now = time.time()
    teams = {t.id for t in await storage.forums.teams()}
    entry = check_entry(
        raw,
        teams=teams,
        current_sprint=calendar.number_at(now),
        forum_id=forum_id,
        by=by,
        at=now,
    )
    await storage.cadence.put_team_metrics(entry)
    return entry


def _page(
    renderer: Renderer,
    row: ForumRow,
    calendar: SprintCalendar,
    entries: list[TeamSprintMetrics],
    form: dict[str, str],
    *,
    error: BadMetrics | None = None,
    can_record: bool = True,
    saved: str = "",
) -> Response[str]:
    current = calendar.number_at(time.time())
    body = renderer.page(
        "team_metrics.html",
        forum=row,
        form=form,
        error=error,
        entries=sorted(entries, key=lambda e: (-e.sprint, e.team_id)),
        sprints=calendar.between(current - 5, current)[::-1],
        current=calendar.sprint(max(1, current)),
        started=current >= 1,
        measures=MEASURES,
        can_record=can_record,
        saved=saved,
    )
    return html(body, status=422 if error else 200, headers={"Cache-Control": "no-store"})


def _form_of(entry: TeamSprintMetrics | None, team: str, sprint: int) -> dict[str, str]:
    form = {f: "" for f in FIELDS} | {"team_id": team, "sprint": str(sprint)}
    if entry is not None:
        for f in FIELDS:
            value = getattr(entry, f)
            form[f] = "" if value is None else number(value) if f in dict(MEASURES) else str(value)
    return form


@get("/forums/{forum_id:str}/team-metrics", include_in_schema=False, guards=[forum_guard("viewer")])
async def team_metrics_page(
    request: Req,
    storage: StorageDep,
    renderer: RendererDep,
    forum_id: str,
    team: str | None = None,
    sprint: str | None = None,
    saved: str | None = None,
) -> Response[str]:
    """The form (``?team=&sprint=``: filled with what that team recorded then) and the
    entries of the last sprints."""
    row = await _forum(storage, forum_id)
    if not isinstance(row, ForumRow):
        return not_found(renderer, row or "There is no forum at this address.")
    calendar = await calendar_now(storage, renderer)
    current = max(1, calendar.number_at(time.time()))
    number = int(sprint) if sprint and sprint.isdigit() and int(sprint) <= current else current
    chosen = team or ""
    person = await who(request)
    entry = await storage.cadence.team_metric(chosen, number) if chosen else None
    if entry is not None and not person.sees(entry.forum_id):
        entry = None  # recorded in a forum this person has no link to
    role = person.role(forum_id)
    return _page(
        renderer,
        row,
        calendar,
        _visible_entries(await storage.cadence.team_metrics(), person.visible()),
        _form_of(entry, chosen, number),
        can_record=role in ("participant", "facilitator"),
        saved=saved or "",
    )


@post(
    "/forums/{forum_id:str}/team-metrics",
    include_in_schema=False,
    guards=[forum_guard("participant")],
)
async def record_team_metrics(
    request: Req,
    storage: StorageDep,
    renderer: RendererDep,
    secret: SecretDep,
    forum_id: str,
    data: FormData,
) -> Response[Any]:
    """Record (or replace) a team's metrics of a sprint from the form."""
    await check_form(request, data)
    row = await _forum(storage, forum_id)
    if not isinstance(row, ForumRow):
        return not_found(renderer, row or "There is no forum at this address.")
    calendar = await calendar_now(storage, renderer)
    form = {f: str(data.get(f, "")) for f in FIELDS}
    by = current_name(request, secret) or "API"
    try:
        entry = await _record(storage, calendar, forum_id, dict(form), by)
    except BadMetrics as e:
        visible = (await who(request)).visible()
        entries = _visible_entries(await storage.cadence.team_metrics(), visible)
        return _page(renderer, row, calendar, entries, form, error=e)
    where = f"/forums/{forum_id}/team-metrics?saved={entry.team_id}-{entry.sprint}"
    return Redirect(f"{where}#recorded", status_code=303)


def _visible_entries(
    entries: list[TeamSprintMetrics], visible: frozenset[str] | None
) -> list[TeamSprintMetrics]:
    return [e for e in entries if visible is None or e.forum_id in visible]


def csv_text(
    entries: list[TeamSprintMetrics], calendar: SprintCalendar, names: dict[str, str]
) -> str:
    """Every entry, a row each: team, sprint and its dates, the measures with their units."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(
        ["team_id", "team", "sprint", "sprint_start", "sprint_end"]
        + [f for m, _ in MEASURES for f in (m, f"{m}_unit")]
        + ["happiness", "forum_id", "recorded_by", "recorded_at"]
    )
    for e in entries:
        s = calendar.sprint(e.sprint)
        measured = [v for m, _ in MEASURES for v in (getattr(e, m), getattr(e, f"{m}_unit"))]
        w.writerow(
            csv_cell(v)
            for v in [e.team_id, names.get(e.team_id, e.team_id), e.sprint, s.first_day, s.last_day]
            + ["" if v is None else v for v in measured]
            + [e.happiness, e.forum_id, e.recorded_by, _iso(e.recorded_at)]
        )
    return out.getvalue()


def _iso(at: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(at))


@get("/team-metrics.csv", include_in_schema=False)
async def team_metrics_csv(
    request: Req, storage: StorageDep, renderer: RendererDep
) -> Response[str]:
    """Every team's metrics the caller may see (recorded in a forum they have a link
    to), as CSV."""
    calendar = await calendar_now(storage, renderer)
    entries = _visible_entries(await storage.cadence.team_metrics(), (await who(request)).visible())
    names = {t.id: t.name for t in await storage.forums.teams()}
    return Response(
        csv_text(entries, calendar, names),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="team-metrics.csv"'},
    )


class TeamMetricsApi(Controller):
    path = "/api"
    tags = ["metrics"]
    exception_handlers = API_EXCEPTION_HANDLERS

    @get("/team-metrics")
    async def list_team_metrics(self, request: Req, storage: StorageDep) -> list[TeamSprintMetrics]:
        """Every team's metrics per sprint the caller may see (recorded in a forum they
        have a link to), by sprint then team."""
        entries = await storage.cadence.team_metrics()
        return _visible_entries(entries, (await who(request)).visible())

    @post(
        "/forums/{forum_id:str}/team-metrics",
        responses={**ERRORS, 422: ERRORS[400]},
        guards=[forum_guard("participant")],
        status_code=200,
    )
    async def record(
        self,
        request: Req,
        storage: StorageDep,
        renderer: RendererDep,
        secret: SecretDep,
        forum_id: str,
        data: TeamMetricsIn,
    ) -> TeamSprintMetrics:
        """Record (or replace) a team's metrics of a sprint in a Scrum of Scrums or a
        Scaled Retrospective: 422 with the reason, nothing stored, for bad values."""
        row = await _forum(storage, forum_id)
        if row is None:
            raise ApiProblem(404, "not_found", f"There is no forum {forum_id!r}.")
        if isinstance(row, str):
            raise ApiProblem(422, "invalid", row)
        calendar = await calendar_now(storage, renderer)
        by, _ = await author(request, secret, forum_id)
        try:
            return await _record(storage, calendar, forum_id, msgspec.structs.asdict(data), by)
        except BadMetrics as e:
            raise ApiProblem(422, "invalid", f"{e.field}: {e.reason}") from None


TEAM_METRICS_ROUTES: list[Callable[..., Any] | type[Controller] | Any] = [
    team_metrics_page,
    record_team_metrics,
    team_metrics_csv,
    TeamMetricsApi,
]

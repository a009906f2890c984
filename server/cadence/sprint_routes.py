"""The sprint calendar (SPEC R69): the admin sets it (a form on ``/admin``, or ``PUT
/api/sprints``), ``/sprints`` lists the sprints with their dates and which forums met
in each, beside the cadence guardrails (SPEC R70); ``GET /api/sprints`` returns the
same."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any, Final

import msgspec
from litestar import Controller, Request, Response, get, post, put
from litestar.response import Redirect

from board.cadence import CadenceFlag
from board.sprints import BadCalendar, SprintCalendar, parse_calendar
from server.access.guards import admin_guard, check_form, who
from server.cadence.calendar import calendar_now, default_start, set_calendar
from server.cadence.guardrails import cadence_flags
from server.storage import Storage
from server.web.deps import RendererDep, StorageDep
from server.web.errors import API_EXCEPTION_HANDLERS, ERRORS, ApiProblem, error_page, html
from server.web.forms import FormData

Req = Request[Any, Any, Any]
LISTED: Final = 12  # sprints the calendar lists, up to the next one


class MetIn(msgspec.Struct, frozen=True):
    forum_id: str
    name: str
    kind: str
    sessions: int


class SprintLine(msgspec.Struct, frozen=True):
    """One sprint: its number and UTC days, and the forums that held a session in it."""

    number: int
    first_day: dt.date
    last_day: dt.date
    current: bool
    met: list[MetIn]


class CalendarOut(msgspec.Struct, frozen=True):
    """The calendar (``set_by``: ``""`` while the defaults apply), its sprints (newest
    first) and the cadence guardrails' flags."""

    days: int
    start: dt.date
    set_by: str
    current: int
    sprints: list[SprintLine]
    flags: list[CadenceFlag]


class CalendarIn(msgspec.Struct, frozen=True):
    """A sprint length (1-365 days) and the UTC date sprint 1 starts."""

    days: int
    start: str


async def calendar_report(
    storage: Storage, calendar: SprintCalendar, visible: frozenset[str] | None
) -> CalendarOut:
    now = time.time()
    current = calendar.number_at(now)
    shown = calendar.between(current - LISTED + 2, current + 1)
    numbers = {s.number for s in shown}
    met: dict[int, dict[str, int]] = {n: {} for n in numbers}
    rows = [r for r in await storage.forums.forums() if visible is None or r.id in visible]
    for row in rows:
        for s in await storage.sessions.of_forum(row.id):
            n = calendar.number_at(s.started_at)
            if n in met:
                met[n][row.id] = met[n].get(row.id, 0) + 1
    by_id = {r.id: r for r in rows}
    chosen = await storage.cadence.sprint_settings()
    return CalendarOut(
        days=calendar.days,
        start=calendar.start,
        set_by="" if chosen is None else chosen.updated_by,
        current=current,
        sprints=[
            SprintLine(
                number=s.number,
                first_day=s.first_day,
                last_day=s.last_day,
                current=s.number == current,
                met=[
                    MetIn(f, by_id[f].name, by_id[f].kind, k)
                    for f, k in sorted(met[s.number].items(), key=lambda x: by_id[x[0]].name)
                ],
            )
            for s in reversed(shown)
        ],
        flags=await cadence_flags(storage, calendar, visible, now=now),
    )


@get("/sprints", include_in_schema=False)
async def sprints_page(request: Req, storage: StorageDep, renderer: RendererDep) -> Response[str]:
    calendar = await calendar_now(storage, renderer)
    person = await who(request)
    report = await calendar_report(storage, calendar, person.visible())
    body = renderer.page("sprints.html", report=report, admin=person.admin)
    return html(body, headers={"Cache-Control": "no-store"})


@post("/admin/sprints", include_in_schema=False, guards=[admin_guard])
async def set_sprints_form(
    request: Req, storage: StorageDep, renderer: RendererDep, data: FormData
) -> Response[Any]:
    """Set the sprint length and the start of sprint 1 (the form on ``/admin``)."""
    await check_form(request, data)
    try:
        calendar = parse_calendar(data.get("days", ""), data.get("start", ""))
    except BadCalendar as e:
        title = "The sprint calendar was not changed"
        return error_page(renderer, 422, title, str(e), "/admin#sprints", "Back to the admin page")
    await set_calendar(storage, renderer, calendar)
    return Redirect("/admin?sprints=set#sprints", status_code=303)


async def admin_calendar(storage: Storage, sprint_days: int) -> dict[str, Any]:
    """What the admin page's calendar form shows: the calendar now and its defaults."""
    chosen = await storage.cadence.sprint_settings()
    start = await default_start(storage)
    return {
        "days": chosen.days if chosen else sprint_days,
        "start": (chosen.start if chosen else start).isoformat(),
        "set": chosen is not None,
        "default_days": sprint_days,
        "default_start": start.isoformat(),
    }


class SprintsApi(Controller):
    path = "/api"
    tags = ["metrics"]
    exception_handlers = API_EXCEPTION_HANDLERS

    @get("/sprints")
    async def sprints(
        self, request: Req, storage: StorageDep, renderer: RendererDep
    ) -> CalendarOut:
        """The sprint calendar, its last sprints with the forums that met in each (of
        those the caller may see), and the cadence guardrails' flags."""
        calendar = await calendar_now(storage, renderer)
        return await calendar_report(storage, calendar, (await who(request)).visible())

    @put("/sprints", guards=[admin_guard], responses={**ERRORS, 422: ERRORS[400]})
    async def set_sprints(
        self, storage: StorageDep, renderer: RendererDep, data: CalendarIn
    ) -> CalendarOut:
        """Set the sprint length and the UTC date sprint 1 starts (admin only)."""
        try:
            calendar = parse_calendar(str(data.days), data.start)
        except BadCalendar as e:
            raise ApiProblem(422, "invalid", str(e)) from None
        await set_calendar(storage, renderer, calendar)
        return await calendar_report(storage, calendar, None)


SPRINT_ROUTES: list[Callable[..., Any] | type[Controller] | Any] = [
    sprints_page,
    set_sprints_form,
    SprintsApi,
]

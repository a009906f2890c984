"""History pages: sessions of the network, the decisions log, next steps.

The lists come from ``server.sessions.listing`` (storage's ``HistoryQueries`` plus the
live rooms); the same lists as JSON are ``history_api.py``. Marking a next step done, dropped
or open again is a plain form per row (no script): it submits an ``update_next_step``
op through the forum's room, the same path as the JSON API's
``PATCH /api/forums/{id}/next-steps/{step}`` and the websocket, so the change is in
the op log with who and when, in ``next_steps`` through the projections, and on the
live board of everyone in the forum.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote, urlencode

from litestar import Request, Response, get, post
from litestar.response import Redirect

from board import ops as o
from board.access import can
from board.sync import Refused
from server.access.guards import check_form, forum_guard, who
from server.access.identity import current_key, safe_next
from server.cadence.calendar import calendar_now
from server.live.registry import Rooms
from server.sessions.checks import (
    PAGE_SIZE,
    STATUSES,
    STEP_STATUS,
    BadQuery,
    check_flag,
    check_kind,
    check_page,
    check_status,
    check_text,
)
from server.sessions.listing import list_decisions, list_sessions, list_steps
from server.storage import Storage
from server.storage.history import StepFilter
from server.storage.records import ForumRow
from server.web.deps import HistoriesDep, RendererDep, RoomsDep, SecretDep, StorageDep
from server.web.errors import STATUS, error_page, html, not_found
from server.web.forms import FormData, current_name
from server.web.render import Renderer

Req = Request[Any, Any, Any]


# -- pages ------------------------------------------------------------------------------


def _href(path: str, **params: Any) -> str:
    """``path`` with the filters that are set (and the page, unless it is the first)."""
    kept = {k: v for k, v in params.items() if v is not None and v != ""}
    if kept.get("page") == 1:
        del kept["page"]
    return f"{path}?{urlencode(kept)}" if kept else path


def _pager(path: str, page: int, total: int, filters: dict[str, Any]) -> dict[str, Any]:
    pages = max(1, -(-total // PAGE_SIZE))
    return {
        "page": page,
        "pages": pages,
        "first": _href(path, **filters),
        "total": total,
        "prev": _href(path, **filters, page=page - 1) if page > 1 else None,
        "next": _href(path, **filters, page=page + 1) if page < pages else None,
    }


def _bad(renderer: Renderer, reason: str, back: str) -> Response[str]:
    return error_page(
        renderer, 400, "This filter does not work", reason, back, "Show the whole list"
    )


async def _scope(storage: Storage, forum_id: str | None) -> tuple[ForumRow | None, str]:
    """The forum of a per-forum page (``None`` network-wide) and the page's base path."""
    if forum_id is None:
        return None, ""
    return await storage.forums.forum(forum_id), f"/forums/{forum_id}"


@get("/sessions", include_in_schema=False)
async def network_sessions(
    request: Req,
    storage: StorageDep,
    rooms: RoomsDep,
    renderer: RendererDep,
    histories: HistoriesDep,
    kind: str | None = None,
    page: str | None = None,
) -> Response[str]:
    try:
        kind_id, number = check_kind(kind), check_page(page)
    except BadQuery as e:
        return _bad(renderer, e.reason, "/sessions")
    offset = (number - 1) * PAGE_SIZE
    visible = (await who(request)).visible()
    total, found = await list_sessions(
        storage.history, rooms, kind=kind_id, limit=PAGE_SIZE, offset=offset, visible=visible
    )
    flags = await histories.session_flags([s.forum_id for s in found])
    await calendar_now(storage, renderer)  # the sprints the rows are labelled with
    body = renderer.page(
        "history_sessions.html",
        sessions=found,
        flags=flags,
        kind=kind_id or "",
        pager=_pager("/sessions", number, total, {"kind": kind_id}),
    )
    return html(body)


class _Page:
    """What every history page handler gets injected, passed on as one."""

    __slots__ = ("renderer", "request", "rooms", "secret", "storage")

    def __init__(
        self,
        request: Req,
        storage: Storage,
        rooms: Rooms,
        renderer: Renderer,
        secret: str = "",
    ) -> None:
        self.request = request
        self.storage = storage
        self.rooms = rooms
        self.renderer = renderer
        self.secret = secret


async def _decisions_page(
    p: _Page, forum_id: str | None, q: str | None, page: str | None
) -> Response[str]:
    renderer = p.renderer
    forum, base = await _scope(p.storage, forum_id)
    if forum_id is not None and forum is None:
        return not_found(renderer, "There is no forum at this address.")
    path = f"{base}/decisions"
    try:
        text, number = check_text(q, "search text"), check_page(page)
    except BadQuery as e:
        return _bad(renderer, e.reason, path)
    total, found = await list_decisions(
        p.storage.history,
        p.rooms,
        forum_id=forum_id,
        q=text,
        limit=PAGE_SIZE,
        offset=(number - 1) * PAGE_SIZE,
        visible=(await who(p.request)).visible(),
    )
    await calendar_now(p.storage, renderer)
    body = renderer.page(
        "decisions.html",
        forum=forum,
        decisions=found,
        q=text,
        path=path,
        pager=_pager(path, number, total, {"q": text}),
    )
    return html(body)


@get("/decisions", include_in_schema=False)
async def network_decisions(
    request: Req,
    storage: StorageDep,
    rooms: RoomsDep,
    renderer: RendererDep,
    q: str | None = None,
    page: str | None = None,
) -> Response[str]:
    return await _decisions_page(_Page(request, storage, rooms, renderer), None, q, page)


@get("/forums/{forum_id:str}/decisions", include_in_schema=False, guards=[forum_guard("viewer")])
async def forum_decisions(
    request: Req,
    storage: StorageDep,
    rooms: RoomsDep,
    renderer: RendererDep,
    forum_id: str,
    q: str | None = None,
    page: str | None = None,
) -> Response[str]:
    p = _Page(request, storage, rooms, renderer)
    return await _decisions_page(p, forum_id, q, page)


async def _steps_page(
    p: _Page, forum_id: str | None, query: dict[str, str | None]
) -> Response[str]:
    renderer = p.renderer
    forum, base = await _scope(p.storage, forum_id)
    if forum_id is not None and forum is None:
        return not_found(renderer, "There is no forum at this address.")
    path = f"{base}/next-steps"
    try:
        f = StepFilter(
            forum_id=forum_id,
            status=check_status(query["status"]),
            owner=check_text(query["owner"], "owner"),
            overdue=check_flag(query["overdue"]),
        )
        number = check_page(query["page"])
    except BadQuery as e:
        return _bad(renderer, e.reason, path)
    today = dt.date.today()
    person = await who(p.request)
    visible = person.visible()
    total, found = await list_steps(
        p.storage.history,
        p.rooms,
        f,
        today=today,
        limit=PAGE_SIZE,
        offset=(number - 1) * PAGE_SIZE,
        visible=visible,
    )
    filters = {"status": f.status, "owner": f.owner, "overdue": "true" if f.overdue else None}
    await calendar_now(p.storage, renderer)
    body = renderer.page(
        "next_steps.html",
        forum=forum,
        steps=found,
        filters=f,
        can_change=lambda fid: can(person.role(fid), "update_next_step"),
        owners=await p.storage.history.step_owners(forum_id, visible),
        statuses=STATUSES,
        path=path,
        here=_href(path, **filters, page=number),
        pager=_pager(path, number, total, filters),
        name=current_name(p.request, p.secret),
    )
    return html(body, headers={"Cache-Control": "no-store"})


@get("/next-steps", include_in_schema=False)
async def network_steps(
    request: Req,
    storage: StorageDep,
    rooms: RoomsDep,
    renderer: RendererDep,
    secret: SecretDep,
    status: str | None = None,
    owner: str | None = None,
    overdue: str | None = None,
    page: str | None = None,
) -> Response[str]:
    query = {"status": status, "owner": owner, "overdue": overdue, "page": page}
    p = _Page(request, storage, rooms, renderer, secret)
    return await _steps_page(p, None, query)


@get("/forums/{forum_id:str}/next-steps", include_in_schema=False, guards=[forum_guard("viewer")])
async def forum_steps(
    request: Req,
    storage: StorageDep,
    rooms: RoomsDep,
    renderer: RendererDep,
    secret: SecretDep,
    forum_id: str,
    status: str | None = None,
    owner: str | None = None,
    overdue: str | None = None,
    page: str | None = None,
) -> Response[str]:
    query = {"status": status, "owner": owner, "overdue": overdue, "page": page}
    p = _Page(request, storage, rooms, renderer, secret)
    return await _steps_page(p, forum_id, query)


@post(
    "/forums/{forum_id:str}/next-steps/{step_id:str}",
    include_in_schema=False,
    guards=[forum_guard("participant")],
)
async def change_step(
    request: Req,
    storage: StorageDep,
    rooms: RoomsDep,
    renderer: RendererDep,
    secret: SecretDep,
    forum_id: str,
    step_id: str,
    data: FormData,
) -> Response[Any]:
    """Mark a next step done, dropped or open again (one small form per row)."""
    await check_form(request, data)
    back = safe_next(data.get("back"), "/next-steps")
    name = current_name(request, secret)
    if name is None:
        return Redirect(f"/name?next={quote(back, safe='/')}", status_code=303)

    def refuse(status: int, message: str) -> Response[str]:
        title, label = "The next step was not changed", "Back to the next steps"
        return error_page(renderer, status, title, message, back, label)

    raw = data.get("status", "")
    status = STEP_STATUS.get(raw)
    if status is None:
        return refuse(400, f"Choose a status: {', '.join(STATUSES)} (not {raw[:40]!r}).")
    if await storage.forums.forum(forum_id) is None:
        return not_found(renderer, "There is no forum at this address.")
    known = await storage.sessions.step_status(forum_id, step_id)
    if known is None:
        return refuse(404, f"This forum has no next step {step_id[:64]!r}.")
    op = o.UpdateNextStep(step=step_id, status=status)
    outcome = await rooms.submit(forum_id, op, actor=name, by=current_key(request, secret) or "")
    if outcome is None:
        return not_found(renderer, "There is no forum at this address.")
    if isinstance(outcome, Refused):
        if outcome.code == "not_found":
            return refuse(
                409,
                f"This next step is {known} and its session has ended since, "
                "so it can no longer be changed.",
            )
        return refuse(STATUS.get(outcome.code, 400), outcome.reason)
    return Redirect(back, status_code=303)


HISTORY_PAGES: list[Any] = [
    network_sessions,
    network_decisions,
    forum_decisions,
    network_steps,
    forum_steps,
    change_step,
]

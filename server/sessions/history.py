"""History pages and API: sessions of the network, the decisions log, next steps.

The lists come from ``server/history_queries.py``. Marking a next step done, dropped
or open again is a plain form per row (no script): it submits an ``update_next_step``
op through the forum's room, the same path as the JSON API's
``PATCH /api/forums/{id}/next-steps/{step}`` and the websocket, so the change is in
the op log with who and when, in ``next_steps`` through the projections, and on the
live board of everyone in the forum.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Final
from urllib.parse import quote, urlencode

from litestar import Controller, Request, Response, get, post
from litestar.params import Parameter
from litestar.response import Redirect

from board import ops as o
from board.access import can
from board.sync import Refused
from server.access.csrf import check_form
from server.access.identity import safe_next
from server.access.service import forum_guard, refused, who
from server.forums.api import API_EXCEPTION_HANDLERS, ERRORS, STATUS, ApiProblem
from server.forums.pages import FormData, current_name, html, not_found
from server.live.registry import Rooms
from server.metrics.histories import session_flags
from server.storage.sqlite.history import (
    PAGE_SIZE,
    STATUSES,
    STEP_STATUS,
    BadQuery,
    DecisionList,
    SessionList,
    StepFilter,
    StepList,
    check_flag,
    check_forum,
    check_kind,
    check_page,
    check_status,
    check_text,
    list_decisions,
    list_sessions,
    list_steps,
    step_owners,
)
from server.storage.sqlite.store import ForumRow, Store
from server.web.render import Renderer

API_LIMIT: Final = 50  # default ``limit`` of the API lists
MAX_LIMIT: Final = 200
MAX_OFFSET: Final = 1_000_000_000  # beyond any list (and inside SQLite's integers)

# -- pages ------------------------------------------------------------------------------

Req = Request[Any, Any, Any]


def _state(request: Req) -> tuple[Store, Rooms, Renderer]:
    s = request.app.state
    return s.store, s.rooms, s.renderer


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
    body = renderer.page(
        "error.html",
        title="This filter does not work",
        message=reason,
        back_href=back,
        back_label="Show the whole list",
    )
    return html(body, status=400)


async def _scope(request: Req, forum_id: str | None) -> tuple[ForumRow | None, str]:
    """The forum of a per-forum page (``None`` network-wide) and the page's base path."""
    if forum_id is None:
        return None, ""
    forum = await request.app.state.store.forum(forum_id)
    return forum, f"/forums/{forum_id}"


@get("/sessions", include_in_schema=False)
async def network_sessions(
    request: Req, kind: str | None = None, page: str | None = None
) -> Response[str]:
    store, rooms, renderer = _state(request)
    try:
        kind_id, number = check_kind(kind), check_page(page)
    except BadQuery as e:
        return _bad(renderer, e.reason, "/sessions")
    offset = (number - 1) * PAGE_SIZE
    visible = (await who(request)).visible()
    total, found = await list_sessions(store, rooms, kind=kind_id, offset=offset, visible=visible)
    flags = await session_flags(request.app.state, [s.forum_id for s in found])
    body = renderer.page(
        "history_sessions.html",
        sessions=found,
        flags=flags,
        kind=kind_id or "",
        pager=_pager("/sessions", number, total, {"kind": kind_id}),
    )
    return html(body)


async def _decisions_page(
    request: Req, forum_id: str | None, q: str | None, page: str | None
) -> Response[str]:
    store, rooms, renderer = _state(request)
    forum, base = await _scope(request, forum_id)
    if forum_id is not None and forum is None:
        return not_found(renderer, "There is no forum at this address.")
    path = f"{base}/decisions"
    try:
        text, number = check_text(q, "search text"), check_page(page)
    except BadQuery as e:
        return _bad(renderer, e.reason, path)
    total, found = await list_decisions(
        store,
        rooms,
        forum_id=forum_id,
        q=text,
        offset=(number - 1) * PAGE_SIZE,
        visible=(await who(request)).visible(),
    )
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
    request: Req, q: str | None = None, page: str | None = None
) -> Response[str]:
    return await _decisions_page(request, None, q, page)


@get("/forums/{forum_id:str}/decisions", include_in_schema=False, guards=[forum_guard("viewer")])
async def forum_decisions(
    request: Req, forum_id: str, q: str | None = None, page: str | None = None
) -> Response[str]:
    return await _decisions_page(request, forum_id, q, page)


async def _steps_page(
    request: Req, forum_id: str | None, query: dict[str, str | None]
) -> Response[str]:
    store, rooms, renderer = _state(request)
    forum, base = await _scope(request, forum_id)
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
    person = await who(request)
    visible = person.visible()
    total, found = await list_steps(
        store, rooms, f, today=today, offset=(number - 1) * PAGE_SIZE, visible=visible
    )
    filters = {"status": f.status, "owner": f.owner, "overdue": "true" if f.overdue else None}
    body = renderer.page(
        "next_steps.html",
        forum=forum,
        steps=found,
        filters=f,
        can_change=lambda fid: can(person.role(fid), "update_next_step"),
        owners=await step_owners(store, forum_id, visible),
        statuses=STATUSES,
        path=path,
        here=_href(path, **filters, page=number),
        pager=_pager(path, number, total, filters),
        name=current_name(request),
    )
    return html(body, headers={"Cache-Control": "no-store"})


@get("/next-steps", include_in_schema=False)
async def network_steps(
    request: Req,
    status: str | None = None,
    owner: str | None = None,
    overdue: str | None = None,
    page: str | None = None,
) -> Response[str]:
    query = {"status": status, "owner": owner, "overdue": overdue, "page": page}
    return await _steps_page(request, None, query)


@get("/forums/{forum_id:str}/next-steps", include_in_schema=False, guards=[forum_guard("viewer")])
async def forum_steps(
    request: Req,
    forum_id: str,
    status: str | None = None,
    owner: str | None = None,
    overdue: str | None = None,
    page: str | None = None,
) -> Response[str]:
    query = {"status": status, "owner": owner, "overdue": overdue, "page": page}
    return await _steps_page(request, forum_id, query)


@post(
    "/forums/{forum_id:str}/next-steps/{step_id:str}",
    include_in_schema=False,
    guards=[forum_guard("participant")],
)
async def change_step(request: Req, forum_id: str, step_id: str, data: FormData) -> Response[Any]:
    """Mark a next step done, dropped or open again (one small form per row)."""
    store, rooms, renderer = _state(request)
    await check_form(request, data)
    back = safe_next(data.get("back"), "/next-steps")
    name = current_name(request)
    if name is None:
        return Redirect(f"/name?next={quote(back, safe='/')}", status_code=303)

    def refuse(status: int, message: str) -> Response[str]:
        body = renderer.page(
            "error.html",
            title="The next step was not changed",
            message=message,
            back_href=back,
            back_label="Back to the next steps",
        )
        return html(body, status=status)

    raw = data.get("status", "")
    status = STEP_STATUS.get(raw)
    if status is None:
        return refuse(400, f"Choose a status: {', '.join(STATUSES)} (not {raw[:40]!r}).")
    if await store.forum(forum_id) is None:
        return not_found(renderer, "There is no forum at this address.")
    known = await store.fetch(
        "SELECT status FROM next_steps WHERE forum_id = ? AND id = ?", (forum_id, step_id)
    )
    if not known:
        return refuse(404, f"This forum has no next step {step_id[:64]!r}.")
    op = o.UpdateNextStep(step=step_id, status=status)
    outcome = await rooms.submit(forum_id, op, actor=name)
    if outcome is None:
        return not_found(renderer, "There is no forum at this address.")
    if isinstance(outcome, Refused):
        if outcome.code == "not_found":
            return refuse(
                409,
                f"This next step is {known[0][0]} and its session has ended since, "
                "so it can no longer be changed.",
            )
        return refuse(STATUS.get(outcome.code, 400), outcome.reason)
    return Redirect(back, status_code=303)


# -- JSON API ---------------------------------------------------------------------------

Limit = Annotated[int, Parameter(ge=1, le=MAX_LIMIT, description="How many to return")]
Offset = Annotated[int, Parameter(ge=0, le=MAX_OFFSET, description="How many to skip")]


async def _api_checked(request: Req, forum: str | None) -> str | None:
    """The ``forum`` filter: a forum that exists and that the caller may see."""
    try:
        found = await check_forum(request.app.state.store, forum)
    except BadQuery as e:
        raise ApiProblem(400, "invalid", e.reason) from None
    person = await who(request)
    if found is not None and not person.sees(found):
        raise refused(request, person, "viewer")
    return found


def _invalid(e: BadQuery) -> ApiProblem:
    return ApiProblem(400, "invalid", e.reason)


class HistoryApi(Controller):
    path = "/api"
    tags = ["history"]
    exception_handlers = API_EXCEPTION_HANDLERS

    @get("/sessions", responses={400: ERRORS[400]})
    async def recent_sessions(
        self,
        request: Req,
        forum: Annotated[str | None, Parameter(description="Only this forum")] = None,
        kind: Annotated[str | None, Parameter(description="Only forums of this kind")] = None,
        limit: Limit = API_LIMIT,
        offset: Offset = 0,
    ) -> SessionList:
        """Sessions of the whole network, newest first, with their counts (decisions,
        next steps, operations, cards moved)."""
        forum_id = await _api_checked(request, forum)
        try:
            kind_id = check_kind(kind)
        except BadQuery as e:
            raise _invalid(e) from None
        store, rooms, _ = _state(request)
        total, items = await list_sessions(
            store,
            rooms,
            forum_id=forum_id,
            kind=kind_id,
            limit=limit,
            offset=offset,
            visible=(await who(request)).visible(),
        )
        return SessionList(items=items, total=total, limit=limit, offset=offset)

    @get("/decisions", responses={400: ERRORS[400]})
    async def decisions(
        self,
        request: Req,
        q: Annotated[str | None, Parameter(description="Text the decision contains")] = None,
        forum: Annotated[str | None, Parameter(description="Only this forum")] = None,
        limit: Limit = API_LIMIT,
        offset: Offset = 0,
    ) -> DecisionList:
        """Decisions of the network, newest first; ``q`` matches text case-insensitively
        (``%`` and ``_`` are literal). Each names its session and its cards' titles."""
        forum_id = await _api_checked(request, forum)
        try:
            text = check_text(q, "search text")
        except BadQuery as e:
            raise _invalid(e) from None
        store, rooms, _ = _state(request)
        total, items = await list_decisions(
            store,
            rooms,
            forum_id=forum_id,
            q=text,
            limit=limit,
            offset=offset,
            visible=(await who(request)).visible(),
        )
        return DecisionList(items=items, total=total, limit=limit, offset=offset)

    @get("/next-steps", responses={400: ERRORS[400]})
    async def next_steps(
        self,
        request: Req,
        status: Annotated[str | None, Parameter(description="open, done or dropped")] = None,
        owner: Annotated[str | None, Parameter(description="Owner (any case)")] = None,
        forum: Annotated[str | None, Parameter(description="Only this forum")] = None,
        overdue: Annotated[bool, Parameter(description="Only open steps past due")] = False,
        limit: Limit = API_LIMIT,
        offset: Offset = 0,
    ) -> StepList:
        """Every next step of the network: open ones first, soonest due first.
        ``changeable`` says whether the step is still on its forum's board."""
        forum_id = await _api_checked(request, forum)
        try:
            f = StepFilter(
                forum_id=forum_id,
                status=check_status(status),
                owner=check_text(owner, "owner"),
                overdue=overdue,
            )
        except BadQuery as e:
            raise _invalid(e) from None
        store, rooms, _ = _state(request)
        total, items = await list_steps(
            store,
            rooms,
            f,
            today=dt.date.today(),
            limit=limit,
            offset=offset,
            visible=(await who(request)).visible(),
        )
        return StepList(items=items, total=total, limit=limit, offset=offset)


HISTORY_ROUTES: list[Any] = [
    network_sessions,
    network_decisions,
    forum_decisions,
    network_steps,
    forum_steps,
    change_step,
    HistoryApi,
]

"""The history lists as JSON: sessions of the network, the decisions log, next steps
(``/api/sessions``, ``/api/decisions``, ``/api/next-steps``), filtered and paged; the
pages are ``history.py``."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Final

from litestar import Controller, Request, get
from litestar.params import Parameter

from server.access.guards import no_access, who
from server.sessions.checks import BadQuery, check_forum, check_kind, check_status, check_text
from server.sessions.listing import list_decisions, list_sessions, list_steps
from server.storage import Storage
from server.storage.history import DecisionList, SessionList, StepFilter, StepList
from server.web.deps import RoomsDep, StorageDep
from server.web.errors import API_EXCEPTION_HANDLERS, ERRORS, ApiProblem

API_LIMIT: Final = 50  # default ``limit`` of the API lists
MAX_LIMIT: Final = 200
MAX_OFFSET: Final = 1_000_000_000  # beyond any list (and inside SQLite's integers)

Req = Request[Any, Any, Any]

Limit = Annotated[int, Parameter(ge=1, le=MAX_LIMIT, description="How many to return")]
Offset = Annotated[int, Parameter(ge=0, le=MAX_OFFSET, description="How many to skip")]


async def _api_checked(request: Req, storage: Storage, forum: str | None) -> str | None:
    """The ``forum`` filter: a forum that the caller may see (one answer for one they
    may not see and one that does not exist) and that exists."""
    person = await who(request)
    if forum and not person.sees(forum):
        raise no_access(request, person)
    try:
        return await check_forum(storage, forum)
    except BadQuery as e:
        raise ApiProblem(400, "invalid", e.reason) from None


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
        storage: StorageDep,
        rooms: RoomsDep,
        forum: Annotated[str | None, Parameter(description="Only this forum")] = None,
        kind: Annotated[str | None, Parameter(description="Only forums of this kind")] = None,
        limit: Limit = API_LIMIT,
        offset: Offset = 0,
    ) -> SessionList:
        """Sessions of the whole network, newest first, with their counts (decisions,
        next steps, operations, cards moved)."""
        forum_id = await _api_checked(request, storage, forum)
        try:
            kind_id = check_kind(kind)
        except BadQuery as e:
            raise _invalid(e) from None
        total, items = await list_sessions(
            storage.history,
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
        storage: StorageDep,
        rooms: RoomsDep,
        q: Annotated[str | None, Parameter(description="Text the decision contains")] = None,
        forum: Annotated[str | None, Parameter(description="Only this forum")] = None,
        limit: Limit = API_LIMIT,
        offset: Offset = 0,
    ) -> DecisionList:
        """Decisions of the network, newest first; ``q`` matches text case-insensitively
        (``%`` and ``_`` are literal). Each names its session and its cards' titles."""
        forum_id = await _api_checked(request, storage, forum)
        try:
            text = check_text(q, "search text")
        except BadQuery as e:
            raise _invalid(e) from None
        total, items = await list_decisions(
            storage.history,
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
        storage: StorageDep,
        rooms: RoomsDep,
        status: Annotated[str | None, Parameter(description="open, done or dropped")] = None,
        owner: Annotated[str | None, Parameter(description="Owner (any case)")] = None,
        forum: Annotated[str | None, Parameter(description="Only this forum")] = None,
        overdue: Annotated[bool, Parameter(description="Only open steps past due")] = False,
        limit: Limit = API_LIMIT,
        offset: Offset = 0,
    ) -> StepList:
        """Every next step of the network: open ones first, soonest due first.
        ``changeable`` says whether the step is still on its forum's board."""
        forum_id = await _api_checked(request, storage, forum)
        try:
            f = StepFilter(
                forum_id=forum_id,
                status=check_status(status),
                owner=check_text(owner, "owner"),
                overdue=overdue,
            )
        except BadQuery as e:
            raise _invalid(e) from None
        total, items = await list_steps(
            storage.history,
            rooms,
            f,
            today=dt.date.today(),
            limit=limit,
            offset=offset,
            visible=(await who(request)).visible(),
        )
        return StepList(items=items, total=total, limit=limit, offset=offset)


HISTORY_API: list[Any] = [HistoryApi]

"""The Standards page and API (SPEC R66, R67).

- ``GET /standards``: every standard every EAT adopted (text, when and in which EAT
  session, what it applies to, the card it came from, retired ones with why),
  filterable by status, forum, kind of forum and text; each EAT's facilitator may
  retire one there.
- ``GET /api/standards``: the same as JSON, with the same filters.
- ``POST /api/forums/{id}/cards/{card}/adopt``: the EAT's facilitator adopts an
  improvement card as a standard; ``POST /api/forums/{id}/standards/{sid}/retire``
  retires one with a reason.

Everyone with a link to some forum may read the standards: they are the network's.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post

from board.kinds import FORUM_KINDS
from board.model import Standard
from server.access.guards import forum_guard, member_guard, who
from server.access.identity import api_key, api_label, current_key
from server.network.standards import (
    AdoptIn,
    RetireIn,
    Status,
    adopt,
    every_standard,
    retire,
    select,
)
from server.web.deps import RendererDep, RoomsDep, SecretDep, StorageDep
from server.web.errors import API_EXCEPTION_HANDLERS, ERRORS, html
from server.web.forms import current_name

Req = Request[Any, Any, Any]


async def _author(request: Req, secret: str, forum_id: str) -> tuple[str, str]:
    """Who the change is by (SPEC R40): a bearer's link label, else the signed name."""
    person = await who(request)
    if person.bearer:
        label = api_label(person.role(forum_id), admin=person.admin)
        return label, api_key(label)
    return current_name(request, secret) or "API", current_key(request, secret) or ""


@get("/standards", include_in_schema=False, guards=[member_guard])
async def standards_page(
    request: Req,
    storage: StorageDep,
    rooms: RoomsDep,
    renderer: RendererDep,
    status: Status = "all",
    forum: str = "",
    kind: str = "",
    q: str = "",
) -> Response[str]:
    """Every standard of the network, filterable."""
    person = await who(request)
    rows = {f.id: f for f in await storage.forums.forums()}
    everything = await every_standard(storage, rooms)
    shown = select(everything, rows, status=status, forum=forum, kind=kind, text=q)
    body = renderer.page(
        "standards.html",
        standards=shown,
        total=len(everything),
        forums=rows,
        kinds=FORUM_KINDS,
        status=status,
        forum=forum if forum in rows else "",
        kind=kind if kind in FORUM_KINDS else "",
        q=q,
        retires={s.eat for s in shown if person.role(s.eat) == "facilitator"},
        admin=person.admin,
    )
    return html(body, headers={"Cache-Control": "no-store"})


class StandardsApi(Controller):
    path = "/api"
    tags = ["standards"]
    exception_handlers = API_EXCEPTION_HANDLERS

    @get("/standards", guards=[member_guard], responses={401: ERRORS[401]})
    async def standards(
        self,
        storage: StorageDep,
        rooms: RoomsDep,
        status: Status = "all",
        forum: str = "",
        kind: str = "",
        q: str = "",
    ) -> list[Standard]:
        """Every standard every EAT adopted, newest first (``retired_at`` 0: in force).
        Filters: ``status`` (``all``, ``in-force``, ``retired``), ``forum`` (applies to
        it), ``kind`` (applies to some forum of that kind), ``q`` (in its text)."""
        rows = {f.id: f for f in await storage.forums.forums()}
        everything = await every_standard(storage, rooms)
        return select(everything, rows, status=status, forum=forum, kind=kind, text=q)

    @post(
        "/forums/{forum_id:str}/cards/{card_id:str}/adopt",
        guards=[forum_guard("facilitator")],
        responses=ERRORS,
    )
    async def adopt_card(
        self,
        request: Req,
        storage: StorageDep,
        rooms: RoomsDep,
        secret: SecretDep,
        forum_id: str,
        card_id: str,
        data: AdoptIn,
    ) -> Standard:
        """Adopt an improvement card of this EAT as a standard (facilitator; a session
        must be running: it is recorded as one of its decisions). Every forum it
        applies to is told at once, live."""
        by = await _author(request, secret, forum_id)
        return await adopt(rooms, storage, forum_id, card_id, data, by)

    @post(
        "/forums/{forum_id:str}/standards/{standard_id:str}/retire",
        guards=[forum_guard("facilitator")],
        responses=ERRORS,
        status_code=200,
    )
    async def retire_standard(
        self,
        request: Req,
        rooms: RoomsDep,
        secret: SecretDep,
        forum_id: str,
        standard_id: str,
        data: RetireIn,
    ) -> Standard:
        """Retire a standard this EAT adopted, with a reason (facilitator); it stays in
        the list, marked retired."""
        by = await _author(request, secret, forum_id)
        return await retire(rooms, forum_id, standard_id, data, by)


STANDARDS_ROUTES: list[Any] = [standards_page, StandardsApi]

"""Which Scaled Backlog a MetaScrum's ordered column is one list with (SPEC R57, R76):
read it (any forum member of either board) and choose it (the admin), through the JSON
API and the form on ``/admin``.

- ``GET /api/forums/{id}/backlog`` → ``{forum, name}`` (``forum: null``: none);
- ``POST /api/forums/{id}/backlog`` ``{"forum": id | null}`` (the admin; ``null``: none);
- ``POST /admin/forums/{id}/backlog`` (form: ``backlog``, empty: none), back to the
  MetaScrum on ``/admin`` with ``?backlog=<id>`` (the page says what was saved).

Choosing writes the MetaScrum's ``backlog_in`` relation and pairs the boards at once
(``backlog_pairs.pair_backlogs``: ``unpair_backlog`` on the boards of the old pair,
``pair_backlog`` on each of the new, each through its own room). Only a MetaScrum
chooses, only a Scaled Backlog no other MetaScrum has; anything else changes nothing.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.response import Redirect

from board.kinds import FORUM_KINDS
from board.model import Id
from server.access.guards import admin_guard, check_form, forum_guard
from server.live.registry import Rooms
from server.network.backlog_pairs import NONE, RELATION, pair_backlogs
from server.storage import Storage
from server.web.deps import RendererDep, RoomsDep, StorageDep
from server.web.errors import API_EXCEPTION_HANDLERS, ERRORS, ApiProblem, error_page, not_found
from server.web.forms import FormData

Req = Request[Any, Any, Any]


class BacklogPair(msgspec.Struct):
    """The other board of the list (``forum: null``: none yet)."""

    forum: str | None
    name: str = ""


class SetBacklogPair(msgspec.Struct, forbid_unknown_fields=True):
    forum: Id | None  # null: no Scaled Backlog (R76)


def _kind(kind: str) -> str:
    """``kind`` with its article: "an Executive Action Team", "a Scrum of Scrums"."""
    label = FORUM_KINDS[kind].label if kind in FORUM_KINDS else kind
    return f"{'an' if label[:1] in 'AEIOU' else 'a'} {label}"


async def choose_backlog(
    storage: Storage, rooms: Rooms, meta_id: str, backlog_id: str | None
) -> tuple[int, str, str] | None:
    """Make ``backlog_id`` (``None``: none) the MetaScrum ``meta_id``'s Scaled Backlog and
    pair the boards; the problem as (status, code, reason), nothing changed."""
    meta = await storage.forums.forum(meta_id)
    if meta is None:
        return 404, "not_found", f"There is no forum {meta_id!r}."
    if meta.kind != "metascrum":
        return (
            400,
            "invalid",
            f"{meta.name} is {_kind(meta.kind)}: only a MetaScrum chooses its Scaled Backlog.",
        )
    if backlog_id is not None:
        target = await storage.forums.forum(backlog_id)
        if target is None:
            return 400, "invalid", f"There is no forum {backlog_id!r} to choose."
        if target.kind != "backlog":
            return 400, "invalid", f"{target.name} is {_kind(target.kind)}, not a Scaled Backlog."
        for other in await storage.forums.forums():
            if (
                other.id != meta_id
                and other.kind == "metascrum"
                and (await storage.forums.link(other.id, RELATION) == target.id)
            ):
                return (
                    400,
                    "invalid",
                    (
                        f"{target.name} is already the Scaled Backlog of {other.name}: a Scaled "
                        f"Backlog is one MetaScrum's. Choose none for {other.name} first."
                    ),
                )
    await storage.forums.set_link(meta_id, RELATION, backlog_id or NONE)
    await pair_backlogs(storage, rooms)
    return None


async def _pair_of(rooms: Rooms, forum_id: str) -> BacklogPair:
    board = await rooms.board(forum_id)
    if board is None or not board.pair:
        return BacklogPair(forum=None)
    return BacklogPair(forum=board.pair, name=board.pair_name)


@post("/admin/forums/{forum_id:str}/backlog", include_in_schema=False, guards=[admin_guard])
async def backlog_form(
    request: Req,
    storage: StorageDep,
    rooms: RoomsDep,
    renderer: RendererDep,
    forum_id: str,
    data: FormData,
) -> Response[Any]:
    """The admin's select on ``/admin``: a MetaScrum's Scaled Backlog (empty: none)."""
    await check_form(request, data)
    back = f"/admin#forum-{forum_id}"
    problem = await choose_backlog(storage, rooms, forum_id, data.get("backlog", "") or None)
    if problem is not None and problem[0] == 404:
        return not_found(renderer, problem[2], "/admin", "Back to the admin page")
    if problem is not None:
        title = "The Scaled Backlog was not changed"
        return error_page(renderer, problem[0], title, problem[2], back, "Back to the admin page")
    return Redirect(f"/admin?backlog={forum_id}#forum-{forum_id}", status_code=303)


class BacklogPairApi(Controller):
    path = "/api/forums/{forum_id:str}/backlog"
    tags = ["network"]
    exception_handlers = API_EXCEPTION_HANDLERS

    @get("/", responses={404: ERRORS[404]}, guards=[forum_guard("viewer")])
    async def backlog_pair(self, rooms: RoomsDep, forum_id: str) -> BacklogPair:
        """The board this MetaScrum's or Scaled Backlog's ordered list is one with."""
        if await rooms.board(forum_id) is None:
            raise ApiProblem(404, "not_found", f"There is no forum {forum_id!r}.")
        return await _pair_of(rooms, forum_id)

    @post("/", responses=ERRORS, guards=[admin_guard], status_code=200)
    async def set_backlog_pair(
        self, storage: StorageDep, rooms: RoomsDep, forum_id: str, data: SetBacklogPair
    ) -> BacklogPair:
        """Make this MetaScrum's ordered column one list with the Scaled Backlog
        ``forum`` (each board's items go to the other; its order wins, R58), or with none
        (``null``): the old Scaled Backlog's board is unpaired and the two lists stop
        mirroring (R76)."""
        problem = await choose_backlog(storage, rooms, forum_id, data.forum)
        if problem is not None:
            raise ApiProblem(*problem)
        return await _pair_of(rooms, forum_id)


BACKLOG_API: list[Any] = [backlog_form, BacklogPairApi]

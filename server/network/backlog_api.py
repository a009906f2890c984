"""Which Scaled Backlog a MetaScrum's ordered column is one list with (SPEC R57): read it
(any forum member of either board) and choose it (the admin), through the JSON API.

Choosing writes the MetaScrum's ``backlog_in`` relation and pairs the two boards at once
(``backlog_pairs.pair_backlogs``: a ``pair_backlog`` op on each, through its own room).
"""

from __future__ import annotations

import msgspec
from litestar import Controller, get, post

from board.model import Id
from server.access.guards import admin_guard, forum_guard
from server.network.backlog_pairs import RELATION, pair_backlogs
from server.web.deps import RoomsDep, StorageDep
from server.web.errors import API_EXCEPTION_HANDLERS, ERRORS, ApiProblem


class BacklogPair(msgspec.Struct):
    """The other board of the list (``forum: null``: none yet)."""

    forum: str | None
    name: str = ""


class SetBacklogPair(msgspec.Struct, forbid_unknown_fields=True):
    forum: Id


class BacklogPairApi(Controller):
    path = "/api/forums/{forum_id:str}/backlog"
    tags = ["network"]
    exception_handlers = API_EXCEPTION_HANDLERS

    @get("/", responses={404: ERRORS[404]}, guards=[forum_guard("viewer")])
    async def backlog_pair(self, rooms: RoomsDep, forum_id: str) -> BacklogPair:
        """The board this MetaScrum's or Scaled Backlog's ordered list is one with."""
        board = await rooms.board(forum_id)
        if board is None:
            raise ApiProblem(404, "not_found", f"There is no forum {forum_id!r}.")
        return BacklogPair(forum=board.pair or None, name=board.pair_name)

    @post("/", responses=ERRORS, guards=[admin_guard], status_code=200)
    async def set_backlog_pair(
        self, storage: StorageDep, rooms: RoomsDep, forum_id: str, data: SetBacklogPair
    ) -> BacklogPair:
        """Make this MetaScrum's ordered column one list with the Scaled Backlog
        ``forum`` (each board's items go to the other; its order wins, R58)."""
        meta = await storage.forums.forum(forum_id)
        if meta is None:
            raise ApiProblem(404, "not_found", f"There is no forum {forum_id!r}.")
        if meta.kind != "metascrum":
            raise ApiProblem(400, "invalid", "Only a MetaScrum chooses its Scaled Backlog.")
        target = await storage.forums.forum(data.forum)
        if target is None or target.kind != "backlog":
            raise ApiProblem(400, "invalid", f"{data.forum!r} is not a Scaled Backlog forum.")
        await storage.forums.set_link(forum_id, RELATION, target.id)
        await pair_backlogs(storage, rooms)
        board = await rooms.board(forum_id)
        paired = board is not None and board.pair == target.id
        return BacklogPair(forum=target.id if paired else None, name=target.name if paired else "")


BACKLOG_API = [BacklogPairApi]

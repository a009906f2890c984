"""A Scrum of Scrums' parent Scrum of Scrums (SPEC R72): reading it, setting it (the
admin's form on ``/admin`` and on ``/network``, and the API).

The link is a ``forum_links`` row (relation ``parent``) in the forum directory, like
where a forum escalates to; ``board.chains.parent_problem`` refuses a parent that is
not a Scrum of Scrums, the forum itself, or one that would close a circle.

- ``POST /admin/forums/{id}/parent`` (form: ``parent``, empty clears it; ``back``:
  ``network`` returns to the network page);
- ``GET /api/forums/{id}/parent`` (a viewer of the forum) and ``POST`` (the admin).
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.response import Redirect

from board.chains import PARENT, SOS, parent_problem
from board.model import Id
from server.access.guards import admin_guard, check_form, forum_guard
from server.storage.forums import ForumDirectory
from server.web.deps import RendererDep, StorageDep
from server.web.errors import API_EXCEPTION_HANDLERS, ERRORS, ApiProblem, error_page, not_found
from server.web.forms import FormData

Req = Request[Any, Any, Any]


class Parent(msgspec.Struct):
    """The parent Scrum of Scrums of a Scrum of Scrums (``parent: null``: none)."""

    forum: str
    parent: str | None
    name: str = ""


class SetParent(msgspec.Struct, forbid_unknown_fields=True):
    parent: Id | None


async def parents(forums: ForumDirectory) -> dict[str, str]:
    """Every Scrum of Scrums' parent, by forum id."""
    out: dict[str, str] = {}
    for row in await forums.forums():
        if row.kind == SOS and (up := await forums.link(row.id, PARENT)) is not None:
            out[row.id] = up
    return out


async def set_parent(
    forums: ForumDirectory, forum_id: str, parent_id: str | None
) -> tuple[int, str, str] | None:
    """Set (``None``: clear) ``forum_id``'s parent; the problem as (status, code, reason)."""
    rows = await forums.forums()
    kinds = {r.id: r.kind for r in rows}
    if forum_id not in kinds:
        return 404, "not_found", f"There is no forum {forum_id!r}."
    problem = parent_problem(forum_id, parent_id, kinds, await parents(forums))
    if problem is not None:
        return 400, "invalid", problem
    await forums.set_link(forum_id, PARENT, parent_id)
    return None


async def parent_name(forums: ForumDirectory, forum_id: str) -> str:
    """The name of ``forum_id``'s parent Scrum of Scrums ("": none)."""
    up = await forums.link(forum_id, PARENT)
    row = await forums.forum(up) if up is not None else None
    return row.name if row is not None and row.kind == SOS else ""


async def _parent(forums: ForumDirectory, forum_id: str) -> Parent:
    up = await forums.link(forum_id, PARENT)
    row = await forums.forum(up) if up is not None else None
    return Parent(forum=forum_id, parent=up if row else None, name=row.name if row else "")


@post("/admin/forums/{forum_id:str}/parent", include_in_schema=False, guards=[admin_guard])
async def parent_form(
    request: Req, storage: StorageDep, renderer: RendererDep, forum_id: str, data: FormData
) -> Response[Any]:
    """The admin's select: the parent Scrum of Scrums (empty: none)."""
    await check_form(request, data)
    back = "/network#parents" if data.get("back") == "network" else f"/admin#forum-{forum_id}"
    problem = await set_parent(storage.forums, forum_id, data.get("parent", "") or None)
    if problem is not None and problem[0] == 404:
        return not_found(renderer, problem[2], back, "Back")
    if problem is not None:
        return error_page(renderer, problem[0], "Nothing was changed", problem[2], back, "Back")
    return Redirect(back, status_code=303)


class ParentApi(Controller):
    path = "/api/forums/{forum_id:str}/parent"
    tags = ["network"]
    exception_handlers = API_EXCEPTION_HANDLERS

    @get("", guards=[forum_guard("viewer")], responses={404: ERRORS[404]})
    async def parent(self, storage: StorageDep, forum_id: str) -> Parent:
        """The parent Scrum of Scrums this Scrum of Scrums escalates to (``null``: none)."""
        if await storage.forums.forum(forum_id) is None:
            raise ApiProblem(404, "not_found", f"There is no forum {forum_id!r}.")
        return await _parent(storage.forums, forum_id)

    @post("", guards=[admin_guard], responses=ERRORS, status_code=200)
    async def set_parent(self, storage: StorageDep, forum_id: str, data: SetParent) -> Parent:
        """Set (``parent: null``: clear) this Scrum of Scrums' parent Scrum of Scrums
        (admin only): not itself, only a Scrum of Scrums, never a circle."""
        problem = await set_parent(storage.forums, forum_id, data.parent)
        if problem is not None:
            raise ApiProblem(*problem)
        return await _parent(storage.forums, forum_id)


PARENT_ROUTES: list[Any] = [parent_form, ParentApi]

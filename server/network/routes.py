"""The network page: the forums and teams of the network as a picture, counts live.

- ``GET /network``: the structure as server-rendered SVG (teams → Scrum of Scrums →
  Executive Action Team; MetaScrum → Executive MetaScrum; the Scaled Retrospective and
  Scaled Backlog forums too), each forum a link to its board with its count of open
  impediments, and a table of the same facts. ``static/js/network.js`` swaps in
  ``GET /network/picture`` (the picture and the table, one fragment) every few seconds
  and when the tab comes back to the foreground.
- ``GET /api/network``: the same facts as JSON (``NetworkFacts``).
- Which teams a Scrum of Scrums serves: ``GET/POST /api/forums/{id}/serves`` (setting
  it: the admin) and the form on ``/admin`` (``POST /admin/forums/{id}/serves``).

Everyone with a link to some forum may look; they see the forums they have links to
(the admin: all) and every team. Geometry comes from ``board.network.layout``.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.response import Redirect

from board.chains import SOS
from board.model import Id
from board.network import NetworkFacts, layout
from server.access.guards import admin_guard, check_form, forum_guard, member_guard, who
from server.cadence.guardrails import recent_flags
from server.live.registry import Rooms
from server.network.parents import parents
from server.network.queries import Counts, check_serves, network_facts
from server.storage import Storage
from server.storage.forums import ForumDirectory
from server.web.deps import CountsDep, RendererDep, RoomsDep, StorageDep
from server.web.errors import (
    API_EXCEPTION_HANDLERS,
    ERRORS,
    ApiProblem,
    error_page,
    html,
    not_found,
)
from server.web.forms import FormData

Req = Request[Any, Any, Any]
REFRESH_SECONDS = 5  # how often the page asks for a fresh picture


class Serves(msgspec.Struct):
    """The teams a Scrum of Scrums serves (team ids, in the teams' order)."""

    forum: str
    teams: list[str]


class SetServes(msgspec.Struct, forbid_unknown_fields=True):
    teams: list[Id]


async def _facts(request: Req, storage: Storage, rooms: Rooms, counts: Counts) -> NetworkFacts:
    visible = (await who(request)).visible()
    return await network_facts(storage, rooms, counts, visible)


def _context(facts: NetworkFacts) -> dict[str, Any]:
    return {
        "facts": facts,
        "picture": layout(facts),
        "forum_names": {f.id: f.name for f in facts.forums},
        "team_names": {t.id: t.name for t in facts.teams},
    }


@get("/network", include_in_schema=False, guards=[member_guard])
async def network_page(
    request: Req, storage: StorageDep, rooms: RoomsDep, counts: CountsDep, renderer: RendererDep
) -> Response[str]:
    """The network as a picture and as a table."""
    facts = await _facts(request, storage, rooms, counts)
    person = await who(request)
    sos = [r for r in await storage.forums.forums() if r.kind == SOS] if person.admin else []
    body = renderer.page(
        "network.html",
        admin=person.admin,
        refresh=REFRESH_SECONDS,
        cadence=await recent_flags(storage, renderer, person.visible()),  # SPEC R70
        sos_forums=sorted(sos, key=lambda r: (r.name.lower(), r.id)),
        parents=await parents(storage.forums) if person.admin else {},
        **_context(facts),
    )
    return html(body, headers={"Cache-Control": "no-store"})


@get("/network/picture", include_in_schema=False, guards=[member_guard])
async def network_picture(
    request: Req, storage: StorageDep, rooms: RoomsDep, counts: CountsDep, renderer: RendererDep
) -> Response[str]:
    """The picture and its table as one fragment, for the page to swap in."""
    facts = await _facts(request, storage, rooms, counts)
    macro = renderer.macro("_network.html", "network")
    return html(str(macro(**_context(facts))), headers={"Cache-Control": "no-store"})


async def _set_serves(
    forums: ForumDirectory, forum_id: str, team_ids: list[str]
) -> tuple[int, str] | None:
    """Set the teams ``forum_id`` serves; the problem as (status, reason)."""
    forum = await forums.forum(forum_id)
    if forum is None:
        return 404, f"There is no forum {forum_id!r}."
    problem = check_serves(forum, team_ids, await forums.teams())
    if problem is not None:
        return 400, problem
    await forums.set_served(forum_id, team_ids)
    return None


@post("/admin/forums/{forum_id:str}/serves", include_in_schema=False, guards=[admin_guard])
async def serves_form(
    request: Req, storage: StorageDep, renderer: RendererDep, forum_id: str, data: FormData
) -> Response[Any]:
    """The admin's form: one checkbox per team (``team-<id>``)."""
    await check_form(request, data)
    team_ids = [k.removeprefix("team-") for k in data if k.startswith("team-")]
    problem = await _set_serves(storage.forums, forum_id, team_ids)
    if problem is not None and problem[0] == 404:
        return not_found(renderer, problem[1], "/admin", "Back to the admin page")
    if problem is not None:
        title, back = "Nothing was changed", "Back to the admin page"
        return error_page(renderer, problem[0], title, problem[1], "/admin", back)
    return Redirect(f"/admin#forum-{forum_id}", status_code=303)


class NetworkApi(Controller):
    path = "/api"
    tags = ["network"]
    exception_handlers = API_EXCEPTION_HANDLERS

    @get("/network", guards=[member_guard], responses={401: ERRORS[401]})
    async def network(
        self, request: Req, storage: StorageDep, rooms: RoomsDep, counts: CountsDep
    ) -> NetworkFacts:
        """The forums the caller may see (each with its open impediments — ``null`` for a
        kind that holds none —, the teams it serves and the forum it escalates to) and
        every team. Counts are live."""
        return await _facts(request, storage, rooms, counts)

    @get(
        "/forums/{forum_id:str}/serves",
        guards=[forum_guard("viewer")],
        responses={404: ERRORS[404]},
    )
    async def serves(self, storage: StorageDep, forum_id: str) -> Serves:
        """The teams this Scrum of Scrums serves."""
        if await storage.forums.forum(forum_id) is None:
            raise ApiProblem(404, "not_found", f"There is no forum {forum_id!r}.")
        return Serves(forum=forum_id, teams=list((await storage.forums.served()).get(forum_id, ())))

    @post(
        "/forums/{forum_id:str}/serves",
        guards=[admin_guard],
        responses=ERRORS,
        status_code=200,
    )
    async def set_serves(self, storage: StorageDep, forum_id: str, data: SetServes) -> Serves:
        """Set the teams this Scrum of Scrums serves (admin only); ``[]`` clears them."""
        problem = await _set_serves(storage.forums, forum_id, data.teams)
        if problem is not None:
            code = "not_found" if problem[0] == 404 else "invalid"
            raise ApiProblem(problem[0], code, problem[1])
        return Serves(forum=forum_id, teams=list((await storage.forums.served()).get(forum_id, ())))


NETWORK_ROUTES: list[Any] = [network_page, network_picture, serves_form, NetworkApi]

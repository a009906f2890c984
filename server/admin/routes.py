"""The admin's pages and API: every forum's role links, rotating them, entering as admin.

``/admin/enter?token=…`` is the admin's link (printed by ``scaleboard serve`` on the
first run, or by ``scaleboard admin-link``): the gate (``server/access/links.py``) puts the
admin mark in the access cookie and comes back here without the token, which goes on
to ``/admin``. ``/admin`` lists every forum with its links (one per role, and the room
link) and a Rotate button for each; rotating replaces the token, and the old link, the
grants made from it and the live connections that came in with it stop working at once.
"""

from __future__ import annotations

import time
from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.response import Redirect

from board.access import LINK_KINDS, LINK_LABELS, LINK_WHAT, ROOM, LinkKind, is_link_kind
from board.chains import SOS
from board.kinds import FORUM_KINDS, routes_from
from board.model import MAX_FORUM_NAME
from server.access.guards import admin_guard, check_form, who
from server.access.refusals import Denied
from server.cadence.sprint_routes import admin_calendar
from server.forums.forum_routes import set_escalation
from server.network.backlog_pairs import backlog_pairs
from server.network.parents import parents
from server.storage.access import AccessRecords
from server.web.deps import AccessDep, RendererDep, SettingsDep, StorageDep
from server.web.errors import (
    API_EXCEPTION_HANDLERS,
    ERRORS,
    ApiProblem,
    error_page,
    html,
    not_found,
)
from server.web.forms import FormData
from server.web.render import Renderer

Req = Request[Any, Any, Any]


class ForumLink(msgspec.Struct, frozen=True):
    """One link to a forum: a role's (its ``token`` also works as an API bearer token) or
    the room link (``role`` ``room``: a participant's, only while the room may join)."""

    forum_id: str
    role: LinkKind
    token: str
    url: str
    created_at: float


def refused(
    renderer: Renderer, message: str, status: int, title: str = "Nothing was changed"
) -> Response[str]:
    """The error page of an admin form that changed nothing, with the way back."""
    return error_page(renderer, status, title, message, "/admin", "Back to the admin page")


def base_url(request: Req) -> str:
    return str(request.base_url).rstrip("/")


def link_url(base: str, forum_id: str, token: str, kind: LinkKind = "participant") -> str:
    """A link's address: the forum's with the token; the room link lands on
    ``/forums/{id}/join`` (``server/forums/room.py``)."""
    where = "/join" if kind == ROOM else ""
    return f"{base}/forums/{forum_id}{where}?token={token}"


async def forum_links(
    request: Req, records: AccessRecords, forum_id: str
) -> list[ForumLink] | None:
    """The forum's current links, one per role and the room's; ``None``: unknown forum."""
    rows = await records.tokens_of(forum_id)
    if not rows:
        return None
    base = base_url(request)
    found = {t.role: t for t in rows}
    return [
        ForumLink(
            forum_id,
            role,
            found[role].token,
            link_url(base, forum_id, found[role].token, role),
            found[role].created_at,
        )
        for role in LINK_KINDS
        if role in found
    ]


@get("/admin/enter", include_in_schema=False)
async def admin_enter(request: Req) -> Response[Any]:
    """Where the admin link lands once the gate has taken its token."""
    if not (await who(request)).admin:
        raise Denied(
            403,
            "forbidden",
            "This admin link is not valid (it may have been replaced). Run "
            "`scaleboard admin-link --db FILE` on the server for a new one.",
        )
    return Redirect("/admin", status_code=303)


@get("/admin", include_in_schema=False, guards=[admin_guard])
async def admin_page(
    request: Req, storage: StorageDep, renderer: RendererDep, settings: SettingsDep
) -> Response[str]:
    """Every forum, its links (a role's each, the room's) with Copy and Rotate; the create form."""
    forums = []
    # In the order of the network (SoS, EAT, MetaScrum, EMS, Retrospective, Backlog:
    # board.kinds.FORUM_KINDS), then by name.
    order = {kind: i for i, kind in enumerate(FORUM_KINDS)}
    rows = sorted(
        await storage.forums.forums(), key=lambda r: (order.get(r.kind, len(order)), r.name)
    )
    for row in rows:
        links = await forum_links(request, storage.access, row.id) or []
        routes = [
            {
                "route": way,
                "targets": [r for r in rows if r.kind == way.to_kind],
                "chosen": await storage.forums.link(row.id, way.relation),
            }
            for way in routes_from(row.kind)
        ]
        forums.append({"row": row, "links": links, "routes": routes})
    body = renderer.page(
        "admin.html",
        forums=forums,
        labels=LINK_LABELS,
        what=LINK_WHAT,
        form={"name": "", "kind": "sos"},
        errors={},
        max_forum_name=MAX_FORUM_NAME,
        FORUM_KINDS=FORUM_KINDS,
        serves=await storage.forums.served(),  # which teams each Scrum of Scrums serves
        sprints=await admin_calendar(storage, settings.sprint_days),  # SPEC R69
        sos_forums=[r for r in rows if r.kind == SOS],  # the parents they may have (R72)
        parents=await parents(storage.forums),
        # Each MetaScrum's Scaled Backlog (R57, R76); ``?backlog=<id>``: just saved.
        backlog_forums=[r for r in rows if r.kind == "backlog"],
        backlog_of={m.id: b.id for m, b in await backlog_pairs(storage)},
        backlog_saved=request.query_params.get("backlog", ""),
    )
    return html(body, headers={"Cache-Control": "no-store"})


@post("/admin/forums/{forum_id:str}/rotate", include_in_schema=False, guards=[admin_guard])
async def rotate_form(
    request: Req, access: AccessDep, renderer: RendererDep, forum_id: str, data: FormData
) -> Response[Any]:
    """Replace one link of a forum (the Rotate button)."""
    await check_form(request, data)
    role = data.get("role", "")
    if not is_link_kind(role):
        return refused(
            renderer, f"Choose a link: {', '.join(LINK_KINDS)}.", 400, "Nothing was rotated"
        )
    if await access.rotate(forum_id, role) is None:  # type: ignore[arg-type]
        return not_found(renderer, "There is no forum at this address.", "/admin", "Back")
    return Redirect(f"/admin?rotated={forum_id}#forum-{forum_id}", status_code=303)


@post("/admin/forums/{forum_id:str}/escalates-to", include_in_schema=False, guards=[admin_guard])
async def escalates_to_form(
    request: Req, storage: StorageDep, renderer: RendererDep, forum_id: str, data: FormData
) -> Response[Any]:
    """Set the forum one route of a forum leads to (``route``, default ``escalate``;
    an empty ``target``: the default, the only forum of the target kind)."""
    await check_form(request, data)
    target = data.get("target", "") or None
    route_id = data.get("route", "") or "escalate"
    error = await set_escalation(storage.forums, forum_id, target, route_id)
    if error is not None:
        return refused(renderer, error[2], error[0])
    return Redirect(f"/admin#forum-{forum_id}", status_code=303)


class AdminApi(Controller):
    path = "/api"
    tags = ["admin"]
    exception_handlers = API_EXCEPTION_HANDLERS
    guards = [admin_guard]

    @get("/forums/{forum_id:str}/links", responses={404: ERRORS[404]})
    async def links(self, request: Req, storage: StorageDep, forum_id: str) -> list[ForumLink]:
        """The forum's links (viewer, participant, facilitator, room); admin only."""
        found = await forum_links(request, storage.access, forum_id)
        if found is None:
            raise ApiProblem(404, "not_found", f"There is no forum {forum_id!r}.")
        return found

    @post("/forums/{forum_id:str}/links/{role:str}/rotate", responses=ERRORS)
    async def rotate(self, request: Req, access: AccessDep, forum_id: str, role: str) -> ForumLink:
        """Replace one link's token (a role's, or ``room``): its old link, the grants made
        from it and the live connections that came in with it stop working at once;
        admin only."""
        if not is_link_kind(role):
            raise ApiProblem(
                400, "invalid", f"There is no link {role!r}; use one of {', '.join(LINK_KINDS)}."
            )
        token = await access.rotate(forum_id, role)  # type: ignore[arg-type]
        if token is None:
            raise ApiProblem(404, "not_found", f"There is no forum {forum_id!r}.")
        url = link_url(base_url(request), forum_id, token, role)  # type: ignore[arg-type]
        return ForumLink(forum_id, role, token, url, time.time())  # type: ignore[arg-type]


ADMIN_ROUTES: list[Any] = [admin_enter, admin_page, rotate_form, escalates_to_form, AdminApi]

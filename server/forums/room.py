"""Joining from the room (SPEC R45-R47): the room link's landing and its rotation.

Each forum has a room link beside its role links (``board.access.ROOM``):
``/forums/{id}/join?token=…``. The gate (``server/access/links.py``) takes its token out
of the URL and leaves it to ``room_join`` here, because only the live board knows
whether the facilitator lets the room join (``Board.room_join``, ``board/room.py``).
While it is on, the link adds a participant grant (made from the room token, so
rotating the room link ends it) and goes on to the board, whose name prompt names the
forum and the role; while it is off it adds nothing and says whom to ask.

``POST /forums/{id}/room-link/rotate`` (facilitator or admin, a CSRF form confirmed on
the forum page) replaces the room link, like Rotate on ``/admin``: the old link, the
grants made from it and the sockets that came in with it stop working at once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from litestar import Request, Response, get, post
from litestar.response import Redirect

from board.access import ROOM
from server.access.guards import check_form, forum_guard, no_access, who
from server.access.passes import over_tls, pass_cookie
from server.access.service import LINK_TOKEN
from server.access.signing import fingerprint
from server.live.rooms import Room
from server.web.deps import AccessDep, RendererDep, RoomsDep, SecretDep
from server.web.errors import error_page
from server.web.forms import FormData

Req = Request[Any, Any, Any]
NO_STORE = {"Cache-Control": "no-store"}
ASK_AT_MOST = 3  # names the projector and the "ask" page give


def facilitators_here(room: Room) -> list[str]:
    """The names of the facilitators connected to the forum now, in the order they
    joined, each name once, at most ``ASK_AT_MOST`` (the projector, a screen, is nobody)."""
    names = (p.name for p in room.peers.values() if p.role == "facilitator" and p.takes_part)
    return list(dict.fromkeys(names))[:ASK_AT_MOST]


def whom_to_ask(room: Room) -> str:
    """ "Ana, Ben or the admin": whom someone without a link asks for one (SPEC R47)."""
    names = facilitators_here(room) or ["the facilitator"]
    return ", ".join(names) + " or the admin"


@get("/forums/{forum_id:str}/join", include_in_schema=False)
async def room_join(
    request: Req,
    rooms: RoomsDep,
    access: AccessDep,
    renderer: RendererDep,
    secret: SecretDep,
    forum_id: str,
) -> Response[Any]:
    """Where the room link lands: admits as a participant while the room may join
    (SPEC R46); without a room token, someone with a role here goes on to the board."""
    person = await who(request)
    token = request.scope.get(LINK_TOKEN)  # type: ignore[call-overload]
    if not isinstance(token, str):
        if person.role(forum_id) is None:
            raise no_access(request, person)
        return Redirect(f"/forums/{forum_id}", status_code=303, headers=NO_STORE)
    found = await access.find(token)
    room = await rooms.get(forum_id) if found == (forum_id, ROOM) else None
    if room is None:
        return error_page(
            renderer,
            403,
            "This link does not work",
            "The link you opened is not valid: it may have been mistyped or replaced by a "
            "new one. Ask the forum's facilitator for the current link.",
            headers=NO_STORE,
        )
    board = room.sync.board
    if not board.room_join:
        return error_page(
            renderer,
            403,
            "Joining from the room is off",
            f"{board.name} does not let people join from the projector right now. "
            f"To join, ask {whom_to_ask(room)} for a link.",
            headers=NO_STORE,
        )
    granted = person.held.with_grant(forum_id, ROOM, fingerprint(token))
    cookie = pass_cookie(secret, granted, secure=over_tls(request.scope))
    return Redirect(f"/forums/{forum_id}", status_code=303, cookies=[cookie], headers=NO_STORE)


@post(
    "/forums/{forum_id:str}/room-link/rotate",
    include_in_schema=False,
    guards=[forum_guard("facilitator")],
)
async def rotate_room_link(
    request: Req, access: AccessDep, renderer: RendererDep, forum_id: str, data: FormData
) -> Response[Any]:
    """Replace the forum's room link (the forum page's "New room link", confirmed)."""
    await check_form(request, data)
    if await access.rotate(forum_id, ROOM) is None:
        return error_page(renderer, 404, "Not found", "There is no forum at this address.")
    return Redirect(f"/forums/{forum_id}?room_link=new", status_code=303)


ROOM_ROUTES: list[Callable[..., Any] | Any] = [room_join, rotate_room_link]

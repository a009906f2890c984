"""The projector: a forum's live board made for a screen on a wall.

``GET /forums/{id}/projector`` is read-only (a viewer link is enough, and it is what a
viewer link is for: docs/access.md), fills the screen without page chrome, in large
type, light or dark (``?theme=light|dark``; by default it follows the screen's
``prefers-color-scheme``), every column side by side. It shows the forum's name,
whether a session is running, and a short join link with its QR code, drawn here on
the server (``segno``) as an SVG path in ``templates/projector.html``.

The join panel (``templates/_room.html``, SPEC R47) shows the way in that works: while
the facilitator lets the room join (``Board.room_join``, ``board/room.py``) the QR code
and the printed link are the forum's room link (``server/forums/room.py``: scan, give a
name, be on the board as a participant); otherwise they are the forum's address, and
the panel says whom to ask for a link (the facilitators connected now, or the admin).
A viewer link is enough to see the room link: it is on the wall for the room anyway.
Every projector page is sent ``Cache-Control: no-store``. The panel alone is
``GET /forums/{id}/projector/join-panel``: ``projector.js`` fetches it again when room
joining changes, when people come or go, and every 10 s (a rotated room link).

``static/js/projector.js`` keeps the board live through the forum's websocket with
``?view=projector`` (``server/live/endpoint.py``: the connection is read-only whatever the
browser's role, so every update carries a viewer's markup) and marks what moved.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

import segno
from litestar import Request, Response, get

from board import visibility
from board.access import ROOM
from server.access.guards import forum_guard
from server.access.service import Access
from server.admin.routes import base_url, link_url
from server.forums.room import NO_STORE, whom_to_ask
from server.live.rooms import Room
from server.web.deps import AccessDep, RendererDep, RoomsDep
from server.web.errors import html, not_found

Req = Request[Any, Any, Any]
THEMES: Final = ("auto", "light", "dark")
QR_BORDER: Final = 4  # the quiet zone around the code, in modules (the standard's 4)


class QrCode:
    """A QR code as SVG geometry: ``size`` modules square (quiet zone included) and one
    path of the dark modules, each row's runs merged."""

    __slots__ = ("path", "size", "text")

    def __init__(self, text: str) -> None:
        qr = segno.make(text, error="m", micro=False)
        matrix = qr.matrix
        self.text = text
        self.size = len(matrix) + 2 * QR_BORDER
        parts: list[str] = []
        for y, row in enumerate(matrix):
            x = 0
            width = len(row)
            while x < width:
                if not row[x]:
                    x += 1
                    continue
                start = x
                while x < width and row[x]:
                    x += 1
                parts.append(f"M{start + QR_BORDER} {y + QR_BORDER}h{x - start}v1h-{x - start}z")
        self.path = "".join(parts)


def short(url: str) -> str:
    """The address without its scheme: what people type from the wall."""
    return url.split("://", 1)[-1]


async def join_panel(request: Req, room: Room, access: Access) -> dict[str, Any]:
    """What the projector's join panel shows (SPEC R47): the room link while the room
    may join, else the forum's address and whom to ask."""
    forum_id = room.forum_id
    base = base_url(request)
    url = f"{base}/forums/{forum_id}"
    tokens = await access.tokens(forum_id) if room.sync.board.room_join else None
    on = tokens is not None and ROOM in tokens
    if tokens is not None and on:
        url = link_url(base, forum_id, tokens[ROOM], ROOM)
    ask = whom_to_ask(room)
    return {"room": on, "url": url, "short": short(url), "qr": QrCode(url), "ask": ask}


@get(
    "/forums/{forum_id:str}/projector",
    include_in_schema=False,
    guards=[forum_guard("viewer")],
)
async def projector_page(
    request: Req,
    rooms: RoomsDep,
    renderer: RendererDep,
    access: AccessDep,
    forum_id: str,
    theme: str = "auto",
) -> Response[str]:
    """The wall-screen view of a forum's live board (read-only for everyone)."""
    room = await rooms.get(forum_id)
    if room is None:
        return not_found(renderer, "There is no forum at this address. It may have been mistyped.")
    theme = theme if theme in THEMES else "auto"
    board = visibility.board_for(room.sync.board, None)  # hidden cards face down
    body = renderer.page(
        "projector.html",
        view=renderer.view(board, role="viewer"),
        epoch=room.sync.epoch,
        theme=theme,
        panel=await join_panel(request, room, access),
    )
    return html(body, headers=NO_STORE)


@get(
    "/forums/{forum_id:str}/projector/join-panel",
    include_in_schema=False,
    guards=[forum_guard("viewer")],
)
async def projector_join_panel(
    request: Req, rooms: RoomsDep, renderer: RendererDep, access: AccessDep, forum_id: str
) -> Response[str]:
    """The projector's join panel alone, as it is now (``projector.js`` swaps it in)."""
    room = await rooms.get(forum_id)
    if room is None:
        return not_found(renderer, "There is no forum at this address. It may have been mistyped.")
    panel = await join_panel(request, room, access)
    return html(str(renderer.macro("_room.html", "join")(panel)).strip(), headers=NO_STORE)


PROJECTOR_ROUTES: list[Callable[..., Any] | Any] = [projector_page, projector_join_panel]

"""The projector: a forum's live board made for a screen on a wall.

``GET /forums/{id}/projector`` is read-only (a viewer link is enough, and it is what a
viewer link is for: docs/access.md), fills the screen without page chrome, in large
type, light or dark (``?theme=light|dark``; by default it follows the screen's
``prefers-color-scheme``), every column side by side. It shows the forum's name,
whether a session is running, and a short join link with its QR code, drawn here on
the server (``segno``) as an SVG path in ``templates/projector.html``.

The join link is the forum's own address: people in the room who have no link yet
get the page that tells them to ask for one. A facilitator (or the admin) may open
``?join=participant`` instead: the QR code and the link then carry the forum's
participant link, token and all, so the room can join by scanning it. For anyone else
``join=participant`` is ignored (the page never shows a token its reader could not
see on ``/admin``); such a page is sent ``Cache-Control: no-store`` like every
projector page.

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
from server.access.guards import forum_guard, who
from server.admin.routes import base_url, link_url
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
    join: str = "",
) -> Response[str]:
    """The wall-screen view of a forum's live board (read-only for everyone)."""
    room = await rooms.get(forum_id)
    if room is None:
        return not_found(renderer, "There is no forum at this address. It may have been mistyped.")
    theme = theme if theme in THEMES else "auto"
    person = await who(request)
    base = base_url(request)
    join_url = f"{base}/forums/{forum_id}"
    with_token = False
    if join == "participant" and person.role(forum_id) == "facilitator":
        tokens = await access.tokens(forum_id)
        if tokens is not None:
            join_url = link_url(base, forum_id, tokens["participant"])
            with_token = True
    board = visibility.board_for(room.sync.board, None)  # hidden cards face down
    body = renderer.page(
        "projector.html",
        view=renderer.view(board, role="viewer"),
        epoch=room.sync.epoch,
        theme=theme,
        join_url=join_url,
        join_short=short(join_url),
        join_with_token=with_token,
        qr=QrCode(join_url),
    )
    return html(body, headers={"Cache-Control": "no-store"})


PROJECTOR_ROUTES: list[Callable[..., Any] | Any] = [projector_page]

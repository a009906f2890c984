"""An API caller's operations, through the forum's room exactly like a websocket's, and
the board as the caller may see it."""

from __future__ import annotations

from typing import Any

from litestar import Request

from board import ops as o
from board import visibility
from board.access import can, refusal
from board.model import Board
from board.sync import Accepted, Duplicate, Refused, Unchanged
from server.access.guards import who
from server.access.identity import api_key, api_label, current_key
from server.access.refusals import Denied
from server.live.registry import Rooms
from server.web.errors import STATUS, ApiProblem
from server.web.forms import current_name

Req = Request[Any, Any, Any]


def actor(request: Req, secret: str) -> str:
    """The display name of a browser's change made elsewhere (an escalation), else ``API``."""
    return current_name(request, secret) or "API"


async def author(request: Req, secret: str, forum_id: str) -> tuple[str, str]:
    """Who an API change is by (SPEC R40, R42): (display name, person key). A bearer
    caller is its token's link ("API (participant link)", a machine key: never an
    attendee); a browser is its signed name (else ``API``) and its person key."""
    person = await who(request)
    if person.bearer:
        label = api_label(person.role(forum_id), admin=person.admin)
        return label, api_key(label)
    return current_name(request, secret) or "API", current_key(request, secret) or ""


async def apply_op(
    request: Req, rooms: Rooms, secret: str, forum_id: str, op: o.Op, op_id: str | None = None
) -> Accepted | Unchanged | Duplicate:
    """Submit ``op`` to the forum's room as the caller (an ``ApiProblem`` or ``Denied``
    when it is refused); answered once it is durable."""
    room = await rooms.get(forum_id)
    if room is None:
        raise ApiProblem(404, "not_found", f"There is no forum {forum_id!r}.")
    role = (await who(request)).role(forum_id)
    if not isinstance(op, o.ClientOp) or not can(role, op):  # the op's type decides
        raise Denied(403, "forbidden", refusal(role, op))  # type: ignore[arg-type]
    name, key = await author(request, secret, forum_id)
    outcome = await room.submit(op, actor=name, op_id=op_id, by=key)
    if isinstance(outcome, Refused):
        raise ApiProblem(STATUS.get(outcome.code, 400), outcome.code, outcome.reason)
    return outcome


async def board_of(request: Req, rooms: Rooms, secret: str, forum_id: str) -> Board:
    """The forum's live board, the caller's hidden cards face up and others' face down."""
    room = await rooms.get(forum_id)
    if room is None:
        raise ApiProblem(404, "not_found", f"There is no forum {forum_id!r}.")
    board: Board = room.sync.board
    return visibility.board_for(board, current_key(request, secret))

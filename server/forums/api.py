"""The JSON API: forums, cards, sessions, decisions and next steps (OpenAPI at /schema).

Every write goes through the forum's room, exactly like a websocket operation: it is
validated by ``board.apply``, broadcast live to everyone on the board, and answered
only once it is durable. Errors are ``{"code", "reason"}`` with a fitting status.
"""

from __future__ import annotations

import time
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, patch, post
from litestar.exceptions import HTTPException
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import Parameter

from board import ops as o
from board import visibility
from board.access import ESCALATE, can, refusal
from board.events import CardAdded, CardArchived, CardEdited, CardMoved, CardRestored
from board.kinds import FORUM_KINDS, ForumKind, forum_kind, route, routes_from
from board.model import (
    Board,
    Body,
    Card,
    Connects,
    Id,
    Name,
    Outcome,
    Team,
    Title,
)
from board.ops import ExperimentText, ForumName, Index, TeamIds, TradeOffNote
from board.sync import Accepted, Duplicate, Refused, Unchanged
from server.access.identity import COOKIE, verify
from server.access.service import Denied, admin_guard, forum_guard, member_guard, who
from server.forums.service import (
    create_forum,
    validate_forum,
)
from server.live.registry import Rooms
from server.network.escalation import (
    Escalated,
    EscalationProblem,
    escalate,
    escalation_target,
    find_route,
)
from server.storage.forums import ForumDirectory
from server.storage.sqlite.store import Store

STATUS = {
    "not_found": 404,
    "invalid": 400,
    "conflict": 409,
    "no_session": 409,
    "limit": 409,
    "rate_limited": 429,
    "storage": 503,
}


class ApiError(msgspec.Struct):
    code: str
    reason: str


class ApiProblem(Exception):
    def __init__(self, status: int, code: str, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.code = code
        self.reason = reason


def problem_handler(_: Request[Any, Any, Any], exc: ApiProblem) -> Response[ApiError]:
    return Response(ApiError(code=exc.code, reason=exc.reason), status_code=exc.status)


HTTP_CODES = {400: "invalid", 404: "not_found", 409: "conflict", 413: "too_large"}


def http_problem_handler(_: Request[Any, Any, Any], exc: HTTPException) -> Response[ApiError]:
    """Litestar's own refusals (schema validation, malformed JSON, too large) in the
    API's ``{"code", "reason"}`` shape."""
    reason = exc.detail
    if isinstance(exc.extra, list):
        found = [
            f"{e['message']} (at `{e['key']}`)"
            if e.get("key") not in (None, "data")
            else e["message"]
            for e in exc.extra
            if isinstance(e, dict) and "message" in e
        ]
        reason = "; ".join(found) or reason
    code = HTTP_CODES.get(exc.status_code, "error")
    return Response(
        ApiError(code=code, reason=reason), status_code=exc.status_code, headers=exc.headers
    )


API_EXCEPTION_HANDLERS: dict[Any, Any] = {HTTPException: http_problem_handler}

ERRORS = {
    400: ResponseSpec(data_container=ApiError, description="Invalid input"),
    401: ResponseSpec(data_container=ApiError, description="No valid token"),
    403: ResponseSpec(data_container=ApiError, description="Not allowed with this role"),
    404: ResponseSpec(data_container=ApiError, description="No such forum or item"),
    409: ResponseSpec(data_container=ApiError, description="Conflicts with the board"),
}


class ForumOut(msgspec.Struct):
    id: str
    kind: str
    name: str
    seq: int
    live_cards: int
    in_session: bool
    created_at: float
    updated_at: float


class NewForum(msgspec.Struct, forbid_unknown_fields=True):
    name: ForumName
    kind: Annotated[str, msgspec.Meta(max_length=32)]


class NewCard(msgspec.Struct, forbid_unknown_fields=True):
    column: Id
    title: Title
    kind: Id | None = None
    body: Body = ""
    team: Name = ""
    to_team: Name = ""
    owner: Name = ""
    index: Index | None = None
    connects: Connects = ()  # a dependency card: the (≤ 2) cards it connects
    teams: TeamIds = ()  # owning teams (board/backlog.py)
    hypothesis: ExperimentText = ""  # an experiment's
    result: ExperimentText = ""
    outcome: Outcome = ""
    anonymous: bool = False  # a retrospective that allows it: no author anyone can see


class CardPatch(msgspec.Struct, forbid_unknown_fields=True):
    title: Title | msgspec.UnsetType = msgspec.UNSET
    kind: Id | msgspec.UnsetType = msgspec.UNSET
    body: Body | msgspec.UnsetType = msgspec.UNSET
    team: Name | msgspec.UnsetType = msgspec.UNSET
    to_team: Name | msgspec.UnsetType = msgspec.UNSET
    owner: Name | msgspec.UnsetType = msgspec.UNSET
    connects: Connects | msgspec.UnsetType = msgspec.UNSET
    teams: TeamIds | msgspec.UnsetType = msgspec.UNSET  # board/backlog.py
    hypothesis: ExperimentText | msgspec.UnsetType = msgspec.UNSET
    result: ExperimentText | msgspec.UnsetType = msgspec.UNSET
    outcome: Outcome | msgspec.UnsetType = msgspec.UNSET


class MoveTo(msgspec.Struct, forbid_unknown_fields=True):
    column: Id
    index: Index
    note: TradeOffNote = ""  # a re-order's trade-off note, recorded as a decision


class OpRequest(msgspec.Struct, forbid_unknown_fields=True):
    """Any live operation, with an optional client op id that makes resends safe."""

    op: o.ClientOp
    id: Id | None = None


class OpResult(msgspec.Struct):
    seq: int
    changed: bool
    duplicate: bool = False


class EscalatesTo(msgspec.Struct):
    forum: str | None
    name: str = ""


class SetEscalatesTo(msgspec.Struct, forbid_unknown_fields=True):
    forum: Id | None


async def _escalates_to(store: Store, forum_id: str, route_id: str = "escalate") -> EscalatesTo:
    forum = await store.forum(forum_id)
    if forum is None:
        raise ApiProblem(404, "not_found", f"There is no forum {forum_id!r}.")
    try:
        find_route(forum.kind, route_id)
    except EscalationProblem as e:
        raise ApiProblem(e.status, e.code, e.reason) from None
    target = await escalation_target(store, forum, route_id)
    return EscalatesTo(forum=target.id if target else None, name=target.name if target else "")


async def set_escalation(
    forums: ForumDirectory, forum_id: str, target_id: str | None, route_id: str = "escalate"
) -> tuple[int, str, str] | None:
    """Set the forum route ``route_id`` of ``forum_id`` leads to; the problem as
    (status, code, reason)."""
    forum = await forums.forum(forum_id)
    if forum is None:
        return 404, "not_found", f"There is no forum {forum_id!r}."
    way = route(forum.kind, route_id)
    if way is None:
        label = forum_kind(forum.kind).label
        if not routes_from(forum.kind):
            return 400, "invalid", f"A {label} does not send cards to other forums."
        return 404, "not_found", f"A {label} has no route {route_id!r}."
    if target_id is not None:
        target = await forums.forum(target_id)
        if target is None or target.kind != way.to_kind:
            label = forum_kind(way.to_kind).label
            return 400, "invalid", f"{target_id!r} is not an {label} forum."
    await forums.set_link(forum_id, way.relation, target_id)
    return None


async def _send(
    request: Request[Any, Any, Any], forum_id: str, card_id: str, route_id: str
) -> Escalated:
    try:
        return await escalate(
            request.app.state.rooms,
            request.app.state.store,
            forum_id,
            card_id,
            _actor(request),
            route_id,
        )
    except EscalationProblem as e:
        raise ApiProblem(e.status, e.code, e.reason) from None


async def _set_route(
    request: Request[Any, Any, Any], forum_id: str, route_id: str, data: SetEscalatesTo
) -> EscalatesTo:
    store: Store = request.app.state.store
    error = await set_escalation(request.app.state.storage.forums, forum_id, data.forum, route_id)
    if error is not None:
        raise ApiProblem(*error)
    return await _escalates_to(store, forum_id, route_id)


def _actor(request: Request[Any, Any, Any]) -> str:
    return verify(request.app.state.secret, request.cookies.get(COOKIE)) or "API"


async def apply_op(
    request: Request[Any, Any, Any], forum_id: str, op: o.Op, op_id: str | None = None
) -> Accepted | Unchanged | Duplicate:
    rooms: Rooms = request.app.state.rooms
    room = await rooms.get(forum_id)
    if room is None:
        raise ApiProblem(404, "not_found", f"There is no forum {forum_id!r}.")
    role = (await who(request)).role(forum_id)
    if not isinstance(op, o.ClientOp) or not can(role, op):  # the op's type decides
        raise Denied(403, "forbidden", refusal(role, op))  # type: ignore[arg-type]
    outcome = await room.submit(op, actor=_actor(request), op_id=op_id)
    if isinstance(outcome, Refused):
        raise ApiProblem(STATUS.get(outcome.code, 400), outcome.code, outcome.reason)
    return outcome


async def board_of(request: Request[Any, Any, Any], forum_id: str) -> Board:
    room = await request.app.state.rooms.get(forum_id)
    if room is None:
        raise ApiProblem(404, "not_found", f"There is no forum {forum_id!r}.")
    board: Board = room.sync.board
    return visibility.board_for(board, _viewer(request))  # hidden cards face down


def _viewer(request: Request[Any, Any, Any]) -> str | None:
    """Whose hidden cards the caller may see (``board.visibility``): the signed name."""
    name: str | None = verify(request.app.state.secret, request.cookies.get(COOKIE))
    return name


def _card_after(board_card: Card | None, card_id: str) -> Card:
    if board_card is None:
        raise ApiProblem(404, "not_found", f"There is no card {card_id!r}.")
    return board_card


def _forum_out(board: Board, created_at: float, updated_at: float) -> ForumOut:
    return ForumOut(
        id=board.forum_id,
        kind=board.kind,
        name=board.name,
        seq=board.seq,
        live_cards=sum(len(c.card_ids) for c in board.columns),
        in_session=board.session is not None,
        created_at=created_at,
        updated_at=updated_at,
    )


class ForumApi(Controller):
    path = "/api"
    tags = ["forums"]
    exception_handlers = API_EXCEPTION_HANDLERS

    @get("/kinds", tags=["network"])
    async def kinds(self) -> list[ForumKind]:
        """The kinds of forum and the board each starts with."""
        return list(FORUM_KINDS.values())

    @get("/teams", tags=["network"], guards=[member_guard])
    async def teams(self, request: Request[Any, Any, Any]) -> list[Team]:
        """The teams of the network."""
        store: Store = request.app.state.store
        return await store.teams()

    @get("/forums")
    async def list_forums(self, request: Request[Any, Any, Any]) -> list[ForumOut]:
        """The forums the caller may see (the admin: every forum), with their live card
        count and whether a session is running."""
        store: Store = request.app.state.store
        person = await who(request)
        return [
            ForumOut(
                id=r.id,
                kind=r.kind,
                name=r.name,
                seq=r.seq,
                live_cards=r.live_cards,
                in_session=r.session_id is not None,
                created_at=r.created_at,
                updated_at=r.updated_at,
            )
            for r in await store.forums()
            if person.sees(r.id)
        ]

    @post("/forums", responses={400: ERRORS[400]}, guards=[admin_guard])
    async def new_forum(self, request: Request[Any, Any, Any], data: NewForum) -> ForumOut:
        """Create a forum of a kind; its board starts from the kind's template."""
        errors = validate_forum(data.name, data.kind)
        if errors:
            raise ApiProblem(400, "invalid", " ".join(errors.values()))
        board = await create_forum(request.app.state.storage.forums, data.name, data.kind)
        now = time.time()
        return _forum_out(board, now, now)

    @get("/forums/{forum_id:str}", responses={404: ERRORS[404]}, guards=[forum_guard("viewer")])
    async def get_forum(self, request: Request[Any, Any, Any], forum_id: str) -> Board:
        """The whole live board: columns in order, every card, the running session."""
        return await board_of(request, forum_id)

    @post("/forums/{forum_id:str}/ops", responses=ERRORS, guards=[forum_guard("participant")])
    async def apply_op(
        self, request: Request[Any, Any, Any], forum_id: str, data: OpRequest
    ) -> OpResult:
        """Apply any live operation, as the websocket does; answered once it is on disk."""
        outcome = await apply_op(request, forum_id, data.op, data.id)
        if isinstance(outcome, Accepted):
            return OpResult(seq=outcome.item.seq, changed=True)
        return OpResult(seq=outcome.seq, changed=False, duplicate=isinstance(outcome, Duplicate))

    @get(
        "/forums/{forum_id:str}/cards", responses={404: ERRORS[404]}, guards=[forum_guard("viewer")]
    )
    async def list_cards(
        self,
        request: Request[Any, Any, Any],
        forum_id: str,
        archived: Annotated[bool, Parameter(description="Include archived cards")] = False,
    ) -> list[Card]:
        """Live cards column by column, top to bottom (then archived ones if asked)."""
        board = await board_of(request, forum_id)
        cards = [card for col in board.columns for card in board.live_cards(col)]
        return cards + board.archived_cards() if archived else cards

    @post("/forums/{forum_id:str}/cards", responses=ERRORS, guards=[forum_guard("participant")])
    async def add_card(self, request: Request[Any, Any, Any], forum_id: str, data: NewCard) -> Card:
        """Add a card to a column (at ``index``, or at the bottom)."""
        op = o.AddCard(**msgspec.structs.asdict(data))
        outcome = await apply_op(request, forum_id, op)
        assert isinstance(outcome, Accepted)
        added = [e.card for e in outcome.item.events if isinstance(e, CardAdded)]
        return visibility.card_for(added[0], _actor(request))

    @get(
        "/forums/{forum_id:str}/cards/{card_id:str}",
        responses={404: ERRORS[404]},
        guards=[forum_guard("viewer")],
    )
    async def get_card(self, request: Request[Any, Any, Any], forum_id: str, card_id: str) -> Card:
        board = await board_of(request, forum_id)
        return _card_after(board.cards.get(card_id), card_id)

    @patch(
        "/forums/{forum_id:str}/cards/{card_id:str}",
        responses=ERRORS,
        guards=[forum_guard("participant")],
    )
    async def edit_card(
        self, request: Request[Any, Any, Any], forum_id: str, card_id: str, data: CardPatch
    ) -> Card:
        """Change a card's fields; fields left out stay as they are."""
        return await self._card_op(
            request, forum_id, card_id, o.EditCard(card=card_id, **msgspec.structs.asdict(data))
        )

    @post(
        "/forums/{forum_id:str}/cards/{card_id:str}/move",
        responses=ERRORS,
        guards=[forum_guard("participant")],
    )
    async def move_card(
        self, request: Request[Any, Any, Any], forum_id: str, card_id: str, data: MoveTo
    ) -> Card:
        """Move a card to ``index`` among the other cards of ``column``."""
        return await self._card_op(
            request,
            forum_id,
            card_id,
            o.MoveCard(card=card_id, column=data.column, index=data.index, note=data.note),
        )

    @post(
        "/forums/{forum_id:str}/cards/{card_id:str}/archive",
        responses=ERRORS,
        guards=[forum_guard("participant")],
    )
    async def archive_card(
        self, request: Request[Any, Any, Any], forum_id: str, card_id: str
    ) -> Card:
        return await self._card_op(request, forum_id, card_id, o.ArchiveCard(card=card_id))

    @post(
        "/forums/{forum_id:str}/cards/{card_id:str}/restore",
        responses=ERRORS,
        guards=[forum_guard("participant")],
    )
    async def restore_card(
        self, request: Request[Any, Any, Any], forum_id: str, card_id: str
    ) -> Card:
        return await self._card_op(request, forum_id, card_id, o.RestoreCard(card=card_id))

    @post(
        "/forums/{forum_id:str}/cards/{card_id:str}/escalate",
        responses=ERRORS,
        guards=[forum_guard(ESCALATE)],
    )
    async def escalate_card(
        self, request: Request[Any, Any, Any], forum_id: str, card_id: str
    ) -> Escalated:
        """Escalate a card to the forum this one escalates to (Scrum of Scrums → Executive
        Action Team: impediments; MetaScrum → Executive MetaScrum: backlog items and
        risks). The target gets a linked card; this card shows where it went and, live,
        what the target does with it (``sent_to``). Same as ``…/send/escalate``."""
        return await _send(request, forum_id, card_id, "escalate")

    @post(
        "/forums/{forum_id:str}/cards/{card_id:str}/send/{route_id:str}",
        responses=ERRORS,
        guards=[forum_guard(ESCALATE)],
    )
    async def send_card(
        self, request: Request[Any, Any, Any], forum_id: str, card_id: str, route_id: str
    ) -> Escalated:
        """Send a card by a route of its forum: ``escalate``; ``product`` (an impediment
        that needs product work becomes a backlog item in the MetaScrum); ``improvement``
        (a retrospective experiment goes to the EAT). Linked both ways, like escalation."""
        return await _send(request, forum_id, card_id, route_id)

    @get(
        "/forums/{forum_id:str}/escalates-to",
        responses={404: ERRORS[404]},
        guards=[forum_guard("viewer")],
    )
    async def escalates_to(self, request: Request[Any, Any, Any], forum_id: str) -> EscalatesTo:
        """The forum this one escalates to (``forum: null``: none)."""
        return await _escalates_to(request.app.state.store, forum_id)

    @post(
        "/forums/{forum_id:str}/escalates-to",
        responses=ERRORS,
        guards=[admin_guard],
        status_code=200,
    )
    async def set_escalates_to(
        self, request: Request[Any, Any, Any], forum_id: str, data: SetEscalatesTo
    ) -> EscalatesTo:
        """Set (or clear, with ``forum: null``) the forum this one escalates to."""
        return await _set_route(request, forum_id, "escalate", data)

    @get(
        "/forums/{forum_id:str}/routes/{route_id:str}",
        responses={404: ERRORS[404]},
        guards=[forum_guard("viewer")],
    )
    async def route_target(
        self, request: Request[Any, Any, Any], forum_id: str, route_id: str
    ) -> EscalatesTo:
        """The forum route ``route_id`` of this forum leads to (``forum: null``: none)."""
        return await _escalates_to(request.app.state.store, forum_id, route_id)

    @post(
        "/forums/{forum_id:str}/routes/{route_id:str}",
        responses=ERRORS,
        guards=[admin_guard],
        status_code=200,
    )
    async def set_route_target(
        self, request: Request[Any, Any, Any], forum_id: str, route_id: str, data: SetEscalatesTo
    ) -> EscalatesTo:
        """Set (or clear) the forum route ``route_id`` of this forum leads to."""
        return await _set_route(request, forum_id, route_id, data)

    async def _card_op(
        self, request: Request[Any, Any, Any], forum_id: str, card_id: str, op: o.Op
    ) -> Card:
        outcome = await apply_op(request, forum_id, op)
        if isinstance(outcome, Accepted):
            for e in outcome.item.events:
                if isinstance(e, CardEdited | CardArchived | CardRestored):
                    return visibility.card_for(e.card, _actor(request))
                if isinstance(e, CardMoved):
                    return visibility.card_for(outcome.board.cards[e.card_id], _actor(request))
        board = await board_of(request, forum_id)
        return _card_after(board.cards.get(card_id), card_id)


API = [ForumApi]

"""The JSON API of forums and cards (OpenAPI at /schema).

Every write goes through the forum's room, exactly like a websocket operation
(``submit.py``): it is validated by ``board.apply``, broadcast live to everyone on the
board, and answered only once it is durable. Errors are ``{"code", "reason"}`` with a
fitting status (``server.web.errors``).
"""

from __future__ import annotations

import time
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, patch, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import Parameter

from board import ops as o
from board import visibility
from board.access import ESCALATE
from board.events import CardAdded, CardArchived, CardEdited, CardMoved, CardRestored
from board.kinds import FORUM_KINDS, ForumKind
from board.model import Board, Card, Team
from board.sync import Accepted, Duplicate
from server.access.guards import admin_guard, forum_guard, member_guard, who
from server.access.identity import current_key
from server.forums.api_schema import (
    CardPatch,
    EscalatesTo,
    ForumOut,
    MoveTo,
    NewCard,
    NewForum,
    OpRequest,
    OpResult,
    SendNote,
    SetEscalatesTo,
)
from server.forums.forum_routes import escalates_to, set_escalation
from server.forums.service import create_forum, validate_forum
from server.forums.submit import actor, apply_op, board_of
from server.live.mail import Postman
from server.live.registry import Rooms
from server.network.backlog_pairs import pair_backlogs
from server.network.escalation import Escalated, Escalating, EscalationProblem, escalate
from server.storage import Storage
from server.web.deps import MailDep, RoomsDep, SecretDep, StorageDep
from server.web.errors import API_EXCEPTION_HANDLERS, ERRORS, ApiProblem

Req = Request[Any, Any, Any]
Sent = Response[Escalated | Escalating]
SENT = {
    **ERRORS,
    202: ResponseSpec(
        data_container=Escalating,
        description="Sent, but the target forum has not answered yet (another server runs "
        "it and is slow or restarting): the card as it is; it is linked when the answer "
        "arrives",
    ),
}


async def _send(
    request: Req,
    rooms: Rooms,
    storage: Storage,
    mail: Postman,
    secret: str,
    where: tuple[str, str, str],
    data: SendNote | None,
) -> Sent:
    forum_id, card_id, route_id = where
    note = data.note if data is not None else ""
    try:
        out = await escalate(
            rooms, storage, mail, forum_id, card_id, actor(request, secret), route_id, note
        )
    except EscalationProblem as e:
        raise ApiProblem(e.status, e.code, e.reason) from None
    return Response(out, status_code=201 if isinstance(out, Escalated) else 202)


async def _set_route(
    storage: Storage, forum_id: str, route_id: str, data: SetEscalatesTo
) -> EscalatesTo:
    error = await set_escalation(storage.forums, forum_id, data.forum, route_id)
    if error is not None:
        raise ApiProblem(*error)
    return await escalates_to(storage, forum_id, route_id)


def _card_after(board_card: Card | None, card_id: str) -> Card:
    if board_card is None:
        raise ApiProblem(404, "not_found", f"There is no card {card_id!r}.")
    return board_card


async def _card_op(
    request: Req, rooms: Rooms, secret: str, forum_id: str, card_id: str, op: o.Op
) -> Card:
    """Apply a card's op; the card after it, as the caller sees it."""
    outcome = await apply_op(request, rooms, secret, forum_id, op)
    if isinstance(outcome, Accepted):
        for e in outcome.item.events:
            if isinstance(e, CardEdited | CardArchived | CardRestored):
                return visibility.card_for(e.card, current_key(request, secret))
            if isinstance(e, CardMoved):
                return visibility.card_for(
                    outcome.board.cards[e.card_id], current_key(request, secret)
                )
    board = await board_of(request, rooms, secret, forum_id)
    return _card_after(board.cards.get(card_id), card_id)


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
    async def teams(self, storage: StorageDep) -> list[Team]:
        """The teams of the network."""
        return await storage.forums.teams()

    @get("/forums")
    async def list_forums(self, request: Req, storage: StorageDep) -> list[ForumOut]:
        """The forums the caller may see (the admin: every forum), with their live card
        count and whether a session is running."""
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
            for r in await storage.forums.forums()
            if person.sees(r.id)
        ]

    @post("/forums", responses={400: ERRORS[400]}, guards=[admin_guard])
    async def new_forum(self, storage: StorageDep, rooms: RoomsDep, data: NewForum) -> ForumOut:
        """Create a forum of a kind; its board starts from the kind's template."""
        errors = validate_forum(data.name, data.kind)
        if errors:
            raise ApiProblem(400, "invalid", " ".join(errors.values()))
        board = await create_forum(storage.forums, data.name, data.kind)
        await pair_backlogs(storage, rooms)  # a MetaScrum or Scaled Backlog: one list (R57)
        now = time.time()
        return _forum_out(board, now, now)

    @get("/forums/{forum_id:str}", responses={404: ERRORS[404]}, guards=[forum_guard("viewer")])
    async def get_forum(
        self, request: Req, rooms: RoomsDep, secret: SecretDep, forum_id: str
    ) -> Board:
        """The whole live board: columns in order, every card, the running session."""
        return await board_of(request, rooms, secret, forum_id)

    @post("/forums/{forum_id:str}/ops", responses=ERRORS, guards=[forum_guard("participant")])
    async def apply_op(
        self, request: Req, rooms: RoomsDep, secret: SecretDep, forum_id: str, data: OpRequest
    ) -> OpResult:
        """Apply any live operation, as the websocket does; answered once it is on disk."""
        outcome = await apply_op(request, rooms, secret, forum_id, data.op, data.id)
        if isinstance(outcome, Accepted):
            return OpResult(seq=outcome.item.seq, changed=True)
        return OpResult(seq=outcome.seq, changed=False, duplicate=isinstance(outcome, Duplicate))

    @get(
        "/forums/{forum_id:str}/cards", responses={404: ERRORS[404]}, guards=[forum_guard("viewer")]
    )
    async def list_cards(
        self,
        request: Req,
        rooms: RoomsDep,
        secret: SecretDep,
        forum_id: str,
        archived: Annotated[bool, Parameter(description="Include archived cards")] = False,
    ) -> list[Card]:
        """Live cards column by column, top to bottom (then archived ones if asked)."""
        board = await board_of(request, rooms, secret, forum_id)
        cards = [card for col in board.columns for card in board.live_cards(col)]
        return cards + board.archived_cards() if archived else cards

    @post("/forums/{forum_id:str}/cards", responses=ERRORS, guards=[forum_guard("participant")])
    async def add_card(
        self, request: Req, rooms: RoomsDep, secret: SecretDep, forum_id: str, data: NewCard
    ) -> Card:
        """Add a card to a column (at ``index``, or at the bottom)."""
        op = o.AddCard(**msgspec.structs.asdict(data))
        outcome = await apply_op(request, rooms, secret, forum_id, op)
        assert isinstance(outcome, Accepted)
        added = [e.card for e in outcome.item.events if isinstance(e, CardAdded)]
        return visibility.card_for(added[0], current_key(request, secret))

    @get(
        "/forums/{forum_id:str}/cards/{card_id:str}",
        responses={404: ERRORS[404]},
        guards=[forum_guard("viewer")],
    )
    async def get_card(
        self, request: Req, rooms: RoomsDep, secret: SecretDep, forum_id: str, card_id: str
    ) -> Card:
        board = await board_of(request, rooms, secret, forum_id)
        return _card_after(board.cards.get(card_id), card_id)

    @patch(
        "/forums/{forum_id:str}/cards/{card_id:str}",
        responses=ERRORS,
        guards=[forum_guard("participant")],
    )
    async def edit_card(
        self,
        request: Req,
        rooms: RoomsDep,
        secret: SecretDep,
        forum_id: str,
        card_id: str,
        data: CardPatch,
    ) -> Card:
        """Change a card's fields; fields left out stay as they are."""
        return await _card_op(
            request,
            rooms,
            secret,
            forum_id,
            card_id,
            o.EditCard(card=card_id, **msgspec.structs.asdict(data)),
        )

    @post(
        "/forums/{forum_id:str}/cards/{card_id:str}/move",
        responses=ERRORS,
        guards=[forum_guard("participant")],
    )
    async def move_card(
        self,
        request: Req,
        rooms: RoomsDep,
        secret: SecretDep,
        forum_id: str,
        card_id: str,
        data: MoveTo,
    ) -> Card:
        """Move a card to ``index`` among the other cards of ``column``."""
        return await _card_op(
            request,
            rooms,
            secret,
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
        self, request: Req, rooms: RoomsDep, secret: SecretDep, forum_id: str, card_id: str
    ) -> Card:
        return await _card_op(
            request, rooms, secret, forum_id, card_id, o.ArchiveCard(card=card_id)
        )

    @post(
        "/forums/{forum_id:str}/cards/{card_id:str}/restore",
        responses=ERRORS,
        guards=[forum_guard("participant")],
    )
    async def restore_card(
        self, request: Req, rooms: RoomsDep, secret: SecretDep, forum_id: str, card_id: str
    ) -> Card:
        return await _card_op(
            request, rooms, secret, forum_id, card_id, o.RestoreCard(card=card_id)
        )

    @post(
        "/forums/{forum_id:str}/cards/{card_id:str}/escalate",
        responses=SENT,
        guards=[forum_guard(ESCALATE)],
    )
    async def escalate_card(
        self,
        request: Req,
        rooms: RoomsDep,
        storage: StorageDep,
        mail: MailDep,
        secret: SecretDep,
        forum_id: str,
        card_id: str,
        data: SendNote | None = None,
    ) -> Sent:
        """Escalate a card to the forum this one escalates to (Scrum of Scrums → Executive
        Action Team: impediments; MetaScrum → Executive MetaScrum: backlog items and
        risks), with an optional body ``{"note": "…"}`` for the target. The target gets
        a linked card; this card waits in the forum's escalation column (a Scrum of
        Scrums' Needs EAT) and shows where it went and, live, what the target does with
        it (``sent_to``); returned, it goes back, and may be escalated again (the same
        linked card reopens). Same as ``…/send/escalate``."""
        where = (forum_id, card_id, "escalate")
        return await _send(request, rooms, storage, mail, secret, where, data)

    @post(
        "/forums/{forum_id:str}/cards/{card_id:str}/send/{route_id:str}",
        responses=SENT,
        guards=[forum_guard(ESCALATE)],
    )
    async def send_card(
        self,
        request: Req,
        rooms: RoomsDep,
        storage: StorageDep,
        mail: MailDep,
        secret: SecretDep,
        forum_id: str,
        card_id: str,
        route_id: str,
        data: SendNote | None = None,
    ) -> Sent:
        """Send a card by a route of its forum: ``escalate``; ``product`` (an impediment
        that needs product work becomes a backlog item in the MetaScrum); ``improvement``
        (a retrospective experiment goes to the EAT). Linked both ways, like escalation;
        an optional body ``{"note": "…"}`` goes with it."""
        where = (forum_id, card_id, route_id)
        return await _send(request, rooms, storage, mail, secret, where, data)

    @get(
        "/forums/{forum_id:str}/escalates-to",
        responses={404: ERRORS[404]},
        guards=[forum_guard("viewer")],
    )
    async def escalates_to(self, storage: StorageDep, forum_id: str) -> EscalatesTo:
        """The forum this one escalates to (``forum: null``: none)."""
        return await escalates_to(storage, forum_id)

    @post(
        "/forums/{forum_id:str}/escalates-to",
        responses=ERRORS,
        guards=[admin_guard],
        status_code=200,
    )
    async def set_escalates_to(
        self, storage: StorageDep, forum_id: str, data: SetEscalatesTo
    ) -> EscalatesTo:
        """Set (or clear, with ``forum: null``) the forum this one escalates to."""
        return await _set_route(storage, forum_id, "escalate", data)

    @get(
        "/forums/{forum_id:str}/routes/{route_id:str}",
        responses={404: ERRORS[404]},
        guards=[forum_guard("viewer")],
    )
    async def route_target(self, storage: StorageDep, forum_id: str, route_id: str) -> EscalatesTo:
        """The forum route ``route_id`` of this forum leads to (``forum: null``: none)."""
        return await escalates_to(storage, forum_id, route_id)

    @post(
        "/forums/{forum_id:str}/routes/{route_id:str}",
        responses=ERRORS,
        guards=[admin_guard],
        status_code=200,
    )
    async def set_route_target(
        self, storage: StorageDep, forum_id: str, route_id: str, data: SetEscalatesTo
    ) -> EscalatesTo:
        """Set (or clear) the forum route ``route_id`` of this forum leads to."""
        return await _set_route(storage, forum_id, route_id, data)


API = [ForumApi]

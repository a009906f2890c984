"""The JSON API of a forum's sessions: list and run them, record decisions, agree and
update next steps (the same operations as the live board, through ``apply_op``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec
from litestar import Controller, Request, get, patch, post

from board import ops as o
from board.model import Decision, Name, NextStep, Session, StepStatus, Text
from board.ops import CardRefs
from board.sync import Accepted
from server.access.guards import forum_guard, session_guard
from server.forums.submit import apply_op, board_of
from server.storage.sessions import SessionDetail, SessionRecord
from server.web.deps import RoomsDep, SecretDep, StorageDep
from server.web.errors import API_EXCEPTION_HANDLERS, ERRORS, ApiProblem

Req = Request[Any, Any, Any]


class NewDecision(msgspec.Struct, forbid_unknown_fields=True):
    text: Text
    cards: CardRefs = ()


class NewStep(msgspec.Struct, forbid_unknown_fields=True):
    text: Text
    owner: Name = ""
    due: dt.date | None = None
    cards: CardRefs = ()


class StepPatch(msgspec.Struct, forbid_unknown_fields=True):
    text: Text | msgspec.UnsetType = msgspec.UNSET
    owner: Name | msgspec.UnsetType = msgspec.UNSET
    due: dt.date | msgspec.UnsetType | None = msgspec.UNSET
    status: StepStatus | msgspec.UnsetType = msgspec.UNSET


class SessionApi(Controller):
    path = "/api"
    tags = ["sessions"]
    exception_handlers = API_EXCEPTION_HANDLERS

    @get(
        "/forums/{forum_id:str}/sessions",
        responses={404: ERRORS[404]},
        guards=[forum_guard("viewer")],
    )
    async def list_sessions(
        self, storage: StorageDep, rooms: RoomsDep, forum_id: str
    ) -> list[SessionRecord]:
        """The forum's sessions, newest first."""
        forum = await storage.forums.forum(forum_id)
        if forum is None:
            raise ApiProblem(404, "not_found", f"There is no forum {forum_id!r}.")
        room = rooms.live().get(forum_id)
        return await storage.sessions.of_forum(forum_id, room.sync.seq if room else forum.seq)

    @post("/forums/{forum_id:str}/sessions", responses=ERRORS, guards=[forum_guard("facilitator")])
    async def start_session(
        self, request: Req, rooms: RoomsDep, secret: SecretDep, forum_id: str
    ) -> Session:
        """Start a session (a meeting of the forum)."""
        outcome = await apply_op(request, rooms, secret, forum_id, o.StartSession())
        assert isinstance(outcome, Accepted) and outcome.board.session is not None
        return outcome.board.session

    @post(
        "/forums/{forum_id:str}/sessions/current/end",
        responses=ERRORS,
        guards=[forum_guard("facilitator")],
    )
    async def end_session(
        self, request: Req, rooms: RoomsDep, secret: SecretDep, storage: StorageDep, forum_id: str
    ) -> SessionDetail:
        """End the running session; it is recorded with the board as it stands."""
        outcome = await apply_op(request, rooms, secret, forum_id, o.EndSession())
        assert isinstance(outcome, Accepted) and outcome.board.last_session_id is not None
        detail = await storage.sessions.detail(outcome.board.last_session_id)
        assert detail is not None
        return detail

    @get(
        "/sessions/{session_id:str}", responses={404: ERRORS[404]}, guards=[session_guard("viewer")]
    )
    async def get_session(self, storage: StorageDep, session_id: str) -> SessionDetail:
        """A recorded session: the board at its end, its decisions and next steps."""
        detail = await storage.sessions.detail(session_id)
        if detail is None:
            raise ApiProblem(404, "not_found", f"There is no session {session_id!r}.")
        return detail

    @post("/forums/{forum_id:str}/decisions", responses=ERRORS, guards=[forum_guard("participant")])
    async def record_decision(
        self, request: Req, rooms: RoomsDep, secret: SecretDep, forum_id: str, data: NewDecision
    ) -> Decision:
        """Record a decision in the running session."""
        outcome = await apply_op(
            request, rooms, secret, forum_id, o.RecordDecision(text=data.text, cards=data.cards)
        )
        assert isinstance(outcome, Accepted) and outcome.board.session is not None
        return outcome.board.session.decisions[-1]

    @get(
        "/forums/{forum_id:str}/next-steps",
        responses={404: ERRORS[404]},
        guards=[forum_guard("viewer")],
    )
    async def list_steps(
        self, request: Req, rooms: RoomsDep, secret: SecretDep, forum_id: str
    ) -> list[NextStep]:
        """Open next steps, and every step of the running session."""
        board = await board_of(request, rooms, secret, forum_id)
        return list(board.next_steps.values())

    @post(
        "/forums/{forum_id:str}/next-steps", responses=ERRORS, guards=[forum_guard("participant")]
    )
    async def add_step(
        self, request: Req, rooms: RoomsDep, secret: SecretDep, forum_id: str, data: NewStep
    ) -> NextStep:
        """Agree a next step in the running session."""
        op = o.AddNextStep(text=data.text, owner=data.owner, due=data.due, cards=data.cards)
        outcome = await apply_op(request, rooms, secret, forum_id, op)
        assert isinstance(outcome, Accepted)
        return outcome.board.next_steps[f"s{outcome.item.seq}"]

    @patch(
        "/forums/{forum_id:str}/next-steps/{step_id:str}",
        responses=ERRORS,
        guards=[forum_guard("participant")],
    )
    async def update_step(
        self,
        request: Req,
        rooms: RoomsDep,
        secret: SecretDep,
        forum_id: str,
        step_id: str,
        data: StepPatch,
    ) -> NextStep:
        """Change a next step, or mark it done or dropped."""
        op = o.UpdateNextStep(step=step_id, **msgspec.structs.asdict(data))
        await apply_op(request, rooms, secret, forum_id, op)
        board = await board_of(request, rooms, secret, forum_id)
        step = board.next_steps.get(step_id)
        if step is None:
            raise ApiProblem(404, "not_found", f"There is no open next step {step_id!r}.")
        return step


SESSION_API = [SessionApi]

"""Replay and what-changed as JSON: a session's timeline, the board at a step, the
changes since the session before (``/api/sessions/{id}/…``; the pages are
``replay.py``). All of it only reads."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, get
from litestar.params import Parameter

from board import visibility
from board.history import BoardDiff, Step, Timeline, diff
from board.model import Board
from server.access.guards import session_guard
from server.sessions.timelines import Timelines, Unavailable
from server.storage import Storage
from server.storage.sessions import SessionInfo
from server.web.deps import StorageDep, TimelinesDep
from server.web.errors import API_EXCEPTION_HANDLERS, ERRORS, ApiProblem

SEEN = session_guard("viewer")  # every route here reads a session: its forum's viewers


class SessionTimeline(msgspec.Struct, frozen=True):
    """A session's steps, in order. Step ``index`` k (1-based) is the k-th operation;
    the board after it is ``GET /api/sessions/{id}/board?step=k`` (step 0: the board
    just before the session started)."""

    session_id: str
    forum_id: str
    running: bool
    start_seq: int
    steps: list[Step]


class SessionChanges(msgspec.Struct, frozen=True):
    """What changed on the board from ``previous_session_id``'s end (or, for a forum's
    first session, from just before it started: ``null``) to this session's end (now,
    while it runs). ``before_seq``/``after_seq`` are the forum seqs of the two boards."""

    session_id: str
    previous_session_id: str | None
    before_seq: int
    after_seq: int
    diff: BoardDiff


async def _api_session(storage: Storage, session_id: str) -> SessionInfo:
    info = await storage.sessions.info(session_id)
    if info is None:
        raise ApiProblem(404, "not_found", f"There is no session {session_id!r}.")
    return info


async def _api_timeline(timelines: Timelines, info: SessionInfo) -> Timeline:
    try:
        return await timelines.of(info)
    except Unavailable as e:
        raise ApiProblem(404, "not_found", str(e)) from None


StepParam = Annotated[
    int | None,
    Parameter(description="0 (before the session) to the number of steps; default: the last"),
]


class ReplayApi(Controller):
    path = "/api"
    tags = ["sessions"]
    exception_handlers = API_EXCEPTION_HANDLERS
    guards = [SEEN]

    @get("/sessions/{session_id:str}/timeline", responses={404: ERRORS[404]})
    async def get_timeline(
        self, storage: StorageDep, timelines: TimelinesDep, session_id: str
    ) -> SessionTimeline:
        """Every step of a session: who did what and when, and the cards it touched."""
        info = await _api_session(storage, session_id)
        tl = await _api_timeline(timelines, info)
        return SessionTimeline(
            session_id=info.id,
            forum_id=info.forum_id,
            running=info.running,
            start_seq=info.start_seq,
            steps=tl.steps,
        )

    @get("/sessions/{session_id:str}/board", responses={400: ERRORS[400], 404: ERRORS[404]})
    async def get_board_at(
        self,
        storage: StorageDep,
        timelines: TimelinesDep,
        session_id: str,
        step: StepParam = None,
    ) -> Board:
        """The board after ``step`` operations of the session."""
        info = await _api_session(storage, session_id)
        tl = await _api_timeline(timelines, info)
        k = len(tl) if step is None else step
        if not 0 <= k <= len(tl):
            raise ApiProblem(
                400, "invalid", f"This session has steps 0 to {len(tl)}; there is no step {k}."
            )
        return visibility.board_for(tl.board_at(k), None)  # hidden cards face down

    @get("/sessions/{session_id:str}/changes", responses={404: ERRORS[404]})
    async def get_changes(
        self, storage: StorageDep, timelines: TimelinesDep, session_id: str
    ) -> SessionChanges:
        """Cards added, removed, moved between columns and changed since the session before."""
        info = await _api_session(storage, session_id)
        try:
            compared = await timelines.compare(info)
        except Unavailable as e:
            raise ApiProblem(404, "not_found", str(e)) from None
        return SessionChanges(
            session_id=info.id,
            previous_session_id=compared.previous.id if compared.previous else None,
            before_seq=compared.before.seq,
            after_seq=compared.after.seq,
            diff=diff(compared.before, compared.after),
        )


REPLAY_API: list[Any] = [ReplayApi]

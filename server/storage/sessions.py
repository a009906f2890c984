"""SessionRecords: a forum's sessions, decisions and next steps as the review tables hold
them, and the writing of an imported session; with the records they come back as (also
the JSON API's schema)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Protocol

import msgspec

from board.model import Board, Decision, NextStep


class SessionRecord(msgspec.Struct, frozen=True):
    """A session as recorded: the board at its end, its decisions and next steps."""

    id: str
    forum_id: str
    number: int
    started_at: float
    started_by: str
    start_seq: int
    participants: list[str]
    decisions: int
    next_steps: int
    operations: int
    ended_at: float | None = None
    ended_by: str | None = None
    end_seq: int | None = None
    cards_moved: int = 0  # ``move_card`` operations between its start and its end


class SessionDetail(msgspec.Struct, frozen=True):
    session: SessionRecord
    board: Board | None
    decision_list: list[Decision]
    step_list: list[NextStep]


class SessionInfo(SessionRecord, frozen=True):
    """A session's row (its operations counted to its end only, no cards moved); its
    end board is ``SessionRecords.end_board``."""

    @property
    def running(self) -> bool:
        return self.end_seq is None


class ExportedStep(msgspec.Struct, frozen=True):
    """A next step as the CSV export lists it, with its forum's name."""

    forum_name: str | None
    forum_id: str
    session_id: str
    id: str
    text: str
    owner: str
    due: str | None
    status: str
    created_at: float
    created_by: str
    updated_at: float
    updated_by: str


class SessionRecords(Protocol):
    """What the app asks of storage about sessions."""

    async def forum_of(self, session_id: str) -> str | None:
        """The forum a session belongs to (``None``: no such session)."""
        ...

    async def of_forum(self, forum_id: str, live_seq: int | None = None) -> list[SessionRecord]:
        """The forum's sessions, newest first; ``live_seq`` (the forum's seq now) counts
        the operations of one still running."""
        ...

    async def detail(self, session_id: str) -> SessionDetail | None:
        """A session with its end board, decisions and next steps."""
        ...

    async def info(self, session_id: str) -> SessionInfo | None: ...

    async def end_board(self, session_id: str) -> Board | None:
        """The board a session recorded when it ended (``None``: still running, or no
        such session)."""
        ...

    async def previous(self, forum_id: str, number: int) -> SessionInfo | None:
        """The forum's session before session ``number`` (``None`` for its first)."""
        ...

    async def step_status(self, forum_id: str, step_id: str) -> str | None:
        """A next step's status as recorded (``None``: the forum has no such step)."""
        ...

    async def exported_steps(
        self, forum_id: str | None, visible: Collection[str] | None = None
    ) -> list[ExportedStep]:
        """Every next step of one forum (or of the ``visible`` forums, all when
        ``None``), by forum name, then oldest first."""
        ...

"""HistoryQueries: the network's sessions, the decisions log and next steps, filtered
and paged by the store; with the records they come back as (also the JSON API's
schema). What only a live room knows (a running session's seq, its board's card titles,
whether a closed step is still on the board) is added by ``server.sessions.listing``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from typing import Protocol

import msgspec

from board.model import StepStatus
from server.storage.sessions import SessionRecord

Visible = Collection[str] | None
"""The forums a list may show (``None``: all of them; see ``server.access.service.Who.visible``)."""


class ListedSession(SessionRecord, frozen=True, kw_only=True):
    """A recorded (or running) session with its forum's name and kind."""

    forum_name: str
    forum_kind: str


class CardRef(msgspec.Struct, frozen=True):
    """A card a decision concerns, with its title on the session's board."""

    id: str
    title: str  # the id itself when the board no longer knows the card


class LoggedDecision(msgspec.Struct, frozen=True):
    id: str
    forum_id: str
    forum_name: str
    forum_kind: str
    session_id: str
    session_number: int
    session_running: bool
    text: str
    at: float
    by: str
    cards: list[CardRef]


class LoggedStep(msgspec.Struct, frozen=True):
    id: str
    forum_id: str
    forum_name: str
    forum_kind: str
    session_id: str
    session_number: int
    text: str
    owner: str
    due: dt.date | None
    status: StepStatus
    created_at: float
    created_by: str
    updated_at: float
    updated_by: str
    card_ids: list[str]
    overdue: bool  # open and due before today
    changeable: bool  # still on the forum's board, so its status can be changed


class SessionList(msgspec.Struct):
    items: list[ListedSession]
    total: int
    limit: int
    offset: int


class DecisionList(msgspec.Struct):
    items: list[LoggedDecision]
    total: int
    limit: int
    offset: int


class StepList(msgspec.Struct):
    items: list[LoggedStep]
    total: int
    limit: int
    offset: int


class StepFilter(msgspec.Struct, frozen=True):
    forum_id: str | None = None
    status: str | None = None
    owner: str = ""
    overdue: bool = False


class HistoryQueries(Protocol):
    """What the history pages and API ask of storage. Each list is (total, one page)."""

    async def sessions(
        self,
        *,
        forum_id: str | None = None,
        kind: str | None = None,
        limit: int,
        offset: int = 0,
        visible: Visible = None,
        live_seqs: Mapping[str, int] | None = None,
    ) -> tuple[int, list[ListedSession]]:
        """Sessions of every forum (or one, or one kind), newest first. ``live_seqs``
        (forum id -> its seq now) counts the operations of running sessions; a forum
        not in it counts to its stored seq."""
        ...

    async def decisions(
        self,
        *,
        forum_id: str | None = None,
        q: str = "",
        limit: int,
        offset: int = 0,
        visible: Visible = None,
    ) -> tuple[int, list[LoggedDecision]]:
        """Decisions newest first; ``q`` is a case-insensitive substring of their text
        (``%`` and ``_`` literal). Each card is titled by its id (see
        ``recorded_titles``)."""
        ...

    async def recorded_titles(self, session_ids: Collection[str]) -> dict[str, dict[str, str]]:
        """Card id -> title on the board each session recorded at its end, by session
        (a running session, which has recorded none, is left out)."""
        ...

    async def steps(
        self, f: StepFilter, *, today: dt.date, limit: int, offset: int = 0, visible: Visible = None
    ) -> tuple[int, list[LoggedStep]]:
        """Next steps: open ones first, soonest due first, then the newest. Only open
        steps are marked ``changeable`` (whether a closed one still is, the board says)."""
        ...

    async def step_owners(self, forum_id: str | None, visible: Visible = None) -> list[str]:
        """The owners named by next steps (suggestions for the owner filter)."""
        ...

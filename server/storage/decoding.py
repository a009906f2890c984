"""How stored columns become records, for every engine: a query of any engine selects
the columns named here, in this order, and hands the row over (the stored encodings
are ``writes.py``'s)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any, Final

import msgspec

from board.model import Decision, NextStep
from board.team_metrics import TeamSprintMetrics
from server.storage.cadence import SprintSettings
from server.storage.feeds import FeedRecord
from server.storage.history import CardRef, LoggedDecision, LoggedStep
from server.storage.sessions import SessionInfo, SessionRecord

SESSION_FIELDS: Final = (
    "id",
    "forum_id",
    "number",
    "started_at",
    "started_by",
    "start_seq",
    "participants",
    "decisions",
    "next_steps",
    "ended_at",
    "ended_by",
    "end_seq",
)
"""The columns of ``sessions`` a ``SessionRecord`` is made of, in order."""

# An op is logged as msgspec JSON, which writes the tag first: a move (a phase change)
# starts with these bytes, so an engine compares a prefix and parses no JSON.
MOVE_PREFIX: Final = b'{"type":"move_card"'
PHASE_PREFIX: Final = b'{"type":"set_phase"'
LAST_SEQ: Final = 1 << 62  # past any seq: the end of an open range


def session_record(
    row: Sequence[Any], live_seq: int | None = None, cards_moved: int = 0
) -> SessionRecord:
    """A ``SessionRecord`` from the columns of ``SESSION_FIELDS``; ``live_seq`` is the
    forum's seq now, which counts the operations of a session still running."""
    data = dict(zip(SESSION_FIELDS, row, strict=True))
    data["participants"] = msgspec.json.decode(data["participants"])
    last = data["end_seq"] if data["end_seq"] is not None else live_seq
    data["operations"] = max(0, last - data["start_seq"] + 1) if last is not None else 0
    data["cards_moved"] = cards_moved
    return msgspec.convert(data, SessionRecord)


def session_info(row: Sequence[Any]) -> SessionInfo:
    return SessionInfo(**msgspec.structs.asdict(session_record(row)))


DECISION_COLUMNS: Final = "id, session_id, text, at, by, card_ids"


def decision(r: Sequence[Any]) -> Decision:
    """A ``Decision`` from ``DECISION_COLUMNS``."""
    return Decision(
        id=r[0],
        session_id=r[1],
        text=r[2],
        at=r[3],
        by=r[4],
        card_ids=tuple(msgspec.json.decode(r[5], type=list[str])),
    )


STEP_COLUMNS: Final = (
    "id, session_id, text, created_at, created_by, updated_at, updated_by, owner, due, "
    "status, card_ids"
)


def step(r: Sequence[Any]) -> NextStep:
    """A ``NextStep`` from ``STEP_COLUMNS``."""
    return msgspec.convert(
        {
            "id": r[0],
            "session_id": r[1],
            "text": r[2],
            "created_at": r[3],
            "created_by": r[4],
            "updated_at": r[5],
            "updated_by": r[6],
            "owner": r[7],
            "due": r[8],
            "status": r[9],
            "card_ids": msgspec.json.decode(r[10], type=list[str]),
        },
        NextStep,
    )


def listed_decision(r: Sequence[Any]) -> LoggedDecision:
    """A ``LoggedDecision`` from: id, forum id, forum name, forum kind, session id,
    session number, whether the session runs, text, at, by, card ids."""
    return LoggedDecision(
        id=r[0],
        forum_id=r[1],
        forum_name=r[2],
        forum_kind=r[3],
        session_id=r[4],
        session_number=r[5],
        session_running=bool(r[6]),
        text=r[7],
        at=r[8],
        by=r[9],
        cards=[CardRef(id=c, title=c) for c in msgspec.json.decode(r[10], type=list[str])],
    )


def listed_step(r: Sequence[Any], today: dt.date) -> LoggedStep:
    """A ``LoggedStep`` from: id, forum id, forum name, forum kind, session id, session
    number, text, owner, due, status, created at/by, updated at/by, card ids."""
    due = dt.date.fromisoformat(r[8]) if r[8] else None
    status = r[9]
    return LoggedStep(
        id=r[0],
        forum_id=r[1],
        forum_name=r[2],
        forum_kind=r[3],
        session_id=r[4],
        session_number=r[5],
        text=r[6],
        owner=r[7],
        due=due,
        status=status,
        created_at=r[10],
        created_by=r[11],
        updated_at=r[12],
        updated_by=r[13],
        card_ids=msgspec.json.decode(r[14], type=list[str]),
        overdue=status == "open" and due is not None and due < today,
        changeable=status == "open",
    )


class _TitleCard(msgspec.Struct):
    title: str


class _Titles(msgspec.Struct):
    """Just the card titles of a recorded board (the rest is skipped, not decoded)."""

    cards: dict[str, _TitleCard] = {}


_titles = msgspec.json.Decoder(_Titles)


def card_titles(board: bytes) -> dict[str, str]:
    """Card id -> title of a stored board, decoding just the titles."""
    return {k: c.title for k, c in _titles.decode(board).cards.items()}


def like_pattern(text: str) -> str:
    """A LIKE pattern (escaped by ``\\``) matching ``text`` anywhere, its ``%``, ``_``
    and ``\\`` literal."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def missing(held: Iterable[tuple[str, str | None]], roles: Sequence[str]) -> list[tuple[str, str]]:
    """(forum id, role) for each of ``roles`` a forum holds no token for, from every
    (forum id, role held or ``None``)."""
    have: dict[str, set[str]] = {}
    for forum_id, role in held:
        have.setdefault(forum_id, set()).update([role] if role else [])
    return [(f, role) for f, h in have.items() for role in roles if role not in h]


def feed_row(row: Sequence[Any]) -> FeedRecord:
    """A ``feeds`` row (scope, subject, generation, token_hash, created_at, owner, grants,
    admin_mark)."""
    scope, subject, generation, token_hash, created_at, owner, grants, admin_mark = row
    return FeedRecord(
        scope=str(scope),
        subject=str(subject),
        generation=int(generation),
        token_hash=str(token_hash),
        created_at=float(created_at),
        owner=str(owner),
        grants=[(str(f), str(r), str(m)) for f, r, m in msgspec.json.decode(grants)],
        admin_mark=str(admin_mark),
    )


SPRINT_COLUMNS: Final = "days, start, updated_at, updated_by"
TEAM_METRIC_COLUMNS: Final = (
    "team_id, sprint, happiness, productivity, productivity_unit, value, value_unit, "
    "quality, quality_unit, forum_id, recorded_by, recorded_at"
)


def sprints_row(row: Sequence[Any]) -> SprintSettings:
    """A ``sprint_settings`` row (``SPRINT_COLUMNS``)."""
    days, start, updated_at, updated_by = row
    return SprintSettings(int(days), dt.date.fromisoformat(start), float(updated_at), updated_by)


def _maybe(value: Any) -> float | None:
    return None if value is None else float(value)


def team_metrics_row(row: Sequence[Any]) -> TeamSprintMetrics:
    """A ``team_metrics`` row (``TEAM_METRIC_COLUMNS``)."""
    team, sprint, happy, prod, prod_unit, value, value_unit, quality, quality_unit = row[:9]
    forum_id, by, at = row[9:]
    return TeamSprintMetrics(
        team_id=str(team),
        sprint=int(sprint),
        happiness=int(happy),
        productivity=_maybe(prod),
        productivity_unit=str(prod_unit),
        value=_maybe(value),
        value_unit=str(value_unit),
        quality=_maybe(quality),
        quality_unit=str(quality_unit),
        forum_id=str(forum_id),
        recorded_by=str(by),
        recorded_at=float(at),
    )

"""What pages and the API share: creating forums, reading sessions, the teams style."""

from __future__ import annotations

import re
import secrets
import time
from typing import Any, Protocol

import msgspec

from board.apply import clean_text
from board.kinds import FORUM_KINDS
from board.model import MAX_FORUM_NAME, Board, Decision, NextStep, new_board
from server.storage.forums import ForumDirectory
from server.storage.records import ForumRow
from server.storage.sqlite.store import Store, decode_board


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


def validate_forum(name: str, kind: str) -> dict[str, str]:
    """Field errors for a new forum (empty when it is fine)."""
    errors: dict[str, str] = {}
    cleaned = clean_text(name, single_line=True)
    if not cleaned:
        errors["name"] = "Give the forum a name."
    elif len(cleaned) > MAX_FORUM_NAME:
        errors["name"] = f"Keep the name to {MAX_FORUM_NAME} characters or fewer."
    if kind not in FORUM_KINDS:
        errors["kind"] = "Choose one of the forum kinds."
    return errors


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:32].strip("-") or "forum"


class ForumLookup(Protocol):
    """What ``claim_forum_id`` needs: a ``ForumDirectory`` (or the engine, for callers
    not yet moved to the storage interface)."""

    async def forum(self, forum_id: str) -> ForumRow | None: ...


async def create_forum(forums: ForumDirectory, name: str, kind: str) -> Board:
    """Create a forum from its kind's template; the caller validated the fields."""
    name = clean_text(name, single_line=True)
    forum_id = await claim_forum_id(forums, name)
    try:
        board = new_board(forum_id, kind, name)
        await forums.create(board, time.time())
    finally:
        release_forum_id(forum_id)
    return board


async def claim_forum_id(forums: ForumLookup, name: str, preferred: str | None = None) -> str:
    """A forum id that no forum has and nobody is creating now: ``preferred`` when it is
    free, else one made from ``name``. Reserved until ``release_forum_id``.

    The suffix is short, so two forums of one name can draw the same one; an insert
    that collides would fail the whole group commit it shares with other writes.
    """
    candidate = preferred or f"{slug(name)}-{secrets.token_hex(2)}"
    while True:
        free = candidate not in _creating and await forums.forum(candidate) is None
        if free and candidate not in _creating:  # checked again after the await
            _creating.add(candidate)
            return candidate
        candidate = f"{slug(name)}-{secrets.token_hex(3)}"


def release_forum_id(forum_id: str) -> None:
    """The forum is written (or its writing failed): ``forums.forum`` answers for it now."""
    _creating.discard(forum_id)


_creating: set[str] = set()  # ids being written now (not yet visible to ``forums.forum``)


_SESSION_FIELDS = (
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
_SESSION_COLUMNS = ", ".join(_SESSION_FIELDS)
# The counts of a session still running are not stored yet (``SessionEnded`` writes
# them): count its rows instead (both tables are indexed by session).
_LIVE_COUNT = {
    "decisions": "CASE WHEN sessions.end_seq IS NULL THEN (SELECT count(*) FROM decisions "
    "WHERE decisions.session_id = sessions.id) ELSE sessions.decisions END",
    "next_steps": "CASE WHEN sessions.end_seq IS NULL THEN (SELECT count(*) FROM next_steps "
    "WHERE next_steps.session_id = sessions.id) ELSE sessions.next_steps END",
}
SESSION_COLUMNS = ", ".join(_LIVE_COUNT.get(f, f"sessions.{f}") for f in _SESSION_FIELDS)
"""The columns ``session_record`` reads, qualified (for joins), with live counts."""

# An op is logged as msgspec JSON, which writes the tag first: a move starts with
# these bytes. Comparing a blob prefix uses the (forum_id, seq) key for the range and
# parses no JSON (SQLite's LIKE does not match BLOBs; json_extract would parse each op).
_MOVE_PREFIX = b'{"type":"move_card"'
CARDS_MOVED = (
    "(SELECT count(*) FROM ops WHERE ops.forum_id = sessions.forum_id "
    "AND ops.seq BETWEEN sessions.start_seq AND coalesce(sessions.end_seq, 1 << 62) "
    f"AND substr(ops.op, 1, {len(_MOVE_PREFIX)}) = X'{_MOVE_PREFIX.hex()}')"
)
"""SQL for the number of cards moved in a session (a row of ``sessions``)."""


def session_record(
    row: tuple[Any, ...], live_seq: int | None = None, cards_moved: int = 0
) -> SessionRecord:
    """A ``SessionRecord`` from the columns of ``SESSION_COLUMNS``; ``live_seq`` is the
    forum's seq now, which counts the operations of a session still running."""
    data = dict(zip(_SESSION_FIELDS, row, strict=True))
    data["participants"] = msgspec.json.decode(data["participants"])
    last = data["end_seq"] if data["end_seq"] is not None else live_seq
    data["operations"] = max(0, last - data["start_seq"] + 1) if last is not None else 0
    data["cards_moved"] = cards_moved
    return msgspec.convert(data, SessionRecord)


async def sessions(store: Store, forum_id: str, live_seq: int | None = None) -> list[SessionRecord]:
    rows = await store.fetch(
        f"SELECT {SESSION_COLUMNS}, {CARDS_MOVED} FROM sessions WHERE sessions.forum_id=? "
        "ORDER BY sessions.number DESC",
        (forum_id,),
    )
    return [session_record(r[:-1], live_seq, r[-1]) for r in rows]


async def session_detail(store: Store, session_id: str) -> SessionDetail | None:
    rows = await store.fetch(
        f"SELECT {_SESSION_COLUMNS}, {CARDS_MOVED}, board FROM sessions WHERE id=?",
        (session_id,),
    )
    if not rows:
        return None
    row = rows[0]
    board = decode_board(row[-1]) if row[-1] is not None else None
    record = session_record(row[:-2], cards_moved=row[-2])
    decisions = await store.fetch(
        "SELECT id, session_id, text, at, by, card_ids FROM decisions "
        "WHERE session_id=? ORDER BY at, id",
        (session_id,),
    )
    steps = await store.fetch(
        "SELECT id, session_id, text, created_at, created_by, updated_at, updated_by, owner, "
        "due, status, card_ids FROM next_steps WHERE session_id=? ORDER BY created_at, id",
        (session_id,),
    )
    return SessionDetail(
        session=record,
        board=board,
        decision_list=[
            Decision(
                id=r[0],
                session_id=r[1],
                text=r[2],
                at=r[3],
                by=r[4],
                card_ids=tuple(msgspec.json.decode(r[5], type=list[str])),
            )
            for r in decisions
        ],
        step_list=[
            msgspec.convert(
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
            for r in steps
        ],
    )


def teams_css(teams: list[tuple[str, str]]) -> str:
    """One rule per team colour (served as a stylesheet: the CSP forbids inline styles)."""
    lines = []
    for team_id, colour in teams:
        if re.fullmatch(r"[a-z0-9-]+", team_id) and re.fullmatch(r"#[0-9a-fA-F]{6}", colour):
            lines.append(f".team-{team_id}{{--team:{colour}}}")
    return "\n".join(lines) + "\n"

"""History queries: sessions, decisions and next steps of the network, paged in SQL.

They read the review tables the projections keep (``sessions``, ``decisions``,
``next_steps``) joined with ``forums``, so no board is replayed to list anything. A
decision names its cards by id; their titles come from the board its session recorded
at its end (or the live board while it runs). The Structs here are also the JSON
API's schema. ``server/history.py`` holds the routes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from typing import Any, Final

import msgspec

from board.kinds import FORUM_KINDS
from board.model import StepStatus
from server.forums.service import CARDS_MOVED, SESSION_COLUMNS, SessionRecord, session_record
from server.live.registry import Rooms
from server.storage.sqlite.store import Store

PAGE_SIZE: Final = 25  # rows per page of the HTML lists
STATUSES: Final = ("open", "done", "dropped")
STEP_STATUS: Final[dict[str, StepStatus]] = {"open": "open", "done": "done", "dropped": "dropped"}
MAX_QUERY: Final = 200  # longest search text / owner filter


class BadQuery(Exception):
    """A filter or page value that cannot be used; ``reason`` says what is wrong."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# -- what the lists hold (also the API's schema) ----------------------------------------


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


class _TitleCard(msgspec.Struct):
    title: str


class _Titles(msgspec.Struct):
    """Just the card titles of a recorded board (the rest is skipped, not decoded)."""

    cards: dict[str, _TitleCard] = {}


_titles = msgspec.json.Decoder(_Titles)


# -- queries ----------------------------------------------------------------------------


def _where(clauses: list[str]) -> str:
    return f"WHERE {' AND '.join(clauses)}" if clauses else ""


Visible = Collection[str] | None
"""The forums a list may show (``None``: all of them; see ``server.access.Who.visible``)."""


def _only(visible: Visible, column: str, clauses: list[str], params: list[Any]) -> None:
    """Limit a query to the forums in ``visible``."""
    if visible is None:
        return
    ids = sorted(visible)
    clauses.append(f"{column} IN ({','.join('?' * len(ids))})" if ids else "0")
    params.extend(ids)


def like_pattern(text: str) -> str:
    """A LIKE pattern matching ``text`` anywhere, its ``%``, ``_`` and ``\\`` literal."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def count_and_rows(
    store: Store, select: str, body: str, params: Sequence[Any], order: str, limit: int, offset: int
) -> tuple[int, list[tuple[Any, ...]]]:
    """How many rows ``body`` (``FROM … WHERE …``) matches, and one page of them."""
    total = (await store.fetch(f"SELECT count(*) {body}", params))[0][0]
    rows = await store.fetch(
        f"SELECT {select} {body} ORDER BY {order} LIMIT ? OFFSET ?", (*params, limit, offset)
    )
    return int(total), rows


async def list_sessions(
    store: Store,
    rooms: Rooms,
    *,
    forum_id: str | None = None,
    kind: str | None = None,
    limit: int = PAGE_SIZE,
    offset: int = 0,
    visible: Visible = None,
) -> tuple[int, list[ListedSession]]:
    """Sessions of every forum (or one, or one kind), newest first."""
    clauses: list[str] = []
    params: list[Any] = []
    _only(visible, "sessions.forum_id", clauses, params)
    if forum_id is not None:
        clauses.append("sessions.forum_id = ?")
        params.append(forum_id)
    if kind is not None:
        clauses.append("forums.kind = ?")
        params.append(kind)
    joined = "FROM sessions JOIN forums ON forums.id = sessions.forum_id"
    body = f"{joined} {_where(clauses)}"
    order = "sessions.started_at DESC, sessions.number DESC, sessions.id DESC"
    total = int((await store.fetch(f"SELECT count(*) {body}", params))[0][0])
    # The page first, then the counts: the per-session subqueries run for its rows only.
    page = f"SELECT sessions.rowid {body} ORDER BY {order} LIMIT ? OFFSET ?"
    rows = await store.fetch(
        f"SELECT {SESSION_COLUMNS}, {CARDS_MOVED}, forums.name, forums.kind, forums.seq "
        f"{joined} WHERE sessions.rowid IN ({page}) ORDER BY {order}",
        (*params, limit, offset),
    )
    live = rooms.live()
    out = []
    for *cols, moved, name, forum_kind, seq in rows:
        room = live.get(cols[1])
        record = session_record(tuple(cols), room.sync.seq if room else seq, moved)
        data = msgspec.structs.asdict(record)
        out.append(ListedSession(**data, forum_name=name, forum_kind=forum_kind))
    return total, out


async def _card_titles(
    store: Store, rooms: Rooms, wanted: dict[str, str]
) -> dict[str, dict[str, str]]:
    """Card titles per session id (``wanted``: session id -> forum id): from the board
    the session recorded at its end, else (still running) the forum's live board."""
    if not wanted:
        return {}
    ids = list(wanted)
    marks = ",".join("?" * len(ids))
    rows = await store.fetch(f"SELECT id, board FROM sessions WHERE id IN ({marks})", ids)
    titles: dict[str, dict[str, str]] = {}
    for session_id, board in rows:
        if board is not None:
            titles[session_id] = {k: c.title for k, c in _titles.decode(board).cards.items()}
    for session_id, forum_id in wanted.items():
        if session_id not in titles:
            room = await rooms.get(forum_id)
            cards = room.sync.board.cards if room else {}
            # A running retrospective's face-down cards are nobody's to read here (R22).
            titles[session_id] = {
                k: "a hidden card" if c.hidden else c.title for k, c in cards.items()
            }
    return titles


async def list_decisions(
    store: Store,
    rooms: Rooms,
    *,
    forum_id: str | None = None,
    q: str = "",
    limit: int = PAGE_SIZE,
    offset: int = 0,
    visible: Visible = None,
) -> tuple[int, list[LoggedDecision]]:
    """Decisions newest first; ``q`` is a case-insensitive substring of their text."""
    clauses: list[str] = []
    params: list[Any] = []
    _only(visible, "decisions.forum_id", clauses, params)
    if forum_id is not None:
        clauses.append("decisions.forum_id = ?")
        params.append(forum_id)
    if q:
        clauses.append("decisions.text LIKE ? ESCAPE '\\'")
        params.append(like_pattern(q))
    body = (
        "FROM decisions JOIN forums ON forums.id = decisions.forum_id "
        f"JOIN sessions ON sessions.id = decisions.session_id {_where(clauses)}"
    )
    select = (
        "decisions.id, decisions.forum_id, forums.name, forums.kind, decisions.session_id, "
        "sessions.number, sessions.end_seq IS NULL, decisions.text, decisions.at, decisions.by, "
        "decisions.card_ids"
    )
    order = "decisions.at DESC, decisions.rowid DESC"
    total, rows = await count_and_rows(store, select, body, params, order, limit, offset)
    refs = [msgspec.json.decode(r[-1], type=list[str]) for r in rows]
    wanted = {r[4]: r[1] for r, cards in zip(rows, refs, strict=True) if cards}
    titles = await _card_titles(store, rooms, wanted)
    out = []
    for r, cards in zip(rows, refs, strict=True):
        known = titles.get(r[4], {})
        out.append(
            LoggedDecision(
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
                cards=[CardRef(id=c, title=known.get(c, c)) for c in cards],
            )
        )
    return total, out


async def list_steps(
    store: Store,
    rooms: Rooms,
    f: StepFilter,
    *,
    today: dt.date,
    limit: int = PAGE_SIZE,
    offset: int = 0,
    visible: Visible = None,
) -> tuple[int, list[LoggedStep]]:
    """Next steps: open ones first, soonest due first, then the newest."""
    clauses: list[str] = []
    params: list[Any] = []
    _only(visible, "next_steps.forum_id", clauses, params)
    if f.forum_id is not None:
        clauses.append("next_steps.forum_id = ?")
        params.append(f.forum_id)
    if f.status is not None:
        clauses.append("next_steps.status = ?")
        params.append(f.status)
    if f.owner:
        clauses.append("next_steps.owner = ? COLLATE NOCASE")
        params.append(f.owner)
    if f.overdue:
        clauses.append("next_steps.status = 'open' AND next_steps.due < ?")
        params.append(today.isoformat())  # ISO dates compare as text; NULL never matches
    body = (
        "FROM next_steps JOIN forums ON forums.id = next_steps.forum_id "
        f"JOIN sessions ON sessions.id = next_steps.session_id {_where(clauses)}"
    )
    select = (
        "next_steps.id, next_steps.forum_id, forums.name, forums.kind, next_steps.session_id, "
        "sessions.number, next_steps.text, next_steps.owner, next_steps.due, next_steps.status, "
        "next_steps.created_at, next_steps.created_by, next_steps.updated_at, "
        "next_steps.updated_by, next_steps.card_ids"
    )
    order = (
        "next_steps.status = 'open' DESC, next_steps.due IS NULL, next_steps.due, "
        "next_steps.created_at DESC, next_steps.rowid DESC"
    )
    total, rows = await count_and_rows(store, select, body, params, order, limit, offset)
    # An open step is always on its forum's board (a session's end keeps open steps);
    # a closed one is only until the next session ends, so ask the board for those.
    boards: dict[str, frozenset[str]] = {}
    for r in rows:
        if r[9] != "open" and r[1] not in boards:
            room = await rooms.get(r[1])
            boards[r[1]] = frozenset(room.sync.board.next_steps) if room else frozenset()
    out = []
    for r in rows:
        due = dt.date.fromisoformat(r[8]) if r[8] else None
        status = r[9]
        out.append(
            LoggedStep(
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
                changeable=status == "open" or r[0] in boards.get(r[1], frozenset()),
            )
        )
    return total, out


async def step_owners(store: Store, forum_id: str | None, visible: Visible = None) -> list[str]:
    """The owners named by next steps (suggestions for the owner filter)."""
    clauses = ["owner != ''"]
    params: list[Any] = []
    if forum_id:
        clauses.append("forum_id = ?")
        params.append(forum_id)
    _only(visible, "forum_id", clauses, params)
    rows = await store.fetch(
        f"SELECT DISTINCT owner FROM next_steps {_where(clauses)} "
        "ORDER BY owner COLLATE NOCASE LIMIT 200",
        params,
    )
    return [r[0] for r in rows]


# -- checking query values -------------------------------------------------------------


def check_kind(kind: str | None) -> str | None:
    if not kind:
        return None
    if kind not in FORUM_KINDS:
        raise BadQuery(f"There is no forum kind {kind!r}; use one of {', '.join(FORUM_KINDS)}.")
    return kind


def check_status(status: str | None) -> str | None:
    if not status:
        return None
    if status not in STATUSES:
        raise BadQuery(f"Status {status!r} is not one of {', '.join(STATUSES)}.")
    return status


def check_text(value: str | None, what: str) -> str:
    text = (value or "").strip()
    if len(text) > MAX_QUERY:
        raise BadQuery(f"The {what} is too long (at most {MAX_QUERY} characters).")
    return text


def check_page(raw: str | None) -> int:
    if not raw:
        return 1
    if not raw.isdigit() or not 1 <= int(raw) <= 1_000_000:
        raise BadQuery(f"Page {raw!r} is not a page number (1, 2, 3 …).")
    return int(raw)


def check_flag(raw: str | None) -> bool:
    if raw in (None, "", "false", "0"):
        return False
    if raw in ("true", "1", "on"):
        return True
    raise BadQuery(f"overdue={raw!r} is neither true nor false.")


async def check_forum(store: Store, forum_id: str | None) -> str | None:
    if not forum_id:
        return None
    if await store.forum(forum_id) is None:
        raise BadQuery(f"There is no forum {forum_id!r}.")
    return forum_id


class SqliteHistory:
    """``HistoryQueries`` on one SQLite file."""

    def __init__(self, store: Store) -> None:
        self.store = store

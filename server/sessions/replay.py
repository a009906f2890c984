"""Replay a past session step by step, and what changed between sessions.

A session's timeline is rebuilt from the log: the forum's board just before the
session started (latest snapshot at or before that seq, plus the ops after it) and
the session's own ops. ``board.history.Timeline`` keeps a checkpoint every 100 steps,
and a small LRU cache here keeps whole timelines keyed by (session id, last seq), so
a slider dragged over a session of 10,000 ops costs at most 99 applies per step and
never a replay from the start. A running session ends at the forum's current seq.

Pages (``/sessions/{id}/replay``, ``/sessions/{id}/replay/{step}`` for the fragment
``static/js/replay.js`` swaps in, ``/sessions/{id}/changes``) render boards with the
live board's templates, read-only; the JSON API under ``/api/sessions/{id}/…`` gives
the same data. All of it only reads: nothing here writes to the store.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Final

import msgspec
from litestar import Controller, Request, Response, get
from litestar.params import Parameter

from board import visibility
from board.history import BoardDiff, Step, Timeline, diff
from board.model import Board
from board.replay import ReplayError
from server.access.service import session_guard
from server.forums.api import API_EXCEPTION_HANDLERS, ERRORS, ApiProblem
from server.forums.pages import html, not_found
from server.forums.service import SESSION_COLUMNS, SessionRecord, session_record
from server.storage.sqlite.store import ForumRow, Store, decode_board
from server.web.render import Renderer

SEEN = session_guard("viewer")  # every route here reads a session: its forum's viewers

CACHE_SIZE: Final = 8  # whole timelines kept (each holds a board per 100 steps)
THREAD_OVER: Final = 500  # build longer timelines off the event loop
LIST_HALF: Final = 400  # the replay page lists at most twice this many steps
STEP_RE: Final = re.compile(r"-?[0-9]{1,9}")
# The card fields ``diff`` compares, as people call them.
FIELD_LABELS: Final = {
    "kind": "kind",
    "title": "title",
    "body": "details",
    "team": "team",
    "to_team": "depends-on team",
    "owner": "owner",
    "teams": "owning teams",
    "connects": "connected cards",
    "hypothesis": "hypothesis",
    "result": "result",
    "outcome": "outcome",
}

Request_ = Request[Any, Any, Any]
Marks = dict[str, list[tuple[str, str]]]


# -- loading ------------------------------------------------------------------------------


class SessionInfo(SessionRecord, frozen=True):
    """A session's row as ``service.session_record`` reads it, with its end board."""

    board: bytes | None = None  # the board when it ended (``None``: still running)

    @property
    def running(self) -> bool:
        return self.end_seq is None


_COLUMNS: Final = f"{SESSION_COLUMNS}, sessions.board"


def _info(row: tuple[Any, ...]) -> SessionInfo:
    record = session_record(row[:-1])
    return SessionInfo(**msgspec.structs.asdict(record), board=row[-1])


async def load_session(store: Store, session_id: str) -> SessionInfo | None:
    rows = await store.fetch(f"SELECT {_COLUMNS} FROM sessions WHERE sessions.id=?", (session_id,))
    return _info(rows[0]) if rows else None


async def previous_session(store: Store, info: SessionInfo) -> SessionInfo | None:
    """The forum's session before this one (``None`` for its first)."""
    rows = await store.fetch(
        f"SELECT {_COLUMNS} FROM sessions WHERE sessions.forum_id=? AND sessions.number<? "
        "ORDER BY number DESC LIMIT 1",
        (info.forum_id, info.number),
    )
    return _info(rows[0]) if rows else None


class Unavailable(Exception):
    """The log does not hold what a replay needs (e.g. ops that were never stored here)."""


async def board_at_seq(store: Store, forum_id: str, seq: int) -> Board:
    """The forum's board right after op ``seq`` (``Unavailable`` when it cannot be had)."""
    try:
        return await store.board_at(forum_id, seq)
    except LookupError as e:
        raise Unavailable(str(e)) from None


async def current_seq(request: Request_, forum_id: str) -> int:
    """The forum's seq now: the live room's when it is loaded, else the stored one."""
    room = request.app.state.rooms.live().get(forum_id)
    if room is not None:
        return int(room.sync.seq)
    forum: ForumRow | None = await request.app.state.store.forum(forum_id)
    return forum.seq if forum else 0


Key = tuple[str, int]


class Timelines:
    """An LRU of built timelines; requests for one being built wait for that build."""

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self.size = size
        self._done: OrderedDict[Key, Timeline] = OrderedDict()
        self._building: dict[Key, asyncio.Future[tuple[Timeline, bool]]] = {}
        self.builds = 0  # how many timelines were built (for tests and curiosity)

    async def get(
        self, key: Key, build: Callable[[], Awaitable[tuple[Timeline, bool]]]
    ) -> Timeline:
        found = self._done.get(key)
        if found is not None:
            self._done.move_to_end(key)
            return found
        pending = self._building.get(key)
        if pending is None:
            self.builds += 1
            pending = asyncio.ensure_future(build())
            self._building[key] = pending
            pending.add_done_callback(lambda f: self._settle(key, f))
        timeline, _ = await asyncio.shield(pending)
        return timeline

    def _settle(self, key: Key, future: asyncio.Future[tuple[Timeline, bool]]) -> None:
        self._building.pop(key, None)
        if future.cancelled() or future.exception() is not None:
            return
        timeline, complete = future.result()
        if complete:  # a running session whose last ops are not committed yet: rebuild
            self._done[key] = timeline
            while len(self._done) > self.size:
                self._done.popitem(last=False)


def timelines(request: Request_) -> Timelines:
    state = request.app.state
    cache = state.get("replay_timelines")
    if cache is None:
        cache = state.replay_timelines = Timelines()
    assert isinstance(cache, Timelines)
    return cache


async def session_timeline(
    request: Request_, info: SessionInfo, last: int | None = None
) -> Timeline:
    """The session's timeline. A running one ends at the forum's current seq, or at
    ``last`` when that is given and not past it (so a page keeps the steps it shows)."""
    store: Store = request.app.state.store
    if info.end_seq is not None:
        end = info.end_seq
    else:
        end = await current_seq(request, info.forum_id)
        if last is not None and info.start_seq - 1 <= last <= end:
            end = last

    async def build() -> tuple[Timeline, bool]:
        start = await board_at_seq(store, info.forum_id, info.start_seq - 1)
        ops = await store.ops(info.forum_id, info.start_seq, end)
        complete = len(ops) == end - info.start_seq + 1
        reach = None if info.running else end  # an ended session's log must reach its end
        try:
            if len(ops) > THREAD_OVER:  # pure and immutable: safe beside the event loop
                return await asyncio.to_thread(Timeline, start, ops, end=reach), complete
            return Timeline(start, ops, end=reach), complete
        except ReplayError as e:  # a gap in the seqs, or an op that does not apply
            if e.problem == "gap":
                missing = "Some operations of this session are missing from the log."
                raise Unavailable(missing) from None
            raise Unavailable(f"The log of this session does not replay: {e}") from None

    return await timelines(request).get((info.id, end), build)


# -- what the templates get ---------------------------------------------------------------


def seconds(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts).strftime("%H:%M:%S")


class BadStep(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def parse_step(raw: str | None, n: int) -> int:
    """A step number from a URL; none means the last. 400 when it is not a whole
    number, 404 when the session has no such step."""
    if raw is None or raw.strip() == "":
        return n
    text = raw.strip()
    if not STEP_RE.fullmatch(text):
        raise BadStep(400, f"The step must be a whole number from 0 to {n}, not {text[:40]!r}.")
    step = int(text)
    if not 0 <= step <= n:
        raise BadStep(404, f"This session has steps 0 to {n}; there is no step {step}.")
    return step


def step_window(k: int, n: int, half: int = LIST_HALF) -> tuple[int, int]:
    """Which steps the page lists: ``steps[lo:hi]`` (indices lo+1..hi), around ``k``.
    A long session lists ``2 * half`` of them, not 10,000 links."""
    lo = max(0, k - half)
    hi = min(n, lo + 2 * half)
    return max(0, hi - 2 * half), hi


def frame(renderer: Renderer, tl: Timeline, k: int) -> dict[str, Any]:
    """The context of ``_replay_frame.html``: the board after step ``k`` and its caption."""
    current: Step | None = tl.steps[k - 1] if k else None
    marks: Marks = {}
    if current is not None:
        marks = {cid: [("touched", "◆ This step")] for cid in current.card_ids}
    board = tl.board_at(k)
    return {
        # Cards still hidden at step k are face down (board.visibility), as they were.
        "view": renderer.view(visibility.board_for(board, None), readonly=True),
        "phase": board.retro.phase if board.retro is not None else "",
        "marks": marks,
        "k": k,
        "n": len(tl),
        "current": current,
        "seconds": seconds,
    }


def caption(tl: Timeline, k: int) -> str:
    """The caption as plain text (``aria-valuetext`` of the slider)."""
    if k == 0:
        return f"Step 0 of {len(tl)}: the board before the session started"
    s = tl.steps[k - 1]
    retro = tl.board_at(k).retro
    phase = f" ({retro.phase} phase)" if retro is not None else ""
    return f"Step {k} of {len(tl)}{phase}: {s.summary}, {seconds(s.at)}"


def change_marks(d: BoardDiff) -> Marks:
    """Card id -> its markers on the board of the later session (removed: not there)."""
    marks: Marks = {}
    for c in d.added:
        marks.setdefault(c.card_id, []).append(("added", "+ Added"))
    for c in d.moved:
        marks.setdefault(c.card_id, []).append(("moved", f"→ Moved from {c.from_column}"))
    for c in d.changed:
        what = ", ".join(FIELD_LABELS.get(f, f) for f in c.fields)
        marks.setdefault(c.card_id, []).append(("changed", f"✎ Changed: {what}"))
    return marks


class Compared(msgspec.Struct, frozen=True):
    """Two boards of a forum to diff: the end of the previous session (or the board
    just before a first session) and the end of this one (now, when it is running)."""

    previous: SessionInfo | None
    before: Board
    after: Board


async def compare(request: Request_, info: SessionInfo) -> Compared:
    store: Store = request.app.state.store
    prev = await previous_session(store, info)
    if prev is None:
        before = await board_at_seq(store, info.forum_id, info.start_seq - 1)
    elif prev.board is not None:
        before = decode_board(prev.board)
    else:
        before = (await session_timeline(request, prev)).end
    if info.board is not None:
        after = decode_board(info.board)
    else:
        room = await request.app.state.rooms.get(info.forum_id)
        after = room.sync.board if room is not None else (await session_timeline(request, info)).end
    # A running session may hold hidden cards: everyone sees them face down here.
    after = visibility.board_for(after, None)
    return Compared(previous=prev, before=before, after=after)


# -- pages ------------------------------------------------------------------------------


def _error(renderer: Renderer, status: int, message: str, back: str, label: str) -> Response[str]:
    title = "Not found" if status == 404 else "Cannot show this"
    body = renderer.page(
        "error.html", title=title, message=message, back_href=back, back_label=label
    )
    return html(body, status=status)


async def _session_and_forum(
    request: Request_, session_id: str
) -> tuple[SessionInfo, ForumRow] | Response[str]:
    store: Store = request.app.state.store
    renderer: Renderer = request.app.state.renderer
    info = await load_session(store, session_id)
    if info is None:
        return not_found(renderer, "There is no session with this id.")
    forum = await store.forum(info.forum_id)
    if forum is None:
        return not_found(renderer, "The forum of this session no longer exists.")
    return info, forum


def _unavailable(renderer: Renderer, info: SessionInfo, e: Unavailable) -> Response[str]:
    message = f"This session cannot be replayed here: {e}"
    return _error(renderer, 404, message, f"/sessions/{info.id}", "Back to the session")


@get("/sessions/{session_id:str}/replay", include_in_schema=False, guards=[SEEN])
async def replay_page(request: Request_, session_id: str, step: str | None = None) -> Response[str]:
    """The replay: the board at a step, a slider and buttons, and the list of steps."""
    renderer: Renderer = request.app.state.renderer
    found = await _session_and_forum(request, session_id)
    if isinstance(found, Response):
        return found
    info, forum = found
    try:
        tl = await session_timeline(request, info)
        k = parse_step(step, len(tl))
    except Unavailable as e:
        return _unavailable(renderer, info, e)
    except BadStep as e:
        back = f"/sessions/{info.id}/replay"
        return _error(renderer, e.status, e.reason, back, "Back to the replay")
    lo, hi = step_window(k, len(tl))
    body = renderer.page(
        "replay.html",
        forum=forum,
        session=info,
        steps=tl.steps[lo:hi],
        list_from=lo,
        list_to=hi,
        last_seq=tl.steps[-1].seq if tl.steps else info.start_seq - 1,
        caption_text=caption(tl, k),
        **frame(renderer, tl, k),
    )
    return html(body, headers={"Cache-Control": "no-store"})


@get("/sessions/{session_id:str}/replay/{step:str}", include_in_schema=False, guards=[SEEN])
async def replay_fragment(
    request: Request_, session_id: str, step: str, last: str | None = None
) -> Response[str]:
    """The board and caption at one step, as HTML for replay.js to swap in. ``last``
    pins a running session's timeline to the seq the page was showing."""
    renderer: Renderer = request.app.state.renderer
    found = await _session_and_forum(request, session_id)
    if isinstance(found, Response):
        return found
    info, _ = found
    pinned = int(last) if last is not None and STEP_RE.fullmatch(last) else None
    try:
        tl = await session_timeline(request, info, pinned)
        k = parse_step(step, len(tl))
    except Unavailable as e:
        return _unavailable(renderer, info, e)
    except BadStep as e:
        back = f"/sessions/{info.id}/replay"
        return _error(renderer, e.status, e.reason, back, "Back to the replay")
    body = renderer.page("_replay_frame.html", **frame(renderer, tl, k))
    cache = "no-store" if info.running else "private, max-age=300"
    return html(body, headers={"Cache-Control": cache})


@get("/sessions/{session_id:str}/changes", include_in_schema=False, guards=[SEEN])
async def changes_page(request: Request_, session_id: str) -> Response[str]:
    """What changed since the session before: a list by kind and the marked board."""
    renderer: Renderer = request.app.state.renderer
    found = await _session_and_forum(request, session_id)
    if isinstance(found, Response):
        return found
    info, forum = found
    try:
        compared = await compare(request, info)
    except Unavailable as e:
        return _unavailable(renderer, info, e)
    d = diff(compared.before, compared.after)
    removed_marks: Marks = {c.card_id: [("removed", "− Removed")] for c in d.removed}
    body = renderer.page(
        "changes.html",
        forum=forum,
        session=info,
        previous=compared.previous,
        diff=d,
        view=renderer.view(compared.after, readonly=True),
        marks=change_marks(d),
        before_view=renderer.view(compared.before, readonly=True),
        removed_cards=[compared.before.cards[c.card_id] for c in d.removed],
        removed_marks=removed_marks,
        field_labels=FIELD_LABELS,
    )
    return html(body, headers={"Cache-Control": "no-store"})


# -- JSON API ---------------------------------------------------------------------------


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


async def _api_session(request: Request_, session_id: str) -> SessionInfo:
    info = await load_session(request.app.state.store, session_id)
    if info is None:
        raise ApiProblem(404, "not_found", f"There is no session {session_id!r}.")
    return info


async def _api_timeline(request: Request_, info: SessionInfo) -> Timeline:
    try:
        return await session_timeline(request, info)
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
    async def get_timeline(self, request: Request_, session_id: str) -> SessionTimeline:
        """Every step of a session: who did what and when, and the cards it touched."""
        info = await _api_session(request, session_id)
        tl = await _api_timeline(request, info)
        return SessionTimeline(
            session_id=info.id,
            forum_id=info.forum_id,
            running=info.running,
            start_seq=info.start_seq,
            steps=tl.steps,
        )

    @get("/sessions/{session_id:str}/board", responses={400: ERRORS[400], 404: ERRORS[404]})
    async def get_board_at(
        self, request: Request_, session_id: str, step: StepParam = None
    ) -> Board:
        """The board after ``step`` operations of the session."""
        info = await _api_session(request, session_id)
        tl = await _api_timeline(request, info)
        k = len(tl) if step is None else step
        if not 0 <= k <= len(tl):
            raise ApiProblem(
                400, "invalid", f"This session has steps 0 to {len(tl)}; there is no step {k}."
            )
        return visibility.board_for(tl.board_at(k), None)  # hidden cards face down

    @get("/sessions/{session_id:str}/changes", responses={404: ERRORS[404]})
    async def get_changes(self, request: Request_, session_id: str) -> SessionChanges:
        """Cards added, removed, moved between columns and changed since the session before."""
        info = await _api_session(request, session_id)
        try:
            compared = await compare(request, info)
        except Unavailable as e:
            raise ApiProblem(404, "not_found", str(e)) from None
        return SessionChanges(
            session_id=info.id,
            previous_session_id=compared.previous.id if compared.previous else None,
            before_seq=compared.before.seq,
            after_seq=compared.after.seq,
            diff=diff(compared.before, compared.after),
        )


REPLAY_ROUTES: list[Any] = [replay_page, replay_fragment, changes_page, ReplayApi]

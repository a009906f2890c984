"""Replay a past session step by step, and what changed between sessions: the pages.

``/sessions/{id}/replay`` shows the board at a step with a slider and the list of
steps, ``/sessions/{id}/replay/{step}`` is the fragment ``static/js/replay.js`` swaps
in, ``/sessions/{id}/changes`` marks what changed since the session before. Boards are
drawn with the live board's templates, read-only; the timelines come from
``server.sessions.timelines`` and the same data as JSON from ``replay_api.py``.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Final

from litestar import Response, get

from board import visibility
from board.history import BoardDiff, Step, Timeline, diff
from server.access.guards import session_guard
from server.sessions.timelines import Unavailable
from server.storage import Storage
from server.storage.records import ForumRow
from server.storage.sessions import SessionInfo
from server.web.deps import RendererDep, StorageDep, TimelinesDep
from server.web.errors import error_page, html, not_found
from server.web.render import Renderer

SEEN = session_guard("viewer")  # every route here reads a session: its forum's viewers

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

Marks = dict[str, list[tuple[str, str]]]


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


# -- pages ------------------------------------------------------------------------------


def _error(renderer: Renderer, status: int, message: str, back: str, label: str) -> Response[str]:
    title = "Not found" if status == 404 else "Cannot show this"
    return error_page(renderer, status, title, message, back, label)


async def _session_and_forum(
    storage: Storage, renderer: Renderer, session_id: str
) -> tuple[SessionInfo, ForumRow] | Response[str]:
    info = await storage.sessions.info(session_id)
    if info is None:
        return not_found(renderer, "There is no session with this id.")
    forum = await storage.forums.forum(info.forum_id)
    if forum is None:
        return not_found(renderer, "The forum of this session no longer exists.")
    return info, forum


def _unavailable(renderer: Renderer, info: SessionInfo, e: Unavailable) -> Response[str]:
    message = f"This session cannot be replayed here: {e}"
    return _error(renderer, 404, message, f"/sessions/{info.id}", "Back to the session")


@get("/sessions/{session_id:str}/replay", include_in_schema=False, guards=[SEEN])
async def replay_page(
    storage: StorageDep,
    renderer: RendererDep,
    timelines: TimelinesDep,
    session_id: str,
    step: str | None = None,
) -> Response[str]:
    """The replay: the board at a step, a slider and buttons, and the list of steps."""
    found = await _session_and_forum(storage, renderer, session_id)
    if isinstance(found, Response):
        return found
    info, forum = found
    try:
        tl = await timelines.of(info)
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
    storage: StorageDep,
    renderer: RendererDep,
    timelines: TimelinesDep,
    session_id: str,
    step: str,
    last: str | None = None,
) -> Response[str]:
    """The board and caption at one step, as HTML for replay.js to swap in. ``last``
    pins a running session's timeline to the seq the page was showing."""
    found = await _session_and_forum(storage, renderer, session_id)
    if isinstance(found, Response):
        return found
    info, _ = found
    pinned = int(last) if last is not None and STEP_RE.fullmatch(last) else None
    try:
        tl = await timelines.of(info, pinned)
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
async def changes_page(
    storage: StorageDep,
    renderer: RendererDep,
    timelines: TimelinesDep,
    session_id: str,
) -> Response[str]:
    """What changed since the session before: a list by kind and the marked board."""
    found = await _session_and_forum(storage, renderer, session_id)
    if isinstance(found, Response):
        return found
    info, forum = found
    try:
        compared = await timelines.compare(info)
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


REPLAY_PAGES: list[Any] = [replay_page, replay_fragment, changes_page]

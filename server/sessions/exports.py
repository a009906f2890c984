"""Exports of a session (Markdown, JSON, CSV) and import of a JSON export.

The JSON export is ``board.export.SessionExport``: the start board (the latest snapshot
at or before the session's start plus the operations after it), every operation of the
session, and the next steps as they stand now; the rest is derived by replaying. An
import checks the file completely (``board.export.check_import``) before it writes
anything, then writes the new forum in ONE transaction (``ForumDirectory.create``):
the forum row, a snapshot of the start board, every op row, the review rows the live
rooms would have written (on each replayed item), the next steps as they stand now, a
snapshot of the end board and the forum's summary. A failure therefore leaves nothing
half-imported.

Markdown is rendered by ``templates/export/session.md`` in a Jinja environment of its
own (autoescape off; the ``md`` filter escapes every piece of user text). CSV cells are
guarded against formula injection.
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import logging
import re
import time
from collections.abc import Collection
from typing import Any, Final

import jinja2
import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.exceptions import HTTPException
from litestar.response import Redirect

from board.export import ImportProblem, SessionExport, check_import, encode, export_session, verify
from board.export import with_forum_id as rename_forum_id
from board.kinds import FORUM_KINDS
from board.model import Board
from server.access.csrf import check_form
from server.access.service import admin_guard, forum_guard, session_guard, who
from server.config import TEMPLATES_DIR
from server.forums import service
from server.forums.api import API_EXCEPTION_HANDLERS, ERRORS, ApiProblem
from server.forums.pages import html, not_found
from server.forums.service import SessionDetail, session_detail
from server.storage.forums import ForumDirectory
from server.storage.sqlite.store import Store, StoreError
from server.web.render import Renderer, duration

log = logging.getLogger("scaleboard.exports")

IMPORT_MAX_BYTES: Final = 64 * 1024 * 1024  # an export holds two whole boards and every op
CSV_FIELDS: Final = (
    "forum",
    "forum_id",
    "session",
    "step",
    "text",
    "owner",
    "due",
    "status",
    "created_at",
    "created_by",
    "updated_at",
    "updated_by",
)


class Running(Exception):
    """The session has not ended, so it has no end board to export yet."""


class ImportResult(msgspec.Struct, frozen=True):
    """Where an imported session now lives (``remapped``: its forum id was taken)."""

    forum_id: str
    session_id: str
    remapped: bool


# -- reading a session ------------------------------------------------------------------


async def board_at(store: Store, forum_id: str, seq: int) -> Board | None:
    """The forum's board after operation ``seq``, or ``None`` if the store cannot say."""
    try:
        return await store.board_at(forum_id, seq)
    except LookupError:
        return None


async def build_export(store: Store, detail: SessionDetail) -> SessionExport:
    """The JSON export of a recorded session; ``Running`` if it has not ended."""
    record = detail.session
    if record.end_seq is None:
        raise Running(record.id)
    start = await board_at(store, record.forum_id, record.start_seq - 1)
    if start is None:
        raise LookupError(f"no snapshot of {record.forum_id} before seq {record.start_seq}")
    ops = await store.ops(record.forum_id, record.start_seq, record.end_seq)
    now = time.time()
    return await asyncio.to_thread(
        export_session, start, ops, exported_at=now, next_steps=detail.step_list
    )


# -- Markdown -----------------------------------------------------------------------------

_INLINE = re.compile(r"([\\`*_\[\]|~])")
_LINE_START = re.compile(r"^([#+=-])")
_NUMBERED = re.compile(r"^(\d+)([.)])")


def md(text: object, indent: int = 0) -> str:
    """User text made inert in Markdown: no HTML, no structure of its own.

    ``&``, ``<`` and ``>`` become entities (no raw HTML or autolinks pass through);
    emphasis, code, links, tables and strike-through characters are backslash-escaped;
    a line that would start a heading, list, rule or quote is escaped at its start.
    Lines are kept (joined with hard breaks, indented by ``indent`` to stay inside a
    list item); blank lines are dropped so a text never ends its item.
    """
    lines = []
    for raw in str(text).replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = raw.strip()
        if not line:
            continue
        line = line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        line = _INLINE.sub(r"\\\1", line)
        line = _LINE_START.sub(r"\\\1", line)
        line = _NUMBERED.sub(r"\1\\\2", line)
        lines.append(line)
    return ("  \n" + " " * indent).join(lines)


def utc(ts: float | None) -> str:
    if ts is None:
        return ""
    return dt.datetime.fromtimestamp(ts, tz=dt.UTC).strftime("%a %d %b %Y, %H:%M UTC")


_md_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES_DIR / "export"),
    autoescape=False,  # Markdown, not HTML: the ``md`` filter does the escaping
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
    undefined=jinja2.StrictUndefined,
)
_md_env.filters["md"] = md
_md_env.globals.update(utc=utc, duration=duration, FORUM_KINDS=FORUM_KINDS)


def session_markdown(
    detail: SessionDetail, forum_name: str, forum_kind: str, teams: dict[str, str]
) -> str:
    """The session as Markdown: facts, decisions, next steps and the board by column.

    ``teams`` maps team ids to names (cards name teams by id)."""
    board = detail.board
    assert board is not None
    cards = board.cards
    decisions = [
        (d, [cards[c].title if c in cards else c for c in d.card_ids]) for d in detail.decision_list
    ]
    columns = [(col, board.live_cards(col)) for col in board.columns]
    return _md_env.get_template("session.md").render(
        forum_name=forum_name,
        kind=FORUM_KINDS[forum_kind].label if forum_kind in FORUM_KINDS else forum_kind,
        session=detail.session,
        decisions=decisions,
        steps=detail.step_list,
        columns=columns,
        teams=teams,
        today=dt.date.today(),
    )


# -- CSV ----------------------------------------------------------------------------------

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> str:
    """A cell a spreadsheet will not run: text starting like a formula gets a ``'``."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _iso(ts: float | None) -> str:
    if ts is None:
        return ""
    return dt.datetime.fromtimestamp(ts, tz=dt.UTC).isoformat(timespec="seconds")


async def steps_csv(
    store: Store, forum_id: str | None, visible: Collection[str] | None = None
) -> str:
    """Every next step of one forum (or of the network: of the ``visible`` forums, all
    when ``None``), oldest first, as CSV."""
    clauses: list[str] = []
    params: list[str] = []
    if forum_id:
        clauses.append("s.forum_id=?")
        params.append(forum_id)
    if visible is not None:
        ids = sorted(visible)
        clauses.append(f"s.forum_id IN ({','.join('?' * len(ids))})" if ids else "0")
        params.extend(ids)
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    rows = await store.fetch(
        "SELECT f.name, s.forum_id, s.session_id, s.id, s.text, s.owner, s.due, s.status, "
        "s.created_at, s.created_by, s.updated_at, s.updated_by "
        "FROM next_steps s LEFT JOIN forums f ON f.id = s.forum_id "
        f"{where} ORDER BY f.name, s.forum_id, s.created_at, s.id",
        params,
    )
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_FIELDS)
    for r in rows:
        values = [*r[:8], _iso(r[8]), r[9], _iso(r[10]), r[11]]
        writer.writerow([csv_cell(v) for v in values])
    return out.getvalue()


def _download(name: str) -> dict[str, str]:
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", name)
    return {"Content-Disposition": f'attachment; filename="{safe}"', "Cache-Control": "no-store"}


# -- importing ----------------------------------------------------------------------------


async def import_session(forums: ForumDirectory, data: bytes) -> ImportResult:
    """Check an export and write it as a new forum; ``ImportProblem`` if it is unsound."""
    export = await asyncio.to_thread(check_import, data)
    forum_id = await service.claim_forum_id(forums, export.forum.name, export.forum.id)
    try:
        moved = rename_forum_id(export, forum_id)
        accepted = await asyncio.to_thread(verify, moved)
        # What a live room would have written, the later state of the next steps, and
        # a snapshot of the end board: one transaction (ForumDirectory.create).
        await forums.create(
            moved.start_board, time.time(), history=accepted, steps=moved.next_steps
        )
    finally:
        service.release_forum_id(forum_id)
    log.info("imported session %s as forum %s", export.session.id, forum_id)
    return ImportResult(
        forum_id=forum_id, session_id=moved.session.id, remapped=forum_id != export.forum.id
    )


# -- routes: pages and downloads ------------------------------------------------------------


def _parts(request: Request[Any, Any, Any]) -> tuple[Store, Renderer]:
    return request.app.state.store, request.app.state.renderer


def _running(renderer: Renderer, session_id: str) -> Response[str]:
    body = renderer.page(
        "error.html",
        title="Session still running",
        message="This session has not ended yet; it can be exported once it has.",
        back_href=f"/sessions/{session_id}",
        back_label="Back to the session",
    )
    return html(body, status=409)


SEEN = session_guard("viewer")


@get("/sessions/{session_id:str}/export.md", include_in_schema=False, guards=[SEEN])
async def export_markdown(request: Request[Any, Any, Any], session_id: str) -> Response[Any]:
    store, renderer = _parts(request)
    detail = await session_detail(store, session_id)
    if detail is None:
        return not_found(renderer, "There is no session with this id.")
    if detail.board is None:
        return _running(renderer, session_id)
    forum = await store.forum(detail.session.forum_id)
    name, kind = (forum.name, forum.kind) if forum else (detail.board.name, detail.board.kind)
    teams = {t.id: t.name for t in renderer.teams.values()}
    text = session_markdown(detail, name, kind, teams)
    headers = _download(f"{session_id}.md")
    headers["Content-Disposition"] = headers["Content-Disposition"].replace("attachment", "inline")
    return Response(text, media_type="text/markdown", headers=headers)


@get("/sessions/{session_id:str}/export.json", include_in_schema=False, guards=[SEEN])
async def export_json(request: Request[Any, Any, Any], session_id: str) -> Response[Any]:
    store, renderer = _parts(request)
    detail = await session_detail(store, session_id)
    if detail is None:
        return not_found(renderer, "There is no session with this id.")
    try:
        export = await build_export(store, detail)
    except Running:
        return _running(renderer, session_id)
    return Response(
        encode(export),
        media_type="application/json",
        headers=_download(f"scaleboard-session-{session_id}.json"),
    )


@get(
    "/forums/{forum_id:str}/next-steps.csv", include_in_schema=False, guards=[forum_guard("viewer")]
)
async def forum_steps_csv(request: Request[Any, Any, Any], forum_id: str) -> Response[Any]:
    store, renderer = _parts(request)
    if await store.forum(forum_id) is None:
        return not_found(renderer, "There is no forum at this address.")
    return Response(
        await steps_csv(store, forum_id),
        media_type="text/csv",
        headers=_download(f"next-steps-{forum_id}.csv"),
    )


@get("/next-steps.csv", include_in_schema=False)
async def network_steps_csv(request: Request[Any, Any, Any]) -> Response[Any]:
    store, _ = _parts(request)
    visible = (await who(request)).visible()
    return Response(
        await steps_csv(store, None, visible),
        media_type="text/csv",
        headers=_download("next-steps.csv"),
    )


def _import_page(renderer: Renderer, error: str = "", status: int = 200) -> Response[str]:
    body = renderer.page("import.html", error=error, max_mib=IMPORT_MAX_BYTES // (1024 * 1024))
    return html(body, status=status)


@get("/import", include_in_schema=False, guards=[admin_guard])
async def import_form(request: Request[Any, Any, Any]) -> Response[str]:
    return _import_page(request.app.state.renderer)


@post(
    "/import",
    include_in_schema=False,
    request_max_body_size=IMPORT_MAX_BYTES,
    guards=[admin_guard],
)
async def import_upload(request: Request[Any, Any, Any]) -> Response[Any]:
    _, renderer = _parts(request)
    try:
        form = await request.form()
    except HTTPException as e:
        status = 413 if e.status_code == 413 else 400
        reason = (
            f"The file is too large: an export may be at most {IMPORT_MAX_BYTES // 2**20} MiB."
            if status == 413
            else f"The upload could not be read: {e.detail}"
        )
        return _import_page(renderer, reason, status)
    await check_form(request, form)
    upload = form.get("file")
    if upload is None or isinstance(upload, str):
        return _import_page(renderer, "Choose an export file (.json) to import.", 400)
    data = await upload.read()
    await upload.close()
    if not data:
        return _import_page(renderer, "The chosen file is empty.", 400)
    try:
        result = await import_session(request.app.state.storage.forums, data)
    except ImportProblem as e:
        return _import_page(renderer, str(e), 400)
    except StoreError as e:
        return _import_page(renderer, f"The import could not be saved: {e}", 503)
    return Redirect(f"/sessions/{result.session_id}", status_code=303)


# -- routes: JSON API ---------------------------------------------------------------------


class ExportApi(Controller):
    path = "/api"
    tags = ["exports"]
    exception_handlers = API_EXCEPTION_HANDLERS

    @get(
        "/sessions/{session_id:str}/export",
        responses={404: ERRORS[404], 409: ERRORS[409]},
        guards=[SEEN],
    )
    async def session_export(
        self, request: Request[Any, Any, Any], session_id: str
    ) -> SessionExport:
        """A recorded session as one document: start board, every operation, end board,
        decisions and next steps (format ``scaleboard.session`` version 1, see
        docs/export.md). Import it into another Scaleboard with ``POST /api/import``."""
        store: Store = request.app.state.store
        detail = await session_detail(store, session_id)
        if detail is None:
            raise ApiProblem(404, "not_found", f"There is no session {session_id!r}.")
        try:
            return await build_export(store, detail)
        except Running:
            raise ApiProblem(
                409, "conflict", "The session is still running; export it once it has ended."
            ) from None

    @post(
        "/import",
        responses={400: ERRORS[400]},
        request_max_body_size=IMPORT_MAX_BYTES,
        guards=[admin_guard],
    )
    async def import_export(self, request: Request[Any, Any, Any]) -> ImportResult:
        """Import a session export (the request body, as ``GET
        /api/sessions/{id}/export`` returns it) as a new forum. The forum keeps its id
        when it is free here, else gets a fresh one (``remapped``). The file is checked
        completely first; a malformed one is refused with a reason naming the problem,
        and nothing is written."""
        data = await request.body()
        try:
            return await import_session(request.app.state.storage.forums, data)
        except ImportProblem as e:
            raise ApiProblem(400, "invalid", str(e)) from None
        except StoreError as e:
            raise ApiProblem(503, "storage", f"The import could not be saved: {e}") from None


EXPORT_ROUTES: list[Any] = [
    export_markdown,
    export_json,
    forum_steps_csv,
    network_steps_csv,
    import_form,
    import_upload,
    ExportApi,
]

"""Exports of a session (Markdown, JSON, CSV) and import of a JSON export: the routes.

What the files hold is ``export_formats.py``; how an import is checked and written,
``importing.py``. Exports are for the session's forum's viewers; importing is the
admin's.
"""

from __future__ import annotations

import re
from typing import Any, Final

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import HTTPException
from litestar.response import Redirect

from board.export import ImportProblem, SessionExport, encode
from board.model import Board
from board.outgoing import ForumRef, SessionRef, StepRef, session_summary
from server.access.guards import admin_guard, check_form, forum_guard, session_guard, who
from server.cadence.calendar import calendar_now
from server.sessions.export_formats import (
    Running,
    build_export,
    kept_tally,
    session_markdown,
    steps_csv,
    tally_csv,
)
from server.sessions.importing import ImportResult, import_session
from server.sessions.sds_export import held, markdown_context, round_csv_download
from server.storage import Storage, StoreError
from server.storage.sessions import SessionDetail
from server.web.deps import RendererDep, StorageDep
from server.web.errors import (
    API_EXCEPTION_HANDLERS,
    ERRORS,
    ApiProblem,
    error_page,
    html,
    not_found,
)
from server.web.render import Renderer

IMPORT_MAX_BYTES: Final = 64 * 1024 * 1024  # an export holds two whole boards and every op

Req = Request[Any, Any, Any]
SEEN = session_guard("viewer")


def _download(name: str) -> dict[str, str]:
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", name)
    return {"Content-Disposition": f'attachment; filename="{safe}"', "Cache-Control": "no-store"}


def _running(renderer: Renderer, session_id: str) -> Response[str]:
    message = "This session has not ended yet; it can be exported once it has."
    back, label = f"/sessions/{session_id}", "Back to the session"
    return error_page(renderer, 409, "Session still running", message, back, label)


# -- pages and downloads ------------------------------------------------------------------


async def _ended(
    storage: Storage, renderer: Renderer, session_id: str
) -> tuple[SessionDetail, Board] | Response[Any]:
    """The ended session's record and its end board, or the page that says why there is
    none to export: no such session (404), or still running (409)."""
    detail = await storage.sessions.detail(session_id)
    if detail is None:
        return not_found(renderer, "There is no session with this id.")
    if detail.board is None:
        return _running(renderer, session_id)
    return detail, detail.board


@get("/sessions/{session_id:str}/export.md", include_in_schema=False, guards=[SEEN])
async def export_markdown(
    storage: StorageDep, renderer: RendererDep, session_id: str
) -> Response[Any]:
    ended = await _ended(storage, renderer, session_id)
    if isinstance(ended, Response):
        return ended
    detail, board = ended
    forum = await storage.forums.forum(detail.session.forum_id)
    name, kind = (forum.name, forum.kind) if forum else (board.name, board.kind)
    teams = {t.id: t.name for t in renderer.teams.values()}
    served = (await storage.forums.served()).get(detail.session.forum_id, ())
    round_ = markdown_context(held(board, session_id), served)  # SPEC R56
    await calendar_now(storage, renderer)
    sprint = renderer.sprint_label(detail.session.started_at)
    tally = await kept_tally(storage, detail.session.forum_id, detail.session.end_seq)  # R73
    text = session_markdown(detail, name, kind, teams, round_, sprint, tally)
    headers = _download(f"{session_id}.md")
    headers["Content-Disposition"] = headers["Content-Disposition"].replace("attachment", "inline")
    return Response(text, media_type="text/markdown", headers=headers)


@get("/sessions/{session_id:str}/summary.md", include_in_schema=False, guards=[SEEN])
async def summary_markdown(
    storage: StorageDep, renderer: RendererDep, session_id: str
) -> Response[Any]:
    """The short summary a chat or wiki page takes (decisions, next steps, attendance):
    what ``session.ended`` webhooks carry (docs/integrations.md)."""
    ended = await _ended(storage, renderer, session_id)
    if isinstance(ended, Response):
        return ended
    detail, board = ended
    forum = await storage.forums.forum(detail.session.forum_id)
    name, kind = (forum.name, forum.kind) if forum else (board.name, board.kind)
    s = detail.session
    ref = SessionRef(
        id=s.id,
        number=s.number,
        started_at=s.started_at,
        ended_at=s.ended_at or 0.0,
        participants=tuple(s.participants),
        decisions=tuple(d.text for d in detail.decision_list),
        next_steps=tuple(
            StepRef(id=n.id, text=n.text, owner=n.owner, due=n.due, status=n.status)
            for n in detail.step_list
        ),
        tally=await kept_tally(storage, s.forum_id, s.end_seq),
    )
    text = session_summary(ForumRef(id=s.forum_id, name=name, kind=kind), ref)
    headers = _download(f"{session_id}-summary.md")
    headers["Content-Disposition"] = headers["Content-Disposition"].replace("attachment", "inline")
    return Response(text, media_type="text/markdown", headers=headers)


@get("/sessions/{session_id:str}/export.json", include_in_schema=False, guards=[SEEN])
async def export_json(storage: StorageDep, renderer: RendererDep, session_id: str) -> Response[Any]:
    detail = await storage.sessions.detail(session_id)
    if detail is None:
        return not_found(renderer, "There is no session with this id.")
    try:
        export = await build_export(storage, detail, await calendar_now(storage, renderer))
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
async def forum_steps_csv(
    storage: StorageDep, renderer: RendererDep, forum_id: str
) -> Response[Any]:
    if await storage.forums.forum(forum_id) is None:
        return not_found(renderer, "There is no forum at this address.")
    await calendar_now(storage, renderer)
    return Response(
        steps_csv(await storage.sessions.exported_steps(forum_id), renderer.sprint_label),
        media_type="text/csv",
        headers=_download(f"next-steps-{forum_id}.csv"),
    )


@get("/sessions/{session_id:str}/next-steps.csv", include_in_schema=False, guards=[SEEN])
async def session_steps_csv(
    storage: StorageDep, renderer: RendererDep, session_id: str
) -> Response[Any]:
    """The next steps agreed in this session (the forum's CSV lists every session's)."""
    detail = await storage.sessions.detail(session_id)
    if detail is None:
        return not_found(renderer, "There is no session with this id.")
    steps = await storage.sessions.exported_steps(detail.session.forum_id)
    await calendar_now(storage, renderer)
    return Response(
        steps_csv((s for s in steps if s.session_id == session_id), renderer.sprint_label),
        media_type="text/csv",
        headers=_download(f"next-steps-{session_id}.csv"),
    )


@get("/sessions/{session_id:str}/vote.csv", include_in_schema=False, guards=[SEEN])
async def session_tally_csv(
    storage: StorageDep, renderer: RendererDep, session_id: str
) -> Response[Any]:
    """A retrospective session's kept vote (SPEC R73): each voted topic and its dots."""
    ended = await _ended(storage, renderer, session_id)
    if isinstance(ended, Response):
        return ended
    detail, _ = ended
    s = detail.session
    return Response(
        tally_csv(await kept_tally(storage, s.forum_id, s.end_seq)),
        media_type="text/csv",
        headers=_download(f"vote-{session_id}.csv"),
    )


@get("/next-steps.csv", include_in_schema=False)
async def network_steps_csv(
    request: Req, storage: StorageDep, renderer: RendererDep
) -> Response[Any]:
    visible = (await who(request)).visible()
    await calendar_now(storage, renderer)
    return Response(
        steps_csv(await storage.sessions.exported_steps(None, visible), renderer.sprint_label),
        media_type="text/csv",
        headers=_download("next-steps.csv"),
    )


def _import_page(renderer: Renderer, error: str = "", status: int = 200) -> Response[str]:
    body = renderer.page("import.html", error=error, max_mib=IMPORT_MAX_BYTES // (1024 * 1024))
    return html(body, status=status)


@get("/import", include_in_schema=False, guards=[admin_guard])
async def import_form(renderer: RendererDep) -> Response[str]:
    return _import_page(renderer)


@post(
    "/import",
    include_in_schema=False,
    request_max_body_size=IMPORT_MAX_BYTES,
    guards=[admin_guard],
)
async def import_upload(request: Req, storage: StorageDep, renderer: RendererDep) -> Response[Any]:
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
        result = await import_session(storage.forums, data)
    except ImportProblem as e:
        return _import_page(renderer, str(e), 400)
    except StoreError as e:
        return _import_page(renderer, f"The import could not be saved: {e}", 503)
    return Redirect(f"/sessions/{result.session_id}", status_code=303)


# -- JSON API ---------------------------------------------------------------------------


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
        self, storage: StorageDep, renderer: RendererDep, session_id: str
    ) -> SessionExport:
        """A recorded session as one document: start board, every operation, end board,
        decisions and next steps (format ``scaleboard.session`` version 1, see
        docs/export.md). Import it into another Scaleboard with ``POST /api/import``."""
        detail = await storage.sessions.detail(session_id)
        if detail is None:
            raise ApiProblem(404, "not_found", f"There is no session {session_id!r}.")
        try:
            return await build_export(storage, detail, await calendar_now(storage, renderer))
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
    async def import_export(self, request: Req, storage: StorageDep) -> ImportResult:
        """Import a session export (the request body, as ``GET
        /api/sessions/{id}/export`` returns it) as a new forum. The forum keeps its id
        when it is free here, else gets a fresh one (``remapped``). The file is checked
        completely first; a malformed one is refused with a reason naming the problem,
        and nothing is written."""
        data = await request.body()
        try:
            return await import_session(storage.forums, data)
        except ImportProblem as e:
            raise ApiProblem(400, "invalid", str(e)) from None
        except StoreError as e:
            raise ApiProblem(503, "storage", f"The import could not be saved: {e}") from None


EXPORT_ROUTES: list[Any] = [
    export_markdown,
    summary_markdown,
    export_json,
    forum_steps_csv,
    session_steps_csv,
    round_csv_download,
    session_tally_csv,
    network_steps_csv,
    import_form,
    import_upload,
    ExportApi,
]

"""Import cards from a tracker's CSV export: the facilitator's page and the JSON API.

The page is stateless: uploading a file answers with its column mapping (a drop-down
per field, editable), a preview of the first rows and every row's problem by line; the
file's text rides along in the form, so "Update preview" and "Import" post it again
with the mapping chosen. Nothing is imported while any row has a problem. Importing
submits ``add_card`` ops through the forum's room like any other change (everyone on
the board sees the cards arrive, SPEC R65), each with an op id made of the file, the
mapping and the row: a double submit adds nothing twice (SPEC R6).
"""

from __future__ import annotations

import asyncio
from typing import Any, Final

import msgspec
from litestar import Request, Response, get, post
from litestar.exceptions import HTTPException
from litestar.openapi.datastructures import ResponseSpec
from litestar.response import Redirect

from board.model import Board
from board.sync import Accepted, Duplicate, Refused
from server.access.guards import check_form, forum_guard
from server.forums.submit import author
from server.imports.plan import (
    PREVIEW_ROWS,
    BadMapping,
    Mapping,
    Plan,
    PlannedCard,
    RowError,
    ops,
    plan,
)
from server.imports.trackers import FIELDS, LABELS, MAX_BYTES, Malformed, Table, detect, read_table
from server.live.registry import Rooms
from server.web.deps import RendererDep, RoomsDep, SecretDep
from server.web.errors import API_EXCEPTION_HANDLERS, ERRORS, ApiProblem, html, not_found
from server.web.render import Renderer

Req = Request[Any, Any, Any]
BODY_LIMIT: Final = MAX_BYTES * 2 + 64 * 1024  # the file, once more as the preview's field


class ImportRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """``csv``: the export's text; ``source`` (``jira``, ``ado``, ``github``) when its
    headers do not tell; ``mapping``: each field's column (default: the tracker's);
    ``site``: the tracker's address, to link rows that carry no URL; ``column``: the
    board column (id) of a card whose status names none (default: the first);
    ``dry_run``: only the preview, nothing imported."""

    csv: str
    source: str | None = None
    mapping: Mapping | None = None
    site: str = ""
    column: str = ""
    dry_run: bool = False


class ImportOut(msgspec.Struct, frozen=True):
    source: str
    headers: tuple[str, ...]
    mapping: Mapping
    rows: int
    preview: list[PlannedCard]
    errors: list[RowError]
    imported: int = 0
    duplicates: int = 0
    refused: list[str] = []


class ImportRefused(msgspec.Struct, frozen=True):
    """The API's refusal of an import: ``errors`` lists each problem with its line
    (0: the file as a whole)."""

    code: str
    reason: str
    errors: list[RowError]


class Problem(Exception):
    """The import cannot go on: the file or the mapping, said to its sender (400)."""

    def __init__(self, reason: str, errors: list[RowError] | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.errors = errors or []


def prepare(board: Board, data: bytes, request: ImportRequest) -> tuple[Table, Plan]:
    """Read and plan an import onto ``board``; ``Problem`` when it cannot be."""
    try:
        table = read_table(data)
    except Malformed as e:
        raise Problem(e.reason, [RowError(e.line, e.reason)]) from None
    system = request.source or detect(table.headers)
    if system not in LABELS:
        raise Problem(
            "This is not a Jira, Azure DevOps or GitHub export we know: its header row "
            "should name Summary and Issue key (Jira), ID, Work Item Type and Title "
            "(Azure DevOps), or Title and URL (GitHub); or choose the source."
        )
    try:
        found = plan(
            board,
            system,  # type: ignore[arg-type]
            table,
            request.mapping,
            request.site,
            request.column,
        )
    except BadMapping as e:
        raise Problem(str(e)) from None
    return table, found


async def run(request: Req, rooms: Rooms, secret: str, forum_id: str, p: Plan) -> ImportOut:
    """Submit the plan's ops to the forum's room, all at once and in order."""
    room = await rooms.get(forum_id)
    if room is None:
        raise ApiProblem(404, "not_found", f"There is no forum {forum_id!r}.")
    name, key = await author(request, secret, forum_id)
    outcomes = await asyncio.gather(
        *(room.submit(op, actor=name, op_id=op_id, by=key) for op_id, op in ops(p))
    )
    refused = [o.reason for o in outcomes if isinstance(o, Refused)]
    return ImportOut(
        source=p.system,
        headers=(),
        mapping=p.mapping,
        rows=len(p.cards),
        preview=[],
        errors=[],
        imported=sum(isinstance(o, Accepted) for o in outcomes),
        duplicates=sum(isinstance(o, Duplicate) for o in outcomes),
        refused=refused[:20],
    )


def _out(table: Table, p: Plan) -> ImportOut:
    return ImportOut(
        source=p.system,
        headers=table.headers,
        mapping=p.mapping,
        rows=len(table.rows),
        preview=list(p.cards[:PREVIEW_ROWS]),
        errors=list(p.errors),
    )


async def _board(rooms: Rooms, forum_id: str) -> Board | None:
    room = await rooms.get(forum_id)
    return room.sync.board if room is not None else None


# -- the page ---------------------------------------------------------------------------


def _page(renderer: Renderer, board: Board, status: int = 200, **ctx: Any) -> Response[str]:
    context: dict[str, Any] = {
        "error": "",
        "errors": [],
        "table": None,
        "plan": None,
        "csv_text": "",
        "site": "",
        "column": "",
        "done": None,
    }
    context.update(ctx)
    body = renderer.page(
        "import_cards.html",
        board=board,
        fields=FIELDS,
        sources=LABELS,
        preview_rows=PREVIEW_ROWS,
        max_mib=MAX_BYTES // 2**20,
        **context,
    )
    return html(body, status=status, headers={"Cache-Control": "no-store"})


@get("/forums/{forum_id:str}/import", include_in_schema=False, guards=[forum_guard("facilitator")])
async def import_page(rooms: RoomsDep, renderer: RendererDep, forum_id: str) -> Response[str]:
    board = await _board(rooms, forum_id)
    if board is None:
        return not_found(renderer, "There is no forum at this address.")
    return _page(renderer, board)


def _form_request(form: Any, text: str) -> ImportRequest:
    given = {f: str(form.get(f"map_{f}", "")) for f in FIELDS}
    mapping = Mapping(**given) if form.get("mapped") else None
    source = str(form.get("source", "")) or None
    return ImportRequest(
        csv=text,
        source=source,
        mapping=mapping,
        site=str(form.get("site", "")),
        column=str(form.get("column", "")),
    )


@post(
    "/forums/{forum_id:str}/import",
    include_in_schema=False,
    request_max_body_size=BODY_LIMIT,
    guards=[forum_guard("facilitator")],
)
async def import_post(
    request: Req, rooms: RoomsDep, renderer: RendererDep, secret: SecretDep, forum_id: str
) -> Response[Any]:
    """Upload (a file), preview again (the text, with a mapping) or import."""
    board = await _board(rooms, forum_id)
    if board is None:
        return not_found(renderer, "There is no forum at this address.")
    try:
        form = await request.form()
    except HTTPException as e:
        too_big = e.status_code == 413
        reason = (
            f"The file is too large: at most {MAX_BYTES // 2**20} MiB."
            if too_big
            else (f"The upload could not be read: {e.detail}")
        )
        return _page(renderer, board, 413 if too_big else 400, error=reason)
    await check_form(request, form)
    upload = form.get("file")
    if upload is not None and not isinstance(upload, str):
        data = await upload.read()
        await upload.close()
        text = data.decode("utf-8", "replace")
    else:
        text = str(form.get("csv", ""))
        data = text.encode()
    if not data:
        return _page(renderer, board, 400, error="Choose a CSV export to import.")
    ask = _form_request(form, text)
    site = ask.site
    try:
        table, p = prepare(board, data, ask)
    except Problem as e:
        return _page(
            renderer,
            board,
            400,
            error=e.reason,
            errors=e.errors,
            csv_text=text if len(data) <= MAX_BYTES else "",
            site=site,
        )
    if form.get("action") == "import" and not p.errors:
        await run(request, rooms, secret, forum_id, p)
        return Redirect(f"/forums/{forum_id}", status_code=303)
    status = 400 if form.get("action") == "import" else 200
    return _page(
        renderer, board, status, table=table, plan=p, csv_text=text, site=site, column=ask.column
    )


# -- the API ----------------------------------------------------------------------------


@post(
    "/api/forums/{forum_id:str}/import",
    tags=["forums"],
    responses={
        **ERRORS,
        400: ResponseSpec(
            data_container=ImportRefused,
            description="The file, the mapping or a row (then nothing is imported)",
        ),
    },
    request_max_body_size=BODY_LIMIT,
    guards=[forum_guard("facilitator")],
    exception_handlers=API_EXCEPTION_HANDLERS,
    status_code=200,
)
async def import_api(
    request: Req, rooms: RoomsDep, secret: SecretDep, forum_id: str, data: ImportRequest
) -> Response[ImportOut | ImportRefused]:
    """Import cards from a Jira, Azure DevOps or GitHub CSV export (``csv``: its text).
    With ``dry_run`` only the preview: the source found, the mapping, the first rows
    as cards and every row's problem by line. Without it the cards are added live, in
    the file's order (nothing when any row has a problem: 400 with ``errors``); the
    same import twice adds its cards once (``duplicates``)."""
    board = await _board(rooms, forum_id)
    if board is None:
        raise ApiProblem(404, "not_found", f"There is no forum {forum_id!r}.")
    try:
        table, p = prepare(board, data.csv.encode(), data)
    except Problem as e:
        return Response(ImportRefused("invalid", e.reason, e.errors), status_code=400)
    if data.dry_run:
        return Response(_out(table, p))
    if p.errors:
        lines = ", ".join(str(e.line) for e in p.errors[:10])
        reason = f"Nothing was imported: {len(p.errors)} row(s) have problems (lines {lines})."
        return Response(ImportRefused("invalid", reason, list(p.errors)), status_code=400)
    done = await run(request, rooms, secret, forum_id, p)
    return Response(msgspec.structs.replace(done, headers=table.headers))


IMPORT_ROUTES: list[Any] = [import_page, import_post, import_api]

"""A session's Scaled Daily Scrum as files (SPEC R56): the rows of its round as CSV
(``GET /sessions/{id}/scaled-daily.csv``) and what the Markdown export says of it.

The round is board state (``board/sds.py``): the board the session ended with holds it
(a running session's: the live board). The JSON export carries it as ``board.sds``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any, Final

from litestar import Response, get

from board.model import Board
from board.sds import representation
from board.sds_model import QUESTIONS, ScaledDaily
from server.access.guards import session_guard
from server.sessions.export_formats import csv_cell
from server.web.deps import RendererDep, RoomsDep, StorageDep
from server.web.errors import not_found

CSV_FIELDS: Final = (
    "session",
    "team",
    "team_name",
    "status",
    "speaker",
    *(field for field, _ in QUESTIONS),
    "started_at",
    "ended_at",
    "served",
)


def held(board: Board | None, session_id: str) -> ScaledDaily | None:
    """The round session ``session_id`` held on ``board`` (``None``: it held none)."""
    sds = board.sds if board is not None else None
    return sds if sds is not None and sds.session_id == session_id else None


def _iso(ts: float | None) -> str:
    if ts is None:
        return ""
    return dt.datetime.fromtimestamp(ts, tz=dt.UTC).isoformat(timespec="seconds")


def round_csv(
    session_id: str, sds: ScaledDaily, names: dict[str, str], served: tuple[str, ...]
) -> str:
    """One row per team of the round, then one per served team the round did not take."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_FIELDS)
    for t in sds.turns:
        status = "not reached" if t.status == "waiting" else t.status
        answers = [getattr(t, field) for field, _ in QUESTIONS]
        row = [session_id, t.team, names.get(t.team, t.team), status, t.speaker, *answers]
        row += [_iso(t.started_at), _iso(t.ended_at), "yes" if t.team in served else "no"]
        writer.writerow([csv_cell(v) for v in row])
    taken = {t.team for t in sds.turns}
    for team in served:
        if team not in taken:
            row = [session_id, team, names.get(team, team), "not in the round", "", "", "", ""]
            writer.writerow([csv_cell(v) for v in [*row, "", "", "yes"]])
    return out.getvalue()


def markdown_context(sds: ScaledDaily | None, served: tuple[str, ...]) -> dict[str, Any]:
    """What ``templates/export/session.md`` needs to write the round."""
    if sds is None:
        return {"sds": None, "sds_spoke": [], "sds_silent": [], "questions": QUESTIONS}
    spoke, silent = representation(sds, served)
    return {"sds": sds, "sds_spoke": spoke, "sds_silent": silent, "questions": QUESTIONS}


@get(
    "/sessions/{session_id:str}/scaled-daily.csv",
    include_in_schema=False,
    guards=[session_guard("viewer")],
)
async def round_csv_download(
    storage: StorageDep, rooms: RoomsDep, renderer: RendererDep, session_id: str
) -> Response[Any]:
    """The session's Scaled Daily Scrum as CSV (404 when it held none)."""
    detail = await storage.sessions.detail(session_id)
    if detail is None:
        return not_found(renderer, "There is no session with this id.")
    forum_id = detail.session.forum_id
    board = detail.board or await rooms.board(forum_id)  # running: the live board
    sds = held(board, session_id)
    if sds is None:
        return not_found(renderer, "This session held no Scaled Daily Scrum.")
    served = (await storage.forums.served()).get(forum_id, ())
    names = {t.id: t.name for t in renderer.teams.values()}
    safe = session_id.replace('"', "")
    headers = {
        "Content-Disposition": f'attachment; filename="scaled-daily-{safe}.csv"',
        "Cache-Control": "no-store",
    }
    return Response(
        round_csv(session_id, sds, names, served), media_type="text/csv", headers=headers
    )

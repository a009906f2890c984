"""A recorded session as files: the JSON export (``board.export.SessionExport``), the
Markdown page and the next steps as CSV.

The JSON export is the start board (the latest snapshot at or before the session's
start plus the operations after it), every operation of the session, and the next
steps as they stand now; the rest is derived by replaying. Markdown is rendered by
``templates/export/session.md`` in a Jinja environment of its own (autoescape off; the
``md`` filter escapes every piece of user text). CSV cells are guarded against formula
injection.
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import re
import time
from collections.abc import Callable, Iterable
from typing import Final

import jinja2
import msgspec

from board.export import SessionExport, export_session
from board.kinds import FORUM_KINDS
from board.model import SOURCE_LABELS, Board, TallyLine
from board.rules import without_invisible
from board.sprints import SprintCalendar
from board.tally import session_tally, tally_markdown
from board.timer import mmss
from server.config import TEMPLATES_DIR
from server.storage import Storage
from server.storage.sessions import ExportedStep, SessionDetail
from server.web.formats import duration

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
    "sprint",  # of created_at, in the network's calendar (SPEC R69)
)


class Running(Exception):
    """The session has not ended, so it has no end board to export yet."""


# -- JSON -------------------------------------------------------------------------------


async def board_at(storage: Storage, forum_id: str, seq: int) -> Board | None:
    """The forum's board after operation ``seq``, or ``None`` if the store cannot say."""
    try:
        return await storage.log.board_at(forum_id, seq)
    except LookupError:
        return None


async def kept_tally(storage: Storage, forum_id: str, end_seq: int | None) -> tuple[TallyLine, ...]:
    """The vote an ended retrospective session kept (SPEC R73), from the board just
    before its end (what its ``session_ended`` carries); ``()`` for any other session."""
    if end_seq is None:
        return ()
    board = await board_at(storage, forum_id, end_seq - 1)
    return session_tally(board) if board is not None else ()


async def build_export(
    storage: Storage, detail: SessionDetail, calendar: SprintCalendar | None = None
) -> SessionExport:
    """The JSON export of a recorded session; ``Running`` if it has not ended. ``store``
    reads the log; ``calendar`` gives the session's sprint (SPEC R69)."""
    record = detail.session
    if record.end_seq is None:
        raise Running(record.id)
    start = await board_at(storage, record.forum_id, record.start_seq - 1)
    if start is None:
        raise LookupError(f"no snapshot of {record.forum_id} before seq {record.start_seq}")
    ops = await storage.log.ops(record.forum_id, record.start_seq, record.end_seq)
    now = time.time()
    export = await asyncio.to_thread(
        export_session, start, ops, exported_at=now, next_steps=detail.step_list
    )
    if calendar is None or calendar.number_at(record.started_at) < 1:
        return export
    sprint = calendar.number_at(record.started_at)
    return msgspec.structs.replace(
        export, session=msgspec.structs.replace(export.session, sprint=sprint)
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
    text = without_invisible(str(text).replace("\r\n", "\n").replace("\r", "\n"))
    for raw in text.split("\n"):
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
_md_env.globals["tally_markdown"] = lambda lines: tally_markdown(lines, md)
_md_env.globals.update(
    utc=utc, duration=duration, FORUM_KINDS=FORUM_KINDS, SOURCE_LABELS=SOURCE_LABELS, mmss=mmss
)


def session_markdown(
    detail: SessionDetail,
    forum_name: str,
    forum_kind: str,
    teams: dict[str, str],
    round_: dict[str, object] | None = None,
    sprint: str = "",
    tally: tuple[TallyLine, ...] = (),
) -> str:
    """The session as Markdown: facts, its Scaled Daily Scrum (``round_``, from
    ``sds_export.markdown_context``), decisions, next steps and the board by column.

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
        sprint=sprint,  # "Sprint 14": when it started, in the network's calendar
        today=dt.date.today(),
        **(round_ or {"sds": None}),
        tally=tally,
    )


# -- CSV ----------------------------------------------------------------------------------

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> str:
    """A cell a spreadsheet will not run: text starting like a formula gets a ``'``
    (checked once bidi controls and invisible characters are gone: they hide nothing)."""
    text = "" if value is None else without_invisible(str(value))
    return "'" + text if text.startswith(_FORMULA_START) else text


def _iso(ts: float | None) -> str:
    if ts is None:
        return ""
    return dt.datetime.fromtimestamp(ts, tz=dt.UTC).isoformat(timespec="seconds")


TALLY_FIELDS: Final = ("rank", "id", "title", "dots", "cluster", "cards")


def tally_csv(lines: Iterable[TallyLine]) -> str:
    """A retrospective's kept vote as CSV (SPEC R73): one row a voted topic, in
    discussion order, with its dots — never who voted."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(TALLY_FIELDS)
    for n, t in enumerate(lines, 1):
        values = [n, t.id, t.title, t.dots, "yes" if t.cluster else "no", "; ".join(t.cards)]
        writer.writerow([csv_cell(v) for v in values])
    return out.getvalue()


def steps_csv(steps: Iterable[ExportedStep], sprint_of: Callable[[float], str] = str) -> str:
    """Next steps (as ``SessionRecords.exported_steps`` lists them) as CSV; ``sprint_of``
    labels the sprint a step was made in ("Sprint 14")."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_FIELDS)
    for s in steps:
        values = [
            s.forum_name,
            s.forum_id,
            s.session_id,
            s.id,
            s.text,
            s.owner,
            s.due,
            s.status,
            _iso(s.created_at),
            s.created_by,
            _iso(s.updated_at),
            s.updated_by,
            sprint_of(s.created_at),
        ]
        writer.writerow([csv_cell(v) for v in values])
    return out.getvalue()

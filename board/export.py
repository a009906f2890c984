"""A session as one self-contained document: export it, check an import of it.

``SessionExport`` holds everything a session is: the forum's board just before it
started, every operation it logged, the board it ended on, its decisions and its next
steps. The operations are the truth; everything else can be re-derived from them and
the start board, which is how ``check_import`` tells a sound file from a damaged or
tampered one: it replays the operations and insists that they lead exactly to the
board, the session, the decisions and the next steps the file claims.

The schema is versioned (``format`` + ``version``) and documented in
``docs/export.md``. Pure: stdlib and msgspec, no I/O.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from typing import Any, Final, Literal

import msgspec
from msgspec.structs import replace

from . import visibility
from .apply import MAX_CARDS, MAX_COLUMNS, MAX_OPEN_STEPS
from .events import SessionEnded, SessionStarted
from .kinds import FORUM_KINDS
from .model import (
    MAX_BODY,
    MAX_COLUMN_TITLE,
    MAX_FORUM_NAME,
    MAX_ID,
    MAX_NAME,
    MAX_TEXT,
    MAX_TITLE,
    Board,
    Decision,
    NextStep,
    check,
)
from .sync import Accepted, Duplicate, ForumSync, LoggedOp, Refused, Unchanged

FORMAT: Final = "scaleboard.session"
VERSION: Final = 1
FORUM_ID: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")


class ImportProblem(ValueError):
    """An export that cannot be imported; the message says what is wrong and where."""


class ExportForum(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The forum the session belongs to (its name as it stood when the session ended)."""

    id: str
    kind: str
    name: str


class ExportSession(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The session: when, who, and the range of the forum's seqs it spans."""

    id: str
    number: int
    started_at: float
    started_by: str
    ended_at: float
    ended_by: str
    participants: tuple[str, ...]
    start_seq: int  # the seq of its ``start_session`` operation
    end_seq: int  # the seq of its ``end_session`` operation


class SessionExport(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A whole session, version 1 of the format (see docs/export.md)."""

    format: Literal["scaleboard.session"]
    version: Literal[1]
    exported_at: float
    forum: ExportForum
    session: ExportSession
    start_board: Board  # the forum's board at seq ``start_seq - 1``
    board: Board  # the forum's board at seq ``end_seq``, right after the session ended
    decisions: tuple[Decision, ...]
    next_steps: tuple[NextStep, ...]  # the steps it agreed, as they stand at export time
    operations: tuple[LoggedOp, ...]  # seqs start_seq..end_seq, in order, no gaps


class _Head(msgspec.Struct):
    """Only the marker fields, read first so a foreign file gets a plain answer."""

    format: Any = None
    version: Any = None


_head_decoder = msgspec.json.Decoder(_Head)
_decoder = msgspec.json.Decoder(SessionExport)
_encoder = msgspec.json.Encoder()


def encode(export: SessionExport) -> bytes:
    return _encoder.encode(export)


# -- replaying a session ------------------------------------------------------------------


def replay_session(start: Board, operations: Sequence[LoggedOp]) -> list[Accepted]:
    """Apply a session's logged operations to its start board, as a live room would.

    Each result holds the logged item (events included) and the board right after it,
    which is what ``server.projections.rows_for`` needs. Raises ``ImportProblem``
    naming the first operation that does not apply or changes nothing.
    """
    sync = ForumSync(start, "import", history=1)
    out: list[Accepted] = []
    for i, entry in enumerate(operations):
        where = f"operations[{i}] (seq {entry.seq}, {_op_type(entry)})"
        if entry.seq != sync.seq + 1:
            raise ImportProblem(
                f"{where}: expected seq {sync.seq + 1}; seqs must follow each other without gaps."
            )
        try:
            outcome = sync.submit(entry.op, op_id=entry.op_id, actor=entry.actor, at=entry.at)
        except (ValueError, KeyError) as e:
            raise ImportProblem(f"{where} cannot be applied: {e}") from e
        if isinstance(outcome, Refused):
            raise ImportProblem(f"{where} cannot be applied to the board: {outcome.reason}")
        if isinstance(outcome, Duplicate):
            raise ImportProblem(f"{where} repeats the op id {entry.op_id!r} of seq {outcome.seq}.")
        if isinstance(outcome, Unchanged):
            raise ImportProblem(f"{where} changes nothing, so it cannot be a logged operation.")
        out.append(outcome)
    return out


def _op_type(entry: LoggedOp) -> str:
    return str(type(entry.op).__struct_config__.tag)


def _session_events(accepted: Sequence[Accepted]) -> tuple[SessionStarted, SessionEnded]:
    """The start and end of the session the operations hold; first and last op only."""
    if not accepted:
        raise ImportProblem("`operations` is empty; a session has at least its start and end.")
    first, last = accepted[0].item, accepted[-1].item
    started = [e for e in first.events if isinstance(e, SessionStarted)]
    if not started:
        raise ImportProblem(
            f"operations[0] (seq {first.seq}) must be the `start_session` that opens the session."
        )
    for i, a in enumerate(accepted):
        ended = [e for e in a.item.events if isinstance(e, SessionEnded)]
        if ended and i != len(accepted) - 1:
            raise ImportProblem(
                f"operations[{i}] (seq {a.item.seq}) ends the session, but operations follow it."
            )
        if i and any(isinstance(e, SessionStarted) for e in a.item.events):
            raise ImportProblem(f"operations[{i}] (seq {a.item.seq}) starts another session.")
    ended = [e for e in last.events if isinstance(e, SessionEnded)]
    if not ended:
        raise ImportProblem(
            f"operations[{len(accepted) - 1}] (seq {last.seq}), the last one, must be the "
            "`end_session` that closes the session."
        )
    return started[0], ended[0]


# -- building an export ---------------------------------------------------------------------


def export_session(
    start: Board,
    operations: Sequence[LoggedOp],
    *,
    exported_at: float,
    next_steps: Iterable[NextStep] = (),
) -> SessionExport:
    """The export of the session that ``operations`` (start to end) hold.

    The board, the session record and the decisions are derived by replaying the
    operations from ``start``. ``next_steps`` are the steps as they stand now (they may
    have been marked done since); steps the session made that are not given appear as
    they were when it ended. Nobody is named for a hidden or anonymous card: such ops
    are exported without their actor and anonymous cards without authors
    (``without_authors``), so the file still replays to the board it holds.
    """
    start, operations = without_authors(start, operations)
    accepted = replay_session(start, operations)
    started, ended = _session_events(accepted)
    end = accepted[-1].board
    session = ended.session
    latest = {s.id: s for s in next_steps}
    steps = tuple(latest.get(s.id, s) for s in ended.next_steps)
    return SessionExport(
        format=FORMAT,
        version=VERSION,
        exported_at=exported_at,
        forum=ExportForum(id=end.forum_id, kind=end.kind, name=end.name),
        session=ExportSession(
            id=session.id,
            number=session.number,
            started_at=started.session.started_at,
            started_by=started.session.started_by,
            ended_at=ended.ended_at,
            ended_by=ended.ended_by,
            participants=session.participants,
            start_seq=session.start_seq,
            end_seq=ended.end_seq,
        ),
        start_board=start,
        board=end,
        decisions=session.decisions,
        next_steps=steps,
        operations=tuple(operations),
    )


def without_authors(
    start: Board, operations: Sequence[LoggedOp]
) -> tuple[Board, tuple[LoggedOp, ...]]:
    """``start`` and ``operations`` with no author of an anonymous card and no actor of
    an op on a hidden or anonymous card (``board.visibility``). Replaying the result
    gives the same board as replaying the original, less those names: apply uses the
    actor only to record it, and the author of a hidden card is "" in both its add
    and its later changes."""
    start = visibility.board_for(start, None)
    out: list[LoggedOp] = []
    for entry in replay_session(start, operations):
        item = entry.item
        actor = visibility.public_actor(item.actor, item.events, item.op, entry.board.cards)
        out.append(LoggedOp(item.seq, actor, item.at, item.op, item.op_id))
    return start, tuple(out)


# -- checking an import ---------------------------------------------------------------------


def check_import(data: bytes) -> SessionExport:
    """Decode an export strictly and check it is whole and consistent.

    Raises ``ImportProblem`` whose message names what is wrong and where: not JSON, not
    a Scaleboard session export, an unsupported version, a field that does not fit the
    schema (msgspec's path, e.g. ``$.operations[3].op.column``), a board that breaks
    the invariants, a gap in the seqs, operations that do not lead to the board the
    file claims, or decisions and next steps that do not belong to the session.
    """
    try:  # ValidationError is a DecodeError too: the order of the handlers matters
        head = _head_decoder.decode(data)
    except msgspec.ValidationError as e:
        raise ImportProblem(
            f"The file must hold one JSON object, a Scaleboard session export: {e}."
        ) from e
    except msgspec.DecodeError as e:
        raise ImportProblem(f"The file is not valid JSON: {e}.") from e
    if head.format is None:
        raise ImportProblem(
            f"This is not a Scaleboard session export: it has no `format` field "
            f"(expected {FORMAT!r})."
        )
    if head.format != FORMAT:
        raise ImportProblem(
            f"This is not a Scaleboard session export: `format` is {head.format!r}, "
            f"expected {FORMAT!r}."
        )
    if head.version != VERSION:
        raise ImportProblem(
            f"Export version {head.version!r} is not supported; this Scaleboard reads "
            f"version {VERSION}."
        )
    try:
        export = _decoder.decode(data)
    except msgspec.ValidationError as e:
        raise ImportProblem(f"The export does not fit the schema: {e}.") from e
    except msgspec.DecodeError as e:  # pragma: no cover - the head decoded, so it is JSON
        raise ImportProblem(f"The file is not valid JSON: {e}.") from e
    verify(export)
    return export


def verify(export: SessionExport) -> list[Accepted]:
    """Check a decoded export (see ``check_import``); returns its replayed operations."""
    forum, session = export.forum, export.session
    start, end = export.start_board, export.board
    if not FORUM_ID.fullmatch(forum.id):
        raise ImportProblem(
            f"forum.id {forum.id!r} is not a usable forum id (letters, digits, - and _, "
            "at most 64)."
        )
    if forum.kind not in FORUM_KINDS:
        raise ImportProblem(
            f"forum.kind {forum.kind!r} is not a kind of forum this Scaleboard knows "
            f"({', '.join(FORUM_KINDS)})."
        )
    if not math.isfinite(export.exported_at):
        raise ImportProblem("exported_at must be a finite timestamp.")
    for where, board in (("start_board", start), ("board", end)):
        if board.forum_id != forum.id:
            raise ImportProblem(
                f"{where}.forum_id is {board.forum_id!r}, but forum.id is {forum.id!r}."
            )
        if board.kind != forum.kind:
            raise ImportProblem(
                f"{where}.kind is {board.kind!r}, but forum.kind is {forum.kind!r}."
            )
        _check_sizes(board, where)
        problems = check(board)
        if problems:
            raise ImportProblem(f"{where} breaks the board invariants: {'; '.join(problems)}.")
    if start.session is not None:
        raise ImportProblem(
            f"start_board has session {start.session.id!r} running; it must be the board "
            "just before this session started."
        )
    if end.name != forum.name:
        raise ImportProblem(f"forum.name is {forum.name!r}, but the board is named {end.name!r}.")
    if session.start_seq != start.seq + 1:
        raise ImportProblem(
            f"session.start_seq is {session.start_seq}, but start_board is at seq {start.seq}; "
            f"the session must start at seq {start.seq + 1}."
        )
    if session.end_seq != end.seq:
        raise ImportProblem(f"session.end_seq is {session.end_seq}, but board is at seq {end.seq}.")
    ops = export.operations
    for i, entry in enumerate(ops):
        expected = session.start_seq + i
        if entry.seq != expected:
            raise ImportProblem(
                f"operations[{i}] has seq {entry.seq}, expected {expected}: the operations must "
                f"run from session.start_seq to session.end_seq without gaps."
            )
        if not math.isfinite(entry.at):
            raise ImportProblem(f"operations[{i}].at must be a finite timestamp.")
        if len(entry.actor) > MAX_NAME or (entry.op_id is not None and len(entry.op_id) > MAX_ID):
            raise ImportProblem(f"operations[{i}] has an actor or op_id longer than allowed.")
    if ops and ops[-1].seq != session.end_seq:
        raise ImportProblem(
            f"the operations end at seq {ops[-1].seq}, but session.end_seq is {session.end_seq}."
        )
    accepted = replay_session(start, ops)
    started, ended = _session_events(accepted)
    _same_session(session, started, ended)
    replayed = accepted[-1].board
    if replayed != end:
        where = _first_difference(
            msgspec.to_builtins(end), msgspec.to_builtins(replayed), "$.board"
        )
        raise ImportProblem(
            f"board is not the board the operations lead to (first difference at `{where}`); "
            "the file was changed after it was exported."
        )
    _check_decisions(export.decisions, ended)
    _check_steps(export.next_steps, ended)
    return accepted


def _check_sizes(board: Board, where: str) -> None:
    """The limits the live schema puts on what people type hold for a board given whole
    (an imported board does not pass through ``apply``)."""
    limits: list[tuple[str, int, int]] = [
        (f"{where}.name", len(board.name), MAX_FORUM_NAME),
        (f"{where}.columns", len(board.columns), MAX_COLUMNS),
        (f"{where}.cards", len(board.cards), MAX_CARDS),
        (f"{where}.next_steps", len(board.next_steps), MAX_OPEN_STEPS + MAX_OPEN_STEPS),
    ]
    for i, col in enumerate(board.columns):
        limits.append((f"{where}.columns[{i}].id", len(col.id), MAX_ID))
        limits.append((f"{where}.columns[{i}].title", len(col.title), MAX_COLUMN_TITLE))
    for key, card in board.cards.items():
        at = f"{where}.cards.{key}"
        limits += [
            (f"{at}.id", len(card.id), MAX_ID),
            (f"{at}.kind", len(card.kind), MAX_ID),
            (f"{at}.title", len(card.title), MAX_TITLE),
            (f"{at}.body", len(card.body), MAX_BODY),
            *((f"{at}.{f}", len(getattr(card, f)), MAX_NAME) for f in _CARD_NAMES),
        ]
    for key, st in board.next_steps.items():
        at = f"{where}.next_steps.{key}"
        limits += [
            (f"{at}.id", len(st.id), MAX_ID),
            (f"{at}.text", len(st.text), MAX_TEXT),
            *((f"{at}.{f}", len(getattr(st, f)), MAX_NAME) for f in _STEP_NAMES),
        ]
    for path, size, limit in limits:
        if size > limit:
            raise ImportProblem(f"{path} is too long ({size}; at most {limit}).")


_CARD_NAMES = ("team", "to_team", "owner", "created_by", "updated_by")
_STEP_NAMES = ("owner", "created_by", "updated_by")


def _same_session(session: ExportSession, started: SessionStarted, ended: SessionEnded) -> None:
    truth = {
        "id": ended.session.id,
        "number": ended.session.number,
        "started_at": started.session.started_at,
        "started_by": started.session.started_by,
        "ended_at": ended.ended_at,
        "ended_by": ended.ended_by,
        "participants": ended.session.participants,
        "start_seq": ended.session.start_seq,
        "end_seq": ended.end_seq,
    }
    for name, value in truth.items():
        claimed = getattr(session, name)
        if claimed != value:
            raise ImportProblem(
                f"session.{name} is {claimed!r}, but the operations give {value!r}."
            )


def _check_decisions(decisions: Sequence[Decision], ended: SessionEnded) -> None:
    sid = ended.session.id
    truth = {d.id: d for d in ended.session.decisions}
    for i, d in enumerate(decisions):
        if d.session_id != sid:
            raise ImportProblem(
                f"decisions[{i}] ({d.id!r}) belongs to session {d.session_id!r}, not {sid!r}."
            )
        if d.id not in truth:
            raise ImportProblem(f"decisions[{i}] ({d.id!r}) was not recorded by the operations.")
        if d != truth[d.id]:
            raise ImportProblem(
                f"decisions[{i}] ({d.id!r}) differs from the decision the operations recorded."
            )
    given = [d.id for d in decisions]
    if len(set(given)) != len(given):
        raise ImportProblem("decisions lists a decision more than once.")
    missing = [k for k in truth if k not in set(given)]
    if missing:
        raise ImportProblem(f"decisions is missing {', '.join(missing)}, recorded by the session.")


_STEP_FIXED = ("session_id", "created_at", "created_by", "card_ids")


def _check_steps(steps: Sequence[NextStep], ended: SessionEnded) -> None:
    """Each step was agreed in the session; later changes are allowed, but only later."""
    sid = ended.session.id
    truth = {s.id: s for s in ended.next_steps}
    for i, s in enumerate(steps):
        if s.session_id != sid:
            raise ImportProblem(
                f"next_steps[{i}] ({s.id!r}) belongs to session {s.session_id!r}, not {sid!r}."
            )
        was = truth.get(s.id)
        if was is None:
            raise ImportProblem(f"next_steps[{i}] ({s.id!r}) was not agreed by the operations.")
        for name in _STEP_FIXED:
            if getattr(s, name) != getattr(was, name):
                raise ImportProblem(
                    f"next_steps[{i}].{name} differs from the step the operations agreed."
                )
        if s != was and not (math.isfinite(s.updated_at) and s.updated_at >= ended.ended_at):
            raise ImportProblem(
                f"next_steps[{i}] ({s.id!r}) differs from the step the operations agreed, "
                "but says it was not changed after the session."
            )
    given = [s.id for s in steps]
    if len(set(given)) != len(given):
        raise ImportProblem("next_steps lists a step more than once.")
    missing = [k for k in truth if k not in set(given)]
    if missing:
        raise ImportProblem(f"next_steps is missing {', '.join(missing)}, agreed in the session.")


def _first_difference(a: Any, b: Any, path: str) -> str:
    """The path of the first place two plain JSON values differ."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            if key not in a or key not in b:
                return f"{path}.{key}"
            if a[key] != b[key]:
                return _first_difference(a[key], b[key], f"{path}.{key}")
        return path
    if isinstance(a, list) and isinstance(b, list):
        for i, (x, y) in enumerate(zip(a, b, strict=False)):
            if x != y:
                return _first_difference(x, y, f"{path}[{i}]")
        return f"{path}[{min(len(a), len(b))}]"
    return path


# -- importing under another forum id -------------------------------------------------------


def with_forum_id(export: SessionExport, forum_id: str) -> SessionExport:
    """The same export for a forum called ``forum_id``, every id derived from it rewritten.

    Session ids are ``{forum_id}-{number}`` (``apply`` derives them), so the session,
    its decisions and steps, the boards' last session and the steps carried from earlier
    sessions all follow. Operations name no forum or session, so they stay as they are.
    """
    old = export.forum.id
    if forum_id == old:
        return export
    pattern = re.compile(re.escape(old) + r"-(\d+)")

    def sid(value: str) -> str:
        m = pattern.fullmatch(value)
        return f"{forum_id}-{m.group(1)}" if m else value

    def decision(d: Decision) -> Decision:
        return replace(d, session_id=sid(d.session_id))

    def step(s: NextStep) -> NextStep:
        return replace(s, session_id=sid(s.session_id))

    def board(b: Board) -> Board:
        session = b.session
        if session is not None:
            session = replace(
                session,
                id=sid(session.id),
                decisions=tuple(decision(d) for d in session.decisions),
            )
        return replace(
            b,
            forum_id=forum_id,
            session=session,
            last_session_id=sid(b.last_session_id) if b.last_session_id else b.last_session_id,
            next_steps={k: step(s) for k, s in b.next_steps.items()},
        )

    return replace(
        export,
        forum=replace(export.forum, id=forum_id),
        session=replace(export.session, id=sid(export.session.id)),
        start_board=board(export.start_board),
        board=board(export.board),
        decisions=tuple(decision(d) for d in export.decisions),
        next_steps=tuple(step(s) for s in export.next_steps),
    )

"""The checks an import must pass beyond the schema: what a session export says about
itself agrees, and with what its operations replay to.

``check_file`` looks at the file alone: ids and kinds, sizes (the limits people's
typing has live), the board invariants, and the seqs the session claims. After
``board.export`` has replayed the operations from the start board,
``check_replayed`` insists the session record, the end board, the decisions and the
next steps are what the operations give. Each refusal is an ``ImportProblem`` naming
what is wrong and where. Pure: no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import msgspec

from .events import SessionEnded, SessionStarted
from .export_format import FORUM_ID, ExportSession, ImportProblem, SessionExport
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
from .rules import MAX_CARDS, MAX_COLUMNS, MAX_OPEN_STEPS


def check_file(export: SessionExport) -> None:
    """What the file says about itself holds together (before any replay)."""
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
    for i, entry in enumerate(ops):  # their seqs: ``replay_session``
        if not math.isfinite(entry.at):
            raise ImportProblem(f"operations[{i}].at must be a finite timestamp.")
        if len(entry.actor) > MAX_NAME or (entry.op_id is not None and len(entry.op_id) > MAX_ID):
            raise ImportProblem(f"operations[{i}] has an actor or op_id longer than allowed.")
    if ops and ops[-1].seq != session.end_seq:
        raise ImportProblem(
            f"the operations end at seq {ops[-1].seq}, but session.end_seq is {session.end_seq}."
        )


def check_replayed(
    export: SessionExport, started: SessionStarted, ended: SessionEnded, replayed: Board
) -> None:
    """The file's session, board, decisions and next steps are what its operations give
    (``started`` and ``ended``: their first and last events; ``replayed``: the board they
    lead to)."""
    _same_session(export.session, started, ended)
    end = export.board
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
    if export.tally and export.tally != ended.tally:  # R73; a file made before has none
        raise ImportProblem(
            "tally is not the vote the operations lead to; the file was changed after it "
            "was exported."
        )


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

"""A session as one self-contained document: export it, check an import of it.

An export (``board.export_format.SessionExport``) holds the forum's board just before
the session started, every operation it logged, the board it ended on, its decisions
and its next steps. The operations are the truth; everything else can be re-derived
from them and the start board, which is how ``check_import`` tells a sound file from a
damaged or tampered one: it replays the operations (``board.replay``) and insists
that they lead exactly to the board, the session, the decisions and the next steps
the file claims (``board.export_checks``).

The schema is versioned and documented in ``docs/export.md``. Pure: stdlib and
msgspec, no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence

from msgspec.structs import replace

from . import ops as o
from . import visibility
from .events import SessionEnded, SessionStarted
from .export_checks import check_file, check_replayed
from .export_format import FORMAT as FORMAT
from .export_format import VERSION as VERSION
from .export_format import ExportForum, ExportSession, decode
from .export_format import ImportProblem as ImportProblem
from .export_format import SessionExport as SessionExport
from .export_format import encode as encode
from .log import Accepted, LoggedOp
from .model import Board, Decision, NextStep
from .replay import ReplayError, replay
from .rules import is_person_key

# -- replaying a session ------------------------------------------------------------------


def replay_session(start: Board, operations: Sequence[LoggedOp]) -> list[Accepted]:
    """Apply a session's logged operations to its start board, as a live room would.

    Each result holds the logged item (events included) and the board right after it,
    which is what ``server.storage.projections.writes_for`` needs. Raises
    ``ImportProblem`` naming the first operation out of sequence, that does not apply,
    changes nothing or repeats an op id.
    """
    out: list[Accepted] = []
    try:
        for step in replay(start, _each_id_once(operations)):
            out.append(step)
    except ReplayError as e:
        raise ImportProblem(_replay_problem(e)) from e
    except ImportProblem:
        raise
    except (ValueError, KeyError) as e:  # a board that breaks apply's assumptions
        i = len(out)
        raise ImportProblem(f"{_where(i, operations[i])} cannot be applied: {e}") from e
    return out


def _where(i: int, entry: LoggedOp) -> str:
    return f"operations[{i}] (seq {entry.seq}, {entry.op_type})"


def _each_id_once(operations: Iterable[LoggedOp]) -> Iterator[LoggedOp]:
    """The operations, refusing one that repeats the op id of an earlier one (R6: a
    resend is acknowledged, never logged twice)."""
    seen: dict[str, int] = {}
    for i, entry in enumerate(operations):
        if entry.op_id is not None:
            if entry.op_id in seen:
                raise ImportProblem(
                    f"{_where(i, entry)} repeats the op id {entry.op_id!r} of seq "
                    f"{seen[entry.op_id]}."
                )
            seen[entry.op_id] = entry.seq
        yield entry


def _replay_problem(e: ReplayError) -> str:
    entry = e.entry
    if entry is None:  # pragma: no cover - replay_session asks for no end
        return f"the operations stop before seq {e.expected}."
    if e.problem == "gap":
        return (
            f"operations[{e.index}] has seq {entry.seq}, expected {e.expected}; the seqs must "
            "follow each other from session.start_seq to session.end_seq without gaps."
        )
    if e.problem == "refused":
        return f"{_where(e.index, entry)} cannot be applied to the board: {e.reason}"
    return f"{_where(e.index, entry)} changes nothing, so it cannot be a logged operation."


def session_events(accepted: Sequence[Accepted]) -> tuple[SessionStarted, SessionEnded]:
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
    started, ended = session_events(accepted)
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
        tally=ended.tally,
    )


def _alias(aliases: dict[str, str], key: str) -> str:
    """A person key as an export names it: "person <n>", the same all through the file."""
    if not is_person_key(key):
        return key
    return aliases.setdefault(key, f"person {len(aliases) + 1}")


def without_authors(
    start: Board, operations: Sequence[LoggedOp]
) -> tuple[Board, tuple[LoggedOp, ...]]:
    """``start`` and ``operations`` with no author of an anonymous card and no actor of
    an op on a hidden or anonymous card (``board.visibility``). Replaying the result
    gives the same board as replaying the original, less those names: apply uses the
    actor only to record it, and the author of a hidden card is "" in both its add
    and its later changes."""
    members = start.members
    start = visibility.board_for(start, None)
    out: list[LoggedOp] = []
    aliases: dict[str, str] = {}  # person key -> "person <n>" (SPEC R40: keys stay home)
    if members:  # who is in which team (R52), by alias, so the session's teams replay
        start = replace(start, members={_alias(aliases, k): t for k, t in members.items()})
    for entry in replay_session(start, operations):
        item = entry.item
        actor = visibility.public_actor(item.actor, item.events, item.op, entry.board.cards)
        by = item.by
        if item.actor and not actor:  # nameless: its person is blank too (R41)
            by = ""
        elif is_person_key(by):
            by = _alias(aliases, by)
        op = item.op
        if isinstance(op, o.NotePresence) and op.people:
            op = replace(op, people=tuple(_alias(aliases, k) for k in op.people))
        out.append(LoggedOp(item.seq, actor, item.at, op, item.op_id, by))
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
    export = decode(data)
    verify(export)
    return export


def verify(export: SessionExport) -> list[Accepted]:
    """Check a decoded export (see ``check_import``); returns its replayed operations."""
    check_file(export)
    accepted = replay_session(export.start_board, export.operations)
    started, ended = session_events(accepted)
    check_replayed(export, started, ended, accepted[-1].board)
    return accepted


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

"""What a write changes, for every engine: a ``Write`` is a statement's name (``Stmt``)
and its parameters, decided here once; each engine maps the names to its own SQL
(``sqlite/rows.py``, ``postgres/statements.py``) and commits the writes in order, in
one transaction. The op log, snapshots and the directory are here; the review tables
the log is projected into are ``projections.py``. The stored encodings (msgspec JSON
for ops and boards, JSON text for id lists, ISO text for dates) and their decoders are
the same on every engine.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from typing import Any, Final

import msgspec

from board.access import LINK_KINDS
from board.model import Board, NextStep, Team
from board.ops import Op
from board.sync import Accepted, Item, LoggedOp
from board.team_metrics import TeamSprintMetrics
from server.storage.cadence import SprintSettings
from server.storage.feeds import FeedRecord
from server.storage.projections import mail_writes, outbox_writes, step_update_write, writes_for
from server.storage.stmt import Stmt, Write, encode

__all__ = ["Stmt", "Write", "decode_board", "encode", "logged"]

ADMIN_META: Final = "admin_token_sha256"  # the key in ``meta`` of the admin token's hash

_op_decoder = msgspec.json.Decoder(Op)
_board_decoder = msgspec.json.Decoder(Board)


def decode_board(data: bytes) -> Board:
    return _board_decoder.decode(data)


def logged(row: Sequence[Any]) -> LoggedOp:
    """A ``LoggedOp`` from the columns ``seq, op_id, actor, at, op, by_person`` of ``ops``."""
    seq, op_id, actor, at, op, by = row
    return LoggedOp(seq=seq, op_id=op_id, actor=actor, at=at, op=_op_decoder.decode(op), by=by)


def item_write(forum_id: str, item: Item) -> Write:
    """The op row of an accepted item."""
    row = (forum_id, item.seq, item.op_id, item.actor, item.at, encode(item.op), item.by)
    return Stmt.OP, row


def snapshot_write(board: Board) -> Write:
    return Stmt.SNAPSHOT, (board.forum_id, board.seq, encode(board))


def forum_summary_write(board: Board, at: float) -> Write:
    live = sum(len(c.card_ids) for c in board.columns)
    session_id = board.session.id if board.session else None
    return Stmt.FORUM_SUMMARY, (board.name, board.seq, at, live, session_id, board.forum_id)


def new_forum_writes(board: Board, at: float) -> list[Write]:
    """Every row of a new forum: the forum, its first snapshot, a new unguessable token
    for each role (see ``server/access``)."""
    return [
        (Stmt.FORUM_NEW, (board.forum_id, board.kind, board.name, at, at, board.seq)),
        snapshot_write(board),
        forum_summary_write(board, at),
        *(
            (Stmt.TOKEN_NEW, (board.forum_id, role, secrets.token_urlsafe(24), at))
            for role in LINK_KINDS
        ),
    ]


def append_writes(
    forum_id: str, accepted: Sequence[Accepted], at: float, *, snapshot: bool = False
) -> list[Write]:
    """A room's turn: its op rows, their projections, mail and outgoing events, the
    forum's summary as of the last board and, if ``snapshot``, a snapshot of that board."""
    writes = [item_write(forum_id, a.item) for a in accepted]
    for a in accepted:
        writes.extend(writes_for(a.item, a.board))
        writes.extend(mail_writes(a.item, a.board))
        writes.extend(outbox_writes(a.item, a.board))
    board = accepted[-1].board
    writes.append(forum_summary_write(board, at))
    if snapshot:
        writes.append(snapshot_write(board))
    return writes


def create_writes(
    first: Board, at: float, history: Sequence[Accepted], steps: Sequence[NextStep]
) -> list[Write]:
    """A new forum with the ops already made on it (what a live room would have written
    for them), the later state of next steps, a snapshot and the summary of the last
    board."""
    writes = new_forum_writes(first, at)
    if not history:
        return writes
    forum_id = history[-1].board.forum_id
    writes.extend(item_write(forum_id, a.item) for a in history)
    for a in history:
        writes.extend(writes_for(a.item, a.board))
    writes.extend(step_update_write(forum_id, s) for s in steps)
    end = history[-1].board
    writes.append(snapshot_write(end))
    writes.append(forum_summary_write(end, at))
    return writes


def forum_link_write(forum_id: str, relation: str, target_id: str | None) -> Write:
    """Set (or, with ``None``, clear) one relation of a forum."""
    if target_id is None:
        return Stmt.LINK_CLEAR, (forum_id, relation)
    return Stmt.LINK_SET, (forum_id, relation, target_id)


def team_writes(teams: Sequence[Team]) -> list[Write]:
    return [(Stmt.TEAM, (t.id, t.name, t.colour, i)) for i, t in enumerate(teams)]


def serves_writes(forum_id: str, team_ids: Iterable[str]) -> list[Write]:
    """Replace the teams ``forum_id`` serves with ``team_ids`` (one transaction)."""
    writes: list[Write] = [(Stmt.SERVES_CLEAR, (forum_id,))]
    writes.extend((Stmt.SERVES_ADD, (forum_id, t)) for t in dict.fromkeys(team_ids))
    return writes


def meta_write(key: str, value: str, *, replace: bool = True) -> Write:
    return (Stmt.META_SET if replace else Stmt.META_KEEP), (key, value)


def feed_write(feed: FeedRecord) -> Write:
    """Write a calendar feed whole (its grants as JSON text)."""
    return Stmt.FEED_SET, (
        feed.scope,
        feed.subject,
        feed.generation,
        feed.token_hash,
        feed.created_at,
        feed.owner,
        encode(feed.grants).decode(),
        feed.admin_mark,
    )


def sprints_write(settings: SprintSettings) -> Write:
    """Set the network's sprint calendar (one row)."""
    return Stmt.SPRINTS_SET, (
        settings.days,
        settings.start.isoformat(),
        settings.updated_at,
        settings.updated_by,
    )


def team_metrics_write(e: TeamSprintMetrics) -> Write:
    """Record a team's metrics of a sprint whole."""
    return Stmt.TEAM_METRICS_SET, (
        e.team_id,
        e.sprint,
        e.happiness,
        e.productivity,
        e.productivity_unit,
        e.value,
        e.value_unit,
        e.quality,
        e.quality_unit,
        e.forum_id,
        e.recorded_by,
        e.recorded_at,
    )

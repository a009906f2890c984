"""How the SQLite engine encodes what it stores: the ``Row`` (statement, parameters)
that the writer commits, the rows of the op log, snapshots and the directory, and
the decoders that turn stored bytes back into boards and logged ops.

Only this package builds rows; the rest of the app hands the storage interface plain
records (boards, accepted items, teams) and never sees a statement.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from typing import Any

import msgspec

from board.access import ROLES
from board.model import Board, Team
from board.ops import Op
from board.sync import Item, LoggedOp
from server.storage.sqlite.schema import INSERT_OP

Row = tuple[str, Sequence[Any]]

_op_decoder = msgspec.json.Decoder(Op)
_board_decoder = msgspec.json.Decoder(Board)
_encoder = msgspec.json.Encoder()


def encode(value: Any) -> bytes:
    return _encoder.encode(value)


def decode_board(data: bytes) -> Board:
    return _board_decoder.decode(data)


def logged(row: tuple[Any, ...]) -> LoggedOp:
    """A ``LoggedOp`` from the columns ``seq, op_id, actor, at, op`` of ``ops``."""
    seq, op_id, actor, at, op = row
    return LoggedOp(seq=seq, op_id=op_id, actor=actor, at=at, op=_op_decoder.decode(op))


def item_row(forum_id: str, item: Item) -> Row:
    """The op row of an accepted item (what ``op_row`` writes, without a ``LoggedOp``)."""
    return INSERT_OP, (forum_id, item.seq, item.op_id, item.actor, item.at, encode(item.op))


def op_row(forum_id: str, entry: LoggedOp) -> Row:
    return INSERT_OP, (forum_id, entry.seq, entry.op_id, entry.actor, entry.at, encode(entry.op))


def snapshot_row(board: Board) -> Row:
    return (
        "INSERT OR REPLACE INTO snapshots(forum_id, seq, board) VALUES (?,?,?)",
        (board.forum_id, board.seq, encode(board)),
    )


def forum_summary_row(board: Board, at: float) -> Row:
    live = sum(len(c.card_ids) for c in board.columns)
    session_id = board.session.id if board.session else None
    return (
        "UPDATE forums SET name=?, seq=?, updated_at=?, live_cards=?, session_id=? WHERE id=?",
        (board.name, board.seq, at, live, session_id, board.forum_id),
    )


def forum_token_rows(forum_id: str, at: float) -> list[Row]:
    """A new, unguessable token for each role of a new forum (see ``server/access``)."""
    return [
        (
            "INSERT INTO forum_tokens(forum_id, role, token, created_at) VALUES (?,?,?,?)",
            (forum_id, role, secrets.token_urlsafe(24), at),
        )
        for role in ROLES
    ]


def new_forum_rows(board: Board, at: float) -> list[Row]:
    """Every row of a new forum: the forum, its first snapshot, its role tokens."""
    return [
        (
            "INSERT INTO forums(id, kind, name, created_at, updated_at, seq) VALUES (?,?,?,?,?,?)",
            (board.forum_id, board.kind, board.name, at, at, board.seq),
        ),
        snapshot_row(board),
        forum_summary_row(board, at),
        *forum_token_rows(board.forum_id, at),
    ]


def forum_link_row(forum_id: str, relation: str, target_id: str | None) -> Row:
    """Set (or, with ``None``, clear) one relation of a forum."""
    if target_id is None:
        return "DELETE FROM forum_links WHERE forum_id=? AND relation=?", (forum_id, relation)
    return (
        "INSERT OR REPLACE INTO forum_links(forum_id, relation, target_id) VALUES (?,?,?)",
        (forum_id, relation, target_id),
    )


def team_row(team: Team, position: int) -> Row:
    return (
        "INSERT OR REPLACE INTO teams(id, name, colour, position) VALUES (?,?,?,?)",
        (team.id, team.name, team.colour, position),
    )


def serves_rows(forum_id: str, team_ids: Iterable[str]) -> list[Row]:
    """Replace the teams ``forum_id`` serves with ``team_ids`` (one transaction)."""
    rows: list[Row] = [("DELETE FROM forum_teams WHERE forum_id=?", (forum_id,))]
    rows.extend(
        ("INSERT OR IGNORE INTO forum_teams(forum_id, team_id) VALUES (?,?)", (forum_id, t))
        for t in dict.fromkeys(team_ids)
    )
    return rows


def meta_row(key: str, value: str, *, replace: bool = True) -> Row:
    verb = "INSERT OR REPLACE" if replace else "INSERT OR IGNORE"
    return f"{verb} INTO meta(key, value) VALUES (?,?)", (key, value)

"""Rows that keep the review tables (sessions, decisions, next steps) in step with the log.

Each accepted item is logged as an op row; the events it produced are also projected
into tables that history pages and the API read without replaying anything. Both
are written in the same transaction, so the tables never disagree with the log.
"""

from __future__ import annotations

from board.events import (
    DecisionRecorded,
    NextStepAdded,
    NextStepUpdated,
    ParticipantsAdded,
    SessionEnded,
    SessionStarted,
)
from board.log import Item
from board.model import Board, NextStep
from server.storage.sqlite.rows import Row, encode


def _step_row(forum_id: str, s: NextStep) -> Row:
    return (
        "INSERT OR REPLACE INTO next_steps(forum_id, id, session_id, text, owner, due, "
        "status, created_at, created_by, updated_at, updated_by, card_ids) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        (
            forum_id,
            s.id,
            s.session_id,
            s.text,
            s.owner,
            s.due.isoformat() if s.due else None,
            s.status,
            s.created_at,
            s.created_by,
            s.updated_at,
            s.updated_by,
            encode(list(s.card_ids)).decode(),
        ),
    )


def step_update_row(forum_id: str, s: NextStep) -> Row:
    """A next step as it stands now, over the row its session wrote (an import's later
    changes: done, dropped, edited after the session)."""
    return (
        "UPDATE next_steps SET text=?, owner=?, due=?, status=?, updated_at=?, updated_by=? "
        "WHERE forum_id=? AND id=?",
        (
            s.text,
            s.owner,
            s.due.isoformat() if s.due else None,
            s.status,
            s.updated_at,
            s.updated_by,
            forum_id,
            s.id,
        ),
    )


def rows_for(item: Item, board: Board) -> list[Row]:
    """The review-table rows for one item; ``board`` is the board right after it."""
    forum_id = board.forum_id
    rows: list[Row] = []
    for event in item.events:
        if isinstance(event, SessionStarted):
            s = event.session
            rows.append(
                (
                    "INSERT OR REPLACE INTO sessions(id, forum_id, number, started_at, started_by, "
                    "start_seq, participants) VALUES (?,?,?,?,?,?,?)",
                    (
                        s.id,
                        forum_id,
                        s.number,
                        s.started_at,
                        s.started_by,
                        s.start_seq,
                        encode(list(s.participants)).decode(),
                    ),
                )
            )
        elif isinstance(event, ParticipantsAdded) and board.session is not None:
            rows.append(
                (
                    "UPDATE sessions SET participants=? WHERE id=?",
                    (encode(list(board.session.participants)).decode(), event.session_id),
                )
            )
        elif isinstance(event, DecisionRecorded):
            d = event.decision
            rows.append(
                (
                    "INSERT OR REPLACE INTO decisions(forum_id, id, session_id, text, at, by, "
                    "card_ids) VALUES (?,?,?,?,?,?,?)",
                    (
                        forum_id,
                        d.id,
                        d.session_id,
                        d.text,
                        d.at,
                        d.by,
                        encode(list(d.card_ids)).decode(),
                    ),
                )
            )
        elif isinstance(event, NextStepAdded | NextStepUpdated):
            rows.append(_step_row(forum_id, event.step))
        elif isinstance(event, SessionEnded):
            s = event.session
            rows.append(
                (
                    "UPDATE sessions SET ended_at=?, ended_by=?, end_seq=?, participants=?, "
                    "decisions=?, next_steps=?, board=? WHERE id=?",
                    (
                        event.ended_at,
                        event.ended_by,
                        event.end_seq,
                        encode(list(s.participants)).decode(),
                        len(s.decisions),
                        len(event.next_steps),
                        encode(board),
                        s.id,
                    ),
                )
            )
    return rows

"""Writes that keep the review tables (sessions, decisions, next steps) in step with the
log, for every engine.

Each accepted item is logged as an op row; the events it produced are also projected
into tables that history pages and the API read without replaying anything. Both
are written in the same transaction, so the tables never disagree with the log. What
an event implies is decided here once; each engine has only the statements.
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from board.events import (
    DecisionRecorded,
    NextStepAdded,
    NextStepUpdated,
    ParticipantsAdded,
    SessionEnded,
    SessionStarted,
)
from board.log import Item
from board.mail import Mail, delivered_mail, mail_for
from board.model import Board, NextStep
from board.outgoing import Outgoing, outgoing_for
from server.storage.stmt import Stmt, Write, encode


def _ids(ids: tuple[str, ...] | list[str]) -> str:
    return encode(list(ids)).decode()


def _step_write(forum_id: str, s: NextStep) -> Write:
    due = s.due.isoformat() if s.due else None
    return Stmt.STEP, (
        forum_id,
        s.id,
        s.session_id,
        s.text,
        s.owner,
        due,
        s.status,
        s.created_at,
        s.created_by,
        s.updated_at,
        s.updated_by,
        _ids(s.card_ids),
    )


def step_update_write(forum_id: str, s: NextStep) -> Write:
    """A next step as it stands now, over the row its session wrote (an import's later
    changes: done, dropped, edited after the session)."""
    due = s.due.isoformat() if s.due else None
    return Stmt.STEP_UPDATE, (
        s.text,
        s.owner,
        due,
        s.status,
        s.updated_at,
        s.updated_by,
        forum_id,
        s.id,
    )


def ended_board(board: Board) -> Board:
    """The board a session record keeps: without who is in which team, which is keyed
    by person keys (SPEC R40, R52; the record is read back by pages and the API)."""
    return msgspec.structs.replace(board, members={}) if board.members else board


def writes_for(item: Item, board: Board) -> list[Write]:
    """The review-table writes for one item; ``board`` is the board right after it."""
    forum_id = board.forum_id
    writes: list[Write] = []
    for event in item.events:
        if isinstance(event, SessionStarted):
            s = event.session
            writes.append(
                (
                    Stmt.SESSION_STARTED,
                    (
                        s.id,
                        forum_id,
                        s.number,
                        s.started_at,
                        s.started_by,
                        s.start_seq,
                        _ids(s.participants),
                    ),
                )
            )
        elif isinstance(event, ParticipantsAdded) and board.session is not None:
            participants = _ids(board.session.participants)
            writes.append((Stmt.PARTICIPANTS, (participants, event.session_id)))
        elif isinstance(event, DecisionRecorded):
            d = event.decision
            writes.append(
                (
                    Stmt.DECISION,
                    (forum_id, d.id, d.session_id, d.text, d.at, d.by, _ids(d.card_ids)),
                )
            )
        elif isinstance(event, NextStepAdded | NextStepUpdated):
            writes.append(_step_write(forum_id, event.step))
        elif isinstance(event, SessionEnded):
            s = event.session
            writes.append(
                (
                    Stmt.SESSION_ENDED,
                    (
                        event.ended_at,
                        event.ended_by,
                        event.end_seq,
                        _ids(s.participants),
                        len(s.decisions),
                        len(event.next_steps),
                        encode(ended_board(board)),
                        s.id,
                    ),
                )
            )
    return writes


def mail_new_write(from_forum: str, mail: Mail, actor: str, at: float) -> Write:
    return Stmt.MAIL_NEW, (mail.to_forum, from_forum, encode(mail.op), actor, at)


def mail_writes(item: Item, board: Board) -> list[Write]:
    """A live item's mail (SPEC R18a): the mail it sends to other forums, and, if it is
    the delivery of a mail (op id ``mail:{id}``), that mail marked delivered — in the
    transaction that logs the item, so a mail is applied once and never lost."""
    forum_id = board.forum_id
    writes = [mail_new_write(forum_id, m, item.actor, item.at) for m in mail_for(item, board)]
    delivered = delivered_mail(item)
    if delivered is not None:
        writes.append((Stmt.MAIL_DELIVERED, (item.at, delivered, forum_id)))
    return writes


def event_writes(events: Sequence[Outgoing], only: str | None = None) -> list[Write]:
    """Each event into the outbox (kept if its key is there already), and a pending
    delivery for each subscription that wants it — or, with ``only``, for that
    subscription alone (a test event)."""
    writes: list[Write] = []
    for e in events:
        writes.append((Stmt.EVENT, (e.id, e.kind, e.forum.id, e.at, encode(e))))
        if only is not None:
            writes.append((Stmt.EVENT_TO, (only, e.id, e.at, e.at)))
        else:
            forums = encode(list(e.forums)).decode()
            writes.append((Stmt.EVENT_FANOUT, (e.id, e.at, e.at, forums, f",{e.kind},")))
    return writes


def outbox_writes(item: Item, board: Board) -> list[Write]:
    """A live item's outgoing events and their deliveries (SPEC R60, R61), in the
    transaction that logs the item: none is ever sent for an op not committed."""
    events = outgoing_for(item, board)
    return event_writes(events) if events else []

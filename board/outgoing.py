"""Outgoing events: what an accepted item tells the world outside (SPEC R60–R64).

A subscription (``server/hooks``) asks for event kinds; this module says, purely, which
events an accepted item makes, what each carries and its idempotency key. The server
writes them to the outbox in the transaction that logs the item (R61) and delivers
them at least once (R62). Due and overdue next steps come from a clock, not an op:
``step_due`` makes those events for the server's sweep.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Final

import msgspec

from . import ops as o
from .escalation import status_updates
from .events import (
    DecisionRecorded,
    NextStepAdded,
    NextStepUpdated,
    SessionEnded,
    StandardAdopted,
)
from .kinds import FEEDBACK_ROUTES
from .log import Item
from .model import Board, Card, NextStep, Standard, TallyLine
from .tally import tally_markdown

# -- the kinds -----------------------------------------------------------------------------

ESCALATION_RAISED: Final = "escalation.raised"
ESCALATION_ACCEPTED: Final = "escalation.accepted"
ESCALATION_RETURNED: Final = "escalation.returned"
ESCALATION_REMOVED: Final = "escalation.removed"
DECISION_RECORDED: Final = "decision.recorded"
STEP_CREATED: Final = "next_step.created"
STEP_DUE: Final = "next_step.due"
STEP_OVERDUE: Final = "next_step.overdue"
STEP_DONE: Final = "next_step.done"
SESSION_ENDED: Final = "session.ended"
STANDARD_ADOPTED: Final = "standard.adopted"
TEST: Final = "test"  # "Send a test event": to one subscription only

KINDS: Final[tuple[str, ...]] = (
    ESCALATION_RAISED,
    ESCALATION_ACCEPTED,
    ESCALATION_RETURNED,
    ESCALATION_REMOVED,
    DECISION_RECORDED,
    STEP_CREATED,
    STEP_DUE,
    STEP_OVERDUE,
    STEP_DONE,
    SESSION_ENDED,
    STANDARD_ADOPTED,
)
"""Every kind a subscription may ask for (R60)."""

KIND_LABELS: Final[dict[str, str]] = {
    ESCALATION_RAISED: "Escalation raised",
    ESCALATION_ACCEPTED: "Escalation accepted",
    ESCALATION_RETURNED: "Escalation returned",
    ESCALATION_REMOVED: "Escalated impediment removed",
    DECISION_RECORDED: "Decision recorded",
    STEP_CREATED: "Next step created",
    STEP_DUE: "Next step due today",
    STEP_OVERDUE: "Next step overdue",
    STEP_DONE: "Next step done",
    SESSION_ENDED: "Session ended",
    STANDARD_ADOPTED: "Standard adopted",
    TEST: "Test event",
}

# The column (or status) of an escalated card on the forum it went to, and the event a
# move there makes (R60): the EAT's and Executive MetaScrum's columns.
_STATUS_KINDS: Final = {
    "accepted": ESCALATION_ACCEPTED,
    "returned": ESCALATION_RETURNED,
    "removed": ESCALATION_REMOVED,
}


# -- the payload ---------------------------------------------------------------------------


class ForumRef(msgspec.Struct, frozen=True, omit_defaults=True):
    id: str
    name: str = ""
    kind: str = ""


class CardRef(msgspec.Struct, frozen=True, omit_defaults=True):
    id: str
    title: str
    kind: str = ""
    column: str = ""
    column_title: str = ""


class StepRef(msgspec.Struct, frozen=True, omit_defaults=True):
    id: str
    text: str
    owner: str = ""
    due: dt.date | None = None
    status: str = "open"


class SessionRef(msgspec.Struct, frozen=True, omit_defaults=True):
    id: str
    number: int
    started_at: float = 0.0
    ended_at: float = 0.0
    participants: tuple[str, ...] = ()
    decisions: tuple[str, ...] = ()
    next_steps: tuple[StepRef, ...] = ()
    tally: tuple[TallyLine, ...] = ()  # a retrospective's vote: dots only (SPEC R73)


class Outgoing(msgspec.Struct, frozen=True, omit_defaults=True):
    """One event, as the outbox stores it and the generic JSON format sends it.

    ``id`` is the idempotency key (R62): the same for every attempt and every
    subscription, unique among committed events. ``forums`` are the forums it concerns
    (a forum's subscriptions get it if their forum is one of them). ``path`` is the
    page it is about, relative to the server's base URL."""

    id: str
    kind: str
    at: float
    forum: ForumRef
    forums: tuple[str, ...]
    path: str
    actor: str = ""
    card: CardRef | None = None
    other_forum: ForumRef | None = None
    note: str = ""
    decision: str = ""
    step: StepRef | None = None
    session: SessionRef | None = None
    summary: str = ""  # Markdown, for ``session.ended``
    standard: Standard | None = None  # for ``standard.adopted``


def _forum(board: Board) -> ForumRef:
    return ForumRef(id=board.forum_id, name=board.name, kind=board.kind)


def _card(board: Board, card: Card) -> CardRef:
    return CardRef(
        id=card.id,
        title=card.title,
        kind=card.kind,
        column=card.column,
        column_title=board.column_title(card.column),
    )


def _step(s: NextStep) -> StepRef:
    return StepRef(id=s.id, text=s.text, owner=s.owner, due=s.due, status=s.status)


def card_path(forum_id: str, card_id: str) -> str:
    return f"/forums/{forum_id}#card-{card_id}"


def key_for(forum_id: str, seq: int, index: int) -> str:
    """The idempotency key of the ``index``-th event of the op at ``seq`` (R62)."""
    return f"{forum_id}:{seq}:{index}"


def outgoing_for(item: Item, board: Board) -> list[Outgoing]:
    """The events an accepted ``item`` makes; ``board`` is the board right after it (R60)."""
    found: list[Outgoing] = []
    here = _forum(board)

    def add(
        kind: str,
        path: str,
        forums: tuple[str, ...] = (),
        *,
        card: CardRef | None = None,
        other_forum: ForumRef | None = None,
        note: str = "",
        decision: str = "",
        step: StepRef | None = None,
        session: SessionRef | None = None,
        summary: str = "",
        standard: Standard | None = None,
    ) -> None:
        found.append(
            Outgoing(
                id=key_for(board.forum_id, item.seq, len(found)),
                kind=kind,
                at=item.at,
                forum=here,
                forums=(board.forum_id, *(f for f in forums if f != board.forum_id)),
                path=path,
                actor=item.actor,
                card=card,
                other_forum=other_forum,
                note=note,
                decision=decision,
                step=step,
                session=session,
                summary=summary,
                standard=standard,
            )
        )

    op = item.op
    if isinstance(op, o.EscalateCard) and op.route not in FEEDBACK_ROUTES:
        card = board.cards.get(op.card)
        if card is not None:
            other = ForumRef(id=op.to_forum, name=op.to_name, kind=op.to_kind)
            add(
                ESCALATION_RAISED,
                card_path(board.forum_id, card.id),
                (op.to_forum,),
                card=_card(board, card),
                other_forum=other,
            )
    for forum, status in status_updates(item, board):
        kind = _STATUS_KINDS.get(status.status)
        card = next(
            (
                c
                for c in board.cards.values()
                if c.origin is not None and c.origin.forum == forum and c.origin.card == status.card
            ),
            None,
        )
        if kind is None or card is None or card.origin is None:
            continue
        if card.origin.route in FEEDBACK_ROUTES:  # feedback is not an escalation (R68)
            continue
        origin = card.origin
        add(
            kind,
            card_path(board.forum_id, card.id),
            (forum,),
            card=_card(board, card),
            other_forum=ForumRef(id=forum, name=origin.forum_name, kind=origin.kind),
            note=status.note,
        )
    for event in item.events:
        if isinstance(event, StandardAdopted):  # SPEC R66
            std = event.standard
            add(
                STANDARD_ADOPTED,
                f"/standards#standard-{std.eat}-{std.id}",
                std.forums,
                card=_card(board, board.cards[std.card]) if std.card in board.cards else None,
                standard=std,
            )
        elif isinstance(event, DecisionRecorded):
            d = event.decision
            add(DECISION_RECORDED, f"/sessions/{d.session_id}", decision=d.text)
        elif isinstance(event, NextStepAdded):
            add(STEP_CREATED, f"/sessions/{event.step.session_id}", step=_step(event.step))
        elif isinstance(event, NextStepUpdated) and _done(item, event.step):
            add(STEP_DONE, f"/sessions/{event.step.session_id}", step=_step(event.step))
        elif isinstance(event, SessionEnded):
            session = _session(event)
            add(
                SESSION_ENDED,
                f"/sessions/{session.id}",
                session=session,
                summary=session_summary(here, session),
            )
    return found


def _done(item: Item, step: NextStep) -> bool:
    op = item.op
    return isinstance(op, o.UpdateNextStep) and op.status == "done" and step.status == "done"


def _session(event: SessionEnded) -> SessionRef:
    s = event.session
    return SessionRef(
        id=s.id,
        number=s.number,
        started_at=s.started_at,
        ended_at=event.ended_at,
        participants=s.participants,
        decisions=tuple(d.text for d in s.decisions),
        next_steps=tuple(_step(n) for n in event.next_steps),
        tally=event.tally,
    )


def step_due(forum: ForumRef, step: NextStep, today: dt.date, at: float) -> Outgoing | None:
    """The clock's event for an open next step on ``today`` (R60): ``next_step.due`` on
    its due date, ``next_step.overdue`` once after it; ``None`` otherwise. Its key names
    the step, the kind and the due date, so a sweep run twice (or by two processes)
    writes it once, and a new due date is a new event."""
    if step.status != "open" or step.due is None or step.due > today:
        return None
    kind = STEP_DUE if step.due == today else STEP_OVERDUE
    return Outgoing(
        id=f"{forum.id}:step:{step.id}:{kind}:{step.due.isoformat()}",
        kind=kind,
        at=at,
        forum=forum,
        forums=(forum.id,),
        path=f"/sessions/{step.session_id}",
        step=_step(step),
    )


def probe_event(forum: ForumRef | None, key: str, at: float) -> Outgoing:
    """The event "Send a test event" delivers (to one subscription)."""
    where = forum or ForumRef(id="", name="Scaleboard")
    return Outgoing(
        id=key,
        kind=TEST,
        at=at,
        forum=where,
        forums=(where.id,) if where.id else (),
        path=f"/forums/{where.id}" if where.id else "/",
        note="A test event from Scaleboard: this subscription works.",
    )


# -- the session summary (Markdown) --------------------------------------------------------

_INLINE = re.compile(r"([\\`*_\[\]|~#<>&])")


def md_inline(text: str) -> str:
    """User text inert in Markdown (and in chat markup): one line, structure escaped."""
    line = " ".join(text.split())
    return _INLINE.sub(r"\\\1", line)


def session_summary(forum: ForumRef, session: SessionRef) -> str:
    """A short Markdown summary of an ended session, to paste into a wiki or a chat:
    its decisions, its next steps (owner, due date) and who took part."""
    lines = [f"## {md_inline(forum.name)}: session {session.number}", ""]
    lines.append("### Decisions")
    lines.extend(f"- {md_inline(d)}" for d in session.decisions)
    if not session.decisions:
        lines.append("- none")
    lines += ["", "### Next steps"]
    for s in session.next_steps:
        extra = [p for p in (md_inline(s.owner), s.due.isoformat() if s.due else "") if p]
        done = " (done)" if s.status == "done" else ""
        tail = f" — {', '.join(extra)}" if extra else ""
        lines.append(f"- {md_inline(s.text)}{tail}{done}")
    if not session.next_steps:
        lines.append("- none")
    if session.tally:  # R73: each voted topic and its dots, in discussion order
        lines += ["", "### Vote", tally_markdown(session.tally, md_inline)]
    lines += ["", "### Attendance"]
    names = ", ".join(md_inline(p) for p in session.participants)
    lines.append(f"{len(session.participants)} people: {names}" if names else "nobody recorded")
    return "\n".join(lines) + "\n"

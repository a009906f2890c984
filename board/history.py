"""Looking back at a forum: replay a session step by step, and what changed between two.

``Timeline`` re-applies a session's logged operations to the board it started from
and keeps a checkpoint (the whole board, which is immutable and cheap to hold) every
``every`` steps, so the board at any step is at most ``every - 1`` applies away; a
slider dragged over thousands of operations never replays from the start.

``diff`` compares two boards card by card (added, removed, moved between columns,
changed). ``describe`` turns one step into a line a person reads ("Ana moved
“Flaky CI” from Impediments to Removed"). All of it is pure: boards in, data out.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from typing import Final, Literal

import msgspec

from .apply import Context, apply
from .events import (
    CardAdded,
    CardArchived,
    CardEdited,
    CardMoved,
    CardRestored,
    CardsRevealed,
    ColumnAdded,
    ColumnMoved,
    ColumnRemoved,
    ColumnRenamed,
    DecisionRecorded,
    Event,
    FocusChanged,
    ForumRenamed,
    GroupChanged,
    GroupRemoved,
    NextStepAdded,
    NextStepUpdated,
    ParticipantsAdded,
    PhaseChanged,
    RetroConfigured,
    SessionEnded,
    SessionStarted,
    TimerChanged,
    VoteCast,
    VoteClosed,
    VoteReopened,
    VoteRetracted,
    WipExceeded,
    WipLimitSet,
)
from .model import RETRO_PHASES, Board, Card
from .sync import LoggedOp
from .visibility import public_actor

CHECKPOINT_EVERY: Final = 100
# The fields of a card whose change counts as "changed" (placement is "moved").
CARD_FIELDS: Final = (
    "kind", "title", "body", "team", "to_team", "owner", "teams", "connects",
    "hypothesis", "result", "outcome",
)  # fmt: skip


class Step(msgspec.Struct, frozen=True):
    """One operation of a timeline: who, when, what it changed, in words."""

    index: int  # 1-based: the board after step ``index`` is ``Timeline.board_at(index)``
    seq: int
    actor: str
    at: float
    summary: str
    card_ids: tuple[str, ...]  # the cards it touched, to highlight them


class Timeline:
    """A session's boards, step by step, from its start board and its logged ops."""

    def __init__(
        self, start: Board, logged: Sequence[LoggedOp], *, every: int = CHECKPOINT_EVERY
    ) -> None:
        if every < 1:
            raise ValueError("checkpoints need a positive interval")
        self.every = every
        self.start = start
        self._ops = list(logged)
        self._checkpoints: list[Board] = [start]  # board after step i * every
        self.steps: list[Step] = []
        board = start
        for i, entry in enumerate(self._ops, start=1):
            before = board
            board, events = _apply(board, entry)
            # Nobody is named for what they did to a hidden or anonymous card.
            actor = public_actor(entry.actor, events, entry.op, board.cards)
            self.steps.append(
                Step(
                    index=i,
                    seq=entry.seq,
                    actor=actor,
                    at=entry.at,
                    summary=describe(before, events, actor),
                    card_ids=touched(events),
                )
            )
            if i % every == 0:
                self._checkpoints.append(board)
        self.end = board

    def __len__(self) -> int:
        return len(self._ops)

    def board_at(self, step: int) -> Board:
        """The board after the first ``step`` operations (0: the start board)."""
        if not 0 <= step <= len(self._ops):
            raise IndexError(f"step {step} is outside 0..{len(self._ops)}")
        if step == len(self._ops):
            return self.end
        base = step // self.every
        board = self._checkpoints[base]
        for entry in self._ops[base * self.every : step]:
            board, _ = _apply(board, entry)
        return board

    def step_at_time(self, at: float) -> int:
        """The last step taken at or before ``at`` (0 if none)."""
        return bisect.bisect_right([s.at for s in self.steps], at)


def _apply(board: Board, entry: LoggedOp) -> tuple[Board, list[Event]]:
    return apply(board, entry.op, Context(seq=entry.seq, at=entry.at, actor=entry.actor))


def touched(events: Sequence[Event]) -> tuple[str, ...]:
    """The ids of the cards some events changed, in order, once each."""
    ids: dict[str, None] = {}
    for e in events:
        if isinstance(e, CardAdded | CardEdited | CardArchived | CardRestored):
            ids[e.card.id] = None
        elif isinstance(e, CardMoved):
            ids[e.card_id] = None
        elif isinstance(e, DecisionRecorded):
            ids.update(dict.fromkeys(e.decision.card_ids))
    return tuple(ids)


def _title(board: Board, card_id: str) -> str:
    card = board.cards.get(card_id)
    if card is not None and card.hidden:
        return "a hidden card"
    return f"“{card.title}”" if card else card_id


def _column_title(board: Board, column_id: str) -> str:
    column = board.column(column_id)
    return column.title if column else column_id


def describe(before: Board, events: Sequence[Event], actor: str) -> str:
    """One line saying what ``actor`` did, given the board before it and its events."""
    parts = [_describe_event(before, e) for e in events]
    text = "; ".join(p for p in parts if p)
    if not text:
        # Only people noted as taking part (the server notes who is connected, as
        # nobody in particular): say who joined rather than "changed the board".
        joined = [n for e in events if isinstance(e, ParticipantsAdded) for n in e.names]
        if joined:
            return f"{_names(joined)} joined the session"
        text = "changed the board"
    return f"{actor} {text}" if actor else f"Someone {text}"


def _names(names: Sequence[str]) -> str:
    """``Ana``, ``Ana and Bo``, ``Ana, Bo and Cy``."""
    if len(names) == 1:
        return names[0]
    return f"{', '.join(names[:-1])} and {names[-1]}"


# How a card that went by a route other than escalation is said to have gone.
_ROUTE_WORDS: Final = {"product": "for product work", "improvement": "as an improvement"}


def _describe_link(old: Card | None, new: Card) -> str:
    """A line for an edit that changed a card's escalation, or ``""``."""
    title = f"“{new.title}”"
    sent, was = new.sent_to, old.sent_to if old is not None else None
    if sent is not None and sent != was:
        where = sent.forum_name or sent.forum
        went = _ROUTE_WORDS.get(sent.route, "")
        if was is None or (was.status == "failed" and sent.status != "failed"):
            return f"sent {title} to {where} {went}" if went else f"escalated {title} to {where}"
        if sent.status == "failed":
            verb = f"send {title} to {where} {went}" if went else f"escalate {title} to {where}"
            return f"could not {verb}: {sent.note}"
        if sent.status == was.status and sent.note == was.note:
            return f"linked {title} to its card in {where}"
        note = f" with the note “{sent.note}”" if sent.note else ""
        return f"moved {title} to {sent.label} in {where}{note}"
    origin, had = new.origin, old.origin if old is not None else None
    if origin is not None and had is not None and origin.note != had.note:
        return (
            f"returned {title} to {origin.forum_name or origin.forum} with the note “{origin.note}”"
        )
    return ""


def _describe_retro(e: Event) -> str:
    """A line for a retrospective event (``board/retro.py``), or ``""``."""
    if isinstance(e, PhaseChanged):
        phase = e.retro.phase.capitalize()
        if e.previous is None:
            return f"started the retrospective phases with {phase}"
        if RETRO_PHASES.index(e.retro.phase) < RETRO_PHASES.index(e.previous):
            return f"took the retrospective back to {phase}"
        return f"moved the retrospective on to {phase}"
    if isinstance(e, RetroConfigured):
        allowed = "allowed" if e.retro.anonymous else "not allowed"
        return f"set {e.retro.dots} dots per person, anonymous cards {allowed}"
    if isinstance(e, CardsRevealed):
        titles = ", ".join(f"“{c.title}”" for c in e.cards)
        n = len(e.cards)
        return f"revealed {n} card{'' if n == 1 else 's'}: {titles}"
    return ""


def _describe_facilitation(before: Board, e: Event) -> str:
    """A line for a focus, WIP-limit, cluster or vote event, or ``""``. A vote's target
    is never named: while the vote is open it is the voter's secret (SPEC R26)."""
    if isinstance(e, FocusChanged):
        if e.target is None:
            return "released the follow"
        if e.target in before.cards:
            return f"brought everyone to {_title(before, e.target)}"
        return f"brought everyone to the column {_column_title(before, e.target)}"
    if isinstance(e, WipLimitSet):
        where = _column_title(before, e.column)
        return (
            f"set the WIP limit of {where} to {e.limit}"
            if e.limit
            else f"cleared {where}'s WIP limit"
        )
    if isinstance(e, WipExceeded):
        return f"took {_column_title(before, e.column)} over its WIP limit ({e.count}/{e.limit})"
    if isinstance(e, GroupChanged):
        return f"named a cluster “{e.group.title}”" if e.group.title else "made a cluster"
    if isinstance(e, GroupRemoved):
        return "emptied a cluster"
    if isinstance(e, VoteCast):
        return "cast a vote"
    if isinstance(e, VoteRetracted):
        return "took a vote back"
    if isinstance(e, VoteClosed):
        return f"closed the vote ({sum(e.tally.values())} dots)"
    if isinstance(e, VoteReopened):
        return "re-opened the vote"
    return ""


def _describe_event(before: Board, e: Event) -> str:
    if isinstance(e, PhaseChanged | RetroConfigured | CardsRevealed):
        return _describe_retro(e)
    more = _describe_facilitation(before, e)
    if more:
        return more
    if isinstance(e, CardAdded | CardEdited | CardArchived | CardRestored) and e.card.hidden:
        did = {CardAdded: "wrote", CardEdited: "edited", CardArchived: "archived"}
        where = f" in {_column_title(before, e.card.column)}"
        return f"{did.get(type(e), 'restored')} a card{where}, hidden until the reveal"
    if isinstance(e, CardAdded):
        if e.card.origin is not None:
            src = e.card.origin.forum_name or e.card.origin.forum
            went = _ROUTE_WORDS.get(e.card.origin.route, "")
            if went:
                return f"sent “{e.card.title}” here from {src} {went}"
            return f"escalated “{e.card.title}” here from {src}"
        return f"added “{e.card.title}” to {_column_title(before, e.card.column)}"
    if isinstance(e, CardEdited):
        linked = _describe_link(before.cards.get(e.card.id), e.card)
        return linked or f"edited {_title(before, e.card.id)}"
    if isinstance(e, CardMoved):
        name = _title(before, e.card_id)
        if e.from_column == e.column:
            return f"reordered {name} in {_column_title(before, e.column)}"
        src, dst = _column_title(before, e.from_column), _column_title(before, e.column)
        return f"moved {name} from {src} to {dst}"
    if isinstance(e, CardArchived):
        return f"archived “{e.card.title}”"
    if isinstance(e, CardRestored):
        return f"restored “{e.card.title}”"
    if isinstance(e, ColumnAdded):
        return f"added the column {e.column.title}"
    if isinstance(e, ColumnRenamed):
        return f"renamed the column {_column_title(before, e.column_id)} to {e.title}"
    if isinstance(e, ColumnMoved):
        return f"moved the column {_column_title(before, e.column_id)}"
    if isinstance(e, ColumnRemoved):
        return f"removed the column {_column_title(before, e.column_id)}"
    if isinstance(e, ForumRenamed):
        return f"renamed the forum to {e.name}"
    if isinstance(e, SessionStarted):
        return f"started session {e.session.number}"
    if isinstance(e, SessionEnded):
        return f"ended session {e.session.number}"
    if isinstance(e, ParticipantsAdded):
        return ""  # joining is not an action worth a line of its own
    if isinstance(e, DecisionRecorded):
        return f"recorded the decision “{e.decision.text}”"
    if isinstance(e, NextStepAdded):
        owner = f" for {e.step.owner}" if e.step.owner else ""
        return f"added the next step “{e.step.text}”{owner}"
    if isinstance(e, NextStepUpdated):
        status = e.step.status
        verb = {"done": "marked done", "dropped": "dropped", "open": "updated"}[status]
        return f"{verb} the next step “{e.step.text}”"
    if isinstance(e, TimerChanged):
        return _describe_timer(e)
    return ""  # ColumnReranked: bookkeeping, no visible change


def mmss(seconds: float) -> str:
    """``5:00``, ``1:02:03``: seconds (rounded up) as a countdown shows them."""
    total = max(0, int(-(-seconds // 1)))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _describe_timer(e: TimerChanged) -> str:
    if e.action == "set":
        return f"set the timer to {mmss(e.timer.duration)}"
    if e.action == "started":
        if e.timer.remaining < e.timer.duration:
            return f"resumed the timer with {mmss(e.timer.remaining)} left"
        return f"started the timer ({mmss(e.timer.duration)})"
    if e.action == "paused":
        return f"paused the timer with {mmss(e.timer.remaining)} left"
    return f"reset the timer to {mmss(e.timer.duration)}"


# -- what changed between two boards ----------------------------------------------------

ChangeKind = Literal["added", "removed", "moved", "changed"]


class CardChange(msgspec.Struct, frozen=True):
    """One card that differs between two boards."""

    kind: ChangeKind
    card_id: str
    title: str
    column: str  # where it is now (for removed: where it was)
    from_column: str = ""  # for moved: where it was
    fields: tuple[str, ...] = ()  # for changed: which of CARD_FIELDS differ
    old_title: str = ""


class BoardDiff(msgspec.Struct, frozen=True):
    """The cards added, removed, moved between columns and changed, by card id."""

    added: tuple[CardChange, ...] = ()
    removed: tuple[CardChange, ...] = ()
    moved: tuple[CardChange, ...] = ()
    changed: tuple[CardChange, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.moved or self.changed)

    def by_card(self) -> dict[str, list[ChangeKind]]:
        """For highlighting: each changed card's id and what happened to it."""
        out: dict[str, list[ChangeKind]] = {}
        for group in (self.added, self.removed, self.moved, self.changed):
            for c in group:
                out.setdefault(c.card_id, []).append(c.kind)
        return out


def _live(board: Board) -> dict[str, Card]:
    return {cid: c for cid, c in board.cards.items() if not c.archived}


def _order(board: Board) -> dict[str, tuple[int, int]]:
    """Each live card's place: (column position, position in the column)."""
    return {
        cid: (ci, i) for ci, col in enumerate(board.columns) for i, cid in enumerate(col.card_ids)
    }


def diff(before: Board, after: Board) -> BoardDiff:
    """What changed from ``before`` to ``after``, in board order.

    A card counts as removed when it is live before and archived or gone after, and as
    added when it is live after but not before (new, or restored). Moving within a
    column is not a change worth listing; moving between columns is.
    """
    old, new = _live(before), _live(after)
    place_old, place_new = _order(before), _order(after)
    added, moved, changed = [], [], []
    for cid in sorted(new, key=lambda c: place_new.get(c, (0, 0))):
        card = new[cid]
        col = _column_title(after, card.column)
        was = old.get(cid)
        if was is None:
            added.append(CardChange(kind="added", card_id=cid, title=card.title, column=col))
            continue
        if was.column != card.column:
            moved.append(
                CardChange(
                    kind="moved",
                    card_id=cid,
                    title=card.title,
                    column=col,
                    from_column=_column_title(before, was.column),
                )
            )
        fields = tuple(f for f in CARD_FIELDS if getattr(was, f) != getattr(card, f))
        if fields:
            changed.append(
                CardChange(
                    kind="changed",
                    card_id=cid,
                    title=card.title,
                    column=col,
                    fields=fields,
                    old_title=was.title if "title" in fields else "",
                )
            )
    removed = [
        CardChange(
            kind="removed",
            card_id=cid,
            title=old[cid].title,
            column=_column_title(before, old[cid].column),
        )
        for cid in sorted(old, key=lambda c: place_old.get(c, (0, 0)))
        if cid not in new
    ]
    return BoardDiff(
        added=tuple(added), removed=tuple(removed), moved=tuple(moved), changed=tuple(changed)
    )

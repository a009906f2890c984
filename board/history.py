"""Looking back at a forum: replay a session step by step, and what changed between two.

``Timeline`` re-applies a session's logged operations to the board it started from
(``board.replay``) and keeps a checkpoint (the whole board, which is immutable and
cheap to hold) every ``every`` steps, so the board at any step is at most
``every - 1`` applies away; a slider dragged over thousands of operations never
replays from the start. Each step is said in words by ``board.describe``.

``diff`` compares two boards card by card (added, removed, moved between columns,
changed). All of it is pure: boards in, data out.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from typing import Final, Literal

import msgspec

from .describe import describe
from .events import (
    CardAdded,
    CardArchived,
    CardEdited,
    CardMoved,
    CardRestored,
    DecisionRecorded,
    Event,
)
from .log import LoggedOp
from .model import Board, Card
from .replay import board_after, replay
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
    """A session's boards, step by step, from its start board and its logged ops (which
    must reach seq ``end`` when it is given); ``ReplayError`` says why they do not
    replay."""

    def __init__(
        self,
        start: Board,
        logged: Sequence[LoggedOp],
        *,
        every: int = CHECKPOINT_EVERY,
        end: int | None = None,
    ) -> None:
        if every < 1:
            raise ValueError("checkpoints need a positive interval")
        self.every = every
        self.start = start
        self._ops = list(logged)
        self._checkpoints: list[Board] = [start]  # board after step i * every
        self.steps: list[Step] = []
        board = start
        for i, step in enumerate(replay(start, self._ops, end=end), start=1):
            before, board, item = board, step.board, step.item
            # Nobody is named for what they did to a hidden or anonymous card.
            actor = public_actor(item.actor, item.events, item.op, board.cards)
            self.steps.append(
                Step(
                    index=i,
                    seq=item.seq,
                    actor=actor,
                    at=item.at,
                    summary=describe(before, item.events, actor),
                    card_ids=touched(item.events),
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
        return board_after(self._checkpoints[base], self._ops[base * self.every : step])

    def step_at_time(self, at: float) -> int:
        """The last step taken at or before ``at`` (0 if none)."""
        return bisect.bisect_right([s.at for s in self.steps], at)


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
        col = after.column_title(card.column)
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
                    from_column=before.column_title(was.column),
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
            column=before.column_title(old[cid].column),
        )
        for cid in sorted(old, key=lambda c: place_old.get(c, (0, 0)))
        if cid not in new
    ]
    return BoardDiff(
        added=tuple(added), removed=tuple(removed), moved=tuple(moved), changed=tuple(changed)
    )

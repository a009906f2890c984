"""The Scaled Backlog's rules: owning teams, trade-off notes, experiments, the team filter.

- **Owning teams.** A card may name up to ``MAX_TEAMS`` owning teams (``Card.teams``),
  each checked like ``Card.team``. A card belongs to a team when either names it
  (``owned_by``), which is what the team filter of a backlog page shows.
- **Trade-off notes.** In a MetaScrum or a Scaled Backlog, while a session runs, a move
  into or within the ordered column is a re-order. A ``move_card`` carrying a ``note``
  records it as a decision ("Re-ordered <title>: <note>", naming the card) in the same
  operation (events ``card_moved`` then ``decision_recorded``), so the trade-off is on
  the session's record where the guardrail looks for it. A note anywhere else is
  refused rather than silently dropped. The move itself never needs one: skipping the
  note is allowed and is what the guardrail flags.
- **Experiments.** An experiment card has a ``hypothesis``, a ``result`` and an
  ``outcome`` (``proven``, ``disproven``, ``inconclusive`` or not yet ``""``); only a
  proven one may go to the Executive Action Team as an improvement (the
  ``improvement`` route), and the escalation is refused with the reason otherwise.

Pure: no I/O. ``apply.py`` calls in here; nothing here imports ``apply``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Final, get_args

from msgspec import UNSET

from . import ops as o
from .kinds import Route
from .model import MAX_TEAMS, Board, Card, Outcome
from .rules import Context, Rejected, Result, check_team, clean_text, live_card, session

NOTE_FORUM_KINDS: Final = frozenset({"metascrum", "backlog"})
ORDERED_COLUMN: Final = "ordered"  # the strictly ordered column of both
OUTCOMES: Final[tuple[str, ...]] = get_args(Outcome)
OUTCOME_LABELS: Final = {
    "": "Not yet known",
    "proven": "Proven",
    "disproven": "Disproven",
    "inconclusive": "Inconclusive",
}
IMPROVEMENT_ROUTE: Final = "improvement"

Handler = Callable[[Board, Any, Context], Result]


# -- owning teams ------------------------------------------------------------------


def check_teams(teams: Iterable[str], ctx: Context) -> tuple[str, ...]:
    """Owning team ids, each checked like a card's team, blanks and repeats dropped."""
    found = tuple(dict.fromkeys(t for t in (check_team(t, ctx) for t in teams) if t))
    if len(found) > MAX_TEAMS:
        raise Rejected("invalid", f"A card has at most {MAX_TEAMS} owning teams.")
    return found


def owned_by(card: Card, team: str) -> bool:
    """Whether ``team`` owns ``card`` (its team, or one of its owning teams)."""
    return bool(team) and (card.team == team or team in card.teams)


def team_counts(board: Board, team: str) -> tuple[int, int]:
    """(live cards ``team`` owns, live cards) on the board: the filter's "N of M"."""
    live = [board.cards[cid] for col in board.columns for cid in col.card_ids]
    return sum(1 for c in live if owned_by(c, team)), len(live)


# -- experiments -------------------------------------------------------------------


def _outcome(value: str) -> str:
    if value not in OUTCOMES:
        choices = ", ".join(repr(v) for v in OUTCOMES)
        raise Rejected("invalid", f"An experiment's outcome is one of {choices}, not {value!r}.")
    return value


def new_card_fields(op: o.AddCard, ctx: Context) -> dict[str, Any]:
    """The fields of a new card this module owns, checked."""
    return {
        "teams": check_teams(op.teams, ctx),
        "hypothesis": clean_text(op.hypothesis, single_line=False),
        "result": clean_text(op.result, single_line=False),
        "outcome": _outcome(op.outcome),
    }


def edited_fields(op: o.EditCard, ctx: Context) -> dict[str, Any]:
    """The fields this module owns that an edit sets (left out: unchanged), checked."""
    changes: dict[str, Any] = {}
    if op.teams is not UNSET:
        changes["teams"] = check_teams(op.teams, ctx)
    if op.hypothesis is not UNSET:
        changes["hypothesis"] = clean_text(op.hypothesis, single_line=False)
    if op.result is not UNSET:
        changes["result"] = clean_text(op.result, single_line=False)
    if op.outcome is not UNSET:
        changes["outcome"] = _outcome(op.outcome)
    return changes


def route_refusal(card: Card, way: Route) -> str | None:
    """Why ``card`` may not take route ``way`` now (``None``: it may): an experiment
    goes to the EAT as an improvement only once it is proven."""
    if way.id != IMPROVEMENT_ROUTE or card.outcome == "proven":
        return None
    now = OUTCOME_LABELS.get(card.outcome, card.outcome).lower()
    return (
        f"Only a proven experiment goes to the EAT as an improvement; “{card.title}” is "
        f"{now}. Record its result and set its outcome to proven first."
    )


def check_route(card: Card, way: Route, ctx: Context) -> None:
    """Refuse a route ``route_refusal`` forbids. Not on replay (``Context.live``): a log
    written before the rule existed still replays as it was decided."""
    if not ctx.live:
        return
    reason = route_refusal(card, way)
    if reason is not None:
        raise Rejected("invalid", reason)


# -- trade-off notes ---------------------------------------------------------------


def is_reorder(board: Board, column_id: str) -> bool:
    """Whether a move into ``column_id`` of ``board`` is a re-order that takes a note."""
    return board.kind in NOTE_FORUM_KINDS and column_id == ORDERED_COLUMN


def decision_text(title: str, note: str) -> str:
    return f"Re-ordered {title}: {note}"


def with_tradeoff_note(move: Handler, record: Handler) -> Handler:
    """``move`` (the ``move_card`` handler), recording a ``note`` as a decision with
    ``record`` (the ``record_decision`` handler) in the same operation."""

    def run(board: Board, op: o.MoveCard, ctx: Context) -> Result:
        note = clean_text(op.note, single_line=True)
        if not note:
            return move(board, op, ctx)
        if not is_reorder(board, op.column):
            raise Rejected(
                "invalid",
                "A trade-off note goes with a re-order in the ordered column of a MetaScrum "
                "or a Scaled Backlog.",
            )
        session(board)  # a decision needs a running session: refuse before moving
        title = live_card(board, op.card).title
        moved, events = move(board, op, ctx)
        if not events:
            return board, []  # dropped where it was: nothing was re-ordered
        decision = o.RecordDecision(text=decision_text(title, note), cards=(op.card,))
        decided, more = record(moved, decision, ctx)
        return decided, [*events, *more]

    run.__doc__ = move.__doc__
    return run

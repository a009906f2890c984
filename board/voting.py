"""Dot voting in a Scaled Retrospective (the vote and discuss phases); the clusters
of the group phase are ``board/clusters.py``.

- Vote phase (R26, R27, R41): each person (by person key, ``Context.who``: two people
  with one name are two voters, one person renaming is one) has
  ``retro.dots`` dots to put on live cards or clusters, several on one target if they
  like; a dot on a grouped card goes to its cluster. The votes are on the board but
  private: ``private_events`` and ``redact`` say what someone else may see (how many
  people have voted, never for what).
- Leaving the vote phase forward closes the vote: ``on_phase_change`` (called by
  ``board/retro.py``) fills ``retro.tally`` and says ``VoteClosed``; stepping back into
  the vote re-opens it, votes kept (R27).
- Discuss (R28): ``discussion_order`` lists clusters and ungrouped cards by votes.

Pure: stdlib and msgspec only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Final

import msgspec
from msgspec.structs import replace

from . import ops as o
from .clusters import in_phase, ordered_cards, votable, votable_group
from .events import (
    Event,
    PhaseChanged,
    RetroConfigured,
    VoteCast,
    VoteClosed,
    VoteReopened,
    VoteRetracted,
    VotesCounted,
)
from .log import Item
from .model import RETRO_PHASES, Board, Card, CardGroup, Retro, RetroPhase
from .rules import Context, Rejected, Result, is_person_key

_VOTE_AT: Final = RETRO_PHASES.index("vote")
YOU: Final = "you"  # the ``voter`` of one's own vote events, as sent (SPEC R40)


# -- clusters (board/clusters.py) ----------------------------------------------------


def members(board: Board, group_id: str) -> list[Card]:
    """The live cards of a cluster, in board order."""
    return [c for c in ordered_cards(board) if c.group == group_id]


# -- voting -------------------------------------------------------------------------


def target_of(board: Board, target: str) -> str:
    """Where a dot on ``target`` goes: a live card, or its cluster when it has one, or a
    cluster. Raises ``Rejected`` for anything else, and for what is not voted on (R48:
    a card in a column that is not votable, a cluster with no card in a votable one)."""
    retro = board.retro
    groups = retro.groups if retro is not None else {}
    if target in groups:
        if not votable_group(board, target):
            raise Rejected("invalid", "That cluster is not voted on: none of its cards is.")
        return target
    card = board.cards.get(target)
    if card is None:
        raise Rejected("not_found", f"There is no card or cluster {target!r} on this board.")
    if card.archived:
        raise Rejected("conflict", f"Card {card.title!r} is archived; it cannot get votes.")
    if card.hidden:
        raise Rejected("conflict", "That card is not revealed yet.")
    if card.group in groups:
        return target_of(board, card.group)
    if not votable(board, card):
        column = board.column_title(card.column)
        raise Rejected("invalid", f"Cards in “{column}” are not voted on.")
    return card.id


def used(retro: Retro, voter: str) -> int:
    """How many dots ``voter`` has placed."""
    return sum(retro.votes.get(voter, {}).values())


def voters(retro: Retro) -> int:
    """How many people have at least one dot placed (everyone may know this). A voter
    with no dot left placed is dropped from ``votes``; ``redact`` keeps the others' names
    with no votes, so the count is the same in every viewer's copy."""
    return len(retro.votes)


def left(retro: Retro, voter: str) -> int:
    """Dots ``voter`` may still place (0 when the facilitator lowered the count below
    what they had already used: their votes stay)."""
    return max(0, retro.dots - used(retro, voter))


def _with_votes(retro: Retro, voter: str, mine: dict[str, int]) -> Retro:
    votes = dict(retro.votes)
    if mine:
        votes[voter] = mine
    else:
        votes.pop(voter, None)
    return replace(retro, votes=votes)


def cast_vote(board: Board, op: o.CastVote, ctx: Context) -> Result:
    """Put one of the actor's dots on a card or cluster."""
    retro = in_phase(board, "vote", "Votes are cast")
    target = target_of(board, op.target)
    spent = used(retro, ctx.who)
    if spent >= retro.dots:
        reason = f"You have used all {retro.dots} dots."
        if spent > retro.dots:
            reason = (
                f"You have used {spent} dots and each person now has {retro.dots}: your votes "
                "stay, but you cannot add more (take some back to move them)."
            )
        raise Rejected("limit", reason)
    mine = dict(retro.votes.get(ctx.who, {}))
    mine[target] = mine.get(target, 0) + 1
    retro = _with_votes(retro, ctx.who, mine)
    event = VoteCast(voter=ctx.who, target=target, used=spent + 1, voters=voters(retro))
    return replace(board, retro=retro), [event]


def retract_vote(board: Board, op: o.RetractVote, ctx: Context) -> Result:
    """Take one of the actor's dots back from a card or cluster."""
    retro = in_phase(board, "vote", "Votes are taken back")
    mine = dict(retro.votes.get(ctx.who, {}))
    target = op.target if op.target in mine else target_of(board, op.target)
    if not mine.get(target):
        raise Rejected("conflict", "You have no dot on that.")
    mine[target] -= 1
    if not mine[target]:
        del mine[target]
    retro = _with_votes(retro, ctx.who, mine)
    event = VoteRetracted(
        voter=ctx.who, target=target, used=used(retro, ctx.who), voters=voters(retro)
    )
    return replace(board, retro=retro), [event]


def tally(board: Board) -> dict[str, int]:
    """Dots per live card or cluster, from everyone's votes. A dot on a card that has
    since been grouped counts for its cluster; dots on what is gone (archived cards,
    clusters that disappeared) count for nothing."""
    out: dict[str, int] = {}
    for mine in board.retro.votes.values() if board.retro is not None else ():
        for target, dots in mine.items():
            try:
                where = target_of(board, target)
            except Rejected:
                continue
            out[where] = out.get(where, 0) + dots
    return {k: v for k, v in out.items() if v > 0}


def on_phase_change(
    board: Board, old: RetroPhase | None, new: RetroPhase
) -> tuple[Board, list[Event]]:
    """What moving from phase ``old`` to ``new`` does to the vote (SPEC R27).

    Any phase after ``vote`` has a closed vote: entering one with the vote open fills
    ``tally`` (``VoteClosed``). ``vote`` and the phases before it have an open vote:
    entering one with a tally clears it (``VoteReopened``); the votes are kept."""
    retro = board.retro
    if retro is None:
        return board, []
    closed = RETRO_PHASES.index(new) > _VOTE_AT
    if closed and retro.tally is None:
        counted = tally(board)
        return replace(board, retro=replace(retro, tally=counted)), [VoteClosed(tally=counted)]
    if not closed and retro.tally is not None:
        return replace(board, retro=replace(retro, tally=None)), [VoteReopened()]
    return board, []


# -- what one viewer may see ---------------------------------------------------------

_PERSONAL: Final = (
    VoteCast,
    VoteRetracted,
    VoteClosed,
    VoteReopened,
    PhaseChanged,
    RetroConfigured,
)


def is_private(event: Event) -> bool:
    """Whether an event holds someone's vote (only they may see it before the close)."""
    return isinstance(event, VoteCast | VoteRetracted)


def private_events(events: Sequence[Event], viewer: str | None) -> tuple[Event, ...]:
    """``events`` as ``viewer`` may see them (SPEC R26): someone else's vote becomes
    ``VotesCounted`` (how many people have voted, not who got the dot); the viewer's own
    says ``voter`` "you" rather than their person key (R40: keys stay on the server)."""
    out: list[Event] = []
    for e in events:
        if isinstance(e, VoteCast | VoteRetracted) and e.voter != viewer:
            out.append(VotesCounted(voters=e.voters))
        elif isinstance(e, VoteCast | VoteRetracted) and is_person_key(e.voter):
            out.append(replace(e, voter=YOU))
        else:
            out.append(e)
    return tuple(out)


def redact(retro: Retro | None, viewer: str | None) -> Retro | None:
    """The retro as ``viewer`` (a person key) may see it: while the vote is open, only
    their own votes (``None``: nobody's); the others stay, with no votes, so everyone
    may count the voters. After the close everyone's votes may be shown. Another
    person's key is never shown (SPEC R40): it becomes ``voter <n>`` (n: the order
    they first voted in); an old log's keys are display names, shown as before."""
    if retro is None or not retro.votes:
        return retro
    closed = retro.tally is not None
    if closed and not any(is_person_key(who) and who != viewer for who in retro.votes):
        return retro
    votes: dict[str, dict[str, int]] = {}
    for n, (who, mine) in enumerate(retro.votes.items(), 1):
        own = bool(viewer) and who == viewer
        shown = who if own or not is_person_key(who) else f"voter {n}"
        votes[shown] = dict(mine) if own or closed else {}
    return retro if votes == retro.votes else replace(retro, votes=votes)


# The vote's rule of ``board/visibility.py`` (listed in its ``RULES``): secret votes on
# every path out of the server.


def personal_item(item: Item) -> bool:
    """A vote, or a change to what each person's "dots left" says (the phase, the number
    of dots, the vote closing or re-opening): the room renders those per viewer."""
    return any(isinstance(e, _PERSONAL) for e in item.events)


def item_votes_for(item: Item, viewer: str | None, board: Board | None) -> Item:
    """``item`` with only the votes ``viewer`` may see (``private_events``)."""
    events = private_events(item.events, viewer)
    if all(a is b for a, b in zip(events, item.events, strict=True)):
        return item
    return replace(item, events=events)


def board_votes_for(board: Board, viewer: str | None) -> Board:
    """``board`` with only the votes ``viewer`` may see (``redact``)."""
    retro = redact(board.retro, viewer)
    return board if retro is board.retro else replace(board, retro=retro)


# -- the discussion order -------------------------------------------------------------


class Topic(msgspec.Struct, frozen=True):
    """One line of the discussion order: a cluster (``group`` set) or a card."""

    id: str
    title: str
    votes: int
    cards: tuple[Card, ...]
    group: CardGroup | None = None
    votable: bool = True  # whether dots may go on it (SPEC R48)


def topics(board: Board, counts: dict[str, int] | None = None) -> list[Topic]:
    """Clusters and ungrouped live cards in board order (a cluster where its first card
    is), with ``counts`` (default: the tally, or nothing while the vote is open)."""
    retro = board.retro
    groups = retro.groups if retro is not None else {}
    if counts is None:
        counts = (retro.tally if retro is not None else None) or {}
    out: list[Topic] = []
    seen: set[str] = set()
    cards = ordered_cards(board)
    for card in cards:
        if card.hidden:
            continue
        group = groups.get(card.group) if card.group else None
        if group is None:
            n = counts.get(card.id, 0)
            out.append(Topic(card.id, card.title, n, (card,), votable=votable(board, card)))
        elif group.id not in seen:
            seen.add(group.id)
            inside = tuple(c for c in cards if c.group == group.id)
            name = group.title or _fallback(inside)
            can = any(votable(board, c) for c in inside)
            out.append(Topic(group.id, name, counts.get(group.id, 0), inside, group, can))
    return out


def _fallback(cards: Iterable[Card]) -> str:
    """An unnamed cluster goes by its first card's title."""
    first = next(iter(cards), None)
    return first.title if first is not None else "Cluster"


def discussion_order(board: Board, counts: dict[str, int] | None = None) -> list[Topic]:
    """The votable topics by votes, most first; ties keep board order (SPEC R28, R48)."""
    return sorted((t for t in topics(board, counts) if t.votable), key=lambda t: -t.votes)

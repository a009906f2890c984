"""Grouping and dot voting in a Scaled Retrospective (the group, vote and discuss phases).

- Group phase (SPEC R25): participants put cards into clusters (``GroupCard``), take
  them out (``UngroupCard``) and name clusters (``NameGroup``). A cluster's id comes
  from the seq of the op that made it (``g<seq>``), so replays give the same ids; a
  cluster left with no card disappears.
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
from .events import (
    CardEdited,
    Event,
    GroupChanged,
    GroupRemoved,
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
from .rules import Context, Rejected, Result, clean_text, found, is_person_key, live_card

MAX_GROUP_TITLE: Final = 60
MAX_GROUPS: Final = 500
_VOTE_AT: Final = RETRO_PHASES.index("vote")
YOU: Final = "you"  # the ``voter`` of one's own vote events, as sent (SPEC R40)


# -- phase checks -------------------------------------------------------------------


def _retro(board: Board, phase: RetroPhase, doing: str) -> Retro:
    retro = board.retro
    if retro is None or retro.phase != phase:
        now = "no retrospective is running" if retro is None else f"this is the {retro.phase} phase"
        raise Rejected("conflict", f"{doing} in the {phase} phase only; {now}.")
    return retro


def _group(retro: Retro, group_id: str) -> CardGroup:
    return found(retro.groups, group_id, "cluster")


def members(board: Board, group_id: str) -> list[Card]:
    """The live cards of a cluster, in board order."""
    return [c for c in ordered_cards(board) if c.group == group_id]


def ordered_cards(board: Board) -> list[Card]:
    """The live cards, in board order: columns left to right, each top to bottom."""
    return [card for col in board.columns for card in board.live_cards(col)]


# -- grouping -----------------------------------------------------------------------


def _set_group(cards: dict[str, Card], card: Card, group: str, ctx: Context) -> Card:
    moved = replace(card, group=group, updated_at=ctx.at, updated_by=ctx.actor)
    cards[card.id] = moved
    return moved


def _drop_if_empty(
    board: Board, cards: dict[str, Card], groups: dict[str, CardGroup], group_id: str
) -> list[Event]:
    """Remove a cluster no card is in any more (archived cards included: restoring one
    brings it back into its cluster only while the cluster exists)."""
    if not group_id or any(c.group == group_id for c in cards.values()):
        return []
    groups.pop(group_id, None)
    return [GroupRemoved(group_id=group_id)]


def group_card(board: Board, op: o.GroupCard, ctx: Context) -> Result:
    """Put ``card`` into ``with_card``'s cluster; a new cluster when it has none."""
    retro = _retro(board, "group", "Cards are grouped")
    card = live_card(board, op.card)
    other = live_card(board, op.with_card)
    if card.id == other.id:
        raise Rejected("invalid", "A card cannot be grouped with itself.")
    if card.hidden or other.hidden:
        raise Rejected("conflict", "A card that is not revealed yet cannot be grouped.")
    if other.group and card.group == other.group:
        return board, []
    cards = dict(board.cards)
    groups = dict(retro.groups)
    events: list[Event] = []
    target = other.group
    if not target:
        if len(groups) >= MAX_GROUPS:
            raise Rejected("limit", f"A retrospective holds at most {MAX_GROUPS} clusters.")
        target = f"g{ctx.seq}"
        groups[target] = CardGroup(id=target)
        events.append(GroupChanged(group=groups[target]))
        events.append(CardEdited(card=_set_group(cards, other, target, ctx)))
    old = card.group
    events.append(CardEdited(card=_set_group(cards, card, target, ctx)))
    events.extend(_drop_if_empty(board, cards, groups, old))
    return replace(board, cards=cards, retro=replace(retro, groups=groups)), events


def ungroup_card(board: Board, op: o.UngroupCard, ctx: Context) -> Result:
    """Take ``card`` out of its cluster (the cluster goes when it is left empty)."""
    retro = _retro(board, "group", "Cards are grouped")
    card = live_card(board, op.card)
    if not card.group:
        return board, []
    cards = dict(board.cards)
    groups = dict(retro.groups)
    events: list[Event] = [CardEdited(card=_set_group(cards, card, "", ctx))]
    events.extend(_drop_if_empty(board, cards, groups, card.group))
    return replace(board, cards=cards, retro=replace(retro, groups=groups)), events


def name_group(board: Board, op: o.NameGroup, ctx: Context) -> Result:
    """Name a cluster (one line, at most 60 characters; empty clears the name)."""
    retro = _retro(board, "group", "Clusters are named")
    group = _group(retro, op.group)
    title = clean_text(op.title, single_line=True)
    if len(title) > MAX_GROUP_TITLE:
        raise Rejected("invalid", f"A cluster's name is at most {MAX_GROUP_TITLE} characters.")
    if title == group.title:
        return board, []
    named = replace(group, title=title)
    groups = {**retro.groups, group.id: named}
    return replace(board, retro=replace(retro, groups=groups)), [GroupChanged(group=named)]


# -- voting -------------------------------------------------------------------------


def target_of(board: Board, target: str) -> str:
    """Where a dot on ``target`` goes: a live card, or its cluster when it has one, or a
    cluster. Raises ``Rejected`` for anything else."""
    retro = board.retro
    groups = retro.groups if retro is not None else {}
    if target in groups:
        return target
    card = board.cards.get(target)
    if card is None:
        raise Rejected("not_found", f"There is no card or cluster {target!r} on this board.")
    if card.archived:
        raise Rejected("conflict", f"Card {card.title!r} is archived; it cannot get votes.")
    if card.hidden:
        raise Rejected("conflict", "That card is not revealed yet.")
    return card.group if card.group in groups else card.id


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
    retro = _retro(board, "vote", "Votes are cast")
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
    retro = _retro(board, "vote", "Votes are taken back")
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
            out.append(Topic(card.id, card.title, counts.get(card.id, 0), (card,)))
        elif group.id not in seen:
            seen.add(group.id)
            inside = tuple(c for c in cards if c.group == group.id)
            name = group.title or _fallback(inside)
            out.append(Topic(group.id, name, counts.get(group.id, 0), inside, group))
    return out


def _fallback(cards: Iterable[Card]) -> str:
    """An unnamed cluster goes by its first card's title."""
    first = next(iter(cards), None)
    return first.title if first is not None else "Cluster"


def discussion_order(board: Board, counts: dict[str, int] | None = None) -> list[Topic]:
    """The topics by votes, most first; ties keep board order (SPEC R28)."""
    return sorted(topics(board, counts), key=lambda t: -t.votes)

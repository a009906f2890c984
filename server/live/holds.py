"""Who has this card: the cards people are dragging or editing right now (SPEC R29).

A client sends ``hold`` ``{card}`` when its person starts dragging a card or opens its
edit dialog, and ``hold`` ``{card: null}`` on drop, cancel or close. A hold is
presence, not board state: it is never in the op log, gets no seq and is kept in the
room's memory only. The room (``server/live/rooms.py``) posts each ``HoldIn`` to its
``Holds``, which checks the card against the board, remembers each peer's hold and
collects what changed; the room sends the changes to everyone in the turn's batch
(``Batch.holds``) and the current holds in every ``Welcome``. A peer that leaves lets
go. A hold of a card that is not on the board (unknown, or archived) gets ``error``
back (to its sender) and changes nothing; ``server/live.py`` refuses holds from viewers and counts
them against the connection's rate limit before they reach the room.
"""

from __future__ import annotations

from board.model import Board
from board.protocol import Error, Held, encode
from server.live.peer import Message, Peer, text_message

__all__ = ["Held", "HoldIn", "Holds", "refusal"]


class HoldIn:
    """A peer's ``hold`` for the room: ``card`` is what it has now (``None``: nothing)."""

    __slots__ = ("card", "peer")

    def __init__(self, peer: Peer, card: str | None) -> None:
        self.peer = peer
        self.card = card


def refusal(board: Board, card_id: str | None) -> Error | None:
    """Why a hold of ``card_id`` cannot be taken on ``board`` (``None``: it can)."""
    if card_id is None:
        return None
    card = board.cards.get(card_id)
    if card is None:
        return Error(code="not_found", reason=f"There is no card {card_id!r} on this board.")
    if card.archived:
        return Error(code="conflict", reason=f"Card {card.title!r} is archived; restore it first.")
    return None


def _private(board: Board, card_id: str) -> bool:
    card = board.cards.get(card_id)
    return card is not None and (card.hidden or card.anonymous)


MAX_KEPT = 1000  # holds kept for people who left, to give back if they come back


class Holds:
    """One room's holds: peer id -> card id, and what changed since the last batch.

    A hold is its person's (SPEC R44): when a connection goes, its hold is released for
    everyone but kept for its person (by person key), and their next connection to
    join the room gets it back (``rejoin``), as if they had never left."""

    __slots__ = ("_by_peer", "_changes", "_kept")

    def __init__(self) -> None:
        self._by_peer: dict[str, str] = {}
        self._changes: dict[str, str | None] = {}
        self._kept: dict[str, str] = {}  # person key -> the card they held when they left

    def take(self, msg: HoldIn, board: Board) -> Message | None:
        """Apply one ``hold``; a bad one changes nothing and gets the ``error`` frame
        returned, for its sender only."""
        error = refusal(board, msg.card)
        if error is not None:
            return text_message(encode(error))
        peer_id = msg.peer.id
        card = msg.card
        if card is not None and _private(board, card):
            # Only its author can hold a face-down card, and nobody may learn who wrote
            # an anonymous one (R22, R23): such a hold is not shown.
            card = None
        self._kept.pop(msg.peer.person, None)  # a new hold (or none) replaces a kept one
        if self._by_peer.get(peer_id) == card:
            return None
        if card is None:
            del self._by_peer[peer_id]
        else:
            self._by_peer[peer_id] = card
        self._changes[peer_id] = card
        return None

    def release(self, peer_id: str, person: str = "") -> None:
        """The peer left: whatever it held is free, and kept for its ``person``."""
        card = self._by_peer.pop(peer_id, None)
        if card is not None:
            self._changes[peer_id] = None
            if person:
                self._kept.pop(person, None)
                self._kept[person] = card
                if len(self._kept) > MAX_KEPT:
                    del self._kept[next(iter(self._kept))]

    def rejoin(self, peer_id: str, person: str, board: Board) -> None:
        """The connection ``peer_id`` of ``person`` joined: their kept hold is its again,
        if the card is still live on ``board``."""
        card = self._kept.pop(person, None)
        if card is None or refusal(board, card) is not None or peer_id in self._by_peer:
            return
        self._by_peer[peer_id] = card
        self._changes[peer_id] = card

    def drain(self) -> list[Held]:
        """What changed since the last call, one entry per peer (its latest hold)."""
        if not self._changes:
            return []
        changes = [Held(peer=p, card=c) for p, c in self._changes.items()]
        self._changes.clear()
        return changes

    def current(self, board: Board) -> list[Held]:
        """Every hold now, on cards still live on ``board`` (for a welcome)."""
        cards = board.cards
        return [
            Held(peer=p, card=c)
            for p, c in self._by_peer.items()
            if c in cards and not cards[c].archived
        ]

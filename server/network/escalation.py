"""Cards between forums: which forum each route of a forum leads to, and sending a card.

A Scrum of Scrums escalates to an Executive Action Team, a MetaScrum to an Executive
MetaScrum; an impediment that needs product work goes from a Scrum of Scrums to a
MetaScrum, a proven retrospective experiment to the EAT (``board.kinds.ROUTES``). Which
forum is the forum's relation for that route (``escalates_to``, ``product_to``,
``improves_to`` in the ``forum_links`` table, set by the admin); without one, the only
forum of the target kind, if there is exactly one. A Scrum of Scrums with a parent SoS
(relation ``parent``, SPEC R72) escalates to its parent instead.

Escalating is three ops, each through its forum's room like any other: ``escalate_card``
on the source board (marks the card as with the target), ``receive_escalation`` on the
target board (the linked card, in its landing column), then ``escalation_status`` on
the source (the link to the new card — or ``failed`` with the target's reason, which
lets the card be escalated again). Only the first is submitted here: the other two are
mail (SPEC R18a, ``server/live/mail.py``), written with the op before them and
delivered to their forum's room wherever it runs, as is what the target does to the
card later (``board.escalation.status_updates``).
"""

from __future__ import annotations

import logging
from typing import Final

import msgspec

from board import ops as o
from board.chains import PARENT
from board.escalation import reconcile
from board.kinds import Route, forum_kind, route, routes_from
from board.model import Board, Card
from board.sync import Accepted, Refused
from server.live.mail import Postman
from server.live.registry import Rooms
from server.storage import Storage
from server.storage.records import ForumRow

log = logging.getLogger(__name__)

RELATION: Final = "escalates_to"  # the relation of the "escalate" route


class EscalationProblem(Exception):
    def __init__(self, status: int, code: str, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.code = code
        self.reason = reason


class Escalated(msgspec.Struct):
    """An escalated card and the linked card it made in the target forum."""

    card: Card
    target_forum: str
    target_card: Card


class Escalating(msgspec.Struct):
    """A card sent whose target forum has not answered yet (it runs on another server
    that is slow or restarting): the card as it is now; the linked card arrives later,
    and the card shows it (``sent_to.card``), or ``failed`` with the reason."""

    card: Card
    target_forum: str


async def escalation_target(
    storage: Storage, forum: ForumRow, route_id: str = "escalate"
) -> ForumRow | None:
    """The forum ``forum``'s route ``route_id`` leads to, or ``None`` (no such route, or
    no single forum of the target kind is set or exists)."""
    way = route(forum.kind, route_id)
    if way is None:
        return None
    if way.up_kind:  # an SoS with a parent SoS escalates there (SPEC R72)
        parent = await storage.forums.link(forum.id, PARENT)
        row = await storage.forums.forum(parent) if parent is not None else None
        if row is not None and row.kind == way.up_kind:
            return row
    chosen = await storage.forums.link(forum.id, way.relation)
    if chosen is not None:
        row = await storage.forums.forum(chosen)
        if row is not None and row.kind == way.to_kind:
            return row
    candidates = [f for f in await storage.forums.forums() if f.kind == way.to_kind]
    return candidates[0] if len(candidates) == 1 else None


def find_route(kind: str, route_id: str) -> Route:
    """The route, or the problem saying there is none."""
    way = route(kind, route_id)
    if way is None:
        label = forum_kind(kind).label
        if not routes_from(kind):
            raise EscalationProblem(400, "invalid", f"A {label} does not send cards elsewhere.")
        raise EscalationProblem(404, "not_found", f"A {label} has no route {route_id!r}.")
    return way


async def escalate(
    rooms: Rooms,
    storage: Storage,
    postman: Postman,
    forum_id: str,
    card_id: str,
    actor: str,
    route_id: str = "escalate",
    note: str = "",
) -> Escalated | Escalating:
    """Send one card of ``forum_id`` by route ``route_id`` to the forum it leads to, with
    ``note`` for it (the card waits in the route's waiting column, SPEC R50), and wait
    (two leases and a second at most) for the target's answer to reach the card:
    ``Escalated`` with the linked card, ``Escalating`` if it has not come yet."""
    forum = await storage.forums.forum(forum_id)
    if forum is None:
        raise EscalationProblem(404, "not_found", f"There is no forum {forum_id!r}.")
    way = find_route(forum.kind, route_id)
    target = await escalation_target(storage, forum, route_id)
    if target is None:
        label = forum_kind(way.to_kind).label
        raise EscalationProblem(
            409,
            "conflict",
            f"This forum has no {label} to send it to: the admin sets one on the admin page.",
        )
    marked = await rooms.submit(
        forum_id,
        o.EscalateCard(
            card=card_id,
            to_forum=target.id,
            to_name=target.name,
            to_kind=target.kind,
            route=way.id,
            note=note,
            wait_in=way.waits_in,
        ),
        actor=actor,
    )
    if isinstance(marked, Refused):
        raise EscalationProblem(_status(marked.code), marked.code, marked.reason)
    if not isinstance(marked, Accepted):
        raise EscalationProblem(409, "conflict", "The card is already escalated.")

    def answered(board: Board) -> bool:
        card = board.cards.get(card_id)
        link = card.sent_to if card is not None else None
        return link is None or bool(link.card) or link.status == "failed"

    wait = 2 * rooms.settings.lease_seconds + 1.0
    board = await postman.wait_for(forum_id, answered, wait)
    card = (board or marked.board).cards.get(card_id) or marked.board.cards[card_id]
    link = card.sent_to
    if link is not None and link.status == "failed":
        raise EscalationProblem(409, "conflict", f"{target.name} did not take it: {link.note}")
    there = await rooms.board(target.id) if link is not None and link.card else None
    linked = there.cards.get(link.card) if there is not None and link is not None else None
    if board is None or linked is None:
        return Escalating(card=card, target_forum=target.id)
    return Escalated(card=card, target_forum=target.id, target_card=linked)


def _status(code: str) -> int:
    return {"not_found": 404, "invalid": 400, "storage": 503}.get(code, 409)


async def catch_up(storage: Storage, rooms: Rooms) -> int:
    """Bring every forum's escalated cards up to date with where they went; return how
    many ``escalation_status`` ops that took.

    Status updates travel as mail now (SPEC R18a), written with the op that caused
    them; a log written before mail (when they travelled in memory, and a crash could
    lose one) may still lack one. Run once at startup, this re-derives each link's
    status from the stored boards (``board.escalation.reconcile``). A forum with mail
    still to deliver, to it or to a forum its cards went to, is left to the mail."""
    boards: dict[str, Board | None] = {}
    forums = await storage.forums.forums()
    busy = {w.forum_id for w in await storage.mail.waiting()}
    seqs = {f.id: f.seq for f in forums}

    async def board(forum_id: str) -> Board | None:
        # A live room's board, else the stored one (``board_at``: ``Store.load`` is the
        # rooms' own and resets the writer's seq guard).
        if forum_id not in boards:
            room = rooms.live().get(forum_id)
            if room is not None:
                boards[forum_id] = room.sync.board
            elif forum_id in seqs:
                try:
                    boards[forum_id] = await storage.log.board_at(forum_id, seqs[forum_id])
                except LookupError as e:
                    log.warning("cannot read forum %s to catch up escalations: %s", forum_id, e)
                    boards[forum_id] = None
            else:
                boards[forum_id] = None
        return boards[forum_id]

    sent = 0
    for forum in forums:
        source = await board(forum.id) if forum.id not in busy else None
        if source is None:
            continue
        wanted = {
            c.sent_to.forum
            for c in source.cards.values()
            if c.sent_to is not None and c.sent_to.status != "failed"
        }
        if wanted & busy:
            continue
        targets = {f: b for f in sorted(wanted) if (b := await board(f)) is not None}
        for op in reconcile(source, targets) if targets else ():
            outcome = await rooms.submit(forum.id, op, actor="")
            if isinstance(outcome, Accepted):
                sent += 1
            elif isinstance(outcome, Refused):
                log.warning("forum %s refused %s: %s", forum.id, op, outcome.reason)
    if sent:
        log.info("caught up %d escalation status(es) after a restart", sent)
    return sent

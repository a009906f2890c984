"""Which Scaled Backlog each MetaScrum orders, and pairing them (SPEC R57).

A MetaScrum's ordered column and its Scaled Backlog are one list
(``board.backlog_sync``). Which Scaled Backlog is the MetaScrum's is its
``backlog_in`` relation (``forum_links``, as escalation's ``escalates_to``); without
one, when the network has exactly one MetaScrum and one Scaled Backlog, those two. Each
board learns its pair from a ``pair_backlog`` op submitted through its own room (one
writer per forum); from then on the two keep each other's list by mail, wherever their
rooms run. Run at startup and when a forum is made; a pair already made is left alone.
"""

from __future__ import annotations

import logging
from typing import Final

from board import ops_backlog as ob
from board.sync import Accepted, Refused
from server.live.registry import Rooms
from server.storage import Storage
from server.storage.records import ForumRow

log = logging.getLogger(__name__)

RELATION: Final = "backlog_in"  # a MetaScrum's Scaled Backlog


async def backlog_pairs(storage: Storage) -> list[tuple[ForumRow, ForumRow]]:
    """(MetaScrum, Scaled Backlog) of every pair the network makes."""
    forums = await storage.forums.forums()
    metas = [f for f in forums if f.kind == "metascrum"]
    backlogs = {f.id: f for f in forums if f.kind == "backlog"}
    pairs: list[tuple[ForumRow, ForumRow]] = []
    for meta in metas:
        chosen = await storage.forums.link(meta.id, RELATION)
        if chosen in backlogs:
            pairs.append((meta, backlogs[chosen]))
    if not pairs and len(metas) == 1 and len(backlogs) == 1:
        pairs.append((metas[0], next(iter(backlogs.values()))))
    return pairs


async def pair_backlogs(storage: Storage, rooms: Rooms) -> int:
    """Submit ``pair_backlog`` on each board of a pair that does not know its pair yet;
    return how many were accepted."""
    made = 0
    for meta, backlog in await backlog_pairs(storage):
        for forum, other in ((meta, backlog), (backlog, meta)):
            board = await rooms.board(forum.id)
            if board is None or board.pair == other.id:
                continue
            outcome = await rooms.submit(
                forum.id, ob.PairBacklog(forum=other.id, name=other.name), actor=""
            )
            if isinstance(outcome, Accepted):
                made += 1
            elif isinstance(outcome, Refused):
                log.warning("forum %s refused its backlog pair: %s", forum.id, outcome.reason)
    if made:
        log.info("paired %d backlog board(s) (one Scaled Backlog)", made)
    return made

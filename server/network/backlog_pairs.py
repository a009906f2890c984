"""Which Scaled Backlog each MetaScrum orders, and pairing them (SPEC R57, R76).

A MetaScrum's ordered column and its Scaled Backlog are one list
(``board.backlog_sync``). Which Scaled Backlog is the MetaScrum's is its
``backlog_in`` relation (``forum_links``, as escalation's ``escalates_to``; ``""``: the
admin chose none); without one, when the network has exactly one MetaScrum and one
Scaled Backlog, those two. A Scaled Backlog is one MetaScrum's at most (the first to
choose it). Each board learns its pair from a ``pair_backlog`` op submitted through its
own room (one writer per forum), and loses it by ``unpair_backlog`` (R76) when the
choice changes; from then on the two keep each other's list by mail, wherever their
rooms run. Run at startup, when a forum is made and when the admin chooses: every board
ends paired as the choices say, so a change interrupted by a crash is finished by the
next start. A board already as it should be is left alone.
"""

from __future__ import annotations

import logging
from typing import Final

from board import ops_backlog as ob
from board.backlog_sync import PAIRED_KINDS
from board.sync import Accepted, Refused
from server.live.registry import Rooms
from server.storage import Storage
from server.storage.records import ForumRow

log = logging.getLogger(__name__)

RELATION: Final = "backlog_in"  # a MetaScrum's Scaled Backlog
NONE: Final = ""  # the admin chose no Scaled Backlog (so the only one is not taken)


async def backlog_pairs(storage: Storage) -> list[tuple[ForumRow, ForumRow]]:
    """(MetaScrum, Scaled Backlog) of every pair the network makes."""
    forums = await storage.forums.forums()
    metas = [f for f in forums if f.kind == "metascrum"]
    backlogs = {f.id: f for f in forums if f.kind == "backlog"}
    pairs: list[tuple[ForumRow, ForumRow]] = []
    taken: set[str] = set()
    chose_none = False
    for meta in metas:
        chosen = await storage.forums.link(meta.id, RELATION)
        chose_none = chose_none or chosen == NONE
        if chosen in backlogs and chosen not in taken:
            pairs.append((meta, backlogs[chosen]))
            taken.add(chosen)
    if not pairs and not chose_none and len(metas) == 1 and len(backlogs) == 1:
        pairs.append((metas[0], next(iter(backlogs.values()))))
    return pairs


async def _submit(rooms: Rooms, forum: ForumRow, op: ob.PairBacklog | ob.UnpairBacklog) -> bool:
    outcome = await rooms.submit(forum.id, op, actor="")
    if isinstance(outcome, Refused):
        log.warning("forum %s refused %s: %s", forum.id, type(op).__name__, outcome.reason)
    return isinstance(outcome, Accepted)


async def pair_backlogs(storage: Storage, rooms: Rooms) -> int:
    """Make every MetaScrum's and Scaled Backlog's board paired as ``backlog_pairs``
    says: ``unpair_backlog`` on a board paired with another forum (or with one when it
    should be with none), ``pair_backlog`` on one that does not know its pair yet;
    return how many ops were accepted."""
    want: dict[str, ForumRow] = {}
    for meta, backlog in await backlog_pairs(storage):
        want[meta.id], want[backlog.id] = backlog, meta
    made = 0
    for forum in await storage.forums.forums():
        if forum.kind not in PAIRED_KINDS:
            continue
        board = await rooms.board(forum.id)
        other = want.get(forum.id)
        if board is None or board.pair == (other.id if other is not None else ""):
            continue
        if board.pair:
            unpair = ob.UnpairBacklog(forum=board.pair, name=board.pair_name)
            made += await _submit(rooms, forum, unpair)
        if other is not None:
            made += await _submit(rooms, forum, ob.PairBacklog(forum=other.id, name=other.name))
    if made:
        log.info("paired or unpaired %d backlog board(s) (one Scaled Backlog)", made)
    return made

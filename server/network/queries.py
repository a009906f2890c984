"""Reads and writes for the network page: which teams a Scrum of Scrums serves, and
each forum's count of open impediments, live when its room is loaded.

Which teams a forum serves is ``ForumDirectory.served`` (many per forum, apart from
the one-target-per-relation links). Counts come from the live room's board when the
forum's room is loaded (``Rooms.live``), else from its stored board at the forum's
last seq (``Store.board_at``), cached by (forum, seq) so a refresh every few seconds
costs a lookup, not a replay.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from typing import Final

from board.model import Team
from board.network import (
    ForumFact,
    NetworkFacts,
    forum_fact,
    forum_order,
    holds_impediments,
    open_impediments,
)
from server.live.registry import Rooms
from server.network.escalation import escalation_target
from server.storage import Storage
from server.storage.records import ForumRow

SERVES_KIND: Final = "sos"  # only a Scrum of Scrums serves teams
_CACHE_SIZE: Final = 1024


def check_serves(forum: ForumRow, team_ids: Iterable[str], teams: list[Team]) -> str | None:
    """Why ``forum`` cannot serve ``team_ids`` (``None``: it can)."""
    if forum.kind != SERVES_KIND:
        return "Only a Scrum of Scrums serves teams."
    known = {t.id for t in teams}
    unknown = [t for t in team_ids if t not in known]
    if unknown:
        return f"There is no team {unknown[0]!r}."
    return None


class Counts:
    """Open impediments of stored boards, by (forum id, seq). ``store`` reads the log."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self._cache: OrderedDict[tuple[str, int], int | None] = OrderedDict()

    async def stored(self, row: ForumRow) -> int | None:
        if not holds_impediments(row.kind):
            return None
        key = (row.id, row.seq)
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        try:
            board = await self.storage.log.board_at(row.id, row.seq)
        except LookupError:
            return None  # not replayable: shown as no count
        count = open_impediments(board)
        self._cache[key] = count
        if len(self._cache) > _CACHE_SIZE:
            self._cache.popitem(last=False)
        return count


async def network_facts(
    storage: Storage, rooms: Rooms, counts: Counts, visible: frozenset[str] | None
) -> NetworkFacts:
    """The network as ``visible`` forums (``None``: all) and every team, counts live."""
    live = rooms.live()
    serving = await storage.forums.served()
    forums: list[ForumFact] = []
    for row in await storage.forums.forums():
        if visible is not None and row.id not in visible:
            continue
        target = await escalation_target(storage, row)
        up = target.id if target is not None and (visible is None or target.id in visible) else None
        room = live.get(row.id)
        if room is not None:
            forums.append(forum_fact(room.sync.board, serving.get(row.id, ()), up))
            continue
        forums.append(
            ForumFact(
                id=row.id,
                name=row.name,
                kind=row.kind,
                open_impediments=await counts.stored(row),
                serves=serving.get(row.id, ()),
                escalates_to=up,
            )
        )
    return NetworkFacts(
        forums=tuple(forum_order(forums)), teams=tuple(await storage.forums.teams())
    )

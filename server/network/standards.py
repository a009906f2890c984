"""Standards, network-wide (SPEC R66, R67): adopting one in an EAT, retiring it, and
every standard of every EAT for the Standards page and ``GET /api/standards``.

Standards are derived from the boards, not kept in a table of their own: each EAT's
board holds the standards it adopted (``Board.standards``), and each forum a standard
applies to holds it as announced there (mail, ``board.mail``). Adopting resolves
"applies to" (all forums, forums of some kinds, chosen forums) into forum ids here,
then writes ``adopt_standard`` through the EAT's room like any op.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Annotated, Literal

import msgspec

from board import ops as o
from board import ops_standards as so
from board.kinds import FORUM_KINDS
from board.model import MAX_TEXT, Board, Id, Standard
from board.sync import Accepted, Refused
from server.live.registry import Rooms
from server.storage import Storage
from server.storage.records import ForumRow
from server.web.errors import STATUS, ApiProblem

log = logging.getLogger(__name__)

Status = Literal["all", "in-force", "retired"]
Text = Annotated[str, msgspec.Meta(max_length=MAX_TEXT)]


class AdoptIn(msgspec.Struct, forbid_unknown_fields=True):
    """Adopt an improvement card as a standard: its text, which forums it applies to
    (``all``; ``kinds``: the forums of ``kinds``; ``forums``: the chosen ``forums``)
    and the date it takes effect (optional)."""

    text: Text
    applies: Literal["all", "kinds", "forums"] = "all"
    kinds: Annotated[list[Id], msgspec.Meta(max_length=8)] = []
    forums: Annotated[list[Id], msgspec.Meta(max_length=so.MAX_STANDARD_FORUMS)] = []
    effective: dt.date | None = None


class RetireIn(msgspec.Struct, forbid_unknown_fields=True):
    """Why a standard is retired (kept with it)."""

    reason: Text


def applies_to(data: AdoptIn, forums: list[ForumRow]) -> tuple[str, ...]:
    """The ids of the forums a standard applies to; ``ApiProblem`` 400 for a kind or a
    forum that does not exist."""
    if data.applies == "all":
        return tuple(f.id for f in forums)
    if data.applies == "kinds":
        unknown = [k for k in data.kinds if k not in FORUM_KINDS]
        if unknown or not data.kinds:
            why = f"There is no kind of forum {unknown[0]!r}." if unknown else "Choose a kind."
            raise ApiProblem(400, "invalid", why)
        return tuple(f.id for f in forums if f.kind in data.kinds)
    known = {f.id for f in forums}
    missing = [f for f in data.forums if f not in known]
    if missing or not data.forums:
        why = f"There is no forum {missing[0]!r}." if missing else "Choose the forums."
        raise ApiProblem(400, "invalid", why)
    return tuple(dict.fromkeys(data.forums))


async def _submit(rooms: Rooms, forum_id: str, op: o.Op, who: tuple[str, str]) -> Board:
    outcome = await rooms.submit(forum_id, op, actor=who[0], by=who[1])
    if outcome is None:
        raise ApiProblem(404, "not_found", f"There is no forum {forum_id!r}.")
    if isinstance(outcome, Refused):
        raise ApiProblem(STATUS.get(outcome.code, 400), outcome.code, outcome.reason)
    if not isinstance(outcome, Accepted):
        raise ApiProblem(409, "conflict", "Nothing changed.")
    return outcome.board


async def adopt(
    rooms: Rooms,
    storage: Storage,
    forum_id: str,
    card_id: str,
    data: AdoptIn,
    who: tuple[str, str],
) -> Standard:
    """Adopt card ``card_id`` of the EAT ``forum_id`` as a standard (R66): a decision of
    its running session, announced to every forum it applies to (R67)."""
    forum = await storage.forums.forum(forum_id)
    if forum is None:
        raise ApiProblem(404, "not_found", f"There is no forum {forum_id!r}.")
    targets = applies_to(data, await storage.forums.forums())
    op = so.AdoptStandard(
        card=card_id,
        text=data.text,
        applies=data.applies,
        kinds=tuple(data.kinds) if data.applies == "kinds" else (),
        forums=targets,
        effective=data.effective,
    )
    board = await _submit(rooms, forum_id, op, who)
    return board.standards[-1]


async def retire(
    rooms: Rooms, forum_id: str, standard_id: str, data: RetireIn, who: tuple[str, str]
) -> Standard:
    """Retire a standard the EAT ``forum_id`` adopted, with a reason (R66)."""
    op = so.RetireStandard(standard=standard_id, reason=data.reason)
    board = await _submit(rooms, forum_id, op, who)
    return next(s for s in board.standards if s.id == standard_id and s.eat == forum_id)


async def every_standard(storage: Storage, rooms: Rooms) -> list[Standard]:
    """Every standard every EAT adopted, newest first: from the live room's board, else
    the stored board at the forum's last seq."""
    found: list[Standard] = []
    live = rooms.live()
    for row in await storage.forums.forums():
        if row.kind != "eat":
            continue
        room = live.get(row.id)
        board: Board | None = room.sync.board if room is not None else None
        if board is None:
            try:
                board = await storage.log.board_at(row.id, row.seq)
            except LookupError as e:
                log.warning("cannot read forum %s for its standards: %s", row.id, e)
                continue
        found.extend(s for s in board.standards if s.eat == row.id)
    return sorted(found, key=lambda s: -s.adopted_at)


def select(
    standards: list[Standard],
    forums: dict[str, ForumRow],
    *,
    status: Status = "all",
    forum: str = "",
    kind: str = "",
    text: str = "",
) -> list[Standard]:
    """The standards that pass the filters: in force or retired; applying to ``forum``;
    applying to some forum of ``kind``; whose text holds ``text`` (any case)."""
    out = []
    needle = text.casefold().strip()
    for s in standards:
        if (status == "in-force" and s.retired_at) or (status == "retired" and not s.retired_at):
            continue
        if forum and forum not in s.forums and forum != s.eat:
            continue
        if kind and not any(forums[f].kind == kind for f in s.forums if f in forums):
            continue
        if needle and needle not in s.text.casefold():
            continue
        out.append(s)
    return out

"""What the forums' JSON API takes and gives (beyond the board's own types): the
request bodies, checked by msgspec, and the small answers."""

from __future__ import annotations

from typing import Annotated

import msgspec

from board import ops as o
from board.model import Body, Connects, Id, Name, Outcome, Text, Title
from board.ops import ExperimentText, ForumName, Index, TeamIds, TradeOffNote


class ForumOut(msgspec.Struct):
    id: str
    kind: str
    name: str
    seq: int
    live_cards: int
    in_session: bool
    created_at: float
    updated_at: float


class NewForum(msgspec.Struct, forbid_unknown_fields=True):
    name: ForumName
    kind: Annotated[str, msgspec.Meta(max_length=32)]


class NewCard(msgspec.Struct, forbid_unknown_fields=True):
    column: Id
    title: Title
    kind: Id | None = None
    body: Body = ""
    team: Name = ""
    to_team: Name = ""
    owner: Name = ""
    index: Index | None = None
    connects: Connects = ()  # a dependency card: the (≤ 2) cards it connects
    teams: TeamIds = ()  # owning teams (board/backlog.py)
    hypothesis: ExperimentText = ""  # an experiment's
    result: ExperimentText = ""
    outcome: Outcome = ""
    anonymous: bool = False  # a retrospective that allows it: no author anyone can see


class CardPatch(msgspec.Struct, forbid_unknown_fields=True):
    title: Title | msgspec.UnsetType = msgspec.UNSET
    kind: Id | msgspec.UnsetType = msgspec.UNSET
    body: Body | msgspec.UnsetType = msgspec.UNSET
    team: Name | msgspec.UnsetType = msgspec.UNSET
    to_team: Name | msgspec.UnsetType = msgspec.UNSET
    owner: Name | msgspec.UnsetType = msgspec.UNSET
    connects: Connects | msgspec.UnsetType = msgspec.UNSET
    teams: TeamIds | msgspec.UnsetType = msgspec.UNSET  # board/backlog.py
    hypothesis: ExperimentText | msgspec.UnsetType = msgspec.UNSET
    result: ExperimentText | msgspec.UnsetType = msgspec.UNSET
    outcome: Outcome | msgspec.UnsetType = msgspec.UNSET


class MoveTo(msgspec.Struct, forbid_unknown_fields=True):
    column: Id
    index: Index
    note: TradeOffNote = ""  # a re-order's trade-off note, recorded as a decision


class OpRequest(msgspec.Struct, forbid_unknown_fields=True):
    """Any live operation, with an optional client op id that makes resends safe."""

    op: o.ClientOp
    id: Id | None = None


class OpResult(msgspec.Struct):
    seq: int
    changed: bool
    duplicate: bool = False


class EscalatesTo(msgspec.Struct):
    forum: str | None
    name: str = ""


class SetEscalatesTo(msgspec.Struct, forbid_unknown_fields=True):
    forum: Id | None


class SendNote(msgspec.Struct, forbid_unknown_fields=True):
    """The optional body of escalating or sending a card: a note for the forum it goes
    to (at most 2,000 characters; shown on the card there, SPEC R50)."""

    note: Text = ""

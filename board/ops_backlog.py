"""The server-made ops that keep one Scaled Backlog (SPEC R57, R58; ``backlog_sync.py``).

``unpair_backlog`` undoes a pairing (SPEC R76). They belong to ``ops.Op``
(``ops.ServerOp`` names ``BacklogOp``) and are tagged by ``type`` like every op; a client
sending one gets ``bad_message``. ``mirror_item`` and
``backlog_order`` travel as mail between a MetaScrum and its Scaled Backlog
(``board/mail.py``).
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from .model import MAX_FORUM_NAME, MAX_TEAMS, Body, Id, Name, Title
from .op_base import OpStruct as _Op

ForumName = Annotated[str, msgspec.Meta(max_length=MAX_FORUM_NAME)]
TeamIds = Annotated[tuple[Name, ...], msgspec.Meta(max_length=MAX_TEAMS)]


class ItemRef(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A Scaled Backlog item wherever it is: the forum it was made in and its card there."""

    forum: Id
    card: Id


class PairBacklog(_Op, tag="pair_backlog", frozen=True):
    """This board's ordered column is one list with ``forum``'s (a MetaScrum and its
    Scaled Backlog, SPEC R57)."""

    forum: Id
    name: ForumName = ""


class UnpairBacklog(_Op, tag="unpair_backlog", frozen=True):
    """This board's ordered column is no longer one list with ``forum``'s (the admin chose
    another Scaled Backlog, or none, SPEC R76); ``name`` is that forum's, for the event."""

    forum: Id
    name: ForumName = ""


class MirrorItem(_Op, tag="mirror_item", frozen=True):
    """Mail between paired boards (SPEC R57): ``item`` is in the ordered list
    (``present``) right after ``after`` (``None``: at the top), as it is now; or it left
    the list."""

    from_forum: Id
    item: ItemRef
    present: bool
    title: Title
    after: ItemRef | None = None
    kind: Id = "backlog_item"
    body: Body = ""
    team: Name = ""
    teams: TeamIds = ()
    owner: Name = ""


class BacklogOrder(_Op, tag="backlog_order", frozen=True):
    """Mail from a Scaled Backlog to its MetaScrum: the list's order, top first, which
    the MetaScrum's ordered column takes (SPEC R58)."""

    from_forum: Id
    order: Annotated[tuple[ItemRef, ...], msgspec.Meta(max_length=5000)]


BacklogOp = PairBacklog | UnpairBacklog | MirrorItem | BacklogOrder

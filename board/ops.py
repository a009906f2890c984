"""Operations: what a person asks a board to do, as a tagged union.

An operation carries intent, not outcome: ``MoveCard`` says "put this card at index 2
of that column", and ``apply`` turns it into the rank that every client then uses.
Sizes are part of the schema, so a message that is too long fails at decoding, before
it reaches ``apply``. ``NotePresence`` is written by the server, never by a client.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Final

import msgspec
from msgspec import UNSET, UnsetType

from .model import MAX_COLUMN_TITLE, MAX_FORUM_NAME, Body, Id, Name, StepStatus, Text, Title

Index = Annotated[int, msgspec.Meta(ge=0, le=100_000)]
ForumName = Annotated[str, msgspec.Meta(max_length=MAX_FORUM_NAME)]
ColumnTitle = Annotated[str, msgspec.Meta(max_length=MAX_COLUMN_TITLE)]
CardRefs = Annotated[tuple[Id, ...], msgspec.Meta(max_length=20)]


class _Op(msgspec.Struct, frozen=True, kw_only=True, tag_field="type", forbid_unknown_fields=True):
    pass


class AddCard(_Op, tag="add_card", frozen=True):
    column: Id
    title: Title
    kind: Id | None = None  # None: the forum kind's default card kind
    body: Body = ""
    team: Name = ""
    to_team: Name = ""
    owner: Name = ""
    index: Index | None = None  # None: at the bottom


class EditCard(_Op, tag="edit_card", frozen=True):
    card: Id
    title: Title | UnsetType = UNSET
    kind: Id | UnsetType = UNSET
    body: Body | UnsetType = UNSET
    team: Name | UnsetType = UNSET
    to_team: Name | UnsetType = UNSET
    owner: Name | UnsetType = UNSET


class MoveCard(_Op, tag="move_card", frozen=True):
    card: Id
    column: Id
    index: Index  # position among the column's other cards; past the end means last


class ArchiveCard(_Op, tag="archive_card", frozen=True):
    card: Id


class RestoreCard(_Op, tag="restore_card", frozen=True):
    card: Id


class AddColumn(_Op, tag="add_column", frozen=True):
    title: ColumnTitle
    index: Index | None = None


class RenameColumn(_Op, tag="rename_column", frozen=True):
    column: Id
    title: ColumnTitle


class MoveColumn(_Op, tag="move_column", frozen=True):
    column: Id
    index: Index


class RemoveColumn(_Op, tag="remove_column", frozen=True):
    column: Id


class RenameForum(_Op, tag="rename_forum", frozen=True):
    name: ForumName


class StartSession(_Op, tag="start_session", frozen=True):
    pass


class EndSession(_Op, tag="end_session", frozen=True):
    pass


class RecordDecision(_Op, tag="record_decision", frozen=True):
    text: Text
    cards: CardRefs = ()


class AddNextStep(_Op, tag="add_next_step", frozen=True):
    text: Text
    owner: Name = ""
    due: dt.date | None = None
    cards: CardRefs = ()


class UpdateNextStep(_Op, tag="update_next_step", frozen=True):
    step: Id
    text: Text | UnsetType = UNSET
    owner: Name | UnsetType = UNSET
    due: dt.date | UnsetType | None = UNSET
    status: StepStatus | UnsetType = UNSET


class ReturnEscalation(_Op, tag="return_escalation", frozen=True):
    """Send a card escalated here back to the forum it came from, with a note."""

    card: Id
    note: Text


class EscalateCard(_Op, tag="escalate_card", frozen=True):
    """Server-made, on the source board: the card goes to ``to_forum`` (chosen by the
    forum's escalation relation, never by the client)."""

    card: Id
    to_forum: Id
    to_name: ForumName
    to_kind: Id
    route: Id = "escalate"  # a ``board.kinds.Route`` id out of this forum's kind


class ReceiveEscalation(_Op, tag="receive_escalation", frozen=True):
    """Server-made, on the target board: a linked copy of an escalated card."""

    from_forum: Id
    from_name: ForumName
    from_kind: Id
    from_card: Id
    column: Id
    kind: Id
    title: Title
    body: Body = ""
    team: Name = ""
    to_team: Name = ""
    route: Id = "escalate"


class EscalationStatus(_Op, tag="escalation_status", frozen=True):
    """Server-made, on the source board: what the target forum did with an escalated
    card (its column there, or ``failed``); or, with ``target_card``, only the link to
    the target card once it exists (the status is left as it is)."""

    card: Id
    status: Id
    label: ColumnTitle
    note: Text = ""
    target_card: Id | None = None


MIN_TIMER: Final = 1
MAX_TIMER: Final = 4 * 60 * 60
TimerSeconds = Annotated[int, msgspec.Meta(ge=-1_000_000, le=1_000_000)]  # apply checks the range


class SetTimer(_Op, tag="set_timer", frozen=True):
    """Set the shared countdown to ``duration`` seconds (1 s to 4 h), stopped."""

    duration: TimerSeconds


class StartTimer(_Op, tag="start_timer", frozen=True):
    """Start the countdown, or resume it where it was paused (from the full duration
    again when it has run out)."""


class PauseTimer(_Op, tag="pause_timer", frozen=True):
    pass


class ResetTimer(_Op, tag="reset_timer", frozen=True):
    """Stop the countdown and put it back to its full duration."""


class NotePresence(_Op, tag="note_presence", frozen=True):
    """Server-made: these people were in the forum during the running session."""

    names: tuple[Name, ...]


ClientOp = (
    AddCard
    | EditCard
    | MoveCard
    | ArchiveCard
    | RestoreCard
    | AddColumn
    | RenameColumn
    | MoveColumn
    | RemoveColumn
    | RenameForum
    | StartSession
    | EndSession
    | RecordDecision
    | AddNextStep
    | UpdateNextStep
    | ReturnEscalation
    | SetTimer
    | StartTimer
    | PauseTimer
    | ResetTimer
)
"""Every operation a client may send."""

ServerOp = NotePresence | EscalateCard | ReceiveEscalation | EscalationStatus
"""Operations only the server writes (a client sending one gets ``bad_message``)."""

Op = ClientOp | ServerOp
"""Every operation the log may hold."""

CLIENT_OP_TYPES: tuple[type[_Op], ...] = (
    AddCard,
    EditCard,
    MoveCard,
    ArchiveCard,
    RestoreCard,
    AddColumn,
    RenameColumn,
    MoveColumn,
    RemoveColumn,
    RenameForum,
    StartSession,
    EndSession,
    RecordDecision,
    AddNextStep,
    UpdateNextStep,
    ReturnEscalation,
    SetTimer,
    StartTimer,
    PauseTimer,
    ResetTimer,
)

"""Operations: what a person asks a board to do, as a tagged union.

An operation carries intent, not outcome: ``MoveCard`` says "put this card at index 2
of that column", and ``apply`` turns it into the rank that every client then uses.
Sizes are part of the schema, so a message that is too long fails at decoding, before
it reaches ``apply``. ``NotePresence`` is written by the server, never by a client.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Final, get_args

import msgspec
from msgspec import UNSET, UnsetType

from .model import (
    MAX_COLUMN_TITLE,
    MAX_EXPERIMENT_TEXT,
    MAX_FORUM_NAME,
    MAX_ID,
    MAX_NOTE,
    MAX_TEAMS,
    MAX_URL,
    Body,
    Connects,
    Id,
    Name,
    Outcome,
    RetroPhase,
    StepStatus,
    Text,
    Title,
)
from .op_base import OpStruct as _Op
from .ops_backlog import BacklogOp  # one Scaled Backlog's server-made ops (SPEC R57, R58)
from .ops_standards import AnswerFeedback, StandardOp
from .sds_ops import SdsOp

Index = Annotated[int, msgspec.Meta(ge=0, le=100_000)]
TeamIds = Annotated[tuple[Name, ...], msgspec.Meta(max_length=MAX_TEAMS)]
ExperimentText = Annotated[str, msgspec.Meta(max_length=MAX_EXPERIMENT_TEXT)]
TradeOffNote = Annotated[str, msgspec.Meta(max_length=MAX_NOTE)]
ForumName = Annotated[str, msgspec.Meta(max_length=MAX_FORUM_NAME)]
ColumnTitle = Annotated[str, msgspec.Meta(max_length=MAX_COLUMN_TITLE)]
ColumnOrNone = Annotated[str, msgspec.Meta(max_length=MAX_ID)]  # a column id, or "" for none
CardRefs = Annotated[tuple[Id, ...], msgspec.Meta(max_length=20)]
Url = Annotated[str, msgspec.Meta(max_length=MAX_URL)]


class SourceIn(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """An imported card's source as an op carries it (checked by ``board/sources.py``)."""

    system: Id
    key: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_ID)]
    url: Url = ""


class AddCard(_Op, tag="add_card", frozen=True):
    column: Id
    title: Title
    kind: Id | None = None  # None: the forum kind's default card kind
    body: Body = ""
    team: Name = ""
    to_team: Name = ""
    owner: Name = ""
    index: Index | None = None  # None: at the bottom
    connects: Connects = ()  # a dependency card: the cards it connects
    anonymous: bool = False  # retrospective, when the facilitator allows it (board/retro.py)
    teams: TeamIds = ()  # owning teams (board/backlog.py)
    hypothesis: ExperimentText = ""  # an experiment's (board/backlog.py)
    result: ExperimentText = ""
    outcome: Outcome = ""
    source: SourceIn | None = None  # imported from a tracker (board/sources.py, R65)


class EditCard(_Op, tag="edit_card", frozen=True):
    card: Id
    title: Title | UnsetType = UNSET
    kind: Id | UnsetType = UNSET
    body: Body | UnsetType = UNSET
    team: Name | UnsetType = UNSET
    to_team: Name | UnsetType = UNSET
    owner: Name | UnsetType = UNSET
    connects: Connects | UnsetType = UNSET
    teams: TeamIds | UnsetType = UNSET  # board/backlog.py
    hypothesis: ExperimentText | UnsetType = UNSET
    result: ExperimentText | UnsetType = UNSET
    outcome: Outcome | UnsetType = UNSET


class MoveCard(_Op, tag="move_card", frozen=True):
    card: Id
    column: Id
    index: Index  # position among the column's other cards; past the end means last
    note: TradeOffNote = ""  # a re-order's trade-off note, recorded as a decision (backlog.py)


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
    forum's escalation relation, never by the client), with an optional ``note`` for
    it; the card moves to ``wait_in`` (the route's waiting column) when the board has
    it (SPEC R50)."""

    card: Id
    to_forum: Id
    to_name: ForumName
    to_kind: Id
    route: Id = "escalate"  # a ``board.kinds.Route`` id out of this forum's kind
    note: Text = ""
    wait_in: ColumnOrNone = ""


class ReceiveEscalation(_Op, tag="receive_escalation", frozen=True):
    """Server-made, on the target board: a linked copy of an escalated card, with the
    note it was sent with (or, for a card this board returned, that card reopened: R51)."""

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
    note: Text = ""


class EscalationStatus(_Op, tag="escalation_status", frozen=True):
    """Server-made, on the source board: what the target forum did with an escalated
    card (its column there, or ``failed``); or, with ``target_card``, only the link to
    the target card once it exists (the status is left as it is). ``follow``: the
    status is the target's outcome (returned, removed, reopened, refused), and the card
    moves with it (SPEC R50)."""

    card: Id
    status: Id
    label: ColumnTitle
    note: Text = ""
    target_card: Id | None = None
    follow: bool = False
    decision: Text = ""  # only a decision the target recorded about it (SPEC R59)


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


class SetFocus(_Op, tag="set_focus", frozen=True):
    """Bring everyone (and the projector) to a card or column of this board; ``None``
    releases them (``board/focus.py``)."""

    target: Id | None = None


class GroupCard(_Op, tag="group_card", frozen=True):
    """Group phase: put ``card`` into ``with_card``'s cluster (a new cluster of the two
    when ``with_card`` is in none) (``board/voting.py``). ``gather``: also move ``card``
    in right after the cluster's last card, so the cluster is drawn as one box (SPEC R49;
    the page sends it, an op logged before it existed replays unmoved)."""

    card: Id
    with_card: Id
    gather: bool = False


class UngroupCard(_Op, tag="ungroup_card", frozen=True):
    """Group phase: take ``card`` out of its cluster. ``gather``: also move it to just
    after the cluster's remaining cards, out of the cluster's box (SPEC R49)."""

    card: Id
    gather: bool = False


class NameGroup(_Op, tag="name_group", frozen=True):
    """Group phase: name a cluster (one line, at most 60 characters)."""

    group: Id
    title: ColumnTitle


class CastVote(_Op, tag="cast_vote", frozen=True):
    """Vote phase: one of the sender's dots on a live card or a cluster."""

    target: Id


class RetractVote(_Op, tag="retract_vote", frozen=True):
    """Vote phase: take one of the sender's dots back."""

    target: Id


MIN_DOTS: Final = 1
MAX_DOTS: Final = 20
DotCount = Annotated[int, msgspec.Meta(ge=-1000, le=1000)]  # apply checks the range


class SetPhase(_Op, tag="set_phase", frozen=True):
    """Move the running retrospective to ``phase``: forward one phase at a time, back to
    any earlier one (``board/retro.py``)."""

    phase: RetroPhase


class ConfigureRetro(_Op, tag="configure_retro", frozen=True):
    """Set the dots each person has (1 to 20) and whether cards may be anonymous."""

    dots: DotCount | UnsetType = UNSET
    anonymous: bool | UnsetType = UNSET


class SetRoomJoin(_Op, tag="set_room_join", frozen=True):
    """Let people in the room join from the projector's room link, or stop it
    (facilitator; ``board/room.py``, SPEC R45-R47)."""

    on: bool


WipLimit = Annotated[int, msgspec.Meta(ge=-1_000_000, le=1_000_000)]  # apply checks 1..999


class SetWipLimit(_Op, tag="set_wip_limit", frozen=True):
    """Set a column's WIP limit (1 to 999), or clear it with ``None`` (``board/wip.py``)."""

    column: Id
    limit: WipLimit | None = None


class SetMyTeams(_Op, tag="set_my_teams", frozen=True):
    """The sender's teams in this forum, by id (zero to ``MAX_TEAMS``): whom they speak
    for (``board/people.py``, SPEC R52)."""

    teams: TeamIds = ()


class NotePresence(_Op, tag="note_presence", frozen=True):
    """Server-made: these people were in the forum during the running session;
    ``people``: their person keys, in the same order (SPEC R43; none: the names are)."""

    names: tuple[Name, ...]
    people: tuple[Annotated[str, msgspec.Meta(max_length=64)], ...] = ()


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
    | AnswerFeedback
    | SetTimer
    | StartTimer
    | PauseTimer
    | ResetTimer
    | GroupCard
    | UngroupCard
    | NameGroup
    | CastVote
    | RetractVote
    | SetFocus
    | SetPhase
    | ConfigureRetro
    | SetWipLimit
    | SetRoomJoin
    | SetMyTeams
    | SdsOp
)
"""Every operation a client may send."""

ServerOp = (
    NotePresence | EscalateCard | ReceiveEscalation | EscalationStatus | BacklogOp | StandardOp
)
"""Operations only the server writes (a client sending one gets ``bad_message``)."""

Op = ClientOp | ServerOp
"""Every operation the log may hold."""

CLIENT_OP_TYPES: tuple[type[_Op], ...] = get_args(ClientOp)
"""Every operation a client may send, as classes (in ``ClientOp``'s order)."""

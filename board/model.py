"""The board of one forum, as plain immutable data.

A ``Board`` is the whole live state of a forum: its columns (each holding the ordered
ids of its live cards), its cards, the running session with its decisions, and the
next steps still open. Every value is a frozen ``msgspec.Struct``; ``apply`` never
mutates one, it builds the next board and shares what did not change. That is what
lets a page render one board while the room moves on to the next.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Final, Literal

import msgspec

from . import ranks
from .kinds import forum_kind
from .sds_model import ScaledDaily

# Sizes that bound every text a person types; the wire schema enforces them too.
MAX_TITLE: Final = 200
MAX_BODY: Final = 4000
MAX_NAME: Final = 60
MAX_TEXT: Final = 2000
MAX_ID: Final = 64
MAX_FORUM_NAME: Final = 80
MAX_COLUMN_TITLE: Final = 60

Title = Annotated[str, msgspec.Meta(max_length=MAX_TITLE)]
Body = Annotated[str, msgspec.Meta(max_length=MAX_BODY)]
Name = Annotated[str, msgspec.Meta(max_length=MAX_NAME)]
Text = Annotated[str, msgspec.Meta(max_length=MAX_TEXT)]
Id = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_ID)]
MAX_CONNECTS: Final = 2
# The cards a dependency card connects (``board/dependencies.py``).
Connects = Annotated[tuple[Id, ...], msgspec.Meta(max_length=MAX_CONNECTS)]

StepStatus = Literal["open", "done", "dropped"]
Outcome = Literal["", "proven", "disproven", "inconclusive"]  # an experiment's (backlog.py)
MAX_TEAMS: Final = 8  # owning teams of a card
MAX_EXPERIMENT_TEXT: Final = 1000  # an experiment's hypothesis, and its result
MAX_NOTE: Final = 200  # a re-order's one-line trade-off note


class Team(msgspec.Struct, frozen=True):
    """A Scrum team of the network."""

    id: str
    name: str
    colour: str  # a CSS hex colour, e.g. "#1f77b4"


class CardLink(msgspec.Struct, frozen=True):
    """A card in another forum: where a card came from (``Card.origin``) or where it went
    (``Card.sent_to``). On the card that went, ``status`` is the other card's column
    there (``escalated``, ``accepted``, ``removed``, ``returned`` …, or ``failed`` when
    the other forum refused it), ``label`` says it in words and ``note`` is what the
    other forum said when it returned the card. ``asked`` is the note the card was
    escalated with (on both cards); on the card that went, ``waits_in`` is the column it
    waits in meanwhile and ``left`` the column it left for it (SPEC R50). On the card
    that came, ``status`` is ``returned`` once this forum sent it back (SPEC R51)."""

    forum: str
    forum_name: str = ""
    kind: str = ""  # the other forum's kind
    route: str = "escalate"  # the ``board.kinds.Route`` it took
    card: str = ""  # "" until the other card exists
    status: str = ""
    label: str = ""
    note: str = ""
    asked: str = ""
    waits_in: str = ""
    left: str = ""
    decision: str = ""  # the last decision the other forum recorded about it (SPEC R59)


MAX_URL: Final = 2048
SOURCE_SYSTEMS: Final = ("jira", "ado", "github")  # where an imported card comes from
SOURCE_LABELS: Final = {"jira": "Jira", "ado": "Azure DevOps", "github": "GitHub"}


class CardSource(msgspec.Struct, frozen=True):
    """Where a card was imported from (SPEC R65): the tracker (``SOURCE_SYSTEMS``), the
    item's key there (``PROJ-12``, ``#42``) and its address (http or https only), shown
    on the card face as a link back to it."""

    system: str
    key: str
    url: str = ""


class Card(msgspec.Struct, frozen=True):
    """One card. ``column`` and ``rank`` place it; archived cards keep both."""

    id: str
    kind: str
    title: str
    column: str
    rank: str
    created_at: float
    created_by: str
    updated_at: float
    updated_by: str
    body: str = ""
    team: str = ""
    to_team: str = ""  # the other team of a dependency (team -> to_team)
    owner: str = ""
    archived: bool = False
    origin: CardLink | None = None  # escalated here from another forum's card
    sent_to: CardLink | None = None  # escalated from here to another forum's card
    # Scaled Retrospective (``board/retro.py``): written in the write phase and not yet
    # revealed (only its author sees it); written without a name (nobody outside the
    # server's log sees who); the cluster it was grouped into (``Retro.groups``).
    hidden: bool = False
    anonymous: bool = False
    group: str = ""
    # The person key (SPEC R40) of a hidden card's author, who alone sees it face up;
    # blank once it is revealed (nobody needs it then) and on every other card.
    author: str = ""
    # Owning teams of a backlog item, and an experiment's hypothesis, result and outcome
    # (``board/backlog.py``).
    teams: tuple[str, ...] = ()
    hypothesis: str = ""
    result: str = ""
    outcome: Outcome = ""
    # A dependency card: the (at most two) cards of this board it connects.
    connects: tuple[str, ...] = ()
    # Imported from a tracker (SPEC R65, ``board/sources.py``): its key and link there.
    source: CardSource | None = None
    # One Scaled Backlog (SPEC R57, ``board/backlog_sync.py``): the same item's card on
    # the paired board where it was made (``forum``, ``card``), when it was made there.
    twin: CardLink | None = None


class Standard(msgspec.Struct, frozen=True):
    """A standard an EAT adopted from an improvement card (SPEC R66): on the EAT's board
    as adopted, on each forum it applies to as announced there (R67). ``forums`` are the
    forums it applies to (resolved when adopted from ``applies``: ``all``, ``kinds`` or
    ``forums``); a retired one keeps its place with when, by whom and why."""

    id: str
    text: str
    eat: str  # the forum id of the EAT that adopted it
    eat_name: str
    card: str  # the EAT's card it was adopted from
    card_title: str
    adopted_at: float
    adopted_by: str
    session_id: str
    session_number: int
    applies: str = "all"
    kinds: tuple[str, ...] = ()
    forums: tuple[str, ...] = ()
    effective: dt.date | None = None
    retired_at: float = 0.0
    retired_by: str = ""
    retired_reason: str = ""


class Column(msgspec.Struct, frozen=True):
    """A column and the ids of its live cards, top to bottom (ranks increasing)."""

    id: str
    title: str
    card_ids: tuple[str, ...] = ()
    wip_limit: int | None = None


class Decision(msgspec.Struct, frozen=True):
    id: str
    session_id: str
    text: str
    at: float
    by: str
    card_ids: tuple[str, ...] = ()


class NextStep(msgspec.Struct, frozen=True):
    id: str
    session_id: str
    text: str
    created_at: float
    created_by: str
    updated_at: float
    updated_by: str
    owner: str = ""
    due: dt.date | None = None
    status: StepStatus = "open"
    card_ids: tuple[str, ...] = ()


class Session(msgspec.Struct, frozen=True):
    """The meeting running now: who is in it and what it decided so far."""

    id: str
    number: int
    started_at: float
    started_by: str
    start_seq: int
    participants: tuple[str, ...] = ()
    decisions: tuple[Decision, ...] = ()
    # Person key -> the name they are counted under (SPEC R43): one person is one
    # participant whatever their renames. Kept on the server (``board.visibility``).
    people: dict[str, str] = {}
    # The name each counted person is counted under -> the teams (ids) they were in
    # (SPEC R53): only people who picked teams (``board/people.py``). Public.
    teams: dict[str, tuple[str, ...]] = {}


class Timer(msgspec.Struct, frozen=True):
    """The forum's shared countdown, set and run by the facilitator.

    ``remaining`` is the seconds left at ``started_at`` when it runs (``started_at`` is
    the server time it was last started or resumed), or the seconds left now when it is
    paused or reset (``started_at`` is ``None``). Times come from the operation context,
    so a replay gives the same timer; whoever shows it computes what is left now.
    """

    duration: int
    remaining: float
    started_at: float | None = None

    @property
    def running(self) -> bool:
        return self.started_at is not None

    def left(self, now: float) -> float:
        """Seconds left at server time ``now`` (never below zero)."""
        if self.started_at is None:
            return max(0.0, self.remaining)
        return max(0.0, self.remaining - max(0.0, now - self.started_at))


RetroPhase = Literal["write", "reveal", "group", "vote", "discuss", "decide"]
RETRO_PHASES: Final[tuple[RetroPhase, ...]] = (
    "write",
    "reveal",
    "group",
    "vote",
    "discuss",
    "decide",
)
"""A Scaled Retrospective session's phases, in order (``board/retro.py``)."""


class CardGroup(msgspec.Struct, frozen=True):
    """A named cluster of cards, made in the group phase."""

    id: str
    title: str = ""


class Retro(msgspec.Struct, frozen=True):
    """The phases of the running Scaled Retrospective session, run by the facilitator.

    ``dots`` is how many votes each person has; ``votes`` (voter -> card or group id ->
    dots) stay private to each voter until the vote closes, when ``tally`` (card or
    group id -> dots) is filled in. ``anonymous`` says whether cards may be written
    without a name. ``None`` on the board until the facilitator starts the phases of a
    session; gone when the session ends (its phases are in the op log)."""

    phase: RetroPhase = "write"
    dots: int = 3
    anonymous: bool = False
    votes: dict[str, dict[str, int]] = msgspec.field(default_factory=dict)
    tally: dict[str, int] | None = None
    groups: dict[str, CardGroup] = msgspec.field(default_factory=dict)


class TallyLine(msgspec.Struct, frozen=True):
    """One voted topic of an ended retrospective, in discussion order (SPEC R73): a card
    or a cluster (``cards``: its cards' titles), and its dots — never who cast them."""

    id: str
    title: str
    dots: int
    cards: tuple[str, ...] = ()
    cluster: bool = False


class Board(msgspec.Struct, frozen=True):
    """The live state of one forum after operation ``seq``."""

    forum_id: str
    kind: str
    name: str
    columns: tuple[Column, ...]
    cards: dict[str, Card] = msgspec.field(default_factory=dict)
    seq: int = 0
    session: Session | None = None
    sessions_held: int = 0
    last_session_id: str | None = None
    # Open next steps of earlier sessions, plus every step of the running session.
    next_steps: dict[str, NextStep] = msgspec.field(default_factory=dict)
    timer: Timer | None = None  # None until the facilitator sets a duration
    retro: Retro | None = None  # the running session's retrospective phases
    focus: str | None = None  # the card or column the facilitator brought everyone to
    room_join: bool = False  # whether the room link admits people (board/room.py, R46)
    # Person key -> the teams (ids) they picked for this forum (board/people.py, R52);
    # kept on the server: a viewer sees only their own (board/visibility.py).
    members: dict[str, tuple[str, ...]] = msgspec.field(default_factory=dict)
    sds: ScaledDaily | None = None  # the Scaled Daily Scrum's round (board/sds.py, R54)
    # A MetaScrum's Scaled Backlog, or a Scaled Backlog's MetaScrum: the forum whose
    # ordered column is this board's ordered column (SPEC R57, ``board/backlog_sync.py``).
    pair: str = ""
    pair_name: str = ""
    # The forums this board stopped sharing its list with (``unpair_backlog``, R76): their
    # mail is refused, so the old lists stop mirroring; pairing with one again takes it off.
    unpaired: tuple[str, ...] = ()
    # Standards adopted here (an EAT) or announced here by an EAT (SPEC R66, R67).
    standards: tuple[Standard, ...] = ()

    def column(self, column_id: str) -> Column | None:
        for col in self.columns:
            if col.id == column_id:
                return col
        return None

    def column_title(self, column_id: str) -> str:
        """The title of column ``column_id`` (its id when the board has no such column)."""
        column = self.column(column_id)
        return column.title if column is not None else column_id

    def live_cards(self, column: Column) -> list[Card]:
        """The cards of a column, in order."""
        cards = self.cards
        return [cards[cid] for cid in column.card_ids]

    def archived_cards(self) -> list[Card]:
        """Archived cards, most recently changed first."""
        return sorted((c for c in self.cards.values() if c.archived), key=lambda c: -c.updated_at)

    def open_steps(self) -> list[NextStep]:
        return [s for s in self.next_steps.values() if s.status == "open"]


def new_board(forum_id: str, kind: str, name: str) -> Board:
    """An empty board laid out from its forum kind's template."""
    template = forum_kind(kind)
    return Board(
        forum_id=forum_id,
        kind=kind,
        name=name,
        columns=tuple(Column(id=c.id, title=c.title) for c in template.columns),
    )


def check(board: Board) -> list[str]:
    """The ways ``board`` breaks the board invariants (empty when it is consistent).

    - every live card is in exactly one column, the one its ``column`` names;
    - archived cards are in no column, and name a column that exists;
    - ranks are valid and strictly increasing down each column;
    - column ids are unique.
    """
    problems: list[str] = []
    col_ids = [c.id for c in board.columns]
    if len(set(col_ids)) != len(col_ids):
        problems.append("duplicate column ids")
    placed: dict[str, str] = {}
    for col in board.columns:
        previous: str | None = None
        for cid in col.card_ids:
            card = board.cards.get(cid)
            if card is None:
                problems.append(f"column {col.id} lists missing card {cid}")
                continue
            if cid in placed:
                problems.append(f"card {cid} in columns {placed[cid]} and {col.id}")
            placed[cid] = col.id
            if card.archived:
                problems.append(f"archived card {cid} is in column {col.id}")
            if card.column != col.id:
                problems.append(f"card {cid} says column {card.column}, is in {col.id}")
            if not ranks.is_valid(card.rank):
                problems.append(f"card {cid} has invalid rank {card.rank!r}")
            if previous is not None and not previous < card.rank:
                problems.append(f"ranks not increasing in {col.id} at {cid}")
            previous = card.rank
    for cid, card in board.cards.items():
        if card.id != cid:
            problems.append(f"card key {cid} holds card {card.id}")
        if not card.archived and cid not in placed:
            problems.append(f"live card {cid} is in no column")
        if card.column not in col_ids:
            problems.append(f"card {cid} names missing column {card.column}")
    return problems

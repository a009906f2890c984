"""Forum kinds and card kinds: the starting templates of every board.

Each Scrum@Scale forum starts from the columns and card kinds its meeting needs
(see ``shared/scrum-at-scale.md``); columns can be edited afterwards.
"""

from __future__ import annotations

from typing import Final

import msgspec


class CardKind(msgspec.Struct, frozen=True):
    """A kind of card: how it is named and marked on the board."""

    id: str
    label: str
    mark: str  # one or two letters shown on the card, for colour-blind readers too


class ColumnTemplate(msgspec.Struct, frozen=True):
    """A column a forum kind starts with. ``votable``: whether the retrospective's dots
    may go on its cards (SPEC R48; "Went well" is to keep doing, not to vote on)."""

    id: str
    title: str
    hint: str = ""
    votable: bool = True


class ForumKind(msgspec.Struct, frozen=True):
    """What a forum of this kind is for, and the board it starts with."""

    id: str
    label: str
    short: str
    purpose: str
    columns: tuple[ColumnTemplate, ...]
    card_kinds: tuple[str, ...]
    default_card_kind: str
    strict_order: bool = False  # the backlog: a move is a re-ordering, shown as ranks 1..n


CARD_KINDS: Final[dict[str, CardKind]] = {
    k.id: k
    for k in (
        CardKind("impediment", "Impediment", "I"),
        CardKind("dependency", "Dependency", "D"),
        CardKind("risk", "Integration risk", "R"),
        CardKind("backlog_item", "Backlog item", "B"),
        CardKind("observation", "Observation", "O"),
        CardKind("experiment", "Experiment", "E"),
        CardKind("note", "Note", "N"),
        CardKind("feedback", "Feedback", "F"),
    )
}

FORUM_KINDS: Final[dict[str, ForumKind]] = {
    k.id: k
    for k in (
        ForumKind(
            id="sos",
            label="Scrum of Scrums",
            short="SoS",
            purpose="Team representatives surface impediments, cross-team dependencies and "
            "integration risks, and agree concrete next steps.",
            columns=(
                ColumnTemplate("new", "New", "Raised since the last Scaled Daily Scrum"),
                ColumnTemplate("removing", "Being removed", "Someone in the SoS owns it"),
                ColumnTemplate("needs-eat", "Needs EAT", "The SoS cannot remove it"),
                ColumnTemplate("removed", "Removed"),
            ),
            card_kinds=("impediment", "dependency", "risk", "note"),
            default_card_kind="impediment",
        ),
        ForumKind(
            id="eat",
            label="Executive Action Team",
            short="EAT",
            purpose="Leaders remove the organisational impediments the Scrum of Scrums "
            "cannot remove, and standardise proven improvements.",
            columns=(
                ColumnTemplate("escalated", "Escalated"),
                ColumnTemplate("accepted", "Accepted"),
                ColumnTemplate("in-progress", "In progress"),
                ColumnTemplate("removed", "Removed"),
                ColumnTemplate("returned", "Returned", "Sent back to the SoS with a note"),
            ),
            card_kinds=("impediment", "experiment", "note", "feedback"),
            default_card_kind="impediment",
        ),
        ForumKind(
            id="metascrum",
            label="MetaScrum",
            short="MetaScrum",
            purpose="The Chief Product Owner, Product Owners and stakeholders order the "
            "backlog and make trade-offs explicit.",
            columns=(
                ColumnTemplate("proposed", "Proposed"),
                ColumnTemplate("ordered", "Ordered", "Strict order: no two items share a rank"),
                ColumnTemplate("committed", "Committed"),
                ColumnTemplate("parked", "Parked"),
            ),
            card_kinds=("backlog_item", "dependency", "risk", "note", "feedback"),
            default_card_kind="backlog_item",
        ),
        ForumKind(
            id="ems",
            label="Executive MetaScrum",
            short="EMS",
            purpose="Executives make strategic trade-offs across products: priorities, "
            "budgets and team alignment change here and nowhere else.",
            columns=(
                ColumnTemplate("raised", "Raised"),
                ColumnTemplate("decided", "Decided"),
                ColumnTemplate("deferred", "Deferred"),
            ),
            card_kinds=("backlog_item", "risk", "impediment", "note"),
            default_card_kind="backlog_item",
        ),
        ForumKind(
            id="retro",
            label="Scaled Retrospective",
            short="Retro",
            purpose="Representatives of all teams inspect the network itself and agree "
            "experiments to improve it.",
            columns=(
                ColumnTemplate("went-well", "Went well", votable=False),
                ColumnTemplate("to-improve", "To improve"),
                ColumnTemplate("ideas", "Ideas"),
                ColumnTemplate("experiments", "Experiments"),
            ),
            card_kinds=("observation", "experiment", "note"),
            default_card_kind="observation",
        ),
        ForumKind(
            id="backlog",
            label="Scaled Backlog",
            short="Backlog",
            purpose="One ordered list of the work across teams, so ordering, sequencing "
            "and trade-offs are visible to everyone.",
            columns=(ColumnTemplate("ordered", "Ordered backlog"),),
            card_kinds=("backlog_item",),
            default_card_kind="backlog_item",
            strict_order=True,
        ),
    )
}


class Route(msgspec.Struct, frozen=True):
    """A way a card goes from a forum of one kind to a forum of another, linked both ways.

    Scrum Master Cycle: a Scrum of Scrums escalates impediments to an Executive Action
    Team. Product Owner Cycle: a MetaScrum escalates backlog items and risks (trade-offs)
    to an Executive MetaScrum. Where the cycles meet: an impediment that needs product
    work becomes a backlog item in a MetaScrum; a Scaled Retrospective sends a proven
    experiment to the EAT as an improvement to standardise.
    """

    id: str  # unique per source kind: "escalate", "product", "improvement"
    from_kind: str
    to_kind: str
    card_kinds: tuple[str, ...]  # the kinds of card that may go
    column: str  # the target board's column a card lands in
    action: str  # the card's button: "Escalate to EAT"
    relation: str  # the forum relation naming the target forum (``forum_links``)
    card_kind: str = ""  # the kind the target card gets ("": the card's own)
    waits_in: str = ""  # the source's column the card waits in meanwhile ("": stays put)
    up_kind: str = ""  # the source's parent may take it instead: an SoS's parent SoS (SPEC R72)
    up_column: str = ""  # the column it lands in there

    def goes_to(self, kind: str) -> bool:
        """Whether a card may go this way to a ``kind`` forum (its target, or a parent)."""
        return kind == self.to_kind or (bool(self.up_kind) and kind == self.up_kind)

    def lands_in(self, kind: str) -> str:
        """The column a card going this way lands in on a ``kind`` forum."""
        return self.up_column if kind != self.to_kind and kind == self.up_kind else self.column


ROUTES: Final[tuple[Route, ...]] = (
    Route(
        "escalate", "sos", "eat", ("impediment",), "escalated", "Escalate to EAT", "escalates_to",
        waits_in="needs-eat", up_kind="sos", up_column="new",
    ),
    Route(
        "escalate", "metascrum", "ems", ("backlog_item", "risk"), "raised", "Escalate to EMS",
        "escalates_to",
    ),
    Route(
        "product", "sos", "metascrum", ("impediment",), "proposed", "Needs product work",
        "product_to", card_kind="backlog_item",
    ),
    Route(
        "improvement", "retro", "eat", ("experiment",), "escalated",
        "Send to EAT as an improvement", "improves_to",
    ),
    # Feedback loops (SPEC R68): product and release feedback to the MetaScrum, process
    # feedback to the EAT, from the team-facing forums; any card kind of theirs.
    Route(
        "feedback-product", "sos", "metascrum", ("impediment", "dependency", "risk", "note"),
        "proposed", "Send product feedback to MetaScrum", "product_to", card_kind="feedback",
    ),
    Route(
        "feedback-process", "sos", "eat", ("impediment", "dependency", "risk", "note"),
        "escalated", "Send process feedback to EAT", "escalates_to", card_kind="feedback",
    ),
    Route(
        "feedback-product", "retro", "metascrum", ("observation", "experiment", "note"),
        "proposed", "Send product feedback to MetaScrum", "product_to", card_kind="feedback",
    ),
    Route(
        "feedback-process", "retro", "eat", ("observation", "experiment", "note"),
        "escalated", "Send process feedback to EAT", "improves_to", card_kind="feedback",
    ),
)  # fmt: skip
"""Every route between forums."""


def route(board_kind: str, route_id: str) -> Route | None:
    """The route ``route_id`` out of a ``board_kind`` forum, if there is one."""
    for r in ROUTES:
        if r.from_kind == board_kind and r.id == route_id:
            return r
    return None


def routes_from(board_kind: str) -> tuple[Route, ...]:
    """The routes out of a ``board_kind`` forum."""
    return tuple(r for r in ROUTES if r.from_kind == board_kind)


def routes_for(board_kind: str, card_kind: str) -> tuple[Route, ...]:
    """The routes a ``card_kind`` card on a ``board_kind`` board can take."""
    return tuple(r for r in ROUTES if r.from_kind == board_kind and card_kind in r.card_kinds)


FEEDBACK_ROUTES: Final = frozenset({"feedback-product", "feedback-process"})
"""The routes that carry feedback (SPEC R68): the target answers with an outcome."""


def votable_column(kind_id: str, column_id: str) -> bool:
    """Whether dots may go on the cards of column ``column_id`` of a ``kind_id`` board
    (SPEC R48): no when its kind's template says so for that column id (whatever it has
    been renamed to); a column added later, or of an unknown kind, is votable."""
    kind = FORUM_KINDS.get(kind_id)
    for col in kind.columns if kind is not None else ():
        if col.id == column_id:
            return col.votable
    return True


def forum_kind(kind_id: str) -> ForumKind:
    """The kind with this id; ``KeyError`` for an unknown one."""
    return FORUM_KINDS[kind_id]

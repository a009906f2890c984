"""The network of forums as facts and as a picture: counts and a deterministic layout.

The facts: every forum (its kind, name and count of open impediments), the teams, which
teams each Scrum of Scrums serves (``serves``) and where each forum escalates
(``escalates_to``: an SoS to an Executive Action Team, a MetaScrum to an Executive
MetaScrum; an SoS with a parent SoS to its parent, SPEC R72). The picture (``layout``)
puts them in rows, read bottom-up the way work flows up the Scrum Master Cycle and the
Product Owner Cycle:

- bottom: the teams, grouped under the Scrum of Scrums that serves them;
- middle: the Scrums of Scrums, then the MetaScrums, Scaled Retrospectives and Scaled
  Backlogs;
- above the Scrums of Scrums, a row for each level of parent SoS (a Scrum of Scrums of
  Scrums above the SoS it serves);
- top: the Executive Action Teams, then the Executive MetaScrums.

Lines join a team to each SoS serving it and a forum to the one it escalates to
(with an arrow). The same facts always give the same picture, whatever order they
come in. An **open impediment** is an impediment card that is open by the metrics'
notion (``board.card_state``: not archived, not in a removal column).
Pure: boards and facts in, geometry out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final, Literal

import msgspec

from .card_state import is_open
from .chains import SOS, heights
from .kinds import FEEDBACK_ROUTES, FORUM_KINDS
from .model import Board, Card, Team

IMPEDIMENT: Final = "impediment"
SERVES: Final = "serves"  # the relation: a Scrum of Scrums serves these teams
ESCALATES_TO: Final = "escalates_to"

# Which row a forum kind is drawn in (0: top) and its order inside the row.
TIERS: Final[dict[str, tuple[int, int]]] = {
    "eat": (0, 0),
    "ems": (0, 1),
    "sos": (1, 0),
    "metascrum": (1, 1),
    "retro": (1, 2),
    "backlog": (1, 3),
}

# Geometry, in SVG user units (the viewBox scales it to the screen).
MARGIN: Final = 24
FORUM_W: Final = 340
FORUM_H: Final = 132
TEAM_W: Final = 190
TEAM_H: Final = 64
GAP: Final = 28
ROW_GAP: Final = 120
LABEL_CHARS: Final = 22  # a forum's name is wrapped at this, on two lines at most, then cut
TEAM_LABEL_CHARS: Final = 14


# Where an escalated card stands when it is back with its own forum, or failed to go.
_BACK: Final = frozenset({"failed", "returned"})


def open_impediments(board: Board) -> int:
    """How many impediment cards on ``board`` are open and being worked here (SPEC R32,
    R32a): one escalated to another forum counts there once it arrived, not here,
    unless it came back or was refused; one escalated here that this forum returned
    counts back there, not here. One sent as feedback (R68a) still counts here."""
    return sum(1 for c in board.cards.values() if c.kind == IMPEDIMENT and _worked_here(board, c))


def _worked_here(board: Board, card: Card) -> bool:
    if not is_open(board, card):
        return False
    link = card.sent_to
    if (
        link is not None
        and link.card
        and link.status not in _BACK
        and link.route not in FEEDBACK_ROUTES  # feedback is no escalation: still ours (R68a)
    ):
        return False  # arrived at the other forum: counted there (or done with there)
    came = card.origin
    if came is None:
        return True
    # Returned (R32a): in the Returned column; on a board without one (a parent SoS,
    # R72), for as long as it stays returned.
    if board.column("returned") is None:
        return came.status != "returned"
    return card.column != "returned"


def holds_impediments(kind: str) -> bool:
    found = FORUM_KINDS.get(kind)
    return found is not None and IMPEDIMENT in found.card_kinds


class ForumFact(msgspec.Struct, frozen=True):
    """One forum of the network. ``open_impediments`` is ``None`` for a kind that holds
    no impediments (a MetaScrum, a Scaled Retrospective, a Scaled Backlog)."""

    id: str
    name: str
    kind: str
    open_impediments: int | None = None
    serves: tuple[str, ...] = ()  # team ids (a Scrum of Scrums)
    escalates_to: str | None = None  # a forum id


class NetworkFacts(msgspec.Struct, frozen=True):
    forums: tuple[ForumFact, ...]
    teams: tuple[Team, ...]


def forum_fact(
    board: Board, serves: Iterable[str] = (), escalates_to: str | None = None
) -> ForumFact:
    """A forum's fact from its board (live or stored) and its relations."""
    count = open_impediments(board) if holds_impediments(board.kind) else None
    return ForumFact(
        id=board.forum_id,
        name=board.name,
        kind=board.kind,
        open_impediments=count,
        serves=tuple(serves),
        escalates_to=escalates_to,
    )


# -- the picture ---------------------------------------------------------------------------

NodeKind = Literal["forum", "team"]
EdgeKind = Literal["serves", "escalates_to"]


class Node(msgspec.Struct, frozen=True):
    """A box: a forum (a link to its board) or a team."""

    id: str  # the forum's or the team's id
    kind: NodeKind
    forum_kind: str  # "" for a team
    name: str
    label: str  # a team's name as drawn (cut to fit)
    x: float
    y: float
    w: float
    h: float
    count: int | None = None  # open impediments (forums whose kind holds them)
    lines: tuple[str, ...] = ()  # a forum's name as drawn, wrapped (at most two lines)
    colour: str = ""  # a team's colour


class Edge(msgspec.Struct, frozen=True):
    """A line from ``source`` (bottom) to ``target`` (top)."""

    kind: EdgeKind
    source: str
    target: str
    x1: float
    y1: float
    x2: float
    y2: float


class Picture(msgspec.Struct, frozen=True):
    width: float
    height: float
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]


def cut(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def wrap(text: str, width: int, lines: int = 2) -> tuple[str, ...]:
    """``text`` on at most ``lines`` lines of at most ``width`` characters, broken between
    words (a word longer than a line is cut); the last line is cut with an ellipsis when
    the text does not fit."""
    out: list[str] = []
    words = text.split()
    while words and len(out) < lines:
        line = words.pop(0)
        while words and len(line) + 1 + len(words[0]) <= width:
            line += " " + words.pop(0)
        out.append(cut(line, width))
    if words and out:
        out[-1] = cut(out[-1] + " " + " ".join(words), width)
    return tuple(out)


def forum_order(forums: Iterable[ForumFact]) -> list[ForumFact]:
    """Forums in drawing order: by row, by kind, by name, by id."""
    return sorted(forums, key=lambda f: (*TIERS.get(f.kind, (1, 9)), f.name.lower(), f.id))


def team_order(teams: Iterable[Team], forums: list[ForumFact]) -> list[Team]:
    """Teams grouped under the first Scrum of Scrums (in drawing order) that serves them,
    then the teams no SoS serves; by name, then id, inside a group."""
    first: dict[str, int] = {}
    for i, f in enumerate(forums):
        for t in f.serves:
            first.setdefault(t, i)
    return sorted(teams, key=lambda t: (first.get(t.id, len(forums)), t.name.lower(), t.id))


def _row(items: list[tuple[str, float]], width: float, y: float) -> dict[str, tuple[float, float]]:
    """Left x of each box of a row (id, box width), the row centred in ``width``."""
    used = sum(w for _, w in items) + GAP * max(0, len(items) - 1)
    x = (width - used) / 2
    out: dict[str, tuple[float, float]] = {}
    for key, w in items:
        out[key] = (x, y)
        x += w + GAP
    return out


def layout(facts: NetworkFacts) -> Picture:
    """The picture of ``facts``: three centred rows of boxes and the lines between them."""
    forums = forum_order(facts.forums)
    teams = team_order(facts.teams, forums)
    # A parent Scrum of Scrums stands a row above the SoS it serves (SPEC R72).
    kinds = {f.id: f.kind for f in forums}
    parents = {
        f.id: f.escalates_to
        for f in forums
        if f.kind == SOS and f.escalates_to is not None and kinds.get(f.escalates_to) == SOS
    }
    high = heights(parents)
    tallest = max(high.values(), default=0)
    rows: list[list[tuple[str, float]]] = [[] for _ in range(tallest + 3)]
    for f in forums:
        tier = TIERS.get(f.kind, (1, 9))[0]
        rows[0 if tier == 0 else 1 + tallest - high.get(f.id, 0)].append((f"forum:{f.id}", FORUM_W))
    team_tier = len(rows) - 1
    rows[team_tier] = [(f"team:{t.id}", TEAM_W) for t in teams]
    shown = [r for r in rows if r]
    widest = max((sum(w for _, w in r) + GAP * (len(r) - 1) for r in shown), default=FORUM_W)
    width = widest + 2 * MARGIN
    places: dict[str, tuple[float, float]] = {}
    y = float(MARGIN)
    for i, row in enumerate(rows):
        if not row:
            continue
        places.update(_row(row, width, y))
        y += (TEAM_H if i == team_tier else FORUM_H) + ROW_GAP
    height = y - ROW_GAP + MARGIN if shown else 2 * MARGIN
    for level in range(1, tallest + 1):  # lowest parents first: over their children
        _over_children(places, parents, [k for k, h in high.items() if h == level], width)
    nodes: list[Node] = []
    boxes: dict[str, Node] = {}
    for f in forums:
        x, top = places[f"forum:{f.id}"]
        node = Node(
            id=f.id,
            kind="forum",
            forum_kind=f.kind,
            name=f.name,
            label=cut(f.name, LABEL_CHARS),
            lines=wrap(f.name, LABEL_CHARS),
            x=x,
            y=top,
            w=FORUM_W,
            h=FORUM_H,
            count=f.open_impediments,
        )
        nodes.append(node)
        boxes[f"forum:{f.id}"] = node
    for t in teams:
        x, top = places[f"team:{t.id}"]
        node = Node(
            id=t.id,
            kind="team",
            forum_kind="",
            name=t.name,
            label=cut(t.name, TEAM_LABEL_CHARS),
            x=x,
            y=top,
            w=TEAM_W,
            h=TEAM_H,
            colour=t.colour,
        )
        nodes.append(node)
        boxes[f"team:{t.id}"] = node
    edges: list[Edge] = []
    for f in forums:
        target = boxes[f"forum:{f.id}"]
        for team_id in sorted(set(f.serves)):
            source = boxes.get(f"team:{team_id}")
            if source is not None:
                edges.append(_edge("serves", source, target))
        if f.escalates_to is not None:
            up = boxes.get(f"forum:{f.escalates_to}")
            if up is not None and up.y < target.y:
                edges.append(_edge("escalates_to", target, up))
    return Picture(width=width, height=height, nodes=tuple(nodes), edges=tuple(edges))


def _over_children(
    places: dict[str, tuple[float, float]], parents: Mapping[str, str], ids: list[str], width: float
) -> None:
    """Move the parent SoS ``ids`` (one row) over the middle of the SoS they serve, left
    to right, never overlapping nor leaving the picture (SPEC R72)."""
    wanted: list[tuple[float, str]] = []
    for pid in ids:
        xs = [places[f"forum:{c}"][0] for c, up in parents.items() if up == pid]
        wanted.append((sum(xs) / len(xs) if xs else places[f"forum:{pid}"][0], pid))
    left = float(MARGIN)
    for x, pid in sorted(wanted):
        x = min(max(x, left), width - MARGIN - FORUM_W)
        places[f"forum:{pid}"] = (x, places[f"forum:{pid}"][1])
        left = x + FORUM_W + GAP


def _edge(kind: EdgeKind, source: Node, target: Node) -> Edge:
    return Edge(
        kind=kind,
        source=source.id,
        target=target.id,
        x1=source.x + source.w / 2,
        y1=source.y,
        x2=target.x + target.w / 2,
        y2=target.y + target.h,
    )


def facts(
    boards: Iterable[Board],
    teams: Iterable[Team],
    serves: Mapping[str, Iterable[str]],
    escalates_to: Mapping[str, str],
) -> NetworkFacts:
    """The network's facts from each forum's board and the relations."""
    return NetworkFacts(
        forums=tuple(
            forum_fact(b, serves.get(b.forum_id, ()), escalates_to.get(b.forum_id)) for b in boards
        ),
        teams=tuple(teams),
    )

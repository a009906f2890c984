"""The shared pieces of ``apply``: its context, its rejection, and the checks and
lookups every operation handler uses (``apply.py`` and the handler modules beside it:
``timer.py``, ``retro.py``, ``voting.py``). Pure: no I/O."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import Any, Final, TypeVar

import msgspec
from msgspec.structs import replace

from . import ranks
from .events import ColumnReranked, Event
from .kinds import forum_kind
from .model import Board, Card, Column, Session

# What one board holds at most (apply refuses past these; imports check them too).
MAX_CARDS: Final = 5000
MAX_COLUMNS: Final = 16
MAX_DECISIONS: Final = 500
MAX_OPEN_STEPS: Final = 500


MACHINE: Final = "~"  # a person key starting with it is a token, not a person (SPEC R42)
_KEY_CHARS: Final = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def is_person_key(key: str) -> bool:
    """Whether ``key`` has the shape of a server-made person key (SPEC R40: ``p`` and 16
    url-safe characters), which no client may be shown but its own. A display name of
    that shape (an old log's key) is only hidden the same way: harmless."""
    return len(key) == 17 and key[0] == "p" and all(c in _KEY_CHARS for c in key[1:])


class Context(msgspec.Struct, frozen=True):
    """Who applies an operation, when, and the seq it will get if it changes anything."""

    seq: int
    at: float
    actor: str
    teams: frozenset[str] | None = None  # known team ids; None skips the check (replay)
    by: str = ""  # the person key (SPEC R40); "" in logs older than it

    @property
    def who(self) -> str:
        """The person an op is by, as dots, hidden cards and attendance key them (R40):
        ``by``, or the display name for an op logged before person keys existed."""
        return self.by or self.actor

    @property
    def live(self) -> bool:
        """Deciding a new operation (the room passes the known teams), not replaying a
        log: rules added later must not refuse what the log once accepted."""
        return self.teams is not None


class Rejected(Exception):
    """An operation that cannot be applied; ``code`` is stable, ``reason`` is for people."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason


Result = tuple[Board, list[Event]]

T = TypeVar("T")


def differing(current: object, changes: dict[str, Any]) -> dict[str, Any]:
    """The ``changes`` (field -> new value) that would change ``current``: an edit that
    leaves everything as it was records nothing."""
    return {k: v for k, v in changes.items() if getattr(current, k) != v}


# -- text ---------------------------------------------------------------------------


# Bidi controls (embeddings, overrides, isolates, marks) and invisible characters: typed
# into a name or a title they reverse or hide the text around it wherever it is shown,
# and nothing on a board needs them (pages isolate each piece of user text instead).
_DROPPED: Final = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
    "\u200b\u2060\u2061\u2062\u2063\u2064\u206a\u206b\u206c\u206d\u206e\u206f"
    "\u180e\ufeff"
)
# Zero-width (non-)joiners shape scripts that join (Persian, Indic) and emoji sequences:
# kept between two such characters, dropped anywhere else ("Al\u200cice" is "Alice").
_JOINERS: Final = frozenset("\u200c\u200d")


def _joins(ch: str | None) -> bool:
    """Whether a joiner next to ``ch`` can be doing something: ``ch`` is a visible
    character outside ASCII (a letter of a joining script, an emoji, a mark)."""
    return ch is not None and ord(ch) > 0x7F and ch not in _JOINERS and not ch.isspace()


def without_invisible(text: str) -> str:
    """``text`` without bidi controls and invisible characters (joiners kept only between
    the characters they join); what exports apply to text stored before this rule."""
    kept = [ch for ch in text if ch not in _DROPPED]
    if not _JOINERS.intersection(kept):
        return "".join(kept)
    last = len(kept) - 1
    return "".join(
        ch
        for i, ch in enumerate(kept)
        if ch not in _JOINERS or (0 < i < last and _joins(kept[i - 1]) and _joins(kept[i + 1]))
    )


def without_controls(text: str) -> str:
    """``text`` without control characters (tabs and newlines kept), bidi controls and
    invisible characters."""
    return without_invisible(
        "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cs"))
    )


def clean_text(text: str, *, single_line: bool) -> str:
    """Trim, normalise newlines and drop control, bidi-control and invisible characters
    (keeping tabs and newlines): the one cleaning of user text (``without_controls``)."""
    text = without_controls(text.replace("\r\n", "\n").replace("\r", "\n"))
    if single_line:  # after dropping control characters, so no double spaces are left
        text = " ".join(text.split())
    return text.strip()


def required(text: str, what: str, *, single_line: bool = True) -> str:
    cleaned = clean_text(text, single_line=single_line)
    if not cleaned:
        raise Rejected("invalid", f"{what} cannot be empty.")
    return cleaned


# -- lookups ------------------------------------------------------------------------


def found(items: Mapping[str, T], key: str, what: str) -> T:
    """``items[key]``, or a ``not_found`` rejection naming ``what`` it is (card, cluster)."""
    item = items.get(key)
    if item is None:
        raise Rejected("not_found", f"There is no {what} {key!r} on this board.")
    return item


def card(board: Board, card_id: str) -> Card:
    return found(board.cards, card_id, "card")


def live_card(board: Board, card_id: str) -> Card:
    found = card(board, card_id)
    if found.archived:
        raise Rejected("conflict", f"Card {found.title!r} is archived; restore it first.")
    return found


def column(board: Board, column_id: str) -> tuple[int, Column]:
    for i, col in enumerate(board.columns):
        if col.id == column_id:
            return i, col
    raise Rejected("not_found", f"There is no column {column_id!r} on this board.")


def session(board: Board) -> Session:
    if board.session is None:
        raise Rejected("no_session", "No session is running; start one first.")
    return board.session


def check_kind(board: Board, kind: str) -> str:
    allowed = forum_kind(board.kind).card_kinds
    if kind not in allowed:
        raise Rejected(
            "invalid", f"A {board.kind} board holds {', '.join(allowed)} cards, not {kind!r}."
        )
    return kind


def check_team(team: str, ctx: Context) -> str:
    team = clean_text(team, single_line=True)
    if team and ctx.teams is not None and team not in ctx.teams:
        raise Rejected("invalid", f"There is no team {team!r}.")
    return team


def card_refs(board: Board, refs: tuple[str, ...]) -> tuple[str, ...]:
    for ref in refs:
        card(board, ref)
    return tuple(dict.fromkeys(refs))


# -- placing cards ------------------------------------------------------------------


def place(board: Board, ids: tuple[str, ...], index: int) -> tuple[str, dict[str, str] | None]:
    """The rank for a card inserted at ``index`` among ``ids``, and a re-spread if needed."""
    cards = board.cards
    before = cards[ids[index - 1]].rank if index > 0 else None
    after = cards[ids[index]].rank if index < len(ids) else None
    rank = ranks.between(before, after)
    if len(rank) <= ranks.MAX_RANK_LEN:
        return rank, None
    fresh = ranks.spread(len(ids) + 1)
    others = {cid: fresh[i if i < index else i + 1] for i, cid in enumerate(ids)}
    return fresh[index], others


def rerank(
    cards: dict[str, Card], column_id: str, others: dict[str, str] | None, events: list[Event]
) -> None:
    if others is None:
        return
    for cid, rank in others.items():
        cards[cid] = replace(cards[cid], rank=rank)
    events.append(ColumnReranked(column=column_id, ranks=others))


def with_column(board: Board, i: int, column: Column) -> tuple[Column, ...]:
    cols = list(board.columns)
    cols[i] = column
    return tuple(cols)

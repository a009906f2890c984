"""Server-side markup: one Jinja environment for pages and for live updates.

Every card, column, decision and next step is rendered by one macro in
``templates/``. Pages call the macros through ``{% from %}``; live updates call the
same macros here, so a card that arrives over the websocket is byte-for-byte the
card the page would have shown (autoescaped: user text never becomes markup).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from board.access import LABELS, WHAT, Role
from board.events import (
    CardAdded,
    CardArchived,
    CardEdited,
    CardRestored,
    ColumnAdded,
    DecisionRecorded,
    NextStepAdded,
    NextStepUpdated,
    ParticipantsAdded,
    SessionEnded,
    SessionStarted,
    TimerChanged,
)
from board.history import mmss
from board.kinds import CARD_KINDS, FORUM_KINDS, routes_for
from board.model import Board, Card, Team
from board.sync import Item

from . import csrf

SESSION_EVENTS = (SessionStarted, SessionEnded, ParticipantsAdded)
HTML_EVENTS = (
    CardAdded,
    CardEdited,
    CardArchived,
    CardRestored,
    ColumnAdded,
    DecisionRecorded,
    NextStepAdded,
    NextStepUpdated,
)


def hue(name: str) -> int:
    """A stable colour hue for a person's name (presence chips)."""
    return int.from_bytes(hashlib.blake2s(name.encode(), digest_size=2).digest(), "big") % 360


def initials(name: str) -> str:
    parts = [p for p in name.replace("-", " ").split() if p]
    if not parts:
        return "?"
    if len(parts) == 1:
        return parts[0][:2].upper()
    return (parts[0][0] + parts[-1][0]).upper()


def clock(ts: float | None) -> str:
    if ts is None:
        return ""
    return dt.datetime.fromtimestamp(ts).strftime("%H:%M")


def when(ts: float | None) -> str:
    if ts is None:
        return ""
    return dt.datetime.fromtimestamp(ts).strftime("%a %d %b %Y, %H:%M")


def iso(ts: float | None) -> str:
    if ts is None:
        return ""
    return dt.datetime.fromtimestamp(ts, tz=dt.UTC).isoformat(timespec="seconds")


def duration(seconds: float | None) -> str:
    if seconds is None or seconds < 0:
        return ""
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"


class CardCache:
    """Rendered cards, by the card itself (a frozen Struct: equal cards render the same).

    A board shares every unchanged ``Card`` with the board before it, so a page or a
    full catch-up re-renders only the cards that changed since the last render; the
    markup still comes from the one ``card`` macro. Cleared when teams change (a card
    shows its team's name); bounded by dropping everything when full.
    """

    __slots__ = ("_cards", "limit", "macro")

    def __init__(self, macro: Any, limit: int = 50_000) -> None:
        self.macro = macro
        self.limit = limit
        self._cards: dict[tuple[Card, bool, str], Markup] = {}

    def render(self, card: Card, view: View) -> Markup:
        # What a card's markup depends on besides the card: read-only or not, and the
        # forum's kind (which routes, e.g. "Escalate to EAT", it offers).
        key = (card, view.readonly, view.board.kind)
        html = self._cards.get(key)
        if html is None:
            if len(self._cards) >= self.limit:
                self._cards.clear()
            html = self._cards[key] = Markup(self.macro(card, view))
        return html

    def clear(self) -> None:
        self._cards.clear()


class View:
    """What a macro needs besides the thing it renders.

    ``role`` is who the markup is for: a viewer gets it read-only (no buttons, no
    drag), a participant gets no session buttons; a past board is read-only for all.
    """

    __slots__ = ("_cards", "board", "facilitator", "kind", "readonly", "role", "teams", "today")

    def __init__(
        self,
        board: Board,
        teams: dict[str, Team],
        *,
        readonly: bool = False,
        role: Role = "facilitator",
        cards: CardCache | None = None,
    ) -> None:
        self.board = board
        self.kind = FORUM_KINDS[board.kind]
        self.teams = teams
        self.role = role
        self.readonly = readonly or role == "viewer"
        self.facilitator = not self.readonly and role == "facilitator"
        self.today = dt.date.today()
        self._cards = cards

    def card(self, card: Card, marks: Any = ()) -> Markup | None:
        """The card's markup from the cache; ``None``: the template calls the macro."""
        if marks or self._cards is None:
            return None
        return self._cards.render(card, self)


class Renderer:
    """Renders pages and the fragments live updates carry."""

    def __init__(self, templates: Path) -> None:
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(templates),
            autoescape=True,
            trim_blocks=True,
            lstrip_blocks=True,
            undefined=jinja2.StrictUndefined,
        )
        self.env.globals.update(
            CARD_KINDS=CARD_KINDS,
            FORUM_KINDS=FORUM_KINDS,
            routes_for=routes_for,
            hue=hue,
            initials=initials,
            clock=clock,
            when=when,
            iso=iso,
            duration=duration,
            mmss=mmss,
            server_now=time.time,
            csrf_field=csrf.field,
            ROLE_LABELS=LABELS,
            ROLE_WHAT=WHAT,
            csrf_token=csrf.token,
        )
        self.teams: dict[str, Team] = {}
        self._macros: dict[str, Any] = {}
        self.cards = CardCache(self.macro("_card.html", "card"))
        # Compile every page now, not in the first request that needs it (~20 ms each).
        for name in self.env.list_templates(extensions=["html"]):
            self.env.get_template(name)

    def set_teams(self, teams: Iterable[Team]) -> None:
        self.teams = {t.id: t for t in teams}
        self.cards.clear()

    def view(self, board: Board, *, readonly: bool = False, role: Role = "facilitator") -> View:
        return View(board, self.teams, readonly=readonly, role=role, cards=self.cards)

    def page(self, template: str, /, **context: Any) -> str:
        return self.env.get_template(template).render(teams=self.teams, **context)

    def macro(self, template: str, name: str) -> Any:
        key = f"{template}:{name}"
        found = self._macros.get(key)
        if found is None:
            found = getattr(self.env.get_template(template).module, name)
            self._macros[key] = found
        return found

    def _call(self, template: str, name: str, *args: Any) -> str:
        return str(Markup(self.macro(template, name)(*args))).strip()

    # -- live fragments ---------------------------------------------------------------

    def board_regions(self, board: Board, role: Role = "facilitator") -> dict[str, str]:
        """The whole board as the page's live regions (a full catch-up, SPEC R10)."""
        view = self.view(board, role=role)
        return {
            "region:forum-name": self._call("_board.html", "forum_name", view),
            "region:columns": self._call("_board.html", "columns", view),
            "region:archive": self._call("_board.html", "archive", view),
            **self.session_regions(view),
            **self.timer_region(view),
        }

    def timer_region(self, view: View) -> dict[str, str]:
        """The shared timer, as it stands now (it carries the server's time: see
        ``docs/protocol.md``, "The timer")."""
        return {"region:timer": self._call("_timer.html", "timer", view)}

    def session_regions(self, view: View) -> dict[str, str]:
        return {
            "region:session-status": self._call("_session.html", "status", view),
            "region:decisions": self._call("_session.html", "decisions", view),
            "region:next-steps": self._call("_session.html", "next_steps", view),
        }

    def items_html(
        self, items: Iterable[Item], board: Board, role: Role = "facilitator"
    ) -> dict[str, str]:
        """Markup for what the events of ``items`` added or changed, keyed for the client
        (as ``role`` sees it: see ``View``)."""
        out: dict[str, str] = {}
        view: View | None = None
        session_changed = timer_changed = False
        for item in items:
            for event in item.events:
                if isinstance(event, SESSION_EVENTS):
                    session_changed = True
                    continue
                if isinstance(event, TimerChanged):
                    timer_changed = True
                    continue
                if not isinstance(event, HTML_EVENTS):
                    continue  # moves and renames carry no markup: the hot path stays cheap
                if view is None:
                    view = self.view(board, role=role)
                if isinstance(event, CardAdded | CardEdited | CardArchived | CardRestored):
                    card = event.card
                    out[f"card:{card.id}"] = self._call("_card.html", "card", card, view)
                elif isinstance(event, ColumnAdded):
                    col = event.column
                    out[f"column:{col.id}"] = self._call("_board.html", "column", col, view)
                elif isinstance(event, DecisionRecorded):
                    d = event.decision
                    out[f"decision:{d.id}"] = self._call("_session.html", "decision", d, view)
                elif isinstance(event, NextStepAdded | NextStepUpdated):
                    s = event.step
                    out[f"step:{s.id}"] = self._call("_session.html", "step", s, view)
        if session_changed:
            view = view or self.view(board, role=role)
            out.update(self.session_regions(view))
        if timer_changed:
            out.update(self.timer_region(view or self.view(board, role=role)))
        return out

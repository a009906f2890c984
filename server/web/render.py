"""Server-side markup: one Jinja environment for pages and for live updates.

Every card, column, decision and next step is rendered by one macro in
``templates/``. Pages call the macros through ``{% from %}``; live updates call the
same macros here, so a card that arrives over the websocket is byte-for-byte the
card the page would have shown (autoescaped: user text never becomes markup).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from board import dependencies
from board.access import LABELS, WHAT, Role
from board.card_state import is_removed
from board.events import (
    CardAdded,
    CardArchived,
    CardEdited,
    CardRestored,
    CardsRevealed,
    ColumnAdded,
    DecisionRecorded,
    FocusChanged,
    MyTeamsSet,
    NextStepAdded,
    NextStepUpdated,
    ParticipantsAdded,
    PhaseChanged,
    RetroConfigured,
    RoomJoinChanged,
    SessionEnded,
    SessionStarted,
    TimerChanged,
)
from board.feedback import OUTCOMES as FEEDBACK_OUTCOMES
from board.kinds import CARD_KINDS, FEEDBACK_ROUTES, FORUM_KINDS, routes_for
from board.log import Item
from board.model import RETRO_PHASES, SOURCE_LABELS, Board, Card, Team
from board.sprints import SprintCalendar, utc_day
from board.timer import mmss
from server.access import csrf
from server.forums import pair_note as pair_region
from server.forums import sds as sds_region
from server.forums import standards_region
from server.forums import voting as voting_regions
from server.web.formats import card_name, clock, duration, hue, initials, iso, when

SESSION_EVENTS = (SessionStarted, SessionEnded, ParticipantsAdded, MyTeamsSet)
HTML_EVENTS = (
    CardAdded,
    CardEdited,
    CardArchived,
    CardRestored,
    ColumnAdded,
    DecisionRecorded,
    NextStepAdded,
    NextStepUpdated,
    CardsRevealed,
    MyTeamsSet,
)


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
        self._cards: dict[tuple[Card, bool, bool, str, tuple[object, ...]], Markup] = {}

    def render(self, card: Card, view: View) -> Markup:
        # What a card's markup depends on besides the card: read-only or not, and the
        # forum's kind (which routes, e.g. "Escalate to EAT", it offers), and whether a
        # facilitator sees it ("Bring everyone here"). What the viewer may see is in the
        # card itself: ``board.visibility.board_for`` gives others face-down copies.
        # And what it shows of other cards: dependency markers, the cards it connects.
        key = (card, view.readonly, view.facilitator, view.board.kind, view.dependency_key(card))
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

    __slots__ = (
        "_cards",
        "_markers",
        "board",
        "facilitator",
        "kind",
        "readonly",
        "role",
        "teams",
        "today",
        "viewer",
    )

    def __init__(
        self,
        board: Board,
        teams: dict[str, Team],
        *,
        readonly: bool = False,
        role: Role = "facilitator",
        cards: CardCache | None = None,
        viewer: str | None = None,
    ) -> None:
        self.board = board
        self.viewer = viewer  # whose page (``board.visibility``); None: nobody in particular
        self.kind = FORUM_KINDS[board.kind]
        self.teams = teams
        self.role = role
        self.readonly = readonly or role == "viewer"
        self.facilitator = not self.readonly and role == "facilitator"
        self.today = dt.date.today()
        self._cards = cards
        self._markers: dict[str, tuple[dependencies.Marker, ...]] | None = None

    def markers(self, card_id: str) -> tuple[dependencies.Marker, ...]:
        """The dependency markers a card shows (``board/dependencies.py``)."""
        if self._markers is None:
            self._markers = dependencies.markers(self.board)
        return self._markers.get(card_id, ())

    def dependency_key(self, card: Card) -> tuple[object, ...]:
        """What a card's markup shows of other cards: its markers, and (a dependency)
        the cards it connects."""
        if not card.connects:
            return self.markers(card.id)
        return (self.markers(card.id), dependencies.connected(self.board, card))

    def card(self, card: Card, marks: Any = ()) -> Markup | None:
        """The card's markup from the cache; ``None``: the template calls the macro."""
        if marks or self._cards is None:
            return None
        return self._cards.render(card, self)


class Renderer:
    """Renders pages and the fragments live updates carry."""

    def __init__(
        self, templates: Path, *, sprint_days: int = dependencies.DEFAULT_SPRINT_DAYS
    ) -> None:
        # Globals are read when a template's module is first made (imported macros keep
        # a copy), so every setting a template reads is given here, before any is made.
        # The network's sprint calendar (SPEC R69), kept current by ``server/cadence``.
        self.sprint_days = sprint_days
        self.calendar = SprintCalendar(days=sprint_days, start=utc_day(time.time()))
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(templates),
            autoescape=True,
            trim_blocks=True,
            lstrip_blocks=True,
            undefined=jinja2.StrictUndefined,
        )
        self.env.globals.update(
            CARD_KINDS=CARD_KINDS,
            RETRO_PHASES=RETRO_PHASES,
            FORUM_KINDS=FORUM_KINDS,
            SOURCE_LABELS=SOURCE_LABELS,
            routes_for=routes_for,
            FEEDBACK_ROUTES=FEEDBACK_ROUTES,
            FEEDBACK_OUTCOMES=FEEDBACK_OUTCOMES,
            is_removed=is_removed,
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
            open_dependencies=dependencies.open_dependencies,
            holds_dependencies=dependencies.holds_dependencies,
            dependency_marker=dependencies.marker_of,
            connected_cards=dependencies.connected,
            sprint_days=sprint_days,  # Settings.sprint_days
            sprint_label=self.sprint_label,  # "Sprint 14" of a time (SPEC R69)
        )
        self.env.globals.update(voting_regions.template_globals())
        self.env.globals.update(sds_region.template_globals())
        self.env.filters["card_name"] = card_name
        self.teams: dict[str, Team] = {}
        self._macros: dict[str, Any] = {}
        self.cards = CardCache(self.macro("_card.html", "card"))
        # Compile every page now, not in the first request that needs it (~20 ms each).
        for name in self.env.list_templates(extensions=["html"]):
            self.env.get_template(name)

    def set_calendar(self, calendar: SprintCalendar) -> None:
        self.calendar = calendar

    def sprint_label(self, at: float | None) -> str:
        """ "Sprint 14" for a Unix time (``""`` for none)."""
        return "" if at is None else self.calendar.label_at(at)

    def set_teams(self, teams: Iterable[Team]) -> None:
        self.teams = {t.id: t for t in teams}
        self.cards.clear()

    def view(
        self,
        board: Board,
        *,
        readonly: bool = False,
        role: Role = "facilitator",
        viewer: str | None = None,
    ) -> View:
        return View(
            board, self.teams, readonly=readonly, role=role, cards=self.cards, viewer=viewer
        )

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

    def board_regions(
        self, board: Board, role: Role = "facilitator", viewer: str | None = None
    ) -> dict[str, str]:
        """The whole board as the page's live regions (a full catch-up, SPEC R10), for
        ``viewer`` (whose own dots it shows: ``server/voting.py``)."""
        view = self.view(board, role=role, viewer=viewer)
        return {
            "region:forum-name": self._call("_board.html", "forum_name", view),
            "region:columns": self._call("_board.html", "columns", view),
            "region:archive": self._call("_board.html", "archive", view),
            **self.session_regions(view),
            **self.timer_region(view),
            **self.retro_region(view),
            **sds_region.region(self, view),
            **pair_region.region(self, view),
            **self.focus_region(view),
            **self.room_region(view),
            **voting_regions.regions(self, view, view.viewer),
            **self.dependencies_region(view),
            **standards_region.region(self, view),
        }

    def dependencies_region(self, view: View) -> dict[str, str]:
        """The board's Dependencies list (``templates/_dependencies.html``)."""
        return {"region:dependencies": self._call("_dependencies.html", "dependencies", view)}

    def focus_region(self, view: View) -> dict[str, str]:
        """Where the facilitator brought everyone (``templates/_focus.html``)."""
        return {"region:focus": self._call("_focus.html", "focus", view)}

    def room_region(self, view: View) -> dict[str, str]:
        """Whether the room may join, and a facilitator's toggle (``templates/_room.html``)."""
        return {"region:room-join": self._call("_room.html", "room_join", view)}

    def retro_region(self, view: View) -> dict[str, str]:
        """The retrospective's phase bar (``templates/_retro.html``; empty elsewhere)."""
        return {"region:retro": self._call("_retro.html", "phase_bar", view)}

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
        self,
        items: Iterable[Item],
        board: Board,
        role: Role = "facilitator",
        viewer: str | None = None,
    ) -> dict[str, str]:
        """Markup for what the events of ``items`` added or changed, keyed for the client
        (as ``role`` sees it: see ``View``; ``viewer`` names whose frame it is, for what
        only they may see, e.g. their own dots: ``server/voting.py``)."""
        out: dict[str, str] = {}
        view: View | None = None
        session_changed = timer_changed = focus_changed = room_changed = False
        # The phase bar: on a phase or settings change; in the decide phase (it lists the
        # experiments) on any change that carries markup.
        retro_changed = False
        for item in items:
            for event in item.events:
                if isinstance(event, PhaseChanged | RetroConfigured):
                    retro_changed = True
                    continue
                if isinstance(event, SESSION_EVENTS):
                    session_changed = True
                    continue
                if isinstance(event, TimerChanged):
                    timer_changed = True
                    continue
                if isinstance(event, FocusChanged):
                    focus_changed = True
                    continue
                if isinstance(event, RoomJoinChanged):
                    room_changed = True
                    continue
                if not isinstance(event, HTML_EVENTS):
                    continue  # moves and renames carry no markup: the hot path stays cheap
                if view is None:
                    view = self.view(board, role=role)
                if isinstance(event, CardAdded | CardEdited | CardArchived | CardRestored):
                    card = event.card
                    out[f"card:{card.id}"] = self._call("_card.html", "card", card, view)
                elif isinstance(event, CardsRevealed):
                    for card in event.cards:
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
        deciding = board.retro is not None and board.retro.phase == "decide"
        if retro_changed or session_changed or (deciding and out):
            out.update(self.retro_region(view or self.view(board, role=role)))
        if focus_changed:
            out.update(self.focus_region(view or self.view(board, role=role)))
        if room_changed:
            out.update(self.room_region(view or self.view(board, role=role)))
        make_view = view or (lambda: self.view(board, role=role))
        out.update(sds_region.items_region(self, items, make_view))
        out.update(standards_region.items_region(self, items, make_view))
        out.update(pair_region.items_region(self, items, make_view))
        out.update(voting_regions.items_regions(self, items, board, make_view, viewer))
        # Dependencies: the list, and dependency cards that show a card that changed.
        deps_changed, shown = dependencies.touched(board, items)
        if deps_changed:
            view = view or self.view(board, role=role)
            out.update(self.dependencies_region(view))
            for dep in shown:
                if f"card:{dep}" not in out and dep in board.cards:
                    out[f"region:card-{dep}"] = self._call(
                        "_card.html", "card", board.cards[dep], view
                    )
        return out

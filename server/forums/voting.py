"""The live regions of grouping and dot voting (``templates/_voting.html``, SPEC R25-R28).

Two regions: ``region:voting`` is the same for every viewer of a role (clusters, what
to vote on and how many have voted, the discussion order with the counts after the
close); ``region:my-votes`` is one person's dots ("k of N dots left" and their own
dots per target). The room renders the second only for a named viewer, and only in
the frames it makes per viewer (items ``board.visibility.needs_private`` marks: a
vote, a phase or dots change); every other batch stays one frame for all.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from board import voting
from board.events import (
    CardAdded,
    CardArchived,
    CardEdited,
    CardMoved,
    CardRestored,
    CardsRevealed,
    GroupChanged,
    GroupRemoved,
    PhaseChanged,
    RetroConfigured,
    SessionEnded,
    VoteCast,
    VoteClosed,
    VoteReopened,
    VoteRetracted,
    VotesCounted,
)
from board.kinds import votable_column
from board.log import Item
from board.model import Board


class Renderer(Protocol):
    """What these regions need of ``server.web.render.Renderer`` (named here, not
    imported: the renderer installs this module's template globals)."""

    def _call(self, template: str, name: str, *args: Any) -> str: ...


View = Any  # a ``server.web.render.View`` (or what a template macro takes as one)

# Events after which the shared panel may read differently (in a retro with a panel).
_PANEL = (
    PhaseChanged,
    RetroConfigured,
    GroupChanged,
    GroupRemoved,
    VoteCast,
    VoteRetracted,
    VotesCounted,
    VoteClosed,
    VoteReopened,
    CardsRevealed,
    CardAdded,
    CardEdited,
    CardArchived,
    CardRestored,
    CardMoved,
    SessionEnded,
)
# Events after which someone's own "dots left" may read differently.
_PERSONAL = (VoteCast, VoteRetracted, VoteClosed, VoteReopened, PhaseChanged, RetroConfigured)
_ALWAYS = (PhaseChanged, SessionEnded)  # also when the panel is hidden (to show or hide it)
_SHOWN = ("group", "vote", "discuss", "decide")


def template_globals() -> dict[str, Any]:
    """What ``_voting.html`` calls (installed in the renderer's Jinja environment)."""
    return {
        "vote_topics": voting.topics,
        "votable_column": votable_column,
        "discussion_order": voting.discussion_order,
        "voters": voting.voters,
        "dots_used": voting.used,
        "dots_left": voting.left,
    }


def panel(renderer: Renderer, view: View) -> dict[str, str]:
    return {"region:voting": renderer._call("_voting.html", "voting", view)}


def mine(renderer: Renderer, view: View, viewer: str | None) -> dict[str, str]:
    return {"region:my-votes": renderer._call("_voting.html", "my_votes", view, viewer)}


def regions(renderer: Renderer, view: View, viewer: str | None) -> dict[str, str]:
    """Both regions for a page or a full catch-up (``viewer``: whose dots)."""
    return {**panel(renderer, view), **mine(renderer, view, viewer)}


def items_regions(
    renderer: Renderer,
    items: Iterable[Item],
    board: Board,
    view: Any,
    viewer: str | None,
) -> dict[str, str]:
    """The regions a batch of ``items`` changes. ``view`` is a ``View`` or a callable
    making one (rendered only when needed). ``region:my-votes`` only for a named
    viewer: a frame for everyone never carries anyone's dots."""
    events = [e for item in items for e in item.events]
    if not events:
        return {}
    shown = board.retro is not None and board.retro.phase in _SHOWN
    out: dict[str, str] = {}
    if any(isinstance(e, _ALWAYS) for e in events) or (
        shown and any(isinstance(e, _PANEL) for e in events)
    ):
        view = view() if callable(view) else view
        out.update(panel(renderer, view))
    if viewer is not None and any(isinstance(e, (*_PERSONAL, SessionEnded)) for e in events):
        view = view() if callable(view) else view
        out.update(mine(renderer, view, viewer))
    return out

"""The Scaled Daily Scrum's live region (``templates/_sds.html``, SPEC R54-R56).

``region:sds`` is the same for everyone of a role: the round's clock, its teams in turn
and the current team's questions (the page and the projector show it; a full catch-up
carries it). It is rendered again on every change of the round and when a session
starts or ends (the facilitator's Start button comes and goes with the session).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from board.events import SdsChanged, SessionEnded, SessionStarted
from board.log import Item
from board.sds import representation
from board.sds_model import QUESTIONS

_CHANGES = (SdsChanged, SessionStarted, SessionEnded)


class Renderer(Protocol):
    """What the region needs of ``server.web.render.Renderer``."""

    def _call(self, template: str, name: str, *args: Any) -> str: ...


def template_globals() -> dict[str, Any]:
    """What ``_sds.html`` calls (installed in the renderer's Jinja environment)."""
    return {"SDS_QUESTIONS": QUESTIONS, "sds_representation": representation}


def region(renderer: Renderer, view: Any) -> dict[str, str]:
    """The panel for a page or a full catch-up."""
    return {"region:sds": renderer._call("_sds.html", "panel", view)}


def items_region(renderer: Renderer, items: Iterable[Item], view: Any) -> dict[str, str]:
    """The panel again when ``items`` changed the round or the session; ``view`` is a
    ``View`` or a callable making one (only called when needed)."""
    if not any(isinstance(e, _CHANGES) for item in items for e in item.events):
        return {}
    return region(renderer, view() if callable(view) else view)

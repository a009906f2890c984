"""The standards in force on a board as a live region (``templates/_standards.html``,
SPEC R67).

``region:standards-here`` is the board's "N standards in force here" line (hidden while
there is none), the same for everyone. It comes with every item that adopts, retires or
announces a standard (``standard_adopted``, ``standard_retired`` on the EAT,
``standard_announced`` on a forum it applies to) and in every full catch-up, so the line
follows without a reload; the client only swaps the server's markup in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Protocol

from board.events import StandardAdopted, StandardAnnounced, StandardRetired
from board.log import Item

_CHANGES = (StandardAdopted, StandardRetired, StandardAnnounced)


class Renderer(Protocol):
    """What the region needs of ``server.web.render.Renderer``."""

    def _call(self, template: str, name: str, *args: Any) -> str: ...


def region(renderer: Renderer, view: Any) -> dict[str, str]:
    """The line for a page or a full catch-up."""
    return {"region:standards-here": renderer._call("_standards.html", "in_force", view)}


def items_region(
    renderer: Renderer, items: Iterable[Item], view: Any | Callable[[], Any]
) -> dict[str, str]:
    """The line again when ``items`` adopted, retired or announced a standard; ``view``
    is a ``View`` or a callable making one (only called when needed)."""
    if not any(isinstance(e, _CHANGES) for item in items for e in item.events):
        return {}
    return region(renderer, view() if callable(view) else view)

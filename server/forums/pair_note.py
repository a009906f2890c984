"""The live note saying which list a backlog board shares (``templates/_backlog.html``
``pair_note``, SPEC R57, R76).

``region:pair-note`` is on the forum page of a MetaScrum and of a Scaled Backlog: the
forum whose ordered column is one list with this board's, or nothing (hidden) when it
shares it with none. A full catch-up carries it, and it is rendered again when the board
is paired (``backlog_paired``) or unpaired (``backlog_unpaired``), so the page says so
at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from board.backlog_sync import PAIRED_KINDS
from board.events import BacklogPaired, BacklogUnpaired
from board.log import Item

_CHANGES = (BacklogPaired, BacklogUnpaired)


class Renderer(Protocol):
    """What the region needs of ``server.web.render.Renderer``."""

    def _call(self, template: str, name: str, *args: Any) -> str: ...


def region(renderer: Renderer, view: Any) -> dict[str, str]:
    """The note for a page or a full catch-up (none on a board of another kind)."""
    if view.board.kind not in PAIRED_KINDS:
        return {}
    return {"region:pair-note": renderer._call("_backlog.html", "pair_note", view)}


def items_region(renderer: Renderer, items: Iterable[Item], view: Any) -> dict[str, str]:
    """The note again when ``items`` paired or unpaired the board; ``view`` is a ``View``
    or a callable making one (only called when needed)."""
    if not any(isinstance(e, _CHANGES) for item in items for e in item.events):
        return {}
    return region(renderer, view() if callable(view) else view)

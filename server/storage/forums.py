"""ForumDirectory: the forums of the instance, its teams, the links between forums, which
teams a Scrum of Scrums serves, and the instance's own settings (secret, seeded)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

from board.model import Board, NextStep, Team
from board.sync import Accepted
from server.storage.records import ForumRow


class ForumDirectory(Protocol):
    """The directory of forums and teams, and the instance's settings."""

    async def forums(self) -> list[ForumRow]:
        """Every forum, oldest first."""
        ...

    async def forum(self, forum_id: str) -> ForumRow | None: ...

    async def create(
        self,
        first: Board,
        at: float,
        *,
        history: Sequence[Accepted] = (),
        steps: Sequence[NextStep] = (),
    ) -> None:
        """Create a forum whose board starts as ``first``, with a token for each role, in
        one transaction. ``history``: ops already made on it (each with the board right
        after it: a demo's script, an imported session), logged with their projections
        and a snapshot of the last board; ``steps``: next steps as they stand now, over
        what ``history`` made of them (an import's later changes). ``StoreError`` if
        it was not written (an id already taken, a disk error)."""
        ...

    async def teams(self) -> list[Team]:
        """The teams of the network, in their order."""
        ...

    async def save_teams(self, teams: Sequence[Team]) -> None:
        """Add or replace ``teams``, in this order."""
        ...

    async def link(self, forum_id: str, relation: str) -> str | None:
        """The forum ``forum_id`` is linked to by ``relation`` (``escalates_to``), if set."""
        ...

    async def set_link(self, forum_id: str, relation: str, target_id: str | None) -> None:
        """Link ``forum_id`` to ``target_id`` by ``relation`` (``None``: unlink)."""
        ...

    async def served(self) -> dict[str, tuple[str, ...]]:
        """Forum id -> the ids of the teams it serves, in the teams' order."""
        ...

    async def set_served(self, forum_id: str, team_ids: Iterable[str]) -> None:
        """Replace the teams ``forum_id`` serves with ``team_ids``."""
        ...

    async def secret(self) -> str:
        """The instance's signing secret, made on first use and the same ever after."""
        ...

    async def is_new(self) -> bool:
        """No forum yet and never seeded: a new instance."""
        ...

    async def mark_seeded(self, how: str) -> None:
        """Remember that this instance was seeded (``how``: with what, e.g. ``demo``)."""
        ...

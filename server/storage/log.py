"""ForumLog: the live log of every forum — append a room's accepted ops (with what they
project into the review tables, and a snapshot) in one durable transaction; load a
forum; ops in a range; the board at a seq."""

from __future__ import annotations

from typing import Protocol


class ForumLog(Protocol):
    """What the app asks of storage in this area (methods added as the SQL moves here)."""

"""SessionRecords: a forum's sessions, decisions and next steps as the review tables hold them."""

from __future__ import annotations

from typing import Protocol


class SessionRecords(Protocol):
    """What the app asks of storage in this area (methods added as the SQL moves here)."""

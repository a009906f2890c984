"""HistoryQueries: the network's sessions, the decisions log and next steps, filtered and paged."""

from __future__ import annotations

from typing import Protocol


class HistoryQueries(Protocol):
    """What the app asks of storage in this area (methods added as the SQL moves here)."""

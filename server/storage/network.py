"""NetworkQueries: what the network page reads of its own. Today it has none: its
counts come from the forum directory (``ForumDirectory``) and the stored boards of the
log (``ForumLog.board_at``), cached by ``server.network.queries.Counts``."""

from __future__ import annotations

from typing import Protocol


class NetworkQueries(Protocol):
    """What the app asks of storage for the network page (nothing beyond the directory
    and the log yet)."""

"""NetworkQueries: what the network page reads (open impediments per forum and the like)."""

from __future__ import annotations

from typing import Protocol


class NetworkQueries(Protocol):
    """What the app asks of storage in this area (methods added as the SQL moves here)."""

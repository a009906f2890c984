"""AccessRecords: role tokens per forum, the admin's token, rotation."""

from __future__ import annotations

from typing import Protocol


class AccessRecords(Protocol):
    """What the app asks of storage in this area (methods added as the SQL moves here)."""

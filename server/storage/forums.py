"""ForumDirectory: the forums of the instance, its teams, the links between forums, which
teams a Scrum of Scrums serves, and the instance's own settings (secret, seeded)."""

from __future__ import annotations

from typing import Protocol


class ForumDirectory(Protocol):
    """What the app asks of storage in this area (methods added as the SQL moves here)."""

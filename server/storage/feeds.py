"""FeedRecords: the secret calendar feeds (``server/feeds/``), one row a feed.

A feed is a forum's (``scope`` ``forum``, ``subject`` its id) or a person's (``person``,
their person key, SPEC R40). Its URL carries a token made from the instance secret and
the feed's ``generation``; the store keeps only the token's SHA-256 (``token_hash``), so
a copy of the database opens no feed. Rotating a feed is writing its next generation
with the new token's hash: the old URL then matches no row.
"""

from __future__ import annotations

from typing import Protocol

import msgspec


class FeedRecord(msgspec.Struct, frozen=True):
    """One feed. A person's also says whose next steps it lists (``owner``, the name
    they go by as next-step owner) and what let them see forums when they last opened
    their feed page, as their access cookie holds it: ``grants`` (forum id, role, the
    link token's fingerprint, never the token) and ``admin_mark`` (the admin token's
    mark, ``""``: not the admin). A grant counts only while its link is not rotated."""

    scope: str
    subject: str
    generation: int
    token_hash: str
    created_at: float
    owner: str = ""
    grants: list[tuple[str, str, str]] = []
    admin_mark: str = ""


class FeedRecords(Protocol):
    """What the app asks of storage about calendar feeds."""

    async def feed(self, scope: str, subject: str) -> FeedRecord | None:
        """The feed of a forum or a person (``None``: none made yet)."""
        ...

    async def feed_by_hash(self, token_hash: str) -> FeedRecord | None:
        """The feed whose current token has this SHA-256 (hex)."""
        ...

    async def put_feed(self, feed: FeedRecord) -> None:
        """Write ``feed``, replacing the one of its scope and subject."""
        ...

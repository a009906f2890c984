"""AccessRecords: role tokens per forum, the admin token's hash, rotation."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import msgspec


class ForumToken(msgspec.Struct, frozen=True):
    """One role's current token of a forum (the role as stored: any text)."""

    forum_id: str
    role: str
    token: str
    created_at: float


class AccessRecords(Protocol):
    """What the app asks of storage about who may enter."""

    async def all_tokens(self) -> list[ForumToken]: ...

    async def tokens_of(self, forum_id: str) -> list[ForumToken]:
        """The forum's tokens (empty: an unknown forum, or one without any)."""
        ...

    async def forum_of_token(self, token: str) -> str | None: ...

    async def missing_roles(self, roles: Sequence[str]) -> list[tuple[str, str]]:
        """(forum id, role) for every forum and each of ``roles`` it has no token for."""
        ...

    async def add_tokens(self, tokens: Sequence[ForumToken]) -> None:
        """Store tokens for roles that have none (a role that has one keeps it)."""
        ...

    async def replace_token(self, forum_id: str, role: str, token: str, at: float) -> None: ...

    async def admin_hash(self) -> str | None:
        """The admin token's stored record, an HMAC of it (``server/access/admin_token.py``;
        ``None``: no admin yet)."""
        ...

    async def set_admin_hash(self, digest: str) -> None: ...

"""What pages and the API share: creating forums, the teams style."""

from __future__ import annotations

import re
import secrets
import time

from board.apply import clean_text
from board.kinds import FORUM_KINDS
from board.model import MAX_FORUM_NAME, Board, new_board
from server.storage.forums import ForumDirectory


def validate_forum(name: str, kind: str) -> dict[str, str]:
    """Field errors for a new forum (empty when it is fine)."""
    errors: dict[str, str] = {}
    cleaned = clean_text(name, single_line=True)
    if not cleaned:
        errors["name"] = "Give the forum a name."
    elif len(cleaned) > MAX_FORUM_NAME:
        errors["name"] = f"Keep the name to {MAX_FORUM_NAME} characters or fewer."
    if kind not in FORUM_KINDS:
        errors["kind"] = "Choose one of the forum kinds."
    return errors


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:32].strip("-") or "forum"


async def create_forum(forums: ForumDirectory, name: str, kind: str) -> Board:
    """Create a forum from its kind's template; the caller validated the fields."""
    name = clean_text(name, single_line=True)
    forum_id = await claim_forum_id(forums, name)
    try:
        board = new_board(forum_id, kind, name)
        await forums.create(board, time.time())
    finally:
        release_forum_id(forum_id)
    return board


async def claim_forum_id(forums: ForumDirectory, name: str, preferred: str | None = None) -> str:
    """A forum id that no forum has and nobody is creating now: ``preferred`` when it is
    free, else one made from ``name``. Reserved until ``release_forum_id``.

    The suffix is short, so two forums of one name can draw the same one; an insert
    that collides would fail the whole group commit it shares with other writes.
    """
    candidate = preferred or f"{slug(name)}-{secrets.token_hex(2)}"
    while True:
        free = candidate not in _creating and await forums.forum(candidate) is None
        if free and candidate not in _creating:  # checked again after the await
            _creating.add(candidate)
            return candidate
        candidate = f"{slug(name)}-{secrets.token_hex(3)}"


def release_forum_id(forum_id: str) -> None:
    """The forum is written (or its writing failed): ``forums.forum`` answers for it now."""
    _creating.discard(forum_id)


_creating: set[str] = set()  # ids being written now (not yet visible to ``forums.forum``)


def teams_css(teams: list[tuple[str, str]]) -> str:
    """One rule per team colour (served as a stylesheet: the CSP forbids inline styles)."""
    lines = []
    for team_id, colour in teams:
        if re.fullmatch(r"[a-z0-9-]+", team_id) and re.fullmatch(r"#[0-9a-fA-F]{6}", colour):
            lines.append(f".team-{team_id}{{--team:{colour}}}")
    return "\n".join(lines) + "\n"

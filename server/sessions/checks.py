"""Checking the filter and page values of the history lists (query strings of pages
and the API): each gives the value to use or raises ``BadQuery`` saying what is wrong."""

from __future__ import annotations

from typing import Final

from board.kinds import FORUM_KINDS
from board.model import StepStatus
from server.storage import Storage

PAGE_SIZE: Final = 25  # rows per page of the HTML lists
STATUSES: Final = ("open", "done", "dropped")
STEP_STATUS: Final[dict[str, StepStatus]] = {"open": "open", "done": "done", "dropped": "dropped"}
MAX_QUERY: Final = 200  # longest search text / owner filter


class BadQuery(Exception):
    """A filter or page value that cannot be used; ``reason`` says what is wrong."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def check_kind(kind: str | None) -> str | None:
    if not kind:
        return None
    if kind not in FORUM_KINDS:
        raise BadQuery(f"There is no forum kind {kind!r}; use one of {', '.join(FORUM_KINDS)}.")
    return kind


def check_status(status: str | None) -> str | None:
    if not status:
        return None
    if status not in STATUSES:
        raise BadQuery(f"Status {status!r} is not one of {', '.join(STATUSES)}.")
    return status


def check_text(value: str | None, what: str) -> str:
    text = (value or "").strip()
    if len(text) > MAX_QUERY:
        raise BadQuery(f"The {what} is too long (at most {MAX_QUERY} characters).")
    return text


def check_page(raw: str | None) -> int:
    if not raw:
        return 1
    if not raw.isdigit() or not 1 <= int(raw) <= 1_000_000:
        raise BadQuery(f"Page {raw!r} is not a page number (1, 2, 3 …).")
    return int(raw)


def check_flag(raw: str | None) -> bool:
    if raw in (None, "", "false", "0"):
        return False
    if raw in ("true", "1", "on"):
        return True
    raise BadQuery(f"overdue={raw!r} is neither true nor false.")


async def check_forum(storage: Storage, forum_id: str | None) -> str | None:
    """A forum filter: ``None``, or a forum that exists (``store``: the directory)."""
    if not forum_id:
        return None
    if await storage.forums.forum(forum_id) is None:
        raise BadQuery(f"There is no forum {forum_id!r}.")
    return forum_id

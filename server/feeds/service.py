"""Making, rotating and reading feeds, and the document a feed answers with.

A forum's feed (``scope`` ``forum``) lists its sessions and its open next steps with a
due date; a person's (``person``, keyed by their person key, SPEC R40) lists the open
next steps they own (by the name they go by, as next steps record owners) in the
forums their access cookie opened when they last opened their feed page, and only
while those links are not rotated (the grants are checked as the cookie's are, by the
link's fingerprint, on every fetch). A feed is made on first use at generation 1;
rotating it writes generation + 1, and the old URL finds nothing.
"""

from __future__ import annotations

import datetime as dt
import hmac
import time
from typing import Final

import msgspec

from board.access import ROLES
from server.access.feed_tokens import feed_token, token_hash
from server.access.service import Access
from server.feeds.calendar import calendar
from server.storage import Storage
from server.storage.feeds import FeedRecord
from server.storage.history import LoggedStep, StepFilter

FORUM: Final = "forum"
PERSON: Final = "person"
MAX_STEPS: Final = 1000  # next steps one feed lists at most (soonest due first)
MAX_TOKEN: Final = 64


Grants = list[tuple[str, str, str]]  # (forum id, role, link fingerprint), as the cookie's


async def _write(
    storage: Storage, secret: str, old: FeedRecord | None, new: FeedRecord
) -> tuple[FeedRecord, str]:
    token = feed_token(secret, new.scope, new.subject, new.generation)
    if new != old:
        new = msgspec.structs.replace(new, token_hash=token_hash(token))
        await storage.feeds.put_feed(new)
    return new, token


async def current(
    storage: Storage,
    secret: str,
    scope: str,
    subject: str,
    *,
    owner: str = "",
    grants: Grants | None = None,
    admin_mark: str = "",
) -> tuple[FeedRecord, str]:
    """The feed of ``scope``/``subject`` and its URL token, made if there is none. A
    person's feed is brought up to date with the name they go by and what they see."""
    old = await storage.feeds.feed(scope, subject)
    seen = sorted(grants or [])
    if old is None:
        new = FeedRecord(scope, subject, 1, "", time.time(), owner, seen, admin_mark)
    elif scope == PERSON:
        new = msgspec.structs.replace(old, owner=owner, grants=seen, admin_mark=admin_mark)
    else:
        new = old
    return await _write(storage, secret, old, new)


async def rotate(
    storage: Storage,
    secret: str,
    scope: str,
    subject: str,
    *,
    owner: str = "",
    grants: Grants | None = None,
    admin_mark: str = "",
) -> str:
    """Give the feed a new URL (its next generation); the old one stops at once."""
    old = await storage.feeds.feed(scope, subject)
    generation = 1 if old is None else old.generation + 1
    seen = sorted(grants or [])
    new = FeedRecord(scope, subject, generation, "", time.time(), owner, seen, admin_mark)
    return (await _write(storage, secret, old, new))[1]


async def resolve(storage: Storage, secret: str, token: str) -> FeedRecord | None:
    """The feed a URL token opens (``None``: none, or an old generation's)."""
    if not token or len(token) > MAX_TOKEN:
        return None
    found = await storage.feeds.feed_by_hash(token_hash(token))
    if found is None:
        return None
    expected = feed_token(secret, found.scope, found.subject, found.generation)
    return found if hmac.compare_digest(expected, token) else None


async def visible(access: Access, feed: FeedRecord) -> frozenset[str] | None:
    """The forums a person's feed may show now (``None``: every forum): the admin's while
    the admin token is the one it was, and each grant's forum while its link is."""
    if feed.admin_mark:
        mark = await access.admin_mark()
        if mark is not None and hmac.compare_digest(mark, feed.admin_mark):
            return None
    found: set[str] = set()
    for forum_id, role, mark in feed.grants:
        known = next((r for r in ROLES if r == role), None)  # the stored text, as a Role
        current = await access.mark(forum_id, known) if known is not None else None
        if current is not None and hmac.compare_digest(current, mark):
            found.add(forum_id)
    return frozenset(found)


async def _steps(
    storage: Storage, f: StepFilter, visible: frozenset[str] | None
) -> list[LoggedStep]:
    _, found = await storage.history.steps(
        f, today=dt.date.today(), limit=MAX_STEPS, visible=visible
    )
    return found


async def document(storage: Storage, access: Access, feed: FeedRecord, base: str) -> bytes | None:
    """The feed's iCalendar text (``None``: its forum is gone)."""
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    if feed.scope == FORUM:
        forum = await storage.forums.forum(feed.subject)
        if forum is None:
            return None
        sessions = [(s, forum.name) for s in await storage.sessions.of_forum(forum.id)]
        steps = await _steps(storage, StepFilter(forum_id=forum.id, status="open"), None)
        return calendar(f"{forum.name} · Scaleboard", sessions, steps, base, now)
    if not feed.owner:
        return calendar("My next steps · Scaleboard", [], [], base, now)
    seen = await visible(access, feed)
    if seen is not None and not seen:
        return calendar(f"Next steps of {feed.owner} · Scaleboard", [], [], base, now)
    steps = await _steps(storage, StepFilter(status="open", owner=feed.owner), seen)
    return calendar(f"Next steps of {feed.owner} · Scaleboard", [], steps, base, now)

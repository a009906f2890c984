"""What the webhook pages and API share: checking a new subscription, making it (its
secret, shown once), the test event, and what a subscription looks like to its owner
(never its secret). Scopes: the admin's subscriptions are of every forum
(``forum_id`` ``None``) or one; a facilitator's are of their forum only."""

from __future__ import annotations

import secrets
import time
import urllib.parse
from collections.abc import Iterable, Mapping
from typing import Final

import msgspec

from board.outgoing import KINDS, ForumRef, probe_event
from server.hooks.formats import FORMATS
from server.hooks.signing import new_secret
from server.storage import Storage
from server.storage.hooks import Delivery, Subscription

MAX_URL: Final = 2000
MAX_PER_SCOPE: Final = 20  # subscriptions of one forum (or the admin's of every forum)


class Refusal(Exception):
    """A subscription that cannot be made or found: a status and a reason to show."""

    def __init__(self, status: int, code: str, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.code = code
        self.reason = reason


class NewSubscription(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """What the API takes to subscribe a URL."""

    url: str
    kinds: list[str]
    format: str = "json"


class SubscriptionView(msgspec.Struct, frozen=True):
    """A subscription as its owner sees it (no secret, except once at its making)."""

    id: str
    forum_id: str | None
    url: str
    format: str
    kinds: tuple[str, ...]
    created_at: float
    created_by: str
    paused: bool
    failures: int
    secret: str | None = None


def view(sub: Subscription, *, with_secret: bool = False) -> SubscriptionView:
    return SubscriptionView(
        id=sub.id,
        forum_id=sub.forum_id,
        url=sub.url,
        format=sub.format,
        kinds=sub.kinds,
        created_at=sub.created_at,
        created_by=sub.created_by,
        paused=sub.paused,
        failures=sub.failures,
        secret=sub.secret if with_secret else None,
    )


def check_url(url: str) -> str:
    """The URL, or ``Refusal``: only ``http`` and ``https`` with a host (no other scheme
    reaches a receiver; docs/integrations.md asks admins to restrict egress too)."""
    url = url.strip()
    if not url or len(url) > MAX_URL:
        raise Refusal(400, "invalid", f"Give the URL to send to (up to {MAX_URL} characters).")
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
    except ValueError:
        raise Refusal(400, "invalid", "That is not a URL.") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Refusal(400, "invalid", "Only http:// and https:// URLs can receive webhooks.")
    if any(ord(ch) < 33 or ord(ch) == 127 for ch in url) or (port is not None and port == 0):
        raise Refusal(400, "invalid", "That URL has spaces or control characters.")
    return url


def check(url: str, fmt: str, kinds: Iterable[str]) -> tuple[str, str, tuple[str, ...]]:
    """A new subscription's URL, format and kinds, or ``Refusal`` saying what is wrong."""
    url = check_url(url)
    if fmt not in FORMATS:
        raise Refusal(400, "invalid", f"Choose a format: {', '.join(FORMATS)}.")
    chosen = list(dict.fromkeys(kinds))
    unknown = [k for k in chosen if k not in KINDS]
    if unknown:
        raise Refusal(400, "invalid", f"Unknown event kinds: {', '.join(unknown)}.")
    if not chosen:
        raise Refusal(400, "invalid", "Choose at least one kind of event.")
    return url, fmt, tuple(k for k in KINDS if k in chosen)


def kinds_of_form(form: Mapping[str, str]) -> list[str]:
    """The kinds ticked on the form (a checkbox ``kind:<kind>`` each)."""
    return [k for k in KINDS if form.get(f"kind:{k}")]


async def subscribe(
    storage: Storage,
    forum_id: str | None,
    url: str,
    fmt: str,
    kinds: Iterable[str],
    by: str,
    base_url: str,
) -> Subscription:
    """Make a subscription (checked) and store it; its secret is in what is returned."""
    url, fmt, chosen = check(url, fmt, kinds)
    if len(await scope(storage, forum_id)) >= MAX_PER_SCOPE:
        raise Refusal(409, "limit", f"There are {MAX_PER_SCOPE} subscriptions here already.")
    sub = Subscription(
        id="wh_" + secrets.token_urlsafe(9),
        forum_id=forum_id,
        url=url,
        format=fmt,
        kinds=chosen,
        secret=new_secret(),
        created_at=time.time(),
        created_by=by,
        base_url=base_url,
    )
    await storage.hooks.subscribe(sub)
    return sub


async def scope(storage: Storage, forum_id: str | None) -> list[Subscription]:
    """The subscriptions of a forum, or the admin's of every forum (``None``)."""
    subs = await storage.hooks.subscriptions(forum_id)
    return subs if forum_id is not None else [s for s in subs if s.forum_id is None]


async def find(storage: Storage, sub_id: str, forum_id: str | None) -> Subscription:
    """A subscription in the caller's scope (a facilitator's forum; the admin: any), or
    ``Refusal`` 404 — the same whether it does not exist or is another forum's."""
    sub = await storage.hooks.get(sub_id)
    if sub is None or (forum_id is not None and sub.forum_id != forum_id):
        raise Refusal(404, "not_found", f"There is no subscription {sub_id!r} here.")
    return sub


async def send_test(storage: Storage, sub: Subscription) -> str:
    """Queue a test event for ``sub`` alone; its idempotency key."""
    forum: ForumRef | None = None
    if sub.forum_id is not None:
        row = await storage.forums.forum(sub.forum_id)
        forum = ForumRef(
            id=sub.forum_id, name=row.name if row else "", kind=row.kind if row else ""
        )
    key = "test:" + secrets.token_urlsafe(12)
    await storage.hooks.emit([probe_event(forum, key, time.time())], only=sub.id)
    return key


async def log_of(storage: Storage, sub: Subscription, limit: int = 50) -> list[Delivery]:
    return await storage.hooks.deliveries(sub.id, limit)

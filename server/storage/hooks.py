"""HookStore: outgoing webhooks as stored — the outbox of events, the subscriptions and
their deliveries (SPEC R60–R64, docs/integrations.md).

An op's events and a pending delivery per subscription that wants them are written by
``ForumLog.append`` in the transaction that logs the op (``projections.outbox_writes``,
R61). What is left for this interface: subscriptions (make, list, delete, resume), the
deliverer's claim of due deliveries (in the database, so one process sends a delivery at
a time, R62) and the record of each attempt (R64), the clock's events (due and overdue
next steps), a test event, and the reads of the delivery log. Each engine has its SQL
(``sqlite/hooks.py``, ``postgres/hooks.py``); the writes are shared here.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Sequence
from typing import Any, Final, Protocol

import msgspec

from board.model import NextStep
from board.outgoing import Outgoing
from server.storage.group import GroupCommit
from server.storage.projections import event_writes
from server.storage.stmt import Stmt

PENDING: Final = "pending"
DELIVERED: Final = "delivered"
FAILED: Final = "failed"  # given up after ``GIVE_UP`` attempts (R64)

SUB_COLUMNS: Final = (
    "id, forum_id, url, format, kinds, secret, created_at, created_by, base_url, paused, failures"
)
DELIVERY_COLUMNS: Final = (
    "d.sub_id, d.event_key, e.kind, d.status, d.attempts, d.next_at, d.last_error, "
    "d.last_status, d.created_at, d.delivered_at"
)
CLAIM_COLUMNS: Final = (
    "d.sub_id, d.event_key, d.attempts, e.body, s.url, s.format, s.secret, s.base_url"
)


class Subscription(msgspec.Struct, frozen=True):
    """A URL subscribed to event kinds of one forum (``forum_id``) or, made by the
    admin, of every forum (``None``). ``secret`` signs its requests (R63)."""

    id: str
    forum_id: str | None
    url: str
    format: str
    kinds: tuple[str, ...]
    secret: str
    created_at: float
    created_by: str
    base_url: str  # the server's address links in messages start with
    paused: bool = False
    failures: int = 0  # failed deliveries in a row (R64)


class Delivery(msgspec.Struct, frozen=True):
    """One event's delivery to one subscription, for the delivery log."""

    sub_id: str
    event_key: str
    kind: str
    status: str
    attempts: int
    next_at: float
    last_error: str
    last_status: int | None
    created_at: float
    delivered_at: float | None


class Claimed(msgspec.Struct, frozen=True):
    """A delivery the deliverer claimed: what it sends, and where."""

    sub_id: str
    event_key: str
    attempts: int
    body: bytes
    url: str
    format: str
    secret: str
    base_url: str


class DueStep(msgspec.Struct, frozen=True):
    """An open next step due on or before a day, with its forum (the clock's sweep)."""

    forum_id: str
    forum_name: str
    forum_kind: str
    id: str
    session_id: str
    text: str
    owner: str
    due: dt.date

    def step(self) -> NextStep:
        """The step as the board knows it (what ``board.outgoing.step_due`` takes)."""
        return NextStep(
            id=self.id,
            session_id=self.session_id,
            text=self.text,
            created_at=0.0,
            created_by="",
            updated_at=0.0,
            updated_by="",
            owner=self.owner,
            due=self.due,
        )


def kinds_text(kinds: Sequence[str]) -> str:
    """A subscription's kinds as stored: ``,a,b,`` (a kind matches ``,kind,``)."""
    return "," + ",".join(kinds) + ","


def subscription(row: Sequence[Any]) -> Subscription:
    """A ``Subscription`` from the columns ``SUB_COLUMNS``."""
    id_, forum_id, url, fmt, kinds, secret, created_at, created_by, base, paused, failures = row
    return Subscription(
        id=id_,
        forum_id=forum_id,
        url=url,
        format=fmt,
        kinds=tuple(k for k in str(kinds).split(",") if k),
        secret=secret,
        created_at=created_at,
        created_by=created_by,
        base_url=base,
        paused=bool(paused),
        failures=int(failures),
    )


def delivery(row: Sequence[Any]) -> Delivery:
    """A ``Delivery`` from the columns ``DELIVERY_COLUMNS``."""
    sub, key, kind, status, attempts, next_at, error, code, created, delivered = row
    return Delivery(sub, key, kind, status, int(attempts), next_at, error, code, created, delivered)


def claimed(row: Sequence[Any]) -> Claimed:
    """A ``Claimed`` from the columns ``CLAIM_COLUMNS``."""
    sub, key, attempts, body, url, fmt, secret, base = row
    return Claimed(sub, key, int(attempts), bytes(body), url, fmt, secret, base)


class HookStore(Protocol):
    """Subscriptions, the outbox's deliveries, and the deliverer's claims."""

    def subscribe(self, sub: Subscription) -> asyncio.Future[None]: ...

    def unsubscribe(self, sub_id: str) -> asyncio.Future[None]:
        """Delete a subscription and its deliveries."""
        ...

    def resume(self, sub_id: str, at: float) -> asyncio.Future[None]:
        """Un-pause a subscription: its failure count is reset and what waited is due."""
        ...

    def emit(self, events: Sequence[Outgoing], only: str | None = None) -> asyncio.Future[None]:
        """Events not made by an op (the clock's; a test event to ``only``): written
        once by key, with their deliveries."""
        ...

    def delivered(self, c: Claimed, at: float, status: int) -> asyncio.Future[None]:
        """Record a 2xx answer: delivered, and the subscription's failures reset."""
        ...

    def failed(
        self,
        c: Claimed,
        at: float,
        error: str,
        status: int | None,
        next_at: float,
        *,
        give_up: int,
        pause_after: int,
    ) -> asyncio.Future[None]:
        """Record a failed attempt: due again at ``next_at`` (``failed`` once it made
        ``give_up`` attempts), and the subscription paused at ``pause_after`` failures
        in a row."""
        ...

    async def subscriptions(self, forum_id: str | None = None) -> list[Subscription]:
        """A forum's subscriptions (its own only), or with ``None`` every one."""
        ...

    async def get(self, sub_id: str) -> Subscription | None: ...

    async def deliveries(self, sub_id: str, limit: int = 50) -> list[Delivery]:
        """A subscription's deliveries, newest first."""
        ...

    async def events(self, forum_id: str | None = None, limit: int = 1000) -> list[Outgoing]:
        """The outbox's events (one forum's, or every one), oldest first."""
        ...

    async def claim(self, now: float, lease: float, limit: int) -> list[Claimed]:
        """Take up to ``limit`` due deliveries of subscriptions not paused, each for
        ``lease`` seconds: no other claim takes them meanwhile (R62)."""
        ...

    async def due_steps(self, today: dt.date) -> list[DueStep]:
        """Open next steps due on or before ``today``, with their forums."""
        ...


class HookWrites:
    """The writes of ``HookStore`` over an engine's group commit (every engine)."""

    def __init__(self, engine: GroupCommit) -> None:
        self.engine = engine

    def subscribe(self, sub: Subscription) -> asyncio.Future[None]:
        row = (
            sub.id,
            sub.forum_id,
            sub.url,
            sub.format,
            kinds_text(sub.kinds),
            sub.secret,
            sub.created_at,
            sub.created_by,
            sub.base_url,
        )
        return self.engine.write([(Stmt.HOOK_SUB_NEW, row)])

    def unsubscribe(self, sub_id: str) -> asyncio.Future[None]:
        return self.engine.write(
            [(Stmt.HOOK_DELIVERIES_DROP, (sub_id,)), (Stmt.HOOK_SUB_DROP, (sub_id,))]
        )

    def resume(self, sub_id: str, at: float) -> asyncio.Future[None]:
        return self.engine.write(
            [(Stmt.HOOK_RESUME, (sub_id,)), (Stmt.HOOK_RESUME_DELIVERIES, (at, sub_id))]
        )

    def emit(self, events: Sequence[Outgoing], only: str | None = None) -> asyncio.Future[None]:
        return self.engine.write(event_writes(events, only))

    def delivered(self, c: Claimed, at: float, status: int) -> asyncio.Future[None]:
        return self.engine.write(
            [
                (Stmt.HOOK_DELIVERED, (at, status, c.sub_id, c.event_key)),
                (Stmt.HOOK_SUB_OK, (c.sub_id,)),
            ]
        )

    def failed(
        self,
        c: Claimed,
        at: float,
        error: str,
        status: int | None,
        next_at: float,
        *,
        give_up: int,
        pause_after: int,
    ) -> asyncio.Future[None]:
        return self.engine.write(
            [
                (
                    Stmt.HOOK_FAILED,
                    (give_up, next_at, error[:500], status, c.sub_id, c.event_key),
                ),
                (Stmt.HOOK_SUB_FAIL, (pause_after, c.sub_id)),
            ]
        )
